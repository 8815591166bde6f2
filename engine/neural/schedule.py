"""Stable Audio's noise schedule and time mapping (pure Python: no torch, so settings can be checked cheaply).

k-diffusion's polyexponential schedule with rho = 1, as stable-audio-tools'
sample_k builds it: `steps` noise levels spaced evenly in log(sigma) from
sigma_max down to sigma_min, then 0, where the last step returns the denoised
estimate. The DiT's own time is t = atan(sigma) * 2 / pi (sigma = tan(t pi / 2)).

sigma_min is a setting of the model folder (`defaults.sigma_min` in
sao_model.json, docs/neural.md says why 0.03); SIGMA_MIN is the value for
folders that do not set it.
"""

from __future__ import annotations

import math

SIGMA_MIN = 0.03  # stable-audio-tools' gradio default for Stable Audio Open; the model folder may set another
NOISE_VERSIONS = (1, 2)  # sampler.make_noise: 1 Brownian tree (old sidecars), 2 per-step normals from a counter hash
NOISE_VERSION = 2  # what new edits use
SIGMA_MAX = 500.0  # the top of Stable Audio Open's schedule: pure noise, nothing of the input left


def schedule(steps: int, sigma_max: float, sigma_min: float = SIGMA_MIN) -> list[float]:
    """`steps` noise levels from sigma_max down to sigma_min (log-linear), then 0.

    sigma_min is at most a tenth of sigma_max: a weak edit (sigma_max below
    10 x sigma_min, 0.3 at the default) ends at sigma_max / 10 instead, so the
    schedule always falls at least tenfold.
    """
    if steps < 1 or sigma_max <= 0:
        raise ValueError("steps must be >= 1 and sigma_max > 0")
    sigma_min = min(sigma_min, sigma_max / 10)
    if steps == 1:
        return [sigma_max, 0.0]
    hi, lo = math.log(sigma_max), math.log(sigma_min)
    inner = [math.exp(hi + (lo - hi) * i / (steps - 1)) for i in range(1, steps - 1)]
    return [sigma_max, *inner, sigma_min, 0.0]


def sigma_to_t(sigma: float) -> float:
    """stable-audio-tools' time for noise level sigma (sigma = tan(t * pi / 2))."""
    return math.atan(sigma) * 2 / math.pi
