"""Edit long files block by block, so memory stays bounded however long the file is.

`run_edit` comes here when every step can stream (`Operation.stream` in
engine.ops: no region, no neural step, no change of length or rate), the input
and the output are files, and the input is at least MIN_STREAM_S long. Anything
else runs in memory. The output file is the same to the last byte either way
(tests/test_stream.py); only memory and speed differ.

How a streamed edit runs:
- The steps run in passes over the audio. A step that must first know its whole
  input (peak normalisation: `needs_input_peak`) starts a new pass; the pass before
  it spools its result (float32, into an unnamed temp file beside the output that
  vanishes even when the process is killed) and measures the peak on the way.
- The last pass writes the output (temp file, then rename) while watching the
  sample peak. If the result would clip an integer file and `--clip limit` holds,
  that pass runs again into a spool, the true peak is measured there (in the same
  windows as in memory), and the lowered result is written from the spool: a hot
  result costs one more pass, any other none.
- Reading, each step and writing run in threads of their own joined by short
  queues, so the file I/O and the steps overlap (libsndfile, numpy, scipy and
  pedalboard release the GIL while they work).
"""

from __future__ import annotations

import contextlib
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from .audio_io import (
    BLOCK_FRAMES,
    Audio,
    Encoder,
    clip_gain,
    is_integer_subtype,
    needs_dither,
    header_of,
    layout_of,
    open_audio,
    open_output,
    read_blocks,
)
from .channels import on_channels
from .measure import sample_peak, true_peak_of, true_peak_windows
from .ops import Context, Operation, Processor, get_operation
from .plan import EditPlan

MIN_STREAM_S = 60.0  # shorter files are edited in memory: a minute of stereo float32 is 21 MB
QUEUE_BLOCKS = 2  # blocks waiting between two threads: enough to ride out jitter, little memory
THREADED = True  # False runs each pass in the calling thread, e.g. so that a profiler sees all the work

Step = tuple[Operation, dict]


def describe_input(path: str, allow_truncated: bool = False) -> Audio | None:
    """The input file as an Audio whose samples are a stand-in (a zero-stride view with the
    file's shape, holding no data), when it is long enough to stream; else None.

    Opening raises BadAudio (exit 3) for a missing, empty, unreadable or (unless
    allowed) truncated file, as reading it whole would. `sha256` is left for the
    caller to fill in.
    """
    with open_audio(path, allow_truncated=allow_truncated) as f:
        if f.frames < MIN_STREAM_S * f.samplerate:
            return None
        header = header_of(path)
        truncated = (header.frames, f.frames) if header.frames is not None and header.frames > f.frames else None
        return Audio(np.broadcast_to(np.float32(0), (f.channels, f.frames)), int(f.samplerate), f.format, f.subtype,
                     layout=layout_of(header, f.channels), truncated=truncated)


def streamable_steps(plans: list[EditPlan]) -> list[Step] | None:
    """Every step of the plans as (operation, params), or None if one of them cannot stream."""
    steps = []
    for plan in plans:
        for step in plan.steps:
            if step.engine != "dsp" or step.region is not None:
                return None
            op = on_channels(get_operation(step.op), step.channels)
            if op.stream is None or op.changes_length or op.changes_rate:
                return None
            steps.append((op, step.params))
    return steps


