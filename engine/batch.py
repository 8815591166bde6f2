"""Batch editing: one plan over many files, each file on its own.

A file that fails is reported and the rest go on. Outputs mirror the input tree;
sidecars go under OUT_DIR/.sao/ so OUT_DIR holds only audio. Every write is
atomic, so after Ctrl-C or kill -9 no half-written file sits under a final name,
and `skip_existing` resumes where the run stopped.

Neural plans: each process (the main one, or each --jobs worker) loads the
model once, at its first neural step, and keeps it for every file it edits.
With a batch size above 1, files of equal length (read from their headers) are
edited side by side, one thread each, and their neural steps meet in one model
batch (BatchingEditor); everything else about a file (checks, DSP steps,
writing, its sidecar) is the same run_edit as alone.
"""

from __future__ import annotations

import glob
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from .audio_io import READABLE_EXTENSIONS, WRITABLE
from .errors import SaoError, UsageError
from .pipeline import EditRequest, OutputSpec
from .server.client import run_via_server_or_local
from .plan import EditPlan
from .shard import in_shard

if TYPE_CHECKING:
    from .neural.editor import NeuralSettings


@dataclass
class BatchItem:
    input: str
    relative: str  # path relative to the batch root, the key for sharding and mirroring
    output: str
    sidecar: str | None


@dataclass
class BatchResult:
    item: BatchItem
    status: str  # ok | failed | skipped
    message: str = ""
    code: int = 0
    seconds: float = 0.0


@dataclass
class BatchSpec:
    plans: list[EditPlan]
    out_dir: Path
    engine: str = "auto"
    force: bool = False
    skip_existing: bool = False
    ext: str | None = None  # e.g. "flac": every output in that format
    sidecars: bool = True
    output: OutputSpec = field(default_factory=lambda: OutputSpec(""))
    model: str | None = None  # the model folder, when a plan needs it
    neural: "NeuralSettings | None" = None  # engine.neural.editor.NeuralSettings; None: no model (neural steps fail)
    server: str = "off"  # auto | off | a socket PATH: where each file's edit runs (engine.server.client)
    allow_truncated: bool = False  # edit what truncated files hold, with a warning

    @property
    def batch_size(self) -> int:
        return self.neural.batch_size if self.neural is not None else 1


def find_inputs(source: str, recursive: bool) -> tuple[Path, list[Path]]:
    """A folder (its audio files) or a glob; returns the root that outputs mirror and the files."""
    if Path(source).is_dir():
        root = Path(source)
        pattern = "**/*" if recursive else "*"
        files = [p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() in READABLE_EXTENSIONS]
    else:
        files = [Path(p) for p in glob.glob(source, recursive=True) if Path(p).is_file()]
        if not files:
            raise UsageError(f"{source}: no such folder, and no files match it as a pattern")
        root = Path(os.path.commonpath([p.parent for p in files]))
    return root, sorted(files)


def plan_items(root: Path, files: list[Path], spec: BatchSpec, shard: tuple[int, int]) -> list[BatchItem]:
    items = []
    for f in files:
        rel = f.relative_to(root).as_posix()
        if not in_shard(rel, shard):
            continue
        suffix = f".{spec.ext.lstrip('.')}" if spec.ext else (f.suffix if f.suffix.lower() in WRITABLE else ".wav")
        out = spec.out_dir / Path(rel).with_suffix(suffix)
        sidecar = spec.out_dir / ".sao" / f"{Path(rel).with_suffix(suffix)}.sao.json" if spec.sidecars else None
        items.append(BatchItem(str(f), rel, str(out), str(sidecar) if sidecar else None))
    return items


def remove_stale_temp_files(out_dir: Path) -> int:
    """Temp files (`.NAME.xxxx.part`) left by a killed run; never under a final name."""
    stale = list(out_dir.rglob(".*.part")) if out_dir.exists() else []
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


def run_item(item: BatchItem, spec: BatchSpec, neural=None) -> BatchResult:
    """Edit one file (`neural`: its engine.render.NeuralEditor); every failure becomes a result, never an exception."""
    start = time.perf_counter()
    if spec.skip_existing and Path(item.output).exists():
        return BatchResult(item, "skipped", "exists")
    try:
        Path(item.output).parent.mkdir(parents=True, exist_ok=True)
        out = OutputSpec(item.output, spec.output.sample_rate, spec.output.channels, spec.output.bits, spec.output.clip)
        request = EditRequest(item.input, spec.plans, out, spec.engine, spec.force, item.sidecar, allow_truncated=spec.allow_truncated)
        outcome = run_via_server_or_local(request, spec.server, neural, model=spec.model, settings=spec.neural)
        message = "; ".join(outcome.warnings)
        return BatchResult(item, "ok", message, 0, time.perf_counter() - start)
    except SaoError as e:
        return BatchResult(item, "failed", e.message, int(e.code), time.perf_counter() - start)
    except Exception as e:  # a bug in one file must not stop the rest
        return BatchResult(item, "failed", f"internal error: {type(e).__name__}: {e}", 1, time.perf_counter() - start)


