"""Level: gain, peak normalisation, loudness normalisation, fades."""

from __future__ import annotations

import numpy as np

from .. import measure
from ..errors import BadAudio, Refused
from .registry import BLOCKWISE, Context, NeedsWholeFile, Param, Processor, operation

LOUDER_RELEASE_S = 0.05  # the limiter of `louder`: quick enough to let the loudness rise between peaks
MAX_LIMITING_DB = 12.0  # gain `louder` may add beyond the asked amount, to win back what its limiter takes
LOUDER_TOLERANCE_DB = 1.0  # `louder` succeeds within this of the asked rise, and refuses beyond it


def _scale_db(samples: np.ndarray, db: float) -> np.ndarray:
    return samples * np.float32(10 ** (db / 20))


@operation("gain", category="level", params=(Param("db", float, 6.0, "change in level, in dB", -96.0, 48.0),), stream=BLOCKWISE)
def gain(samples: np.ndarray, sample_rate: int, db: float) -> np.ndarray:
    """Change the level by a number of decibels.

    Pitfall: a large positive gain can push peaks past 0 dBFS; the file writer then
    limits the result to -0.1 dBFS true peak and warns (see `--clip`).
    """
    return _scale_db(samples, db)


def _louder_stream(sample_rate: int, channels: int, frames: int, db: float, ceiling_db: float, context: Context) -> Processor:
    """A plain gain while the result stays under full scale; past it, the search needs the whole file."""

    def process(block: np.ndarray) -> np.ndarray:
        out = _scale_db(block, db)
        if measure.sample_peak(out) >= 1.0:
            raise NeedsWholeFile("louder: the result would clip, so it must be limited")
        return out

    return process


@operation(
    "louder",
    category="level",
    params=(
        Param("db", float, 6.0, "how much louder, in dB (integrated loudness)", 0.0, 48.0),
        Param("ceiling_db", float, -1.0, "true-peak ceiling where the gain would clip, in dBTP", -20.0, 0.0),
    ),
    stream=_louder_stream,
    context=True,
)
def louder(samples: np.ndarray, sample_rate: int, db: float, ceiling_db: float, context: Context) -> np.ndarray:
    """Raise the level by `db` so that the result really is that much louder, even on a take near full scale.

    A plain gain while the result stays under full scale. Where it would clip,
    the file writer would turn the whole result back down and nothing would be
    louder; instead a look-ahead limiter holds the true peaks at `ceiling_db`,
    and as much extra gain as it takes (up to 12 dB) keeps the integrated
    loudness (BS.1770) `db` higher, within 1 dB. Where even that falls short
    (a dense sound already near full scale: there is no room left without
    distortion), it refuses (exit 5) and says how far it can go. Pitfall: heavy
    limiting flattens transients; ask for less, or use `gain` and `--clip allow`.
    """
    out = _scale_db(samples, db)
    if measure.sample_peak(out) < 1.0:
        return out
    from .dynamics import limiter_gain

    speakers = context.layout_for(samples.shape[0])
    before, _ = measure.loudness(samples, sample_rate, speakers)
    envelope = measure.true_peak_envelope(samples)
    ceiling = 10 ** (ceiling_db / 20)

    def limited(extra_db: float) -> tuple[np.ndarray, float]:
        scale = 10 ** ((db + extra_db) / 20)
        y = samples * (scale * limiter_gain(scale * envelope, ceiling, sample_rate, LOUDER_RELEASE_S)).astype(np.float32)
        return y, measure.loudness(y, sample_rate, speakers)[0] - before

    target = db - LOUDER_TOLERANCE_DB / 4  # aim a little under the asked rise: less limiting, well inside the tolerance
    lo, (y, rise) = 0.0, limited(0.0)
    if rise < target:
        hi, (y_hi, rise_hi) = MAX_LIMITING_DB, limited(MAX_LIMITING_DB)
        if rise_hi < db - LOUDER_TOLERANCE_DB:
            raise Refused(f"cannot make it {db:g} dB louder: with its peaks held at {ceiling_db:g} dBTP, limiting gets it only "
                          f"{max(rise_hi, 0.0):.1f} dB louder ({before:.1f} LUFS now); ask for less, or use 'gain' with --clip allow")
        y, rise = y_hi, rise_hi
        for _ in range(6):  # bisection to ~0.2 dB of extra gain: loudness grows with the gain
            mid = (lo + hi) / 2
            y_mid, rise_mid = limited(mid)
            if rise_mid >= target:
                hi, y, rise = mid, y_mid, rise_mid
            else:
                lo = mid
    excess = measure.true_peak(y, sample_rate) - ceiling_db  # the limiter's gain is smooth, so this is a hair at most
    if excess > 0:
        y = _scale_db(y, -excess)
    context.warn(f"louder: +{db:g} dB would clip, so a limiter holds the peaks at {ceiling_db:g} dBTP; "
                 f"the loudness rose {rise:+.1f} dB ({before:.1f} -> {before + rise:.1f} LUFS)")
    return y


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
    context=True,
)
def loudness(samples: np.ndarray, sample_rate: int, lufs: float, ceiling_db: float, context: Context) -> np.ndarray:
    """Normalise integrated loudness (ITU-R BS.1770) to `lufs`.

    Channels are weighted for where they play (surrounds +1.5 dB, the LFE left
    out), by the file's channel mask or the usual order. If the target would put
    the true peak above `ceiling_db`, the whole file is turned down until it fits,
    so the result can be quieter than asked for, and a warning says so (put a
    `limiter` first to get both). A sound shorter than 0.4 s, BS.1770's gating
    block, has no integrated loudness: it is measured as the K-weighted RMS of
    all of it instead (measure.short_lufs), and a warning says so.
    """
    speakers = context.layout_for(samples.shape[0])
    measured, short = measure.loudness(samples, sample_rate, speakers)
    if not np.isfinite(measured):
        raise BadAudio("loudness: the audio is silent (below -70 LUFS), so its loudness cannot be measured")
    if short:
        context.warn(f"loudness: the sound is {samples.shape[1] / sample_rate:.3f} s, shorter than BS.1770's 0.4 s block, so it was "
                     f"measured as K-weighted RMS over all of it ({measured:.1f} LUFS) and set to {lufs:g} LUFS on that measure")
    out = _scale_db(samples, lufs - measured)
    excess = measure.true_peak(out, sample_rate) - ceiling_db
    if excess <= 0:
        return out
    context.warn(f"loudness: {lufs:g} LUFS would put the true peak {excess:.1f} dB over {ceiling_db:g} dBTP, "
                 f"so the result is {lufs - excess:.1f} LUFS (put a limiter first to reach the target)")
    return _scale_db(out, -excess)


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