@dataclass
class StreamedEdit:
    """The passes of a streamed edit, checked to be runnable before anything is written.

    Build it with `plan`; `run` writes the output and returns the warnings.
    """

    path: str
    source: Audio
    passes: list[list[Step]]  # every pass after the first starts with a step that needs its input's peak
    finish: Processor  # per block, after the last step (--channels)
    channels: int  # of the output
    context: Context  # the input's layout, for the steps that need it
    allow_truncated: bool = False  # the input's header promised more than it holds, and that was accepted

    @classmethod
    def plan(cls, path: str, source: Audio, steps: list[Step], finish: Processor, allow_truncated: bool = False) -> StreamedEdit | None:
        """None when some step cannot stream with these settings (e.g. `width` on mono).

        Raises the steps' own usage errors (a high-pass above Nyquist) now, before any work.
        """
        passes: list[list[Step]] = [[]]
        for op, params in steps:
            if op.needs_input_peak:
                passes.append([])
            passes[-1].append((op, params))
        edit = cls(path, source, passes, finish, source.channels, Context(source.layout), allow_truncated)
        channels = source.channels
        for group in passes:
            chain = edit._chain(group, channels, input_peak=1.0)
            if chain is None:
                return None
            channels = chain[1]
        edit.channels = _channels_after(finish, channels)
        return edit

    def _chain(self, steps: list[Step], channels: int, input_peak: float | None) -> tuple[list[Processor], int] | None:
        """Fresh processors for one pass (their state starts at zero) and the channels they end with;
        None if a step cannot stream."""
        chain = []
        for op, params in steps:
            process = op.processor(self.source.sample_rate, channels, self.source.frames, params, input_peak, self.context)
            if process is None:
                return None
            twin = op.processor(self.source.sample_rate, channels, self.source.frames, params, input_peak, Context(self.context.layout))
            channels = _channels_after(twin, channels)  # the twin takes the probe, so `process` keeps a clean state
            chain.append(process)
        return chain, channels

    def run(self, out: str, fmt: str, subtype: str, source_bits: int | None, clip: str) -> list[str]:
        """Write the edited file to `out` (atomically); returns the warnings (the clip limit's)."""
        guarded = is_integer_subtype(subtype) and clip != "allow"

        def write(blocks: Iterator[np.ndarray], chain: list[Processor], gain: np.float32 | None = None) -> None:
            with open_output(out, self.source.sample_rate, self.channels, subtype, fmt) as f:
                encoder = Encoder(f.subtype, self.channels, self.source.frames, needs_dither(subtype, source_bits), gain)
                peak = _run(blocks, chain, lambda block: f.write(encoder(block)))
                if guarded and gain is None and peak >= 1.0:
                    raise _Clipped(peak)  # the temp file goes: nothing is left

        with contextlib.ExitStack() as stack:
            spool = lambda channels: stack.enter_context(Spool(Path(out).parent, channels))
            read, last_pass = self._passes_before_the_last(spool)
            try:
                write(read(), last_pass())
                return []
            except _Clipped as clipped:
                result_peak = clipped.peak
            result = spool(self.channels)

            def true_peak_db() -> float:
                _run(read(), last_pass(), result.write)
                return true_peak_of(result.read(lo, hi) for lo, hi in true_peak_windows(result.frames))

            gain, warnings = clip_gain(result_peak, true_peak_db, clip)
            write(result.blocks(), [], gain)
            return warnings

    def _passes_before_the_last(self, spool: Callable[[int], Spool]) -> tuple[Callable[[], Iterator[np.ndarray]], Callable[[], list[Processor]]]:
        """Run every pass but the last; returns where the last one reads from and a maker of its chain."""
        read, channels, peak = self._read_input, self.source.channels, None
        for group in self.passes[:-1]:
            chain, channels = self._chain(group, channels, peak)
            if chain:
                spooled = spool(channels)
                peak = _run(read(), chain, spooled.write)
                read = spooled.blocks
            else:  # the plan starts with normalize: only measure the input
                peak = _run(read(), [], lambda block: None)
        return read, lambda: [*self._chain(self.passes[-1], channels, peak)[0], self.finish]

    def _read_input(self) -> Iterator[np.ndarray]:
        with open_audio(self.path, allow_truncated=self.allow_truncated) as f:
            yield from read_blocks(f, self.path)


class _Clipped(Exception):
    def __init__(self, peak: float):
        self.peak = peak


def _channels_after(process: Processor, channels: int) -> int:
    """How many channels a processor gives for `channels`: one silent frame goes through it."""
    return process(np.zeros((channels, 1), np.float32)).shape[0]


