"""The dataset folder: append-only, resumable, and safe to kill at any moment.

A kept sample is committed in this order: both audio files are written under
temporary names, flushed to disk and renamed into `audio/`; then one line is
appended to `manifest.jsonl` in a single write and flushed. So a manifest line
never exists without both its files, and readers (`sao train`, merge, split)
only ever look at the manifest. A kill can leave, at worst, a temp file
(`audio/.<name>.part`), a pair of renamed files whose line was never written, or
a torn last line; opening the folder for writing removes exactly those before
anything else happens, and a rerun skips every id already in the manifest.

One writer per folder at a time (an exclusive lock on `DATASET/.lock`): shards
that run in parallel each get their own folder and are merged afterwards.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.audio_io import quantize, write_audio
from engine.errors import UsageError

MANIFEST = "manifest.jsonl"
REJECTED = "rejected.jsonl"
AUDIO = "audio"
LOCK = ".lock"
SUBTYPE = "PCM_16"
ROLES = ("in", "out")
UNREADABLE = "unreadable clip"  # a rejection reason whose line names the clip ("clip"): it leaves the pool


@dataclass
class Sample:
    """A kept triplet before it is written: the audio and the rest of its manifest line."""

    id: str
    input: np.ndarray  # (channels, frames), float32
    output: np.ndarray
    sample_rate: int
    record: dict  # instruction, input_caption, output_caption, pipeline, task, params, scores, seed, ...


@dataclass
class Outcome:
    """What happened to one sample slot, for progress bars and summaries."""

    id: str
    kept: bool
    task: str | None = None
    reason: str | None = None  # why it was rejected
    slot_done: bool = True  # kept, or the slot's last attempt was rejected


@dataclass
class Summary:
    kept: Counter = field(default_factory=Counter)  # task (or pipeline) -> samples
    rejected: Counter = field(default_factory=Counter)  # reason -> samples


def audio_paths(sample_id: str) -> dict[str, str]:
    """The manifest's relative paths for a sample: `audio/<id>.in.wav`, `audio/<id>.out.wav`."""
    return {role: f"{AUDIO}/{sample_id}.{role}.wav" for role in ROLES}


def read_jsonl(path: Path) -> list[dict]:
    """Every complete line; a torn last line (no newline: a kill mid-append) is not a line yet."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")[:-1]  # the part after the last newline is torn or empty
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise UsageError(f"{path}:{n}: not valid JSON ({e.msg}); was the file edited by hand?") from None
    return rows


def read_manifest(root: str | Path) -> list[dict]:
    root = Path(root)
    if not (root / MANIFEST).exists():
        raise UsageError(f"{root}: not a dataset (no {MANIFEST})")
    return read_jsonl(root / MANIFEST)


def summarize(root: str | Path) -> Summary:
    root = Path(root)
    kept = Counter(row.get("task") or row.get("pipeline") for row in read_jsonl(root / MANIFEST))
    rejected = Counter(row.get("reason") for row in read_jsonl(root / REJECTED))
    return Summary(kept, rejected)


def append_line(path: Path, row: dict) -> None:
    """Append one JSON line with a single write, then fsync: it is there whole or not at all."""
    data = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
        if written != len(data):  # a full disk; never leave half a line behind
            os.ftruncate(fd, os.fstat(fd).st_size - written)
            raise OSError(f"{path}: short write (disk full?)")
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def lock_folder(root: Path, what: str = "written") -> int:
    """Take the folder's exclusive lock (released when the process ends, however it ends)."""
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise UsageError(f"{root} is being {what} by another sao gen-data process; give each process its own folder (--shard i/N)") from None
    return fd


@dataclass
class Recovery:
    torn_lines: int = 0
    temp_files: int = 0
    orphan_files: int = 0

    def __bool__(self) -> bool:
        return bool(self.torn_lines or self.temp_files or self.orphan_files)


def _drop_torn_tail(path: Path) -> int:
    if not path.exists() or path.stat().st_size == 0:
        return 0
    with open(path, "rb+") as f:
        data = f.read()
        if data.endswith(b"\n"):
            return 0
        f.truncate(data.rfind(b"\n") + 1)
        f.flush()
        os.fsync(f.fileno())
    return 1


def recover(root: Path) -> Recovery:
    """Remove what a killed writer left behind. Only call it while holding the lock."""
    report = Recovery(_drop_torn_tail(root / MANIFEST) + _drop_torn_tail(root / REJECTED))
    ids = {row["id"] for row in read_jsonl(root / MANIFEST)}
    for entry in os.scandir(root / AUDIO):
        name = entry.name
        if name.startswith(".") and name.endswith(".part"):
            os.unlink(entry.path)
            report.temp_files += 1
            continue
        for role in ROLES:
            suffix = f".{role}.wav"
            if name.endswith(suffix) and name[: -len(suffix)] not in ids:
                os.unlink(entry.path)
                report.orphan_files += 1
    return report


class DatasetWriter:
    """Adds kept samples and rejections to a dataset folder; see the module docstring."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise UsageError(f"{self.root}: exists and is not a folder")
        (self.root / AUDIO).mkdir(parents=True, exist_ok=True)
        self._lock = lock_folder(self.root)
        self.recovery = recover(self.root)
        self.ids = {row["id"] for row in read_jsonl(self.root / MANIFEST)}
        self.rejected_attempts: dict[str, int] = {}  # id -> attempts already rejected, so a rerun moves on
        self.unreadable: set[str] = set()  # clips a rejection found unreadable: a rerun draws them no more either
        for row in read_jsonl(self.root / REJECTED):
            self._note(row)

    def add(self, sample: Sample) -> dict:
        if sample.id in self.ids:
            raise UsageError(f"{self.root}: sample {sample.id} is already in the manifest")
        paths = audio_paths(sample.id)
        for role, samples in (("in", sample.input), ("out", sample.output)):
            write_audio(self.root / paths[role], quantize(samples, 16), sample.sample_rate, SUBTYPE, "WAV")
        _fsync_dir(self.root / AUDIO)
        frames = max(sample.input.shape[1], sample.output.shape[1])
        row = {"id": sample.id, "input": paths["in"], "output": paths["out"], **sample.record,
               "duration_s": round(frames / sample.sample_rate, 6), "sample_rate": sample.sample_rate}
        append_line(self.root / MANIFEST, row)
        self.ids.add(sample.id)
        return row

    def reject(self, sample_id: str, pipeline: str, reason: str, attempt: int = 0, **extra) -> None:
        row = {"id": sample_id, "pipeline": pipeline, "reason": reason, "attempt": attempt, **extra}
        append_line(self.root / REJECTED, row)
        self._note(row)

    def _note(self, row: dict) -> None:
        self.rejected_attempts[row["id"]] = max(self.rejected_attempts.get(row["id"], 0), int(row.get("attempt", 0)) + 1)
        if row.get("reason") == UNREADABLE and row.get("clip"):
            self.unreadable.add(row["clip"])

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> "DatasetWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
