"""Dynamics: compressor, limiter, noise gate."""

from __future__ import annotations

import numpy as np
import pedalboard

from .registry import Param, Processor, operation, plugin_stream

RELEASE = Param("release_s", float, 0.1, "how fast the gain recovers, in seconds", 0.001, 5.0)
LOOKAHEAD_S = 0.005


def _compressor(sample_rate: int, threshold_db: float, ratio: float, attack_s: float, release_s: float) -> pedalboard.Compressor:
    return pedalboard.Compressor(threshold_db=threshold_db, ratio=ratio, attack_ms=attack_s * 1000, release_ms=release_s * 1000)


def _compressor_stream(sample_rate: int, channels: int, frames: int, makeup_db: float, **params) -> Processor:
    compress = plugin_stream(_compressor)(sample_rate, channels, frames, **params)
    return lambda block: compress(block) * np.float32(10 ** (makeup_db / 20))


@operation(
    "compressor",
    category="dynamics",
    params=(
        Param("threshold_db", float, -20.0, "level above which the gain is reduced, in dBFS", -80.0, 0.0),
        Param("ratio", float, 4.0, "input dB over the threshold per output dB (4 = 4:1)", 1.0, 100.0),
        Param("attack_s", float, 0.005, "how fast the gain reduction sets in, in seconds", 0.0001, 1.0),
        RELEASE,
        Param("makeup_db", float, 0.0, "gain added afterwards, in dB", -24.0, 48.0),
    ),
    stream=_compressor_stream,
)
def compressor(samples: np.ndarray, sample_rate: int, threshold_db: float, ratio: float, attack_s: float, release_s: float, makeup_db: float) -> np.ndarray:
    """Even out the level: reduce what rises above `threshold_db` by `ratio` (pedalboard).

    Compression makes the result quieter overall; `makeup_db` brings it back up.
    Attacks shorter than a few ms flatten transients (drums lose their snap).
    """
    return _compressor(sample_rate, threshold_db, ratio, attack_s, release_s)(samples, sample_rate) * np.float32(10 ** (makeup_db / 20))


def _forward_min(x: np.ndarray, span: int) -> np.ndarray:
    """min(x[n : n + span + 1]) for every n (the window is cut short at the end)."""
    from scipy.ndimage import minimum_filter1d

    return minimum_filter1d(x, size=span + 1, origin=-((span + 1) // 2), mode="nearest")


def _release(reduction: np.ndarray, coeff: float) -> np.ndarray:
    """r[n] = max(reduction[n], coeff * r[n-1]) without a Python loop.

    Dividing by coeff**n turns the recursion into a running maximum:
    log r[n] = n log c + max_{k<=n}(log reduction[k] - k log c).
    """
    n_log_c = np.arange(len(reduction)) * np.log(coeff)
    with np.errstate(divide="ignore"):
        held = np.maximum.accumulate(np.log(reduction) - n_log_c)
    return np.exp(held + n_log_c)


def _trailing_mean(x: np.ndarray, span: int) -> np.ndarray:
    """mean(x[n - span : n + 1]), with x's first value repeated before the start."""
    c = np.concatenate([[0.0], np.cumsum(np.concatenate([np.full(span, x[0]), x]))])
    return (c[span + 1 :] - c[: -span - 1]) / (span + 1)


@operation(
    "limiter",
    category="dynamics",
    params=(Param("ceiling_db", float, -1.0, "no sample peak goes above this, in dBFS", -40.0, 0.0), RELEASE),
)
def limiter(samples: np.ndarray, sample_rate: int, ceiling_db: float, release_s: float) -> np.ndarray:
    """Hold every sample peak at or below `ceiling_db`, turning down only the loud moments.

    A look-ahead brickwall limiter: the gain falls over 5 ms before each peak that
    would exceed the ceiling (so it never clips or clicks) and recovers over
    `release_s`; material that stays below the ceiling is untouched. Written here
    because pedalboard's Limiter also raises quiet material and hard-clips at
    0 dBFS. Sample peaks only: leave ~1 dB for the true peak of lossy formats.
    """
    ceiling = 10 ** (ceiling_db / 20)
    peak = np.max(np.abs(samples), axis=0).astype(np.float64)
    if not peak.size or peak.max() <= ceiling:
        return samples
    out = samples * limiter_gain(peak, ceiling, sample_rate, release_s).astype(np.float32)
    overshoot = np.max(np.abs(out)) / ceiling  # float32 rounding only
    return out / np.float32(overshoot) if overshoot > 1 else out


def limiter_gain(peak: np.ndarray, ceiling: float, sample_rate: int, release_s: float) -> np.ndarray:
    """The limiter's gain for each frame, given each frame's peak level (any measure of it,
    e.g. the true-peak envelope), so that gain * peak <= ceiling everywhere."""
    aim = ceiling * (1 - 1e-6)  # a hair under, so float32 rounding rarely needs the final clamp
    needed = np.minimum(1.0, aim / np.maximum(peak, 1e-30))  # the gain each sample needs
    lookahead = max(1, round(LOOKAHEAD_S * sample_rate))
    ahead = _forward_min(needed, lookahead)
    reduction = _release(1.0 - ahead, np.exp(-1.0 / (release_s * sample_rate)))
    # Averaging over the look-ahead makes the attack a 5 ms ramp, and the gain stays
    # <= needed at every sample, since each averaged value already saw the peak coming.
    # (The reduction is averaged, not the gain: runs of exact zeros stay exact, so
    # the gain is exactly 1 away from loud moments.)
    return 1.0 - _trailing_mean(reduction, lookahead)


def _gate(sample_rate: int, threshold_db: float, ratio: float, release_s: float) -> pedalboard.NoiseGate:
    return pedalboard.NoiseGate(threshold_db=threshold_db, ratio=ratio, release_ms=release_s * 1000)


@operation(
    "gate",
    category="dynamics",
    params=(
        Param("threshold_db", float, -40.0, "level below which the sound is turned down, in dBFS", -100.0, 0.0),
        Param("ratio", float, 10.0, "how hard it closes (10 = 10:1 downward expansion)", 1.0, 100.0),
        RELEASE,
    ),
    stream=plugin_stream(_gate),
)
def gate(samples: np.ndarray, sample_rate: int, threshold_db: float, ratio: float, release_s: float) -> np.ndarray:
    """Noise gate: turn down the quiet parts between sounds (pedalboard).

    Set the threshold between the noise floor and the quietest wanted sound; a
    threshold too high chops off soft note endings and word tails.
    """
    return _gate(sample_rate, threshold_db, ratio, release_s)(samples, sample_rate)
