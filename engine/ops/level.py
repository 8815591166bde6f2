"""Level: gain, peak normalisation, loudness normalisation, fades."""

from __future__ import annotations

import numpy as np

from .. import measure
from ..errors import BadAudio
from .registry import Param, operation


def _scale_db(samples: np.ndarray, db: float) -> np.ndarray:
    return samples * np.float32(10 ** (db / 20))


@operation("gain", category="level", params=(Param("db", float, 6.0, "change in level, in dB", -96.0, 48.0),))
def gain(samples: np.ndarray, sample_rate: int, db: float) -> np.ndarray:
    """Change the level by a number of decibels.

    Pitfall: a large positive gain can push peaks past 0 dBFS; the file writer then
    limits the result to -0.1 dBFS true peak and warns (see `--clip`).
    """
    return _scale_db(samples, db)


@operation("normalize", category="level", params=(Param("peak_db", float, -1.0, "target sample peak, in dBFS", -60.0, 0.0),))
def normalize(samples: np.ndarray, sample_rate: int, peak_db: float) -> np.ndarray:
    """Scale so the highest sample peak sits at `peak_db` dBFS.

    Sample peak, not true peak: a peak at 0 dBFS can still overshoot between samples
    once converted to analogue or lossy formats; -1 dBFS leaves room for that.
    Digital silence is returned unchanged (there is nothing to scale).
    """
    if not np.any(samples):
        return samples
    return _scale_db(samples, peak_db - measure.peak_db(samples))


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


@operation(
    "fade",
    category="level",
    params=(
        Param("in_s", float, 0.0, "fade-in length, in seconds", 0.0, 3600.0),
        Param("out_s", float, 0.0, "fade-out length, in seconds", 0.0, 3600.0),
        Param("curve", str, "scurve", "shape of the fade", choices=tuple(FADE_CURVES)),
    ),
)
def fade(samples: np.ndarray, sample_rate: int, in_s: float, out_s: float, curve: str) -> np.ndarray:
    """Fade in from silence at the start and/or out to silence at the end.

    Curves: `linear` (straight in amplitude), `exp` (straight in dB: sounds even),
    `log` (rises fast), `scurve` (gentle at both ends, the default). A fade longer
    than the audio covers all of it; fade-in and fade-out may overlap.
    """
    frames = samples.shape[1]
    envelope = np.ones(frames, dtype=np.float64)
    shape = FADE_CURVES[curve]
    n_in, n_out = min(frames, round(in_s * sample_rate)), min(frames, round(out_s * sample_rate))
    if n_in:
        envelope[:n_in] *= shape(np.arange(n_in) / n_in)
    if n_out:
        envelope[frames - n_out :] *= shape(np.arange(n_out)[::-1] / n_out)
    return samples * envelope.astype(np.float32)
