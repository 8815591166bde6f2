"""Read the clips list: CSV with a `file,caption` header, or JSON Lines with those keys.

`file` is relative to the clips folder. Rows whose file is missing or whose
caption is empty are skipped and counted (a large crawl always has a few), but
a list where nothing is usable is an error.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from engine.errors import UsageError


@dataclass(frozen=True)
class Clip:
    name: str  # the `file` column: identifies the clip in manifests and for the train/val split
    path: Path
    caption: str


@dataclass
class ClipList:
    clips: list[Clip]
    skipped: dict[str, int]  # reason -> rows


def read_rows(captions: Path, required: tuple[str, ...] = ("file", "caption")) -> list[dict]:
    """The raw rows of a CSV (with a header naming at least `required`) or JSON Lines captions file."""
    text = captions.read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    if captions.suffix.lower() in (".jsonl", ".json") or stripped.startswith("{"):
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise UsageError(f"{captions}:{n}: not valid JSON ({e.msg})") from None
            if not isinstance(row, dict):
                raise UsageError(f"{captions}:{n}: each line must be an object with {' and '.join(map(repr, required))}")
            rows.append(row)
        return rows
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not set(required) <= {f.strip() for f in reader.fieldnames}:
        raise UsageError(f"{captions}: a CSV captions file needs the header columns {','.join(required)} (got {','.join(reader.fieldnames or [])!r})")
    return [{(k or "").strip(): v for k, v in row.items()} for row in reader]


def read_clips(clips_dir: str | Path, captions: str | Path) -> ClipList:
    clips_dir, captions = Path(clips_dir), Path(captions)
    if not clips_dir.is_dir():
        raise UsageError(f"--clips {clips_dir}: no such folder")
    if not captions.is_file():
        raise UsageError(f"--captions {captions}: no such file")
    clips: list[Clip] = []
    seen: set[str] = set()
    skipped = {"missing file": 0, "empty caption": 0, "duplicate": 0}
    for row in read_rows(captions):
        name = str(row.get("file") or "").strip()
        caption = " ".join(str(row.get("caption") or "").split())
        if name in seen:
            skipped["duplicate"] += 1
        elif not caption:
            skipped["empty caption"] += 1
        elif not name or not (clips_dir / name).is_file():
            skipped["missing file"] += 1
        else:
            seen.add(name)
            clips.append(Clip(name, clips_dir / name, caption))
    if not clips:
        detail = ", ".join(f"{n} {why}" for why, n in skipped.items() if n) or "it is empty"
        raise UsageError(f"{captions}: no usable clips ({detail})")
    return ClipList(clips, {k: v for k, v in skipped.items() if v})
