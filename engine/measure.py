"""Measurements of audio: level, loudness, pitch, band energy.

Used by `sao info`, by the clipping guard when writing, and by tests and `sao eval`
to check that an edit did what it said.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

SILENCE_DB = -120.0


def db(x: float) -> float:
    return float(20 * np.log10(max(float(x), 1e-6)))


def peak_db(samples: np.ndarray) -> float:
    return db(np.max(np.abs(samples))) if samples.size else SILENCE_DB


def rms_db(samples: np.ndarray) -> float:
    """RMS over all channels together, in dBFS."""
    if not samples.size:
        return SILENCE_DB
    return db(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def true_peak(samples: np.ndarray, sample_rate: int, block: int = 1 << 20) -> float:
    """ITU-R BS.1770-4 true peak: the peak of the 4x oversampled signal, in dBFS.

    Works block by block (with overlap for the filter) so an hour-long file needs
    little extra memory.
    """
    peak = 0.0
    pad = 64
    n = samples.shape[-1]
    for start in range(0, n, block):
        lo, hi = max(0, start - pad), min(n, start + block + pad)
        up = signal.resample_poly(samples[..., lo:hi], 4, 1, axis=-1)
        peak = max(peak, float(np.max(np.abs(up))) if up.size else 0.0)
    return db(peak) if peak > 0 else SILENCE_DB


def lufs(samples: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (ITU-R BS.1770 via pyloudnorm); -inf for silence or < 0.4 s."""
    import pyloudnorm

    if samples.shape[-1] < int(0.4 * sample_rate):
        return float("-inf")
    meter = pyloudnorm.Meter(sample_rate)
    with np.errstate(divide="ignore"):
        value = meter.integrated_loudness(samples.T.astype(np.float64))
    return float(value)


def band_energy_db(samples: np.ndarray, sample_rate: int, lo_hz: float, hi_hz: float) -> float:
    """Energy between lo_hz and hi_hz (Welch PSD, channels summed), in dB."""
    x = np.mean(samples, axis=0) if samples.ndim == 2 else samples
    f, p = signal.welch(x, sample_rate, nperseg=min(8192, len(x)))
    sel = (f >= lo_hz) & (f < hi_hz)
    return float(10 * np.log10(np.sum(p[sel]) + 1e-20))


def dominant_hz(samples: np.ndarray, sample_rate: int) -> float:
    """Frequency of the strongest spectral peak, refined by parabolic interpolation."""
    x = np.mean(samples, axis=0) if samples.ndim == 2 else samples
    n = len(x)
    spec = np.abs(np.fft.rfft(x * np.hanning(n)))
    k = int(np.argmax(spec[1:])) + 1
    if 1 <= k < len(spec) - 1:
        a, b, c = np.log(spec[k - 1 : k + 2] + 1e-12)
        k = k + 0.5 * (a - c) / (a - 2 * b + c)
    return float(k * sample_rate / n)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equally long signals (flattened)."""
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    n = min(len(a), len(b))
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    den = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / den) if den > 0 else 0.0
