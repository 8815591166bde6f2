"""Level: gain, peak normalisation, loudness normalisation, fades."""

from __future__ import annotations

import numpy as np

from .. import measure
from ..errors import BadAudio
from .registry import BLOCKWISE, Param, Processor, operation


def _scale_db(samples: np.ndarray, db: float) -> np.ndarray:
    return samples * np.float32(10 ** (db / 20))


@operation("gain", category="level", params=(Param("db", float, 6.0, "change in level, in dB", -96.0, 48.0),), stream=BLOCKWISE)
def gain(samples: np.ndarray, sample_rate: int, db: float) -> np.ndarray:
    """Change the level by a number of decibels.

    Pitfall: a large positive gain can push peaks past 0 dBFS; the file writer then
    limits the result to -0.1 dBFS true peak and warns (see `--clip`).
    """
    return _scale_db(samples, db)


def _normalize_stream(sample_rate: int, channels: int, frames: int, peak_db: float, input_peak: float) -> Processor:
    """Normalisation once the input's sample peak is known: one gain for the whole file (none for silence)."""
    if input_peak == 0:
        return lambda block: block
    return lambda block: _scale_db(block, peak_db - measure.db(input_peak))


@operation(
    "normalize",
    category="level",
    params=(Param("peak_db", float, -1.0, "target sample peak, in dBFS", -60.0, 0.0),),
    stream=_normalize_stream,
    needs_input_peak=True,
)
def normalize(samples: np.ndarray, sample_rate: int, peak_db: float) -> np.ndarray:
    """Scale so the highest sample peak sits at `peak_db` dBFS.

    Sample peak, not true peak: a peak at 0 dBFS can still overshoot between samples
    once converted to analogue or lossy formats; -1 dBFS leaves room for that.
    Digital silence is returned unchanged (there is nothing to scale).
    """
    channels, frames = samples.shape
    return _normalize_stream(sample_rate, channels, frames, peak_db, measure.sample_peak(samples))(samples)


@operation(
    "loudness",
    category="level",
    params=(
        Param("lufs", float, -16.0, "target integrated loudness, in LUFS", -70.0, 0.0),
        Param("ceiling_db", float, -1.0, "true-peak ceiling, in dBTP", -20.0, 0.0),
    ),
)
def loudness(samples: np.ndarray, sample_rate: int, lufs: float, ceiling_db: float) -> np.ndarray:
    """Normalise integrated loudness (ITU-R BS.1770, via pyloudnorm) to `lufs`.

    If that would put the true peak above `ceiling_db`, the whole file is turned down
    until it fits, so the result can be quieter than asked for (a warning-free,
    distortion-free choice; put a `limiter` first to get both). Needs at least
    0.4 s of sound: BS.1770 gates in 400 ms blocks.
    """
    measured = measure.lufs(samples, sample_rate)
    if not np.isfinite(measured):
        raise BadAudio("loudness: the audio is silent or shorter than 0.4 s, so its loudness cannot be measured")
    out = _scale_db(samples, lufs - measured)
    excess = measure.true_peak(out, sample_rate) - ceiling_db
    return _scale_db(out, -excess) if excess > 0 else out


FADE_CURVES = {
    # Gain as a function of t in [0, 1] for a fade-in; a fade-out plays it backwards.
    "linear": lambda t: t,
    "exp": lambda t: (10 ** (3 * t) - 1) / 999,  # straight in dB over ~60 dB: slow start, natural to the ear
    "log": lambda t: 1 - (10 ** (3 * (1 - t)) - 1) / 999,  # mirror of exp: fast start
    "scurve": lambda t: 0.5 - 0.5 * np.cos(np.pi * t),  # smooth at both ends
}


def _fade_stream(sample_rate: int, channels: int, frames: int, in_s: float, out_s: float, curve: str) -> Processor:
    """The fade envelope, computed for each block's stretch of the file from the file's length."""
    shape = FADE_CURVES[curve]
    n_in, n_out = min(frames, round(in_s * sample_rate)), min(frames, round(out_s * sample_rate))
    done = 0

    def process(block: np.ndarray) -> np.ndarray:
        nonlocal done
        at = np.arange(done, done + block.shape[1])  # frame numbers in the file
        done += block.shape[1]
        envelope = np.ones(len(at), dtype=np.float64)
        if n_in and at[0] < n_in:
            fading = at < n_in
            envelope[fading] *= shape(at[fading] / n_in)
        if n_out and at[-1] >= frames - n_out:
            fading = at >= frames - n_out
            envelope[fading] *= shape((frames - 1 - at[fading]) / n_out)
        return block * envelope.astype(np.float32)

    return process


@operation(
    "fade",
    category="level",
    params=(
        Param("in_s", float, 0.0, "fade-in length, in seconds", 0.0, 3600.0),
        Param("out_s", float, 0.0, "fade-out length, in seconds", 0.0, 3600.0),
        Param("curve", str, "scurve", "shape of the fade", choices=tuple(FADE_CURVES)),
    ),
    stream=_fade_stream,
)
def fade(samples: np.ndarray, sample_rate: int, in_s: float, out_s: float, curve: str) -> np.ndarray:
    """Fade in from silence at the start and/or out to silence at the end.

    Curves: `linear` (straight in amplitude), `exp` (straight in dB: sounds even),
    `log` (rises fast), `scurve` (gentle at both ends, the default). A fade longer
    than the audio covers all of it; fade-in and fade-out may overlap.
    """
    channels, frames = samples.shape
    return _fade_stream(sample_rate, channels, frames, in_s, out_s, curve)(samples)
