"""The diffusion sampler: DPM-Solver++(3M) SDE on Stable Audio's noise schedule.

This is what stable-audio-tools runs for Stable Audio Open (`sample_k` with
sampler "dpmpp-3m-sde", through k-diffusion), written against the ModelBundle:

- sigma is the noise scale of k-diffusion's variance-exploding view,
  x = data + sigma * noise. The DiT is a v-objective model on stable-audio-tools'
  time t = atan(sigma) * 2 / pi; k-diffusion's VDenoiser (sigma_data = 1) turns
  its v prediction into a denoised estimate:
      denoised = x / (sigma² + 1) - v * sigma / sqrt(sigma² + 1),  v = DiT(x / sqrt(sigma² + 1), t)
- The schedule (schedule.py) is log-linear from sigma_max down to sigma_min,
  then 0. Editing starts from the input latent plus sigma_max-scaled noise, so
  sigma_max is the edit strength.
- Classifier-free guidance as stable-audio-tools' DiT does it: the conditioned
  and unconditioned passes run as one batch; the unconditioned one has every
  cross-attention token zeroed (prompt and the seconds tokens) and keeps the
  global seconds token and the input latent.
- The SDE noise of each batch item comes from that item's seed alone, so a seed
  gives the same noise at every batch size and on every device. Version 2
  (StepNoise, the default) draws each step's standard normals directly from a
  counter-based hash of (seed, step, element) on the device: no host work per
  step. Version 1 (BrownianNoise, kept so that sidecars made with it replay byte
  for byte) is a Brownian motion per item (torchsde's BrownianTree, as
  k-diffusion's BrownianTreeNoiseSampler) built on the CPU by a helper thread.

Pitfall: the sampler state stays float32 whatever the model's precision; only
the networks run in bf16/fp16. Keeping the solver's sums in bf16 (8 bits of
mantissa) would round away the small per-step updates near the end of the schedule.
"""

from __future__ import annotations

import math
import queue
import threading
from typing import Callable

import numpy as np
import torch

from .loader import Conditioning, ModelBundle
from .schedule import NOISE_VERSIONS, sigma_to_t

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
    # Cast once, not at every step (predict would make the same casts).
    cond = Conditioning(cond.cross_attention.to(bundle.dtype), cond.global_embed.to(bundle.dtype))
    times: dict[float, torch.Tensor] = {}  # sigma -> t on the device: one host-to-device copy per noise level

    def denoise(x: torch.Tensor, sigma: float) -> torch.Tensor:
        scale = 1.0 / math.sqrt(sigma * sigma + 1.0)
        model_in = x * scale
        if cfg != 1.0:
            model_in = torch.cat([model_in, model_in])
        if sigma not in times:
            times[sigma] = torch.tensor([sigma_to_t(sigma)], device=bundle.device)
        v = bundle.predict(model_in, times[sigma], cond, input_latent=input_latent).float()
        if cfg != 1.0:
            v_cond, v_uncond = v.chunk(2)
            v = v_uncond + (v_cond - v_uncond) * cfg
        return x * (scale * scale) - v * (sigma * scale)

    return denoise


def make_noise(version: int, shape: tuple[int, ...], seeds: list[int], sigmas: list[float],
               device: torch.device | str = "cpu"):
    """The SDE noise of `version` for items of `shape` (one seed each) down `sigmas`.

    Use it as a context manager: version 1's helper thread is stopped and joined
    on the way out, whatever happened (an error, Ctrl-C).
    """
    if version == 1:
        return BrownianNoise(shape, seeds, sigmas, device)
    if version == 2:
        return StepNoise(shape, seeds, sigmas, device)
    raise ValueError(f"unknown noise version {version!r} (this sao knows {', '.join(map(str, NOISE_VERSIONS))})")


