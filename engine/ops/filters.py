"""Filters and EQ: low/high/band-pass, shelves, peak EQ, hum notch.

The pass filters are 4th-order Butterworth (24 dB/octave, -3 dB at the cutoff)
from scipy, steep enough to hear clearly; pedalboard's own pass filters are only
6 dB/octave. Shelves and the peak EQ are pedalboard's (RBJ biquads).
"""

from __future__ import annotations

import numpy as np
import pedalboard

from ..errors import Refused, UsageError
from .registry import Param, Processor, operation, plugin_stream, run_blocks

ORDER = 4
GAIN = Param("gain_db", float, 4.0, "boost (+) or cut (-), in dB", -30.0, 30.0)


def _freq(name: str, default: float, help: str) -> Param:
    return Param(name, float, default, help, 10.0, 40000.0)


def _nyquist_guard(freq_hz: float, sample_rate: int) -> float:
    """Keep a filter frequency below Nyquist (a 16 kHz shelf on an 8 kHz file)."""
    return min(freq_hz, 0.45 * sample_rate)


def _sos_stream(sos: np.ndarray | None) -> Processor:
    """A cascade of biquads (scipy's second-order sections) that carries its state from block to block.

    float64 throughout: in float32 a 4th-order 80 Hz high-pass at 44.1 kHz is off by
    up to 4e-5 of full scale (more than a 16-bit step), since its poles sit so close
    to the unit circle. Blocks keep the float64 copy small, and the result is the
    same to the last bit as one call on the whole file. `sos` None passes audio through.
    """
    if sos is None:
        return lambda block: block
    from scipy.signal import sosfilt

    state = None

    def process(block: np.ndarray) -> np.ndarray:
        nonlocal state
        if state is None:
            state = np.zeros((sos.shape[0], block.shape[0], 2))
        out, state = sosfilt(sos, block, axis=1, zi=state)
        return out.astype(np.float32)

    return process


def _sos_filter(samples: np.ndarray, sos: np.ndarray | None) -> np.ndarray:
    return samples if sos is None else run_blocks(_sos_stream(sos), samples)


def _butter(sample_rate: int, cutoff, btype: str) -> np.ndarray:
    from scipy.signal import butter

    return butter(ORDER, cutoff, btype=btype, fs=sample_rate, output="sos")


def _low_pass_sos(sample_rate: int, cutoff_hz: float) -> np.ndarray | None:
    return None if cutoff_hz >= sample_rate / 2 else _butter(sample_rate, cutoff_hz, "lowpass")


def _high_pass_sos(sample_rate: int, cutoff_hz: float) -> np.ndarray:
    if cutoff_hz >= sample_rate / 2:
        raise Refused(f"high_pass: {cutoff_hz:g} Hz is above this file's highest frequency ({sample_rate / 2:g} Hz), "
                      "so nothing would be left")
    return _butter(sample_rate, cutoff_hz, "highpass")


def _band_pass_sos(sample_rate: int, low_hz: float, high_hz: float) -> np.ndarray:
    if low_hz >= high_hz:
        raise UsageError(f"band_pass: low_hz ({low_hz:g}) must be below high_hz ({high_hz:g})")
    if high_hz >= sample_rate / 2:
        return _high_pass_sos(sample_rate, low_hz)
    return _butter(sample_rate, (low_hz, high_hz), "bandpass")


def _sos_op(design):
    """The stream factory of a filter whose second-order sections come from `design(sample_rate, **params)`."""
    return lambda sample_rate, channels, frames, **params: _sos_stream(design(sample_rate, **params))


@operation("low_pass", category="filters", params=(_freq("cutoff_hz", 1000.0, "frequencies above this are removed, in Hz"),), stream=_sos_op(_low_pass_sos))
def low_pass(samples: np.ndarray, sample_rate: int, cutoff_hz: float) -> np.ndarray:
    """Remove the highs above `cutoff_hz` (24 dB/octave): muffled, "through a wall".

    A cutoff at or above the file's Nyquist frequency (half its sample rate) has
    nothing to remove, so the audio is returned unchanged.
    """
    return _sos_filter(samples, _low_pass_sos(sample_rate, cutoff_hz))


@operation("high_pass", category="filters", params=(_freq("cutoff_hz", 200.0, "frequencies below this are removed, in Hz"),), stream=_sos_op(_high_pass_sos))
def high_pass(samples: np.ndarray, sample_rate: int, cutoff_hz: float) -> np.ndarray:
    """Remove the lows below `cutoff_hz` (24 dB/octave): thinner, less rumble.

    A cutoff at or above Nyquist would remove everything, so it is refused.
    """
    return _sos_filter(samples, _high_pass_sos(sample_rate, cutoff_hz))


