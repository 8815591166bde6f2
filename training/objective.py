"""The v-objective on Stable Audio's noise schedule, as stable-audio-tools trains it.

For clean latents x0, noise e and a time t in [0, 1]:

    alpha, sigma = cos(t pi / 2), sin(t pi / 2)
    x_t = alpha x0 + sigma e          (what the DiT sees)
    v   = alpha e - sigma x0          (what it must predict; the loss is the MSE)

t is drawn uniformly (stable-audio-tools' "uniform" timestep sampler; it uses a
scrambled Sobol sequence, plain uniform draws here). This is the schedule the
ModelBundle's `t` means: sigma / alpha = tan(t pi / 2).

Every random draw of a step (t, the noise, which items lose their text) comes
from a generator seeded by (seed, micro-batch, rank), on the CPU, so a resumed
run draws exactly what an uninterrupted one would, on any device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


def alphas_sigmas(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.cos(t * math.pi / 2), torch.sin(t * math.pi / 2)


def noised(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(x_t, v target) for latents x0 (B, C, T), noise like x0, times t (B,)."""
    alpha, sigma = (a[:, None, None] for a in alphas_sigmas(t))
    return alpha * x0 + sigma * noise, alpha * noise - sigma * x0


def v_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error, in float32 whatever the autocast precision."""
    return torch.nn.functional.mse_loss(prediction.float(), target.float())


@dataclass
class StepDraws:
    t: torch.Tensor  # (B,) in [0, 1)
    noise: torch.Tensor  # like the latents
    drop_text: torch.Tensor  # (B,) bool: items trained without their text (classifier-free guidance)


def step_generator(seed: int, index: int, rank: int) -> torch.Generator:
    state = np.random.SeedSequence([seed, index, rank, 1]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def draw_step(seed: int, index: int, rank: int, shape: tuple[int, ...], cfg_dropout: float) -> StepDraws:
    """The random draws of micro-batch `index` on rank `rank`, for latents of `shape` (B, C, T)."""
    g = step_generator(seed, index, rank)
    t = torch.rand(shape[0], generator=g)
    noise = torch.randn(shape, generator=g)
    drop = torch.rand(shape[0], generator=g) < cfg_dropout
    return StepDraws(t, noise, drop)
