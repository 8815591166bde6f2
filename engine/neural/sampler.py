"""The diffusion sampler: DPM-Solver++(3M) SDE on Stable Audio's noise schedule.

This is what stable-audio-tools runs for Stable Audio Open (`sample_k` with
sampler "dpmpp-3m-sde", through k-diffusion), written against the ModelBundle:

- sigma is the noise scale of k-diffusion's variance-exploding view,
  x = data + sigma * noise. The DiT is a v-objective model on stable-audio-tools'
  time t = atan(sigma) * 2 / pi; k-diffusion's VDenoiser (sigma_data = 1) turns
  its v prediction into a denoised estimate:
      denoised = x / (sigma² + 1) - v * sigma / sqrt(sigma² + 1),  v = DiT(x / sqrt(sigma² + 1), t)
- The schedule (schedule.py) is log-linear from sigma_max down to SIGMA_MIN,
  then 0. Editing starts from the input latent plus sigma_max-scaled noise, so
  sigma_max is the edit strength.
- Classifier-free guidance as stable-audio-tools' DiT does it: the conditioned
  and unconditioned passes run as one batch; the unconditioned one has every
  cross-attention token zeroed (prompt and the seconds tokens) and keeps the
  global seconds token and the input latent.
- The SDE noise of each batch item is a Brownian motion of its own (torchsde's
  BrownianTree, as k-diffusion's BrownianTreeNoiseSampler), seeded with that
  item's seed and built on the CPU in float32, so a seed gives the same noise on
  every device and at every batch size.

Pitfall: the sampler state stays float32 whatever the model's precision; only
the networks run in bf16/fp16. Keeping the solver's sums in bf16 (8 bits of
mantissa) would round away the small per-step updates near the end of the schedule.
"""

from __future__ import annotations

import math
import queue
import threading
from typing import Callable

import torch

from .loader import Conditioning, ModelBundle
from .schedule import sigma_to_t

ETA = 1.0  # full SDE noise, k-diffusion's default

Denoiser = Callable[[torch.Tensor, float], torch.Tensor]


def guided_denoiser(bundle: ModelBundle, cond: Conditioning, input_latent: torch.Tensor, cfg: float) -> Denoiser:
    """denoise(x, sigma) for SAO-Instruct with classifier-free guidance of scale `cfg` on the text.

    cfg == 1 runs the conditioned pass alone (the guided mix would equal it).
    """
    if cfg != 1.0:
        cond = Conditioning(
            cross_attention=torch.cat([cond.cross_attention, torch.zeros_like(cond.cross_attention)]),
            global_embed=torch.cat([cond.global_embed, cond.global_embed]),
        )
        input_latent = torch.cat([input_latent, input_latent])

    def denoise(x: torch.Tensor, sigma: float) -> torch.Tensor:
        scale = 1.0 / math.sqrt(sigma * sigma + 1.0)
        model_in = x * scale
        if cfg != 1.0:
            model_in = torch.cat([model_in, model_in])
        v = bundle.predict(model_in, sigma_to_t(sigma), cond, input_latent=input_latent).float()
        if cfg != 1.0:
            v_cond, v_uncond = v.chunk(2)
            v = v_uncond + (v_cond - v_uncond) * cfg
        return x * (scale * scale) - v * (sigma * scale)

    return denoise


class BrownianNoise:
    """Standard-normal SDE noise for each step of a schedule: one Brownian motion per batch item.

    The noise of a step is the path's increment over [sigma_next, sigma], so it
    depends on the seed and the two sigmas only: not on the batch, and hardly on
    the step count (25 and 100 steps follow the same path). Querying torchsde's
    tree costs milliseconds of CPU per step and item, so a background thread
    draws the increments in schedule order while the model runs; `__call__`
    takes them in that order.
    """

    def __init__(self, shape: tuple[int, ...], seeds: list[int], sigmas: list[float], device: torch.device | str = "cpu"):
        import torchsde

        self.device = torch.device(device)
        w0 = torch.zeros(shape, dtype=torch.float32)
        # From 0, not sigma_min: a query at a rounded sigma_min must not fall outside the tree.
        trees = [torchsde.BrownianTree(0.0, w0, sigmas[0], entropy=int(seed)) for seed in seeds]
        steps = [(a, b) for a, b in zip(sigmas, sigmas[1:]) if b > 0]
        self._ready: queue.Queue = queue.Queue()
        threading.Thread(target=self._draw, args=(trees, steps), daemon=True).start()

    def _draw(self, trees: list, steps: list[tuple[float, float]]) -> None:
        try:
            for sigma, sigma_next in steps:
                w = torch.stack([tree(sigma_next, sigma) for tree in trees]) / math.sqrt(sigma - sigma_next)
                self._ready.put(((sigma, sigma_next), w.pin_memory() if self.device.type == "cuda" else w))
        except BaseException as e:  # handed to the sampling thread, which raises it
            self._ready.put((None, e))

    def __call__(self, sigma: float, sigma_next: float) -> torch.Tensor:
        key, w = self._ready.get()
        if key is None:
            raise w
        assert key == (sigma, sigma_next), "BrownianNoise is read in schedule order"
        return w.to(self.device, non_blocking=True)


def sample_dpmpp_3m_sde(denoise: Denoiser, x: torch.Tensor, sigmas: list[float],
                        noise: Callable[[float, float], torch.Tensor],
                        on_step: Callable[[int], None] | None = None, eta: float = ETA) -> torch.Tensor:
    """Run x (at noise level sigmas[0]) down the schedule; returns the final denoised latent.

    DPM-Solver++(3M) SDE (k-diffusion's sample_dpmpp_3m_sde): multistep in
    lambda = -log(sigma), first order on the first step, second on the next,
    third after that. `on_step(i)` is called after each of the len(sigmas) - 1 steps.
    """
    older = old = None  # the two previous denoised estimates
    h_older = h_old = None  # and their step sizes in lambda
    for i in range(len(sigmas) - 1):
        sigma, sigma_next = sigmas[i], sigmas[i + 1]
        denoised = denoise(x, sigma)
        if sigma_next == 0:
            x = denoised
        else:
            h = math.log(sigma) - math.log(sigma_next)
            h_eta = h * (eta + 1)
            x = math.exp(-h_eta) * x - math.expm1(-h_eta) * denoised
            phi_2 = math.expm1(-h_eta) / h_eta + 1
            if h_older is not None:
                r0, r1 = h_old / h, h_older / h
                d1_0 = (denoised - old) / r0
                d1_1 = (old - older) / r1
                d1 = d1_0 + (d1_0 - d1_1) * r0 / (r0 + r1)
                d2 = (d1_0 - d1_1) / (r0 + r1)
                x = x + phi_2 * d1 - (phi_2 / h_eta - 0.5) * d2
            elif h_old is not None:
                x = x + phi_2 * (denoised - old) / (h_old / h)
            if eta:
                x = x + noise(sigma, sigma_next) * (sigma_next * math.sqrt(-math.expm1(-2 * h * eta)))
            older, old = old, denoised
            h_older, h_old = h_old, h
        if on_step:
            on_step(i + 1)
    return x