def _run(blocks: Iterator[np.ndarray], chain: list[Processor], sink: Callable[[np.ndarray], object]) -> float:
    """Send every block through the chain into `sink`; returns the sample peak of what reached it."""
    peak = 0.0

    def measure_and_sink(block: np.ndarray) -> None:
        nonlocal peak
        peak = max(peak, sample_peak(block))
        sink(block)

    stages = [*chain, measure_and_sink]
    if THREADED:
        _pipeline(blocks, stages)
    else:
        for block in blocks:
            for stage in stages:
                block = stage(block)
    return peak


def _pipeline(blocks: Iterator[np.ndarray], stages: list[Callable]) -> None:
    """Each stage in a thread of its own, handing blocks on through short queues; this thread reads.

    A reverb, a filter and the file I/O then run side by side on as many cores as
    there are. An exception in any thread stops them all and is raised here.
    """
    stop = threading.Event()
    failures: list[BaseException] = []
    queues = [queue.Queue(QUEUE_BLOCKS) for _ in stages]

    def put(q: queue.Queue, item: np.ndarray | None) -> None:  # None marks the end
        while not stop.is_set():
            try:
                return q.put(item, timeout=0.1)
            except queue.Full:
                continue

    def take(q: queue.Queue) -> Iterator[np.ndarray]:
        while not stop.is_set():
            try:
                item = q.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is None:
                return
            yield item

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as e:  # noqa: BLE001 (re-raised in the caller's thread)
                failures.append(e)
                stop.set()

        return run

    def read() -> None:
        for block in blocks:
            if stop.is_set():
                return
            put(queues[0], block)
        put(queues[0], None)

    def stage_loop(i: int) -> Callable[[], None]:
        def work() -> None:
            last = i == len(stages) - 1
            for block in take(queues[i]):
                out = stages[i](block)
                if not last:
                    put(queues[i + 1], out)
            if not last:
                put(queues[i + 1], None)

        return work

    threads = [threading.Thread(target=guarded(stage_loop(i)), daemon=True) for i in range(len(stages))]
    for t in threads:
        t.start()
    guarded(read)()
    for t in threads:  # a Ctrl-C now still waits for them: no file may close under a writer
        while t.is_alive():
            try:
                t.join()
            except KeyboardInterrupt as e:
                failures.append(e)
                stop.set()
    if failures:
        raise failures[0]


class Spool:
    """float32 samples in an unnamed temp file: written block by block, read back in blocks or by range.

    Each block is stored as it comes, (channels, frames), so nothing is transposed
    on the way out or back; all blocks but the last have `block` frames, which is
    what makes any range findable. The file has no name and is gone when closed,
    or when the process dies.
    """

    def __init__(self, folder: Path, channels: int, block: int = BLOCK_FRAMES):
        self.file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (closed by __exit__)
        self.channels, self.block = channels, block
        self.frames = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()

    def write(self, block: np.ndarray) -> None:
        if self.frames % self.block:
            raise ValueError("only the last block may be short")
        self.file.write(np.ascontiguousarray(block, dtype=np.float32).data)
        self.frames += block.shape[1]

    def _block(self, k: int) -> np.ndarray:
        self.file.seek(k * self.block * self.channels * 4)
        out = np.empty((self.channels, min(self.block, self.frames - k * self.block)), np.float32)
        self.file.readinto(out.data)
        return out

    def blocks(self) -> Iterator[np.ndarray]:
        for k in range(-(-self.frames // self.block)):
            yield self._block(k)

    def read(self, lo: int, hi: int) -> np.ndarray:
        """Frames [lo, hi) as a (channels, frames) array."""
        first, last = lo // self.block, (hi - 1) // self.block
        parts = [self._block(k) for k in range(first, last + 1)]
        return np.concatenate(parts, axis=1)[:, lo - first * self.block : hi - first * self.block]
