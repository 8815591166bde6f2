"""Generation with the base Stable Audio model: text-to-audio, and an edit-friendly DDPM sampler with its inversion.

Text-to-audio is the engine's sampler (engine.neural.sampler and .schedule: DPM-Solver++(3M)
SDE from sigma = 500, Brownian SDE noise per seed), with classifier-free
guidance against a negative caption: the conditional and negative passes run
as one batch and their denoised estimates are mixed (the same as mixing the v
predictions, since denoised is affine in v). An empty negative is the
engine's unconditional pass: every cross-attention token zeroed.

Edit-friendly DDPM inversion (Huberman-Spiegelglas, Kulikov & Michaeli 2024),
written for Stable Audio's noise levels (x = x0 + sigma * noise):

- A DDPM step from sigma to sigma' < sigma draws from the posterior
  q(x' | x, x0 = denoised): mean = denoised + (sigma'/sigma)² (x − denoised),
  std = sigma' · sqrt(1 − (sigma'/sigma)²).
- Inversion noises the clean latent x0 independently at every level,
  x_i = x0 + sigma_i · eps_i, and solves each step for the noise map
  z_i = (x_{i+1} − mean(x_i)) / std_i. Running the sampler with those maps from
  x_start and the source caption returns x0 (to float rounding); with another
  caption it edits, keeping the structure the maps carry.
- Starting `t_start` steps before the end (T_start of the paper) sets how much
  may change.

Pitfall: as in DDPM, the clean latent stands at the last, smallest level
(sigma_min = 0.03), not at 0: a final step to 0 has no noise to solve for, and
inversion could not be exact through it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from engine.neural.editor import noise_seeds
from engine.neural.loader import Conditioning, ModelBundle
from engine.neural.sampler import (
    BrownianNoise,
    Denoiser,
    guided_denoiser,
    sample_dpmpp_3m_sde,
)
from engine.neural.schedule import SIGMA_MAX, schedule

from .attention import CrossAttentionControl, injecting

DEFAULT_NEGATIVE = "low quality"


def conditioning(bundle: ModelBundle, texts: Sequence[str], seconds: float) -> Conditioning:
    """Conditioning for clips of `seconds`; an empty text gets every cross-attention token zeroed."""
    cond = bundle.conditioning(list(texts), [0.0] * len(texts), [seconds] * len(texts))
    blank = torch.tensor([not t.strip() for t in texts], device=cond.cross_attention.device)
    cond.cross_attention[blank] = 0
    return cond


def cfg_denoiser(bundle: ModelBundle, cond: Conditioning, negative: Conditioning, cfg: float) -> Denoiser:
    """denoise(x, sigma) for a batch of B latents, guided away from B negative conditionings with scale `cfg`.

    cfg == 1 runs the conditional pass alone. Batch rows of the model call are
    the B conditional items, then the B negative ones (attention.py relies on it).
    """
    if cfg == 1.0:
        return guided_denoiser(bundle, cond, None, 1.0)
    joint = guided_denoiser(bundle, Conditioning(torch.cat([cond.cross_attention, negative.cross_attention]),
                                                 torch.cat([cond.global_embed, negative.global_embed])), None, 1.0)

    def denoise(x: torch.Tensor, sigma: float) -> torch.Tensor:
        d_cond, d_neg = joint(torch.cat([x, x]), sigma).chunk(2)
        return d_neg + (d_cond - d_neg) * cfg

    return denoise


def latent_shape(bundle: ModelBundle, seconds: float) -> tuple[int, int]:
    return bundle.latent_channels, bundle.latent_frames(round(seconds * bundle.sample_rate))


def generate(bundle: ModelBundle, captions: Sequence[str], negatives: Sequence[str], seconds: float, seeds: Sequence[int],
             steps: int, cfg: float, control: CrossAttentionControl | None = None) -> torch.Tensor:
    """Latents (B, latent, frames) for B captions, each from its own seed (equal seeds: equal noise).

    With `control`, the DiT's cross-attention runs through it (Prompt-to-Prompt),
    its `step` set to the sampler's step before each model call.
    """
    sigmas = schedule(steps, SIGMA_MAX)
    shape = latent_shape(bundle, seconds)
    starts, sdes = zip(*(noise_seeds(seed, 0) for seed in seeds))
    with torch.inference_mode(), BrownianNoise(shape, list(sdes), sigmas, bundle.device) as noise:  # joins its thread
        x = torch.stack([torch.randn(shape, generator=torch.Generator().manual_seed(s)) for s in starts]).to(bundle.device)
        denoise = cfg_denoiser(bundle, conditioning(bundle, captions, seconds), conditioning(bundle, negatives, seconds), cfg)
        if control is not None:
            denoise = _stepping(denoise, control, sigmas)
        with injecting(bundle.dit, control) if control is not None else contextlib.nullcontext():
            return sample_dpmpp_3m_sde(denoise, x * sigmas[0], sigmas, noise)


def _stepping(denoise: Denoiser, control: CrossAttentionControl, sigmas: list[float]) -> Denoiser:
    index = {sigma: i for i, sigma in enumerate(sigmas)}

    def stepped(x: torch.Tensor, sigma: float) -> torch.Tensor:
        control.step = index[sigma]
        return denoise(x, sigma)

    return stepped


def decode(bundle: ModelBundle, latents: torch.Tensor, frames: int) -> np.ndarray:
    """Audio (B, channels, frames) float32 from latents."""
    with torch.inference_mode():
        return bundle.vae_decode(latents).float()[..., :frames].cpu().numpy()


def encode(bundle: ModelBundle, audio: np.ndarray) -> torch.Tensor:
    """The posterior-mean latent (1, latent, frames) of one clip (channels, frames) at the model's rate."""
    with torch.inference_mode():
        return bundle.vae_encode(torch.from_numpy(np.ascontiguousarray(audio))[None]).float()


