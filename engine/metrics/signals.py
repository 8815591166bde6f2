"""Bringing a reference and an estimate into the same shape before comparing them.

Every paired metric (spectral, SI-SDR) compares arrays of one shape. An edit may
change the length (SPEED, LOOP) or, from a model, the channel count, so this is
done once here, the same way for every metric:

- channel counts that differ are both mixed down to mono (a stereo reference
  against a mono estimate is compared as mono, not channel 0 against channel 0);
- the shorter signal is padded with silence to the longer one's length, so an
  edit of the wrong length is penalised rather than silently cropped.
"""

from __future__ import annotations

import numpy as np
from scipy import signal


def as_2d(x: np.ndarray) -> np.ndarray:
    """float64 (channels, frames); a 1-D array is one channel."""
    x = np.asarray(x, dtype=np.float64)
    return x[None, :] if x.ndim == 1 else x


def paired(ref: np.ndarray, est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both as float64 (channels, frames) of one shape (see the module docstring)."""
    ref, est = as_2d(ref), as_2d(est)
    if ref.shape[0] != est.shape[0]:
        ref, est = ref.mean(axis=0, keepdims=True), est.mean(axis=0, keepdims=True)
    n = max(ref.shape[1], est.shape[1])
    return _pad_to(ref, n), _pad_to(est, n)


def _pad_to(x: np.ndarray, n: int) -> np.ndarray:
    return x if x.shape[1] == n else np.pad(x, ((0, 0), (0, n - x.shape[1])))


def mono_at(samples: np.ndarray, sample_rate: int, target_rate: int) -> np.ndarray:
    """A float32 mono mixdown resampled to `target_rate` (polyphase, scipy), for embedders."""
    x = as_2d(samples).mean(axis=0)
    if sample_rate != target_rate:
        g = np.gcd(int(sample_rate), int(target_rate))
        x = signal.resample_poly(x, target_rate // g, sample_rate // g)
    return x.astype(np.float32)
