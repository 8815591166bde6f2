"""Repair: spectral-gating noise reduction.

Written with numpy/scipy rather than the noisereduce package, which imports torch
on import (and DSP edits must stay light). The method is that of its stationary
mode: learn the noise's spectrum, then turn down every time-frequency cell by
how much of it is noise. The noise is learnt differently: not from the
quietest frames, which a sound that never pauses does not have, but from the
floor under each band's peaks (noise_floor_db).
"""

from __future__ import annotations

import numpy as np

from .registry import Param, operation

WINDOW_S = 0.046  # ~2048 samples at 44.1 kHz: fine enough in frequency to separate tones from hiss
OVER_SUBTRACTION = 2.0  # a cell keeps 1 - 2 N/P of itself (N: noise power, P: the cell's): noise cells go, loud ones stay whole
SMOOTH = (1, 3, 9)  # (channel, frequency bins, frames ~0.1 s): P is averaged over neighbours, so lone noise cells don't "twinkle"
BAND_OCTAVES = 1 / 3  # the noise floor is read in bands this wide...
MIN_BAND_BINS = 8  # ...and at least this many bins wide
FLOOR_QUANTILE = 0.2  # the floor of a band in a frame: this quantile of its cells (tones and harmonics are narrow peaks above it)
QUIET_QUANTILE = 0.2  # the noise of a band: this quantile of its floor over time (the quieter moments, where there are any)


def _bands(bins: int) -> list[tuple[int, int]]:
    """[lo, hi) bin ranges of about BAND_OCTAVES each, at least MIN_BAND_BINS wide, covering every bin."""
    edges, lo = [], 0
    while lo < bins:
        hi = min(bins, max(lo + MIN_BAND_BINS, round(lo * 2**BAND_OCTAVES)))
        edges.append((lo, hi if bins - hi >= MIN_BAND_BINS else bins))
        lo = edges[-1][1]
    return edges


def noise_floor_db(level_db: np.ndarray) -> np.ndarray:
    """The noise's mean power per bin, in dB (channels, bins, 1), from cell levels in dB (channels, bins, frames).

    Holds when the wanted sound never pauses: in each band and frame the floor is a
    low quantile across frequency, which passes under tones and harmonics (narrow
    peaks) and rests on broadband noise; over time the quieter moments count (a
    minimum-statistics idea), so speech pauses and soft passages set it. The
    quantiles of exponentially distributed cells are then turned into their mean.
    """
    bins = level_db.shape[1]
    centres, floors = [], []
    for lo, hi in _bands(bins):
        per_frame = np.quantile(level_db[:, lo:hi], FLOOR_QUANTILE, axis=1)  # (channels, frames)
        floors.append(np.quantile(per_frame, QUIET_QUANTILE, axis=-1))  # (channels,)
        centres.append((lo + hi - 1) / 2)
    floors = np.stack(floors, axis=-1)  # (channels, bands)
    per_bin = np.stack([np.interp(np.arange(bins), centres, f) for f in floors])
    # the FLOOR_QUANTILE of an exponential variable lies 10 log10(-ln(1 - q)) dB from its mean
    return (per_bin - 10 * np.log10(-np.log1p(-FLOOR_QUANTILE)))[..., None]


@operation(
    "denoise",
    category="repair",
    params=(
        Param("reduction_db", float, 12.0, "how far the noise is turned down, in dB", 0.0, 60.0),
        Param("noise_s", float, None, "the first this many seconds hold only noise; empty: estimate it from the whole file", 0.05, 3600.0, optional=True),
    ),
)
def denoise(samples: np.ndarray, sample_rate: int, reduction_db: float, noise_s: float | None) -> np.ndarray:
    """Reduce steady broadband background noise (hiss, fan, room tone) by spectral gating.

    Each time-frequency cell is turned down by the share of it that is noise (a
    Wiener-style gain with 2x over-subtraction, at most `reduction_db`), so cells
    well above the noise pass whole and the wanted sound is not dulled. Without
    `noise_s`, the noise is estimated from the whole file, band by band (see
    noise_floor_db): it works on sustained sounds that never pause (a held chord,
    a drone) as on speech. With `noise_s`, the noise profile comes from those
    first seconds, which must hold only noise. Large reductions (over ~20 dB)
    leave a watery, "underwater" sound on what remains; noise that changes over
    time, and tonal hum (use the hum filter), are not removed. Audio shorter than
    one analysis window (~46 ms) is returned unchanged.
    """
    from scipy import signal
    from scipy.ndimage import uniform_filter

    frames = samples.shape[1]
    nperseg = int(2 ** round(np.log2(WINDOW_S * sample_rate)))
    if frames < nperseg:
        return samples
    stft = signal.ShortTimeFFT(signal.windows.hann(nperseg, sym=False), hop=nperseg // 4, fs=sample_rate)
    spectrum = stft.stft(samples, padding="even").astype(np.complex64)
    power = np.square(np.abs(spectrum))
    if noise_s is not None:
        noise = power[..., np.flatnonzero(stft.t(frames) <= max(noise_s, stft.t(frames)[0]))].mean(axis=-1, keepdims=True)
    else:
        noise = 10 ** (noise_floor_db(10 * np.log10(power + np.float32(1e-20))) / 10)
    heard = uniform_filter(power, size=SMOOTH, mode="nearest")
    del power
    floor = np.float32(10 ** (-reduction_db / 20))
    spectrum *= np.clip(1 - OVER_SUBTRACTION * noise / np.maximum(heard, np.float32(1e-30)), floor, 1).astype(np.float32)
    return stft.istft(spectrum, k1=frames).astype(np.float32)
