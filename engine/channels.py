"""Apply an operation to some channels of a file, leaving the others bit-identical.

"3 dB louder in the left channel only" is a `gain` step with `"channels": [0]`.
`on_channels` makes an operation that runs the original on the chosen channels
(as a file of its own) and copies the rest, in memory and streamed alike. With a
region, the region's edit runs on the chosen channels (`edit_channels`), so its
crossfades never touch the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .errors import Refused, UsageError
from .ops import Operation, Processor

NAMES = {0: "left", 1: "right"}


def channel_names(channels: list[int]) -> str:
    return " and ".join(NAMES.get(c, f"channel {c + 1}") for c in channels)


def _check(op: Operation, channels: list[int], count: int) -> None:
    if max(channels) >= count:
        have = "mono" if count == 1 else f"{count} channels"
        raise Refused(f"{op.name} on the {channel_names(channels)} channel: the audio is {have}")


def _splice(op: Operation, samples: np.ndarray, channels: list[int], edited: np.ndarray) -> np.ndarray:
    if edited.shape[0] != len(channels) or edited.shape[1] != samples.shape[1]:
        raise UsageError(f"{op.name} changes the length or the channels, so it cannot be limited to some channels")
    out = np.array(samples, dtype=np.float32, copy=True)
    out[channels] = edited
    return out


def edit_channels(op: Operation, samples: np.ndarray, channels: list[int], edit: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """`edit` (of the chosen channels, as a file of their own) spliced back among the others."""
    _check(op, channels, samples.shape[0])
    return _splice(op, samples, channels, edit(samples[channels]))


def on_channels(op: Operation, channels: list[int] | None) -> Operation:
    """`op` limited to `channels`; `op` itself when channels is None.

    Refused (exit 5) when the file lacks a channel ("the left channel" of a mono
    file); a usage error for operations that change the length or the channel
    count (speed, mono), which have no meaning on one channel of several.
    """
    if channels is None:
        return op
    if op.changes_length or op.changes_rate:
        raise UsageError(f"{op.name} changes the length or the rate, so it cannot be limited to the {channel_names(channels)} channel")

    def fn(samples: np.ndarray, sample_rate: int, **params) -> np.ndarray:
        return edit_channels(op, samples, channels, lambda part: op.fn(part, sample_rate, **params))

    fn.__doc__ = op.fn.__doc__

    def stream(sample_rate: int, count: int, frames: int, **params) -> Processor | None:
        _check(op, channels, count)
        process = op.stream(sample_rate, len(channels), frames, **params)
        if process is None:
            return None
        return lambda block: _splice(op, block, channels, process(block[channels]))

    # a peak measured on the whole input would be the wrong peak for some of its channels
    streams = op.stream is not None and not op.needs_input_peak
    return replace(op, fn=fn, stream=stream if streams else None)
