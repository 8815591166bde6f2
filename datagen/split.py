"""`sao gen-data split`: a train/validation split by source clip.

No clip may be heard on both sides, or validation would flatter the model.
Clips are taken into validation in a seeded, stable order until the samples
made only from validation clips reach the asked share. Samples that mix a
validation clip with a training clip (ADD, REPLACE, DROP, SWAP draw two or
three clips) could go to neither side without leaking, so they are left out
and counted. Samples without recorded sources (model pipelines) are their own
source.

The split is written as `train.jsonl` and `val.jsonl` beside the manifest, in
the manifest's line format, so the audio is not copied.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from engine.audio_io import atomic_write_text
from engine.errors import OutputRefused, UsageError
from engine.shard import stable_hash

from .dataset import lock_folder, read_manifest

TRAIN, VAL = "train.jsonl", "val.jsonl"


@dataclass
class SplitReport:
    train: int
    val: int
    left_out: int  # samples mixing clips from both sides
    val_clips: int
    clips: int


def sources_of(row: dict) -> list[str]:
    return sorted(set(row.get("sources") or [row["id"]]))


def split(root: str | Path, val: float, seed: int = 0, force: bool = False) -> SplitReport:
    root = Path(root)
    if not 0 < val < 1:
        raise UsageError(f"--val must be a share between 0 and 1, e.g. 0.05 (got {val:g})")
    rows = read_manifest(root)
    if not force and any((root / name).exists() for name in (TRAIN, VAL)):
        raise OutputRefused(f"{root} already has {TRAIN}/{VAL}; pass --force to replace them")
    lock = lock_folder(root, "written")
    try:
        by_clip: dict[str, list[int]] = defaultdict(list)
        missing = []  # per sample: sources not yet in validation
        for i, row in enumerate(rows):
            clips = sources_of(row)
            missing.append(len(clips))
            for clip in clips:
                by_clip[clip].append(i)
        val_clips: set[str] = set()
        in_val = 0
        for clip in sorted(by_clip, key=lambda c: stable_hash(f"{seed}:{c}")):
            if in_val >= val * len(rows):
                break
            val_clips.add(clip)
            for i in by_clip[clip]:
                missing[i] -= 1
                in_val += missing[i] == 0
        sides = {TRAIN: [], VAL: []}
        left_out = 0
        for i, row in enumerate(rows):
            hits = sum(c in val_clips for c in sources_of(row))
            if hits == 0:
                sides[TRAIN].append(row)
            elif missing[i] == 0:
                sides[VAL].append(row)
            else:
                left_out += 1
        for name, chosen in sides.items():
            atomic_write_text(root / name, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen))
    finally:
        os.close(lock)
    return SplitReport(len(sides[TRAIN]), len(sides[VAL]), left_out, len(val_clips), len(by_clip))
