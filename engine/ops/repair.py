"""Repair: spectral-gating noise reduction.

Written with numpy/scipy rather than the noisereduce package, which imports torch
on import (and DSP edits must stay light). The method is the same as its
stationary mode: learn the noise's spectrum, then turn down every
time-frequency cell that does not rise clearly above it.
"""

from __future__ import annotations

import numpy as np

from .registry import Param, operation

WINDOW_S = 0.046  # ~2048 samples at 44.1 kHz: fine enough in frequency to separate tones from hiss
N_STD = 2.0  # a cell is "sound" when it is this many standard deviations above the noise's mean (in dB)
QUIETEST = 0.1  # without noise_s, the quietest 10 % of frames are taken to be noise
SMOOTH = (1, 3, 5)  # (channel, frequency bins, frames): smooths the mask so lone noise cells don't "twinkle"


def _noise_frames(spectrum: np.ndarray, times: np.ndarray, noise_s: float | None) -> np.ndarray:
    """Indices of the frames that hold only noise."""
    if noise_s is not None:
        return np.flatnonzero(times <= max(noise_s, times[0]))
    energy = np.mean(np.abs(spectrum) ** 2, axis=(0, 1))
    audible = np.flatnonzero(energy > 1e-20)  # digital silence says nothing about the noise
    if not audible.size:
        return audible
    return audible[energy[audible] <= np.quantile(energy[audible], QUIETEST)]


@operation(
    "denoise",
    category="repair",
    params=(
        Param("reduction_db", float, 12.0, "how far the noise is turned down, in dB", 0.0, 60.0),
        Param("noise_s", float, None, "the first this many seconds hold only noise; empty: find the quietest parts", 0.05, 3600.0, optional=True),
    ),
)
def denoise(samples: np.ndarray, sample_rate: int, reduction_db: float, noise_s: float | None) -> np.ndarray:
    """Reduce steady background noise (hiss, hum, fan, room tone) by spectral gating.

    The noise profile comes from the first `noise_s` seconds if given, else from
    the quietest tenth of the file, so the file needs some moments without the
    wanted sound. Large reductions (over ~20 dB) leave a watery, "underwater"
    sound on what remains; noise that changes over time is not removed. Audio
    shorter than one analysis window (~46 ms) is returned unchanged.
    """
    from scipy import signal
    from scipy.ndimage import uniform_filter

    frames = samples.shape[1]
    nperseg = int(2 ** round(np.log2(WINDOW_S * sample_rate)))
    if frames < nperseg:
        return samples
    stft = signal.ShortTimeFFT(signal.windows.hann(nperseg, sym=False), hop=nperseg // 4, fs=sample_rate)
    spectrum = stft.stft(samples, padding="even").astype(np.complex64)
    noise = _noise_frames(spectrum, stft.t(frames), noise_s)
    if not noise.size:
        return samples
    level_db = 20 * np.log10(np.abs(spectrum) + np.float32(1e-10))
    noise_db = level_db[..., noise]
    threshold = noise_db.mean(axis=-1, keepdims=True) + N_STD * noise_db.std(axis=-1, keepdims=True)
    mask = uniform_filter((level_db > threshold).astype(np.float32), size=SMOOTH, mode="nearest")
    del level_db
    floor = np.float32(10 ** (-reduction_db / 20))
    spectrum *= floor + (1 - floor) * mask
    return stft.istft(spectrum, k1=frames).astype(np.float32)
