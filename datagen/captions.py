"""Read the clips list: CSV with a `file,caption` header, or JSON Lines with those keys.

`file` is relative to the clips folder. Rows whose file is missing or whose
caption is empty are skipped and counted (a large crawl always has a few), but
a list where nothing is usable is an error.

Malformed rows are errors naming their line, because reading past them
silently corrupts the data: a quote that is never closed would swallow every
later row into one caption, and a row with unquoted commas would keep only its
first field. A CSV row is malformed when a quoted field runs to the end of the
file, when a closing quote is followed by something other than a comma, or
when its field count differs from the header's; a JSON line when it is not one
JSON object. Quoted fields may span lines (a caption with a line break).
`lenient` skips malformed rows instead, and names each one (BadRow); reading
resumes on the line after the row's first, so an unclosed quote costs one row.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import UsageError

LENIENT_HINT = "Fix the row, or pass --lenient to skip malformed rows (each is counted and named)."


@dataclass(frozen=True)
class Clip:
    name: str  # the `file` column: identifies the clip in manifests and for the train/val split
    path: Path
    caption: str


@dataclass(frozen=True)
class BadRow:
    """A malformed row that --lenient skipped: its first line in the file (from 1) and what is wrong."""

    line: int
    problem: str


@dataclass
class Rows:
    rows: list[dict]
    bad: list[BadRow] = field(default_factory=list)


@dataclass
class ClipList:
    clips: list[Clip]
    skipped: dict[str, int]  # reason -> rows
    bad: list[BadRow] = field(default_factory=list)  # the malformed rows among them, by line


def read_rows(captions: Path, required: tuple[str, ...] = ("file", "caption"), lenient: bool = False) -> Rows:
    """The rows of a CSV (with a header naming at least `required`) or JSON Lines captions file.

    A malformed row is a UsageError naming its line, or with `lenient` a BadRow.
    """
    text = captions.read_text(encoding="utf-8-sig")
    if captions.suffix.lower() in (".jsonl", ".json") or text.lstrip().startswith("{"):
        return _json_rows(captions, text, required, lenient)
    return _csv_rows(captions, text, required, lenient)


def _bad(captions: Path, bad: list[BadRow], row: BadRow, lenient: bool) -> None:
    if not lenient:
        raise UsageError(f"{captions}:{row.line}: {row.problem}", hint=LENIENT_HINT)
    bad.append(row)


def _json_rows(captions: Path, text: str, required: tuple[str, ...], lenient: bool) -> Rows:
    out = Rows([])
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            _bad(captions, out.bad, BadRow(n, f"not valid JSON ({e.msg})"), lenient)
            continue
        if not isinstance(row, dict):
            _bad(captions, out.bad, BadRow(n, f"each line must be an object with {' and '.join(map(repr, required))}"), lenient)
            continue
        out.rows.append(row)
    return out


def _csv_rows(captions: Path, text: str, required: tuple[str, ...], lenient: bool) -> Rows:
    lines = io.StringIO(text).readlines()  # read_text turned \r\n into \n: split on \n only
    out = Rows([])
    header: list[str] | None = None
    done = 0  # lines taken by the records read so far
    while done < len(lines):
        base = done
        reader = csv.reader(lines[base:], strict=True)
        try:
            for record in reader:
                start, done = done + 1, base + reader.line_num
                if not record:  # a blank line
                    continue
                if header is None:
                    header = [f.strip() for f in record]
                    if not set(required) <= set(header):
                        raise UsageError(f"{captions}: a CSV captions file needs the header columns {','.join(required)} "
                                         f"(got {','.join(header)!r})")
                    continue
                if len(record) != len(header):
                    _bad(captions, out.bad, BadRow(start, f"{len(record)} fields where the header has {len(header)} "
                                                          "(quote a caption that holds commas)"), lenient)
                    continue
                out.rows.append(dict(zip(header, record)))
        except csv.Error as e:
            start, at = done + 1, base + reader.line_num
            if "end of data" in str(e):
                problem = "a quoted field is never closed (the file ends inside it)"
            elif at > start:
                problem = f"a quoted field is not closed on this line (the quote on line {at} does not end a field)"
            else:
                problem = f"not valid CSV ({e}): quote a field that holds quotes, and double them"
            if header is None:
                raise UsageError(f"{captions}:{start}: the header row: {problem}") from None
            _bad(captions, out.bad, BadRow(start, problem), lenient)
            done = start  # read on from the next line
            continue
        break
    if header is None:
        raise UsageError(f"{captions}: a CSV captions file needs the header columns {','.join(required)} (the file is empty)")
    return out


def read_clips(clips_dir: str | Path, captions: str | Path, lenient: bool = False) -> ClipList:
    clips_dir, captions = Path(clips_dir), Path(captions)
    if not clips_dir.is_dir():
        raise UsageError(f"--clips {clips_dir}: no such folder")
    if not captions.is_file():
        raise UsageError(f"--captions {captions}: no such file")
    clips: list[Clip] = []
    seen: set[str] = set()
    read = read_rows(captions, lenient=lenient)
    skipped = {"malformed row": len(read.bad), "missing file": 0, "empty caption": 0, "duplicate": 0}
    for row in read.rows:
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
    return ClipList(clips, {k: v for k, v in skipped.items() if v}, read.bad)


def describe_bad_rows(bad: list[BadRow], most: int = 10) -> str:
    """'line 5 (...), line 9 (...)', the first `most` of them, for a warning."""
    named = ", ".join(f"line {b.line} ({b.problem})" for b in bad[:most])
    return named + (f", and {len(bad) - most} more" if len(bad) > most else "")
