"""Filters and EQ: low/high/band-pass, shelves, peak EQ, hum notch.

The pass filters are 4th-order Butterworth (24 dB/octave, -3 dB at the cutoff)
from scipy, steep enough to hear clearly; pedalboard's own pass filters are only
6 dB/octave. Shelves and the peak EQ are pedalboard's (RBJ biquads).
"""

from __future__ import annotations

import numpy as np
import pedalboard
from scipy import signal

from ..errors import UsageError
from .registry import Param, operation

ORDER = 4
GAIN = Param("gain_db", float, 4.0, "boost (+) or cut (-), in dB", -30.0, 30.0)


def _freq(name: str, default: float, help: str) -> Param:
    return Param(name, float, default, help, 10.0, 40000.0)


def _nyquist_guard(freq_hz: float, sample_rate: int) -> float:
    """Keep a filter frequency below Nyquist (a 16 kHz shelf on an 8 kHz file)."""
    return min(freq_hz, 0.45 * sample_rate)


def _butter(samples: np.ndarray, sample_rate: int, cutoff, btype: str) -> np.ndarray:
    sos = signal.butter(ORDER, cutoff, btype=btype, fs=sample_rate, output="sos")
    return signal.sosfilt(sos, samples, axis=1).astype(np.float32)


@operation("low_pass", category="filters", params=(_freq("cutoff_hz", 1000.0, "frequencies above this are removed, in Hz"),))
def low_pass(samples: np.ndarray, sample_rate: int, cutoff_hz: float) -> np.ndarray:
    """Remove the highs above `cutoff_hz` (24 dB/octave): muffled, "through a wall".

    A cutoff at or above the file's Nyquist frequency (half its sample rate) has
    nothing to remove, so the audio is returned unchanged.
    """
    if cutoff_hz >= sample_rate / 2:
        return samples
    return _butter(samples, sample_rate, cutoff_hz, "lowpass")


@operation("high_pass", category="filters", params=(_freq("cutoff_hz", 200.0, "frequencies below this are removed, in Hz"),))
def high_pass(samples: np.ndarray, sample_rate: int, cutoff_hz: float) -> np.ndarray:
    """Remove the lows below `cutoff_hz` (24 dB/octave): thinner, less rumble.

    A cutoff at or above Nyquist would remove everything, so it is refused.
    """
    if cutoff_hz >= sample_rate / 2:
        raise UsageError(f"high_pass: {cutoff_hz:g} Hz is above this file's highest frequency ({sample_rate / 2:g} Hz)")
    return _butter(samples, sample_rate, cutoff_hz, "highpass")


@operation(
    "band_pass",
    category="filters",
    params=(_freq("low_hz", 300.0, "lower edge of the band, in Hz"), _freq("high_hz", 3400.0, "upper edge of the band, in Hz")),
)
def band_pass(samples: np.ndarray, sample_rate: int, low_hz: float, high_hz: float) -> np.ndarray:
    """Keep only the band from `low_hz` to `high_hz`; 300-3400 Hz is the telephone sound.

    An upper edge above Nyquist makes this a high-pass at `low_hz`.
    """
    if low_hz >= high_hz:
        raise UsageError(f"band_pass: low_hz ({low_hz:g}) must be below high_hz ({high_hz:g})")
    if high_hz >= sample_rate / 2:
        return high_pass(samples, sample_rate, low_hz)
    return _butter(samples, sample_rate, (low_hz, high_hz), "bandpass")


@operation("low_shelf", category="filters", params=(_freq("freq_hz", 200.0, "shelf corner frequency, in Hz"), GAIN))
def low_shelf(samples: np.ndarray, sample_rate: int, freq_hz: float, gain_db: float) -> np.ndarray:
    """Raise or lower everything below `freq_hz` by `gain_db` ("more bass", "less boom").

    Boosting lows raises the peak level quickly (bass holds most of the energy);
    a following `limiter` or `normalize` keeps it from clipping.
    """
    return pedalboard.LowShelfFilter(cutoff_frequency_hz=_nyquist_guard(freq_hz, sample_rate), gain_db=gain_db)(samples, sample_rate)


@operation("high_shelf", category="filters", params=(_freq("freq_hz", 4000.0, "shelf corner frequency, in Hz"), GAIN))
def high_shelf(samples: np.ndarray, sample_rate: int, freq_hz: float, gain_db: float) -> np.ndarray:
    """Raise or lower everything above `freq_hz` by `gain_db` ("brighter", "darker").

    Boosting highs also raises hiss; on noisy recordings `denoise` first.
    A corner above the file's Nyquist frequency is moved just below it.
    """
    return pedalboard.HighShelfFilter(cutoff_frequency_hz=_nyquist_guard(freq_hz, sample_rate), gain_db=gain_db)(samples, sample_rate)


@operation(
    "peak_eq",
    category="filters",
    params=(_freq("freq_hz", 1000.0, "centre frequency, in Hz"), GAIN, Param("q", float, 1.0, "bandwidth: higher is narrower", 0.1, 30.0)),
)
def peak_eq(samples: np.ndarray, sample_rate: int, freq_hz: float, gain_db: float, q: float) -> np.ndarray:
    """Boost or cut a bell-shaped band around `freq_hz` (q 1 is about 1.4 octaves wide).

    Narrow cuts (high q) remove a resonance or whistle; wide gentle boosts
    (q under 1) sound the most natural.
    """
    return pedalboard.PeakFilter(cutoff_frequency_hz=_nyquist_guard(freq_hz, sample_rate), gain_db=gain_db, q=q)(samples, sample_rate)


@operation(
    "notch",
    category="filters",
    params=(
        Param("freq_hz", float, 60.0, "frequency to remove, in Hz (mains hum: 50 or 60)", 10.0, 20000.0),
        Param("q", float, 10.0, "narrowness: higher removes less around the frequency", 0.5, 100.0),
        Param("harmonics", int, 1, "also remove 2x, 3x, ... the frequency, up to this many", 1, 10),
    ),
)
def notch(samples: np.ndarray, sample_rate: int, freq_hz: float, q: float, harmonics: int) -> np.ndarray:
    """Remove one narrow frequency and optionally its harmonics: hum at 50/60 Hz and buzz.

    Each notch has the same q, so higher harmonics get proportionally wider
    notches in Hz, as buzz does. Harmonics at or above Nyquist are skipped.
    """
    freqs = [k * freq_hz for k in range(1, harmonics + 1) if k * freq_hz < 0.49 * sample_rate]
    if not freqs:
        return samples
    sos = np.concatenate([signal.tf2sos(*signal.iirnotch(f, q, fs=sample_rate)) for f in freqs])
    return signal.sosfilt(sos, samples, axis=1).astype(np.float32)
