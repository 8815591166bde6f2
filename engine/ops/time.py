"""Time: cut, keep, pad, strip silence, mute, loop, reverse.

Times in parameters follow the plan's rule (engine.plan.resolve_time): negative
counts back from the end, and an `end_s` of None means the end of the file.
"""

from __future__ import annotations

import numpy as np

from ..plan import resolve_time
from ..regions import FADE_S, crossfade_edges
from .registry import BLOCKWISE, Param, operation

START = Param("start_s", float, 0.0, "start of the range, in seconds (negative: from the end)", file_time=True)
END = Param("end_s", float, None, "end of the range, in seconds (negative: from the end; empty: the end of the file)", optional=True, file_time=True)


def _frame_range(samples: np.ndarray, sample_rate: int, start_s: float, end_s: float | None) -> tuple[int, int]:
    duration = samples.shape[1] / sample_rate
    start = resolve_time(start_s, duration, 0.0)
    end = max(start, resolve_time(end_s, duration, duration))
    return round(start * sample_rate), round(end * sample_rate)


@operation("trim", category="time", params=(START, END), changes_length=True)
def trim(samples: np.ndarray, sample_rate: int, start_s: float, end_s: float | None) -> np.ndarray:
    """Cut out [start_s, end_s) and splice the rest together ("cut" is this operation).

    "Trim the first second" is start 0, end 1; "cut 3 s to 4 s" is start 3, end 4;
    "drop the last 2 s" is start -2. The result is exactly (end - start) shorter.
    No clicks: a join in the middle is a 5 ms crossfade from what would have
    followed the cut into what follows it, and a new start or end of the file
    gets a 5 ms fade.
    """
    start, end = _frame_range(samples, sample_rate, start_s, end_s)
    frames = samples.shape[1]
    if end == start:
        return samples
    if start == 0 or end == frames:
        rest = samples[:, end:] if start == 0 else samples[:, :start]
        return _fade_cut_edges(rest, sample_rate, head=start == 0, tail=end == frames)
    joined = crossfade_edges(samples[:, start:], samples[:, end:], round(FADE_S * sample_rate), head=True, tail=False)
    return np.concatenate([samples[:, :start], joined], axis=1)


@operation("keep", category="time", params=(START, END), changes_length=True)
def keep(samples: np.ndarray, sample_rate: int, start_s: float, end_s: float | None) -> np.ndarray:
    """Keep only [start_s, end_s) and drop everything else.

    Where the range starts or ends inside the audio, a 5 ms fade smooths the new
    edge so the file does not begin or end with a click; edges that were already
    the file's own start or end are left as they were.
    """
    start, end = _frame_range(samples, sample_rate, start_s, end_s)
    return _fade_cut_edges(samples[:, start:end], sample_rate, head=start > 0, tail=end < samples.shape[1])


def _fade_cut_edges(piece: np.ndarray, sample_rate: int, head: bool, tail: bool) -> np.ndarray:
    """Fade a piece cut out of longer audio in (head) and/or out (tail) over 5 ms: a crossfade from silence."""
    return crossfade_edges(np.zeros_like(piece), piece, round(FADE_S * sample_rate), head=head, tail=tail)


@operation(
    "pad",
    category="time",
    params=(
        Param("before_s", float, 0.0, "silence to add at the start, in seconds", 0.0, 3600.0),
        Param("after_s", float, 0.0, "silence to add at the end, in seconds", 0.0, 3600.0),
    ),
    changes_length=True,
)
def pad(samples: np.ndarray, sample_rate: int, before_s: float, after_s: float) -> np.ndarray:
    """Add digital silence before and/or after the audio.

    Useful before `reverb` or `echo`, which keep the file's length: pad first to
    give their tail room to ring out.
    """
    return np.pad(samples, ((0, 0), (round(before_s * sample_rate), round(after_s * sample_rate))))


@operation(
    "strip_silence",
    category="time",
    params=(
        Param("threshold_db", float, -50.0, "anything quieter than this counts as silence, in dBFS", -120.0, 0.0),
        Param("where", str, "both", "which end to strip", choices=("both", "start", "end")),
    ),
    changes_length=True,
)
def strip_silence(samples: np.ndarray, sample_rate: int, threshold_db: float, where: str) -> np.ndarray:
    """Remove leading and/or trailing silence.

    The sound starts at the first sample (on any channel) above `threshold_db` and
    ends after the last one; silence in the middle is kept. A file that is silent
    throughout would leave nothing, which the renderer reports as an error. Noisy
    recordings need a threshold above their noise floor.
    """
    loud = np.flatnonzero(np.max(np.abs(samples), axis=0) > 10 ** (threshold_db / 20))
    if not loud.size:
        return samples[:, :0]
    start = loud[0] if where in ("both", "start") else 0
    end = loud[-1] + 1 if where in ("both", "end") else samples.shape[1]
    return samples[:, start:end]


@operation("mute", category="time", stream=BLOCKWISE)
def mute(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Silence the audio, keeping its length.

    Mostly used with a region ("mute 2 s to 3 s"), where the region's 5 ms
    crossfades make the silence start and end without clicks.
    """
    return np.zeros_like(samples)


@operation("loop", category="time", params=(Param("count", int, 2, "how many times it plays in total", 1, 1000),), changes_length=True)
def loop(samples: np.ndarray, sample_rate: int, count: int) -> np.ndarray:
    """Play the audio `count` times back to back (2 = once more).

    The copies are butted together sample-exactly, so a clip that does not start
    and end near silence will click at each join: trim it to a loop point, or
    `fade` it, first.
    """
    return np.tile(samples, (1, count))


@operation("reverse", category="time")
def reverse(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Play the audio backwards.

    Reverb and decays then swell up instead of dying away, the classic
    reverse-cymbal effect; limited to a region, only that part is reversed.
    """
    return samples[:, ::-1]
