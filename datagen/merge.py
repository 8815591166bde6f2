"""`sao gen-data merge`: join shard folders into one dataset.

Every id must come from exactly one shard; a duplicate (the same shard given
twice, or two runs with the same seed) is refused before anything is written.
The result is built in a hidden folder beside the target and renamed into place
at the end, so a killed merge leaves no half dataset (the next merge clears the
hidden folder). Audio files are hard-linked where the shards share a file
system (instant, no extra space) and copied otherwise. Only what the shards'
manifests list is taken: leftovers from a killed shard run are left behind.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from engine.errors import OutputRefused, UsageError

from .dataset import AUDIO, MANIFEST, REJECTED, lock_folder, read_jsonl, read_manifest


@dataclass
class MergeReport:
    shards: int
    kept: int
    rejected: int
    linked: bool  # hard links (True) or copies


def _link_or_copy(src: Path, dst: Path) -> bool:
    try:
        os.link(src, dst)
        return True
    except OSError:
        shutil.copy2(src, dst)
        return False


def _write_lines(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        f.flush()
        os.fsync(f.fileno())


def merge(shards: list[str | Path], out: str | Path) -> MergeReport:
    shards, out = [Path(s) for s in shards], Path(out)
    if not shards:
        raise UsageError("give at least one shard folder to merge")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputRefused(f"{out}: already exists; merge into a new folder")
    if out.resolve() in {s.resolve() for s in shards}:
        raise OutputRefused(f"{out}: is one of the shards; merge into a new folder")
    if len({s.resolve() for s in shards}) < len(shards):
        raise UsageError("a shard folder is given twice; its ids would all be duplicates")
    locks = [lock_folder(s, "written") for s in shards if s.is_dir()]
    try:
        manifests = [read_manifest(s) for s in shards]
        owner: dict[str, Path] = {}
        duplicates = []
        for shard, rows in zip(shards, manifests):
            for row in rows:
                if row["id"] in owner:
                    duplicates.append(f"{row['id']} ({owner[row['id']]} and {shard})")
                owner[row["id"]] = shard
                for key in ("input", "output"):
                    if not (shard / row[key]).is_file():
                        raise UsageError(f"{shard}: the file {row[key]} of sample {row['id']} is missing; the shard is damaged")
        if duplicates:
            more = f" and {len(duplicates) - 3} more" if len(duplicates) > 3 else ""
            raise UsageError(f"duplicate ids, refusing to merge: {', '.join(duplicates[:3])}{more}",
                             hint="Each shard must come from the same command with a different --shard i/N (or another --seed).")
        staging = out.parent / f".{out.name}.merging"
        if staging.exists():
            shutil.rmtree(staging)
        (staging / AUDIO).mkdir(parents=True)
        linked = True
        for shard, rows in zip(shards, manifests):
            for row in rows:
                for key in ("input", "output"):
                    linked &= _link_or_copy(shard / row[key], staging / row[key])
        kept = sorted((row for rows in manifests for row in rows), key=lambda r: r["id"])
        rejected = [row for s in shards for row in read_jsonl(s / REJECTED)]
        _write_lines(staging / MANIFEST, kept)
        _write_lines(staging / REJECTED, rejected)
        if out.exists():
            out.rmdir()
        os.rename(staging, out)
    finally:
        for fd in locks:
            os.close(fd)
    return MergeReport(len(shards), len(kept), len(rejected), linked)
