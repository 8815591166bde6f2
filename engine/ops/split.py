"""Time: cut a file into numbered parts, each its own output file.

A plan's `split` step without `part` makes one file per part: the pipeline
(engine.parts) renders the steps before it once, then each part with the steps
after it, and records `part` in each part's sidecar, so `sao replay` of a part's
sidecar renders that part alone through this operation.
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError
from .registry import Param, operation

MAX_PARTS = 10000


def part_bounds(frames: int, sample_rate: int, every_s: float | None, parts: int | None) -> list[tuple[int, int]]:
    """[start, end) frames of every part: `every_s` long each (the last may be shorter), or `parts` equal parts.

    Equal parts differ by at most one frame; the bounds are whole frames, so the
    parts put back together are the audio they came from, sample for sample.
    """
    if (every_s is None) == (parts is None):
        raise UsageError("split needs either every_s (the length of each part) or parts (how many), not both")
    if every_s is not None:
        step = max(1, round(every_s * sample_rate))
        count = -(-frames // step)
        bounds = [(k * step, min((k + 1) * step, frames)) for k in range(count)]
    else:
        if parts > frames:
            raise UsageError(f"split: {parts} parts of {frames} samples would leave some empty")
        count = parts
        bounds = [(k * frames // parts, (k + 1) * frames // parts) for k in range(parts)]
    if count > MAX_PARTS:
        raise UsageError(f"split would make {count} files (at most {MAX_PARTS}); choose longer parts")
    return bounds


@operation(
    "split",
    category="time",
    params=(
        Param("every_s", float, None, "length of each part, in seconds (the last one may be shorter)", 0.001, 86400.0, optional=True),
        Param("parts", int, None, "how many equal parts", 1, MAX_PARTS, optional=True),
        Param("part", int, None, "which part this is (1 is the first); empty: every part, each to its own file", 1, MAX_PARTS, optional=True),
    ),
    changes_length=True,
)
def split(samples: np.ndarray, sample_rate: int, every_s: float | None, parts: int | None, part: int | None) -> np.ndarray:
    """Cut into numbered parts: pieces of `every_s` seconds, or `parts` equal parts.

    `sao edit IN "split into 3 equal parts" -o DIR` writes DIR/IN-stem.part01.wav,
    .part02, ... (beside the input without -o), each with its sidecar. The cuts
    are exact and unfaded, so the parts join back into the whole without a seam;
    played alone, a part may start or stop mid-sound (add a `fade` step after the
    split to soften that). As a step of its own it gives one part, `part`.
    """
    if part is None:
        raise UsageError("split makes one file per part: run it with `sao edit` or `sao batch`, or give `part`")
    bounds = part_bounds(samples.shape[1], sample_rate, every_s, parts)
    if part > len(bounds):
        raise UsageError(f"split: there is no part {part}; this audio has {len(bounds)}")
    start, end = bounds[part - 1]
    return samples[:, start:end]
