"""Batch editing: one plan over many files, each file on its own.

A file that fails is reported and the rest go on. Outputs mirror the input tree;
sidecars go under OUT_DIR/.sao/ so OUT_DIR holds only audio. Every write is
atomic, so after Ctrl-C or kill -9 no half-written file sits under a final name,
and `skip_existing` resumes where the run stopped.
"""

from __future__ import annotations

import glob
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .audio_io import READABLE_EXTENSIONS, WRITABLE
from .errors import SaoError, UsageError
from .pipeline import EditRequest, OutputSpec, run_edit
from .plan import EditPlan
from .shard import in_shard


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


def run_item(item: BatchItem, spec: BatchSpec) -> BatchResult:
    """Edit one file; every failure becomes a result, never an exception."""
    start = time.perf_counter()
    if spec.skip_existing and Path(item.output).exists():
        return BatchResult(item, "skipped", "exists")
    try:
        Path(item.output).parent.mkdir(parents=True, exist_ok=True)
        out = OutputSpec(item.output, spec.output.sample_rate, spec.output.channels, spec.output.bits, spec.output.clip)
        request = EditRequest(item.input, spec.plans, out, spec.engine, spec.force, item.sidecar)
        outcome = run_edit(request)
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
    if jobs <= 1:
        for item in items:
            yield run_item(item, spec)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_item, item, spec) for item in items]
        try:
            for future in as_completed(futures):
                yield future.result()
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise
