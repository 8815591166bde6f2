"""Measurements of audio: level, loudness, pitch, band energy.

Used by `sao info`, by the clipping guard when writing, and by tests and `sao eval`
to check that an edit did what it said. scipy.signal and pyloudnorm are imported
inside the functions that need them: each takes about a second to import, which
an edit that only changes the gain should not pay.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

SILENCE_DB = -120.0
TRUE_PEAK_BLOCK = 1 << 20  # frames per true-peak window; the windows fix the result to the last bit
TRUE_PEAK_PAD = 64  # frames of context either side of a window, for the interpolation filter


def db(x: float) -> float:
    return float(20 * np.log10(max(float(x), 1e-6)))


def sample_peak(samples: np.ndarray) -> float:
    """The largest absolute sample value (0.0 for no samples), without an |x| copy of the array."""
    return max(float(np.max(samples)), -float(np.min(samples))) if samples.size else 0.0


def peak_db(samples: np.ndarray) -> float:
    return db(sample_peak(samples)) if samples.size else SILENCE_DB


def rms_db(samples: np.ndarray) -> float:
    """RMS over all channels together, in dBFS."""
    if not samples.size:
        return SILENCE_DB
    return db(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def true_peak(samples: np.ndarray, sample_rate: int, block: int = TRUE_PEAK_BLOCK) -> float:
    """ITU-R BS.1770-4 true peak: the peak of the 4x oversampled signal, in dBFS.

    Works block by block (with overlap for the filter) so an hour-long file needs
    little extra memory.
    """
    return true_peak_of(samples[..., lo:hi] for lo, hi in true_peak_windows(samples.shape[-1], block))


def true_peak_windows(frames: int, block: int = TRUE_PEAK_BLOCK) -> Iterator[tuple[int, int]]:
    """The [lo, hi) frame ranges `true_peak` oversamples: blocks plus TRUE_PEAK_PAD frames of context.

    A file read back window by window (engine.stream) gives the very same value as
    the samples in memory, because the windows are the same.
    """
    for start in range(0, frames, block):
        yield max(0, start - TRUE_PEAK_PAD), min(frames, start + block + TRUE_PEAK_PAD)


def true_peak_of(windows: Iterable[np.ndarray]) -> float:
    """The true peak, in dBFS, of audio given as the windows of `true_peak_windows`, each (channels, frames)."""
    from scipy.signal import resample_poly

    peak = 0.0
    for window in windows:
        up = resample_poly(window, 4, 1, axis=-1)
        peak = max(peak, sample_peak(up))
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
    from scipy.signal import welch

    x = np.mean(samples, axis=0) if samples.ndim == 2 else samples
    f, p = welch(x, sample_rate, nperseg=min(8192, len(x)))
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
