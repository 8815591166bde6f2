"""Apply an operation to part of a file, leaving the rest bit-identical.

The processed part is crossfaded with the original over a few milliseconds
inside the region's edges, so there are no clicks; everything outside the region
is copied untouched. An operation that changes length (speed up only the first
2 s) is spliced in the same way.
"""

from __future__ import annotations

import numpy as np

from .ops import Context, Operation
from .plan import Region

FADE_S = 0.005


def fade_curve(n: int) -> np.ndarray:
    """Fade-in curve of n samples (sin², so fade-in plus fade-out sum to 1: an equal-gain crossfade)."""
    return np.sin(np.linspace(0.0, np.pi / 2, n, dtype=np.float64)).astype(np.float32) ** 2 if n else np.zeros(0, np.float32)


def match_channels(x: np.ndarray, channels: int) -> np.ndarray:
    if x.shape[0] == channels:
        return x
    if x.shape[0] == 1:
        return np.repeat(x, channels, axis=0)
    return np.repeat(x.mean(axis=0, keepdims=True), channels, axis=0)


def apply_in_region(op: Operation, samples: np.ndarray, sample_rate: int, params: dict, region: Region, context: Context | None = None) -> np.ndarray:
    start, end = region.frames(sample_rate, samples.shape[1])
    if end <= start:
        return samples
    before, part, after = samples[:, :start], samples[:, start:end], samples[:, end:]
    edited = match_channels(op.apply(part, sample_rate, params, context), samples.shape[0])
    fade = int(FADE_S * sample_rate)
    joined = crossfade_edges(part, edited, fade, head=start > 0, tail=end < samples.shape[1])
    return np.concatenate([before, joined, after], axis=1)


def crossfade_edges(original: np.ndarray, edited: np.ndarray, fade: int, head: bool, tail: bool) -> np.ndarray:
    """Blend an edited piece (of any length) from and back into the original at its joins.

    The head fades from the original's first samples (which continue what came
    before) into the edit; the tail fades from the edit into the original's last
    samples (which lead into what comes after). No dip, no click, and the
    neighbouring audio is untouched.
    """
    out = edited.copy()
    n = min(fade, out.shape[1] // 2, original.shape[1] // 2)
    ramp = fade_curve(n)
    if head and n:
        out[:, :n] = original[:, :n] * (1 - ramp) + out[:, :n] * ramp
    if tail and n:
        out[:, -n:] = out[:, -n:] * ramp[::-1] + original[:, -n:] * (1 - ramp[::-1])
    return out
