"""Repair: rebuild the tops of waveforms that clipping cut flat.

A clipped run is a stretch of samples stuck at the clip level. Its true values
were at least that level, so each run is redrawn from the samples either side:
short runs by autoregressive interpolation (engine.ops.gaps), which follows the
sound's own timbre; longer ones by a cubic through the unclipped samples nearby,
which stays sensible when clipped runs come every few milliseconds and leave
little clean sound to learn from. Either way a redrawn sample never falls back
below the clip level.
"""

from __future__ import annotations

import numpy as np

from .gaps import fill_gap
from .registry import Param, operation

MIN_RUN = 3  # a peak may touch its level once or twice; three samples in a row at it are clipping
AR_RUN = 8  # runs up to this long are interpolated, longer ones get the cubic
TOLERANCE = 2.0**-14  # samples within two 16-bit steps of the level count as at it


def clipped_runs(x: np.ndarray, level: float | None) -> list[tuple[int, int]]:
    """[start, end) of the clipped runs of one channel; at `level` if given, else at its own extremes."""
    runs = []
    for sign in (1.0, -1.0):
        top = level if level is not None else sign * (x.max() if sign > 0 else x.min())
        if top <= 0:
            continue
        at = np.concatenate([[False], sign * x >= top - TOLERANCE, [False]])
        edges = np.flatnonzero(np.diff(at.astype(np.int8)))
        found = list(zip(edges[::2], edges[1::2]))
        if level is not None or any(b - a >= MIN_RUN for a, b in found):
            runs += found
    return sorted(runs)


def _cubic(x: np.ndarray, clipped: np.ndarray, lo: int, hi: int) -> np.ndarray | None:
    from scipy.interpolate import CubicSpline

    reach = max(4, hi - lo)
    near = np.r_[max(0, lo - reach) : lo, hi : min(len(x), hi + reach)]
    near = near[~clipped[near]]
    if len(near) < 4:
        return None
    return CubicSpline(near, x[near])(np.arange(lo, hi))


@operation(
    "declip",
    category="repair",
    params=(Param("level_db", float, None, "the level the audio was clipped at, in dBFS; empty: each channel's own peak", -60.0, 0.0, optional=True),),
)
def declip(samples: np.ndarray, sample_rate: int, level_db: float | None) -> np.ndarray:
    """Restore peaks that clipping flattened (an overloaded recorder, a hot export).

    Runs of three or more samples stuck at a channel's peak are taken to be
    clipped (or every sample at `level_db`, when given) and redrawn; audio with no
    such runs comes back unchanged. Pitfalls: the rebuilt peaks rise above the old
    ceiling, so audio clipped at 0 dBFS comes back over full scale (an integer file
    is then lowered to fit, see --clip; or add `normalize`). Heavy clipping (a
    fifth of all samples and more) is only partly undone, and soft, analogue-style
    clipping has no flat runs to find.
    """
    out = samples.copy()
    level = None if level_db is None else 10 ** (level_db / 20)
    for c in range(samples.shape[0]):
        x = samples[c].astype(np.float64)
        runs = clipped_runs(x, level)
        clipped = np.zeros(len(x), bool)
        for lo, hi in runs:
            clipped[lo:hi] = True
        for lo, hi in runs:
            stuck = x[lo:hi].copy()
            if hi - lo <= AR_RUN and fill_gap(x, lo, hi, sample_rate):
                redrawn = x[lo:hi]
            else:
                redrawn = _cubic(x, clipped, lo, hi)
                if redrawn is None:
                    continue
            sign = np.sign(stuck)
            x[lo:hi] = sign * np.maximum(sign * redrawn, np.abs(stuck))  # never below where it was stuck
            out[c, lo:hi] = x[lo:hi]
    return out