def run_batch(items: list[BatchItem], spec: BatchSpec, jobs: int = 1, on_result: Callable[[BatchResult], None] | None = None) -> list[BatchResult]:
    results = []
    for result in _results(items, spec, jobs):
        results.append(result)
        if on_result:
            on_result(result)
    return results


def _results(items: list[BatchItem], spec: BatchSpec, jobs: int) -> Iterator[BatchResult]:
    groups = equal_length_groups(items, spec.batch_size)
    if jobs <= 1:
        for group in groups:
            yield from run_group(group, spec)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_group, group, spec) for group in groups]
        try:
            for future in as_completed(futures):
                yield from future.result()
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise


def equal_length_groups(items: list[BatchItem], size: int) -> list[list[BatchItem]]:
    """Groups of up to `size` items whose audio has the same frames, rate and channels (from the headers).

    An unreadable file gets a group of its own (run_edit then reports it).
    """
    if size <= 1:
        return [[item] for item in items]
    import soundfile

    by_shape: dict[tuple, list[BatchItem]] = {}
    for item in items:
        try:
            info = soundfile.info(item.input)
            key: tuple = (info.frames, info.samplerate, info.channels)
        except (RuntimeError, OSError, ValueError):  # soundfile's LibsndfileError is a RuntimeError
            key = ("unreadable", item.input)
        by_shape.setdefault(key, []).append(item)
    return [group[i : i + size] for group in by_shape.values() for i in range(0, len(group), size)]


_EDITORS: dict[tuple, object] = {}  # this process's neural editors: the model loads once per process


def process_editor(spec: BatchSpec):
    """This process's editor for spec's model and settings (loaded at its first neural step), or None."""
    if spec.neural is None:
        return None
    key = (spec.model, repr(spec.neural))
    if key not in _EDITORS:
        from .neural.editor import LazyEditor

        _EDITORS[key] = LazyEditor(spec.model, spec.neural)
    return _EDITORS[key]


def run_group(group: list[BatchItem], spec: BatchSpec) -> list[BatchResult]:
    """Edit a group of files; with several, side by side so that their neural steps share model batches."""
    editor = process_editor(spec)
    if len(group) == 1 or editor is None:
        return [run_item(item, spec, editor) for item in group]
    shared = BatchingEditor(editor, len(group))
    results: list[BatchResult | None] = [None] * len(group)

    def work(i: int) -> None:
        try:
            results[i] = run_item(group[i], spec, shared)
        finally:
            shared.leave()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(group))]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():  # short joins, so Ctrl-C reaches the main thread
            t.join(0.2)
    return results


@dataclass
class _Call:
    item: tuple  # (samples, sample_rate, step)
    result: object = None
    error: BaseException | None = None
    done: bool = False


class BatchingEditor:
    """Gathers the neural edits of files rendered side by side into one edit_batch call.

    Each file's thread calls edit() and waits. When every file still running is
    waiting, the last one to arrive runs them all as one batch. A file must call
    leave() when it is done, failed or skipped, so the others do not wait for it.
    """

    def __init__(self, editor, files: int):
        self.editor = editor
        self._running = files
        self._waiting: list[_Call] = []
        self._cv = threading.Condition()

    def edit(self, samples, sample_rate: int, step):
        call = _Call((samples, sample_rate, step))
        with self._cv:
            self._waiting.append(call)
            self._run_when_all_wait()
            self._cv.wait_for(lambda: call.done)
        if call.error is not None:
            raise call.error
        return call.result

    def record(self, plan: EditPlan) -> dict:
        return self.editor.record(plan)

    def leave(self) -> None:
        with self._cv:
            self._running -= 1
            self._run_when_all_wait()

    def _run_when_all_wait(self) -> None:
        if not self._waiting or len(self._waiting) < self._running:
            return
        calls, self._waiting = self._waiting, []
        try:
            for call, out in zip(calls, self.editor.edit_batch([c.item for c in calls])):
                call.result = out
        except BaseException as e:  # every waiting file fails with it
            for call in calls:
                call.error = e
        for call in calls:
            call.done = True
        self._cv.notify_all()
