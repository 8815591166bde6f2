"""Pitch and rate: speed (pitch follows), time-stretch, pitch-shift, resample.

Resampling is scipy's polyphase filter (band-limited, time-aligned, no wrap-around
at the ends); stretching and shifting is Rubber Band's offline mode through
pedalboard.time_stretch, which comes out time-aligned, unlike a streaming shifter.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pedalboard

from .registry import Param, operation

MAX_DENOMINATOR = 1000  # speed ratios are matched to 1 part in ~10^6; the filter stays small
MIN_STRETCH_OUTPUT = 4096  # Rubber Band returns nothing for very short inputs; pad to at least this output


def _exact_length(samples: np.ndarray, frames: int) -> np.ndarray:
    """Cut or zero-pad to exactly `frames` frames (filters round lengths up or down by one)."""
    if samples.shape[1] >= frames:
        return samples[:, :frames]
    return np.pad(samples, ((0, 0), (0, frames - samples.shape[1])))


def _resample_ratio(samples: np.ndarray, up: int, down: int) -> np.ndarray:
    """Band-limited resampling by up/down; the output has round(frames * up / down) frames."""
    from scipy.signal import resample_poly

    frames = round(samples.shape[1] * up / down)
    if up == down:
        return samples
    return _exact_length(resample_poly(samples, up, down, axis=1).astype(np.float32), frames)


def resample_to(samples: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Convert between two integer sample rates exactly (the ratio is reduced, never rounded)."""
    ratio = Fraction(int(to_hz), int(from_hz))
    return _resample_ratio(samples, ratio.numerator, ratio.denominator)


@operation("speed", category="pitch", params=(Param("ratio", float, 1.25, "playback speed factor (2 = twice as fast)", 0.05, 20.0),), changes_length=True)
def speed(samples: np.ndarray, sample_rate: int, ratio: float) -> np.ndarray:
    """Play faster or slower, like a tape: the pitch moves with the speed.

    1.25 is 25 % faster, shorter by that factor and about 3.9 semitones higher;
    0.5 is half speed, an octave lower. Use `time_stretch` to keep the pitch.
    """
    frac = Fraction(ratio).limit_denominator(MAX_DENOMINATOR)
    return _exact_length(_resample_ratio(samples, frac.denominator, frac.numerator), round(samples.shape[1] / ratio))


def _rubberband(samples: np.ndarray, sample_rate: int, stretch: float, semitones: float) -> np.ndarray:
    """pedalboard.time_stretch with a guard for very short audio and an exact output length.

    Rubber Band returns an empty array when the output would be shorter than its
    analysis window, so short inputs get trailing silence first and the result is
    cut back to round(frames / stretch).
    """
    frames = samples.shape[1]
    padded = max(frames, int(np.ceil(MIN_STRETCH_OUTPUT * stretch)))
    x = np.ascontiguousarray(_exact_length(samples, padded), dtype=np.float32)
    # Formant preservation would keep a tone's spectral envelope in place, which
    # turns a shifted pure tone down by 10-30 dB; shift the spectrum as a whole.
    out = pedalboard.time_stretch(x, float(sample_rate), stretch_factor=stretch, pitch_shift_in_semitones=semitones, preserve_formants=False)
    return _exact_length(out, round(frames / stretch))


@operation("time_stretch", category="pitch", params=(Param("ratio", float, 1.25, "tempo factor (2 = twice as fast)", 0.1, 10.0),), changes_length=True)
def time_stretch(samples: np.ndarray, sample_rate: int, ratio: float) -> np.ndarray:
    """Change the tempo and keep the pitch (Rubber Band, via pedalboard).

    1.25 plays 25 % faster, so the result is 1/1.25 as long. Extreme ratios
    (beyond about 0.5 to 2) smear transients and sound phasey.
    """
    return _rubberband(samples, sample_rate, ratio, 0.0)


@operation("pitch_shift", category="pitch", params=(Param("semitones", float, 0.0, "shift in semitones (12 = one octave up)", -48.0, 48.0),))
def pitch_shift(samples: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """Shift the pitch by a number of semitones and keep the duration.

    Unlike `speed`, the length stays the same; like it, the whole spectrum moves,
    formants included, so voices shifted far up sound small ("chipmunk").
    Shifts beyond an octave or so sound artificial. Fractions are exact, to
    retune: from A=435 Hz to A=440 Hz is 12 * log2(440 / 435) = 0.198 semitones.
    """
    if semitones == 0:
        return samples
    return _rubberband(samples, sample_rate, 1.0, semitones)


@operation(
    "resample",
    category="pitch",
    params=(Param("hz", int, 44100, "new sample rate, in Hz", 1000, 384000),),
    changes_length=True,
    changes_rate=True,
)
def resample(samples: np.ndarray, sample_rate: int, hz: int) -> np.ndarray:
    """Convert to another sample rate; pitch and duration stay the same.

    Going down removes everything above the new Nyquist frequency (hz / 2).
    The rate ratio is used exactly, so an awkward pair (44100 to 44101) needs a
    long filter and takes longer.
    """
    return resample_to(samples, sample_rate, hz)