@operation(
    "band_pass",
    category="filters",
    params=(_freq("low_hz", 300.0, "lower edge of the band, in Hz"), _freq("high_hz", 3400.0, "upper edge of the band, in Hz")),
    stream=_sos_op(_band_pass_sos),
)
def band_pass(samples: np.ndarray, sample_rate: int, low_hz: float, high_hz: float) -> np.ndarray:
    """Keep only the band from `low_hz` to `high_hz`; 300-3400 Hz is the telephone sound.

    An upper edge above Nyquist makes this a high-pass at `low_hz`.
    """
    return _sos_filter(samples, _band_pass_sos(sample_rate, low_hz, high_hz))


def _low_shelf(sample_rate: int, freq_hz: float, gain_db: float) -> pedalboard.LowShelfFilter:
    return pedalboard.LowShelfFilter(cutoff_frequency_hz=_nyquist_guard(freq_hz, sample_rate), gain_db=gain_db)


@operation("low_shelf", category="filters", params=(_freq("freq_hz", 200.0, "shelf corner frequency, in Hz"), GAIN), stream=plugin_stream(_low_shelf))
def low_shelf(samples: np.ndarray, sample_rate: int, freq_hz: float, gain_db: float) -> np.ndarray:
    """Raise or lower everything below `freq_hz` by `gain_db` ("more bass", "less boom").

    Boosting lows raises the peak level quickly (bass holds most of the energy);
    a following `limiter` or `normalize` keeps it from clipping.
    """
    return _low_shelf(sample_rate, freq_hz, gain_db)(samples, sample_rate)


def _high_shelf(sample_rate: int, freq_hz: float, gain_db: float) -> pedalboard.HighShelfFilter:
    return pedalboard.HighShelfFilter(cutoff_frequency_hz=_nyquist_guard(freq_hz, sample_rate), gain_db=gain_db)


@operation("high_shelf", category="filters", params=(_freq("freq_hz", 4000.0, "shelf corner frequency, in Hz"), GAIN), stream=plugin_stream(_high_shelf))
def high_shelf(samples: np.ndarray, sample_rate: int, freq_hz: float, gain_db: float) -> np.ndarray:
    """Raise or lower everything above `freq_hz` by `gain_db` ("brighter", "darker").

    Boosting highs also raises hiss; on noisy recordings `denoise` first.
    A corner above the file's Nyquist frequency is moved just below it.
    """
    return _high_shelf(sample_rate, freq_hz, gain_db)(samples, sample_rate)


def _peak_eq(sample_rate: int, freq_hz: float, gain_db: float, q: float) -> pedalboard.PeakFilter:
    if freq_hz >= sample_rate / 2:
        raise Refused(f"peak_eq: {freq_hz:g} Hz is above this file's highest frequency ({sample_rate / 2:g} Hz)")
    return pedalboard.PeakFilter(cutoff_frequency_hz=_nyquist_guard(freq_hz, sample_rate), gain_db=gain_db, q=q)


@operation(
    "peak_eq",
    category="filters",
    params=(_freq("freq_hz", 1000.0, "centre frequency, in Hz"), GAIN, Param("q", float, 1.0, "bandwidth: higher is narrower", 0.1, 30.0)),
    stream=plugin_stream(_peak_eq),
)
def peak_eq(samples: np.ndarray, sample_rate: int, freq_hz: float, gain_db: float, q: float) -> np.ndarray:
    """Boost or cut a bell-shaped band around `freq_hz` (q 1 is about 1.4 octaves wide).

    Narrow cuts (high q) remove a resonance or whistle; wide gentle boosts
    (q under 1) sound the most natural. A centre at or above the file's Nyquist
    frequency is refused (a bell moved elsewhere would be another edit); one just
    below it is moved down to 0.45 of the sample rate, where the filter is stable.
    """
    return _peak_eq(sample_rate, freq_hz, gain_db, q)(samples, sample_rate)


def _notch_sos(sample_rate: int, freq_hz: float, q: float, harmonics: int) -> np.ndarray | None:
    from scipy.signal import iirnotch, tf2sos

    freqs = [k * freq_hz for k in range(1, harmonics + 1) if k * freq_hz < 0.49 * sample_rate]
    return np.concatenate([tf2sos(*iirnotch(f, q, fs=sample_rate)) for f in freqs]) if freqs else None


@operation(
    "notch",
    category="filters",
    params=(
        Param("freq_hz", float, 60.0, "frequency to remove, in Hz (mains hum: 50 or 60)", 10.0, 20000.0),
        Param("q", float, 10.0, "narrowness: higher removes less around the frequency", 0.5, 100.0),
        Param("harmonics", int, 1, "also remove 2x, 3x, ... the frequency, up to this many", 1, 10),
    ),
    stream=_sos_op(_notch_sos),
)
def notch(samples: np.ndarray, sample_rate: int, freq_hz: float, q: float, harmonics: int) -> np.ndarray:
    """Remove one narrow frequency and optionally its harmonics: hum at 50/60 Hz and buzz.

    Each notch has the same q, so higher harmonics get proportionally wider
    notches in Hz, as buzz does. Harmonics at or above Nyquist are skipped.
    """
    return _sos_filter(samples, _notch_sos(sample_rate, freq_hz, q, harmonics))