# ---------------------------------------------------------------- edit-friendly DDPM


def ddpm_levels(steps: int) -> list[float]:
    """steps + 1 noise levels, SIGMA_MAX down to sigma_min: the clean latent stands at the last (module docstring)."""
    return schedule(steps + 1, SIGMA_MAX)[:-1]


def posterior(denoised: torch.Tensor, x: torch.Tensor, sigma: float, sigma_next: float) -> tuple[torch.Tensor, float]:
    """Mean and standard deviation of the DDPM step from sigma to sigma_next."""
    ratio = (sigma_next / sigma) ** 2
    return denoised + ratio * (x - denoised), sigma_next * (1.0 - ratio) ** 0.5


@dataclass
class NoiseMaps:
    """What DDPM inversion keeps: the latent at levels[start] and the noise map of every step after it."""

    levels: list[float]
    start: int
    x: torch.Tensor
    z: list[torch.Tensor]


def invert(denoise: Denoiser, x0: torch.Tensor, levels: list[float], start: int, seed: int) -> NoiseMaps:
    """Noise maps under which the DDPM sampler, from levels[start] with `denoise`, returns x0.

    Every level's noise is drawn (seeded, on the CPU) whatever `start` is, so a
    level's noisy latent never depends on where the edit starts.
    """
    g = torch.Generator().manual_seed(seed)
    eps = [torch.randn(x0.shape, generator=g).to(x0.device) for _ in levels[:-1]]
    xs = [x0 + e * sigma for e, sigma in zip(eps, levels[:-1])] + [x0]
    z = []
    with torch.inference_mode():
        for i in range(start, len(levels) - 1):
            mean, std = posterior(denoise(xs[i], levels[i]), xs[i], levels[i], levels[i + 1])
            z.append((xs[i + 1] - mean) / std)
    return NoiseMaps(levels, start, xs[start], z)


def ddpm_sample(denoise: Denoiser, maps: NoiseMaps) -> torch.Tensor:
    """Run the DDPM sampler from maps.x with maps.z as each step's noise."""
    x = maps.x
    with torch.inference_mode():
        for i, z in enumerate(maps.z, maps.start):
            mean, std = posterior(denoise(x, maps.levels[i]), x, maps.levels[i], maps.levels[i + 1])
            x = mean + std * z
    return x