class StepNoise:
    """Noise version 2: each noisy step's standard normals, drawn directly on the device.

    Item b's normal for element e of the i-th noisy step is a function of its
    seed and the counter i x elements + e only: two keyed hashes of the counter
    (PCG's output hash, twice, with 32-bit keys from the seed) give two 24-bit
    uniforms, and Box-Muller turns them into a normal. Integer arithmetic gives
    the same bits on every device and at every batch size; log and cos may
    differ in the last bit between devices. A chunk of steps is drawn at once,
    so a step costs a few kernel launches, never host work that grows with the
    latent. Given up, against version 1: 25 and 100 steps no longer follow one
    Brownian path (each step count has noise of its own).
    """

    # Counters per drawn chunk: large on an accelerator (fewer launches; x 2 uniforms x 8 bytes: 64 MiB of int64
    # per tensor), small on a CPU (its caches).
    CHUNK_ELEMENTS = {"cpu": 1 << 16}
    CHUNK_ELEMENTS_DEVICE = 1 << 22

    def __init__(self, shape: tuple[int, ...], seeds: list[int], sigmas: list[float], device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.shape = tuple(shape)
        self.elements = math.prod(shape)
        self.steps = [(a, b) for a, b in zip(sigmas, sigmas[1:]) if b > 0]
        if len(self.steps) * self.elements >= 1 << 32:
            raise ValueError("too many steps x latent elements for 32-bit noise counters")
        keys = np.stack([np.random.SeedSequence(int(seed)).generate_state(4, dtype=np.uint32) for seed in seeds])
        keys = keys.astype(np.int64).reshape(len(seeds), 2, 2).transpose(1, 0, 2)  # (2 uniforms, items, 2 hash keys)
        # Shaped (2 uniforms, 1 step, items, 1 element, 2 keys) to broadcast over a chunk's counters.
        self.keys = torch.from_numpy(np.ascontiguousarray(keys[:, None, :, None, :])).to(self.device)
        self.items = len(seeds)
        budget = self.CHUNK_ELEMENTS.get(self.device.type, self.CHUNK_ELEMENTS_DEVICE)
        self.per_chunk = max(1, budget // max(1, self.elements * self.items))
        self._chunk_start = self._chunk_end = 0
        self._chunk: torch.Tensor | None = None
        self._next = 0

    def __enter__(self) -> "StepNoise":
        return self

    def __exit__(self, *exc) -> None:
        self._chunk = None

    def __call__(self, sigma: float, sigma_next: float) -> torch.Tensor:
        i = self._next
        assert self.steps[i] == (sigma, sigma_next), "StepNoise is read in schedule order"
        self._next += 1
        if not self._chunk_start <= i < self._chunk_end:
            self._chunk_start, self._chunk_end = i, min(len(self.steps), i + self.per_chunk)
            self._chunk = self._draw(self._chunk_start, self._chunk_end)
        return self._chunk[i - self._chunk_start]

    def _draw(self, first: int, end: int) -> torch.Tensor:
        """Normals for noisy steps [first, end): (steps, items, *shape), float32."""
        counter = torch.arange(first * self.elements, end * self.elements, dtype=torch.int64, device=self.device)
        counter = counter.reshape(1, end - first, 1, self.elements)
        bits = _pcg_hash(_pcg_hash(counter ^ self.keys[..., 0]).bitwise_xor_(self.keys[..., 1]))
        uniform = (bits >> 8).to(torch.float32).mul_(2.0 ** -24)  # [0, 1) on a 2^-24 grid: exact on every device
        radius = uniform[0].neg_().log1p_().mul_(-2.0).sqrt_()  # sqrt(-2 log(1 - u)): u = 0 is allowed, 1 never comes
        normal = uniform[1].mul_(2 * math.pi).cos_().mul_(radius)
        return normal.reshape(end - first, self.items, *self.shape)


_M32 = 0xFFFFFFFF


def _pcg_hash(x: torch.Tensor) -> torch.Tensor:
    """PCG's output hash of 32-bit values held in int64 (Jarzynski & Olano 2020, "Hash Functions for GPU Rendering").

    Both multipliers are below 2^31, so no product overflows int64: the same
    bits on every device.
    """
    state = (x * 747796405).add_(2891336453).bitwise_and_(_M32)  # in place where possible: fewer allocations on a CPU
    word = (state >> (state >> 28).add_(4)).bitwise_xor_(state).mul_(277803737).bitwise_and_(_M32)
    return (word >> 22).bitwise_xor_(word)


class BrownianNoise:
    """Noise version 1: standard-normal SDE noise from one Brownian motion per batch item.

    The noise of a step is the path's increment over [sigma_next, sigma], so it
    depends on the seed and the two sigmas only: not on the batch, and hardly on
    the step count (25 and 100 steps follow the same path). Querying torchsde's
    tree costs milliseconds of CPU per step and item, so a helper thread draws
    the increments in schedule order while the model runs; `__call__` takes
    them in that order. Kept for replaying sidecars made with it.

    Use it as a context manager: leaving it stops the thread and joins it, so an
    error or Ctrl-C never leaves it running into the interpreter's exit (which
    aborted the process, exit 134).
    """

    def __init__(self, shape: tuple[int, ...], seeds: list[int], sigmas: list[float], device: torch.device | str = "cpu"):
        import torchsde

        self.device = torch.device(device)
        w0 = torch.zeros(shape, dtype=torch.float32)
        # From 0, not sigma_min: a query at a rounded sigma_min must not fall outside the tree.
        trees = [torchsde.BrownianTree(0.0, w0, sigmas[0], entropy=int(seed)) for seed in seeds]
        self.steps = [(a, b) for a, b in zip(sigmas, sigmas[1:]) if b > 0]
        self._ready: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._draw, args=(trees, self.steps), name="sao-brownian-noise", daemon=True)
        self._thread.start()

    def __enter__(self) -> "BrownianNoise":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the helper thread after its current step and wait for it."""
        self._stop.set()
        self._thread.join()

    def _draw(self, trees: list, steps: list[tuple[float, float]]) -> None:
        try:
            for sigma, sigma_next in steps:
                if self._stop.is_set():
                    return
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
