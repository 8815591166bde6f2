"""Batch editing: one plan over many files, each file on its own.

A file that fails is reported and the rest go on. Outputs mirror the input tree;
sidecars go under OUT_DIR/.sao/ so OUT_DIR holds only audio. Every write is
atomic, so after Ctrl-C or kill -9 no half-written file sits under a final name,
and `skip_existing` resumes where the run stopped.

Ctrl-C stops a run at once: no new file starts, the worker processes end (they
ignore SIGINT themselves, so a terminal's Ctrl-C reaches only the main process,
which ends them), and the caller removes the temp files they were writing.

Neural plans: each process (the main one, or each --jobs worker) loads the
model once, at its first neural step, and keeps it for every file it edits.
With a batch size above 1, files of equal length (read from their headers) are
edited side by side, one thread each, and their neural steps meet in one model
batch (BatchingEditor); everything else about a file (checks, DSP steps,
writing, its sidecar) is the same run_edit as alone.
"""

from __future__ import annotations

import functools
import glob
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from .audio_io import READABLE_EXTENSIONS, WRITABLE
from .errors import BadAudio, OutputRefused, SaoError
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


def find_inputs(source: str, recursive: bool, exclude: Path | None = None) -> tuple[Path, list[Path]]:
    """A folder (its audio files) or a glob; returns the root that outputs mirror and the files.

    Files under `exclude` (the output folder, when it sits inside the input tree)
    are left out, so a second run does not edit the first run's results."""
    skip = exclude.resolve() if exclude is not None else None

    def wanted(p: Path) -> bool:
        return p.is_file() and (skip is None or not p.resolve().is_relative_to(skip))

    if Path(source).is_dir():
        root = Path(source)
        pattern = "**/*" if recursive else "*"
        files = [p for p in root.glob(pattern) if p.suffix.lower() in READABLE_EXTENSIONS and wanted(p)]
    else:
        files = [Path(p) for p in glob.glob(source, recursive=True) if wanted(Path(p))]
        if not files:
            raise BadAudio(f"{source}: no such folder, and no files match it as a pattern")
        root = Path(os.path.commonpath([p.parent for p in files]))
    return root, sorted(files)


def prepare_out_dir(out_dir: Path) -> None:
    """Make the output folder, or refuse (exit 4) one that cannot be made or written to."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputRefused(f"{out_dir}: cannot make the output folder ({e.strerror})") from None
    if not out_dir.is_dir():
        raise OutputRefused(f"{out_dir}: is a file, not a folder")
    if not os.access(out_dir, os.W_OK):
        raise OutputRefused(f"{out_dir}: the output folder is not writable")


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
    """Edit one file (`neural`: its engine.render.NeuralEditor); every failure becomes a result, never an exception.

    A message does not repeat the input's path (the result names it)."""
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
        return BatchResult(item, "failed", e.message.removeprefix(f"{item.input}: "), int(e.code), time.perf_counter() - start)
    except OSError as e:  # the output folder's tree, say, on a full or read-only disk
        return BatchResult(item, "failed", f"cannot write ({e.strerror})", int(OutputRefused.code), time.perf_counter() - start)
    except Exception as e:  # a bug in one file must not stop the rest
        return BatchResult(item, "failed", f"internal error: {type(e).__name__}: {e}", 1, time.perf_counter() - start)


def run_batch(items: list[BatchItem], spec: BatchSpec, jobs: int = 1, on_result: Callable[[BatchResult], None] | None = None) -> list[BatchResult]:
    results = []
    for result in _results(items, spec, jobs):
        results.append(result)
        if on_result:
            on_result(result)
    return results


def _ignore_sigint() -> None:
    """In each worker: a terminal's Ctrl-C goes to the whole process group; the main process handles it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _results(items: list[BatchItem], spec: BatchSpec, jobs: int) -> Iterator[BatchResult]:
    groups = equal_length_groups(items, spec.batch_size)
    if jobs <= 1:
        for group in groups:
            yield from run_group(group, spec)
        return
    pool = multiprocessing.Pool(max(1, min(jobs, len(groups))), initializer=_ignore_sigint)
    try:
        for results in pool.imap_unordered(functools.partial(run_group, spec=spec), groups):
            yield from results
        pool.close()
    except BaseException:  # Ctrl-C: start no other file, and end the workers now, mid-file
        pool.terminate()
        raise
    finally:
        pool.join()


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
