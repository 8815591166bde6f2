"""Repair: remove clicks, pops and crackle by interpolating over them.

Finding a click: a linear predictor fitted to each ~46 ms of sound predicts every
sample from the ones before it (and, run backwards, from the ones after it).
Music and speech are predictable; a click is not, so it leaves a burst of
prediction error that stands far above the error around it. The forward error
marks where a click starts and the backward error where it ends. Each click
found is then redrawn from the sound either side (engine.ops.gaps).
"""

from __future__ import annotations

import numpy as np

from .gaps import autocorrelation, fill_gap, predictor
from .registry import Param, operation

ORDER = 32  # predictor order for finding clicks
BLOCK = 2048  # frames per predictor; each is fitted on twice that, centred
GUARD_S, WINDOW_S = 0.0025, 0.02  # a sample is compared with the error 2.5-20 ms either side of it
EXTENT_DB = 14.0  # a click reaches as far as its error stays within this of the threshold
TAIL = 0.5  # and its decay, hidden under the sound, half as far again
MARGIN_S = 0.00025  # repaired beyond the click's edges
FLOOR = 3e-5  # about -90 dBFS: error below this counts as silence (16-bit noise)
ROBUST = 4.0  # the predictor is fitted on the sound limited to this many robust deviations, so clicks barely sway it
CHUNK = 1 << 20  # frames searched at once (with some overlap): memory stays bounded on long files


def prediction_errors(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward prediction error of a channel (float64), zero at the file's edges."""
    from scipy.signal import lfilter

    forward, backward = np.zeros_like(x), np.zeros_like(x)
    for start in range(0, len(x), BLOCK):
        n = min(BLOCK, len(x) - start)
        around = x[max(0, start - BLOCK // 2) : start + n + BLOCK // 2]
        limit = ROBUST * np.median(np.abs(around)) / 0.6745 + FLOOR
        b = predictor(autocorrelation(np.clip(around, -limit, limit), ORDER))
        if b is None:
            continue
        lo = max(0, start - ORDER)
        segment = x[lo : start + n + ORDER]
        forward[start : start + n] = lfilter(b, [1.0], segment)[start - lo : start - lo + n]
        backward[start : start + n] = lfilter(b, [1.0], segment[::-1])[::-1][start - lo : start - lo + n]
    for e in (forward, backward):  # a predictor has no past at the start, no future at the end
        e[:ORDER] = 0.0
        e[-ORDER:] = 0.0
    return forward, backward


def surprise(e: np.ndarray, sample_rate: int) -> np.ndarray:
    """e² over the mean e² from GUARD_S to WINDOW_S either side (a constant-false-alarm detector).

    The guard keeps a click from hiding itself; the window follows the music's level.
    """
    guard, window = round(GUARD_S * sample_rate), round(WINDOW_S * sample_rate)
    n = len(e)
    running = np.concatenate([[0.0], np.cumsum(e * e)])  # running[k]: the sum of e² before sample k
    padded = np.concatenate([np.zeros(window), running, np.full(window, running[-1])])

    def total(a: int, b: int) -> np.ndarray:
        """The sum of e² over [i + a, i + b) for every sample i (the file's edges bound it)."""
        return padded[window + b : window + b + n] - padded[window + a : window + a + n]

    reference = (total(-window, -guard) + total(guard + 1, window + 1)) / (2 * (window - guard))
    return e * e / np.maximum(reference, FLOOR * FLOOR)


def find_clicks(x: np.ndarray, sample_rate: int, threshold_db: float) -> list[tuple[int, int]]:
    """[start, end) of every click in one channel."""
    forward, backward = (surprise(e, sample_rate) for e in prediction_errors(x))
    strong = 10 ** (threshold_db / 10)
    weak = strong / 10 ** (EXTENT_DB / 10)
    near = np.flatnonzero((forward > weak) | (backward > weak))
    if not near.size:
        return []
    margin = max(1, round(MARGIN_S * sample_rate))
    clicks = []
    for group in np.split(near, np.flatnonzero(np.diff(near) > ORDER) + 1):
        a, b = group[0], group[-1] + 1
        starts = np.flatnonzero(forward[a:b] > strong)
        if not starts.size and not (backward[a:b] > strong).any():
            continue  # only a little surprising: the sound itself
        ends = np.flatnonzero(backward[a:b] > weak)
        lo = a + (starts[0] if starts.size else 0)
        hi = a + (ends[-1] + 1 if ends.size else b - a)
        if hi <= lo:
            lo, hi = a, b
        tail = round(TAIL * (hi - lo))
        clicks.append((max(0, lo - margin), min(len(x), hi + margin + tail)))
    return clicks


@operation(
    "declick",
    category="repair",
    params=(
        Param("threshold_db", float, 20.0, "how far a click stands out from the sound around it, in dB (lower finds more: crackle)", 6.0, 60.0),
        Param("max_click_s", float, 0.005, "longest click repaired, in seconds; longer bursts are left alone", 0.0001, 0.05),
    ),
)
def declick(samples: np.ndarray, sample_rate: int, threshold_db: float, max_click_s: float) -> np.ndarray:
    """Remove clicks, pops and crackle: vinyl ticks, mouth clicks, digital spikes.

    Each click is found by how unpredictable it is and redrawn from the sound
    either side, one channel at a time; every other sample stays bit-identical.
    Lower `threshold_db` (12-15) for dense crackle. Pitfalls: sharp attacks
    (rimshots, hard consonants) can pass for clicks at low thresholds and lose
    some snap; a burst longer than `max_click_s` is taken to be sound and left;
    redrawing a long click inside a loud, fast-changing passage is approximate.
    Clicks in the first or last millisecond are left alone.
    """
    out = samples.copy()
    longest = max_click_s * sample_rate
    overlap = 2 * BLOCK + round(WINDOW_S * sample_rate)
    for c in range(samples.shape[0]):
        x = samples[c].astype(np.float64)
        for start in range(0, len(x), CHUNK):
            lo = max(0, start - overlap)
            found = find_clicks(x[lo : start + CHUNK + overlap], sample_rate, threshold_db)
            for a, b in ((lo + a, lo + b) for a, b in found if start <= lo + a < start + CHUNK):
                if b - a <= longest and fill_gap(x, a, b, sample_rate):
                    out[c, a:b] = x[a:b]
    return out
