"""`sao info FILE...`: what a file is and how loud it is."""

from __future__ import annotations

from typing import List

import typer

from .. import console
from ..errors import handle_errors


def describe(path: str) -> dict:
    from engine import layout
    from engine.audio_io import read_audio
    from engine.measure import loudness, peak_db, rms_db, true_peak

    audio = read_audio(path)
    value, short = loudness(audio.samples, audio.sample_rate, audio.layout)
    finite = value != float("-inf")
    return {
        "path": path,
        "duration_s": round(audio.duration_s, 6),
        "sample_rate": audio.sample_rate,
        "channels": audio.channels,
        "layout": layout.describe(layout.fit(audio.layout, audio.channels)),
        "frames": audio.frames,
        "format": audio.format,
        "subtype": audio.subtype,
        "peak_db": round(peak_db(audio.samples), 2),
        "true_peak_db": round(true_peak(audio.samples, audio.sample_rate), 2),
        "rms_db": round(rms_db(audio.samples), 2),
        "lufs": round(value, 2) if finite and not short else None,  # integrated (BS.1770), channels weighted by the layout
        **({"short_lufs": round(value, 2) if finite else None} if short else {}),  # under 0.4 s: measure.short_lufs
    }


@handle_errors
def info(
    files: List[str] = typer.Argument(..., help="Audio files to describe."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (a list, one object per file)."),
) -> None:
    """Duration, rate, channels, format, peak, true peak, RMS and integrated loudness (LUFS).

    Loudness weights each channel by where it plays (BS.1770: surrounds +1.5 dB, the
    LFE left out; the layout from a WAV file's channel mask, else the usual order).
    Sounds shorter than 0.4 s, too short for integrated loudness, show a K-weighted
    RMS over all of them instead, marked "short". A file that cannot be read gets
    an error line and the others are still described; the exit code is then that
    error's (3 for bad audio).
    """
    from engine.errors import SaoError

    rows, failed = [], None
    for f in files:
        try:
            rows.append(describe(f))
        except SaoError as e:
            console.error(e.message)
            rows.append({"path": f, "error": e.message})
            failed = failed or e
    if as_json:
        console.print_json(rows)
    else:
        _table([r for r in rows if "error" not in r])
    if failed:
        raise typer.Exit(int(failed.code))


def _table(rows: list[dict]) -> None:
    from rich.table import Table

    from ..views import show_table

    if not rows:
        return
    table = Table()
    for col in ("file", *FIELDS):
        table.add_column(col)
    cells = [_cells(r) for r in rows]
    for r, values in zip(rows, cells):
        table.add_row(r["path"], *values)
    show_table(console.out, table, [(r["path"], list(zip(FIELDS, values))) for r, values in zip(rows, cells)])


FIELDS = ("duration", "rate", "ch", "format", "peak", "true peak", "RMS", "LUFS")


def _cells(r: dict) -> list[str]:
    return [
        f"{r['duration_s']:.3f} s",
        f"{r['sample_rate']} Hz",
        str(r["channels"]),
        f"{r['format']} {r['subtype']}",
        f"{r['peak_db']:.1f} dBFS",
        f"{r['true_peak_db']:.1f} dBTP",
        f"{r['rms_db']:.1f} dBFS",
        _lufs(r),
    ]


def _lufs(r: dict) -> str:
    if r["lufs"] is not None:
        return f"{r['lufs']:.1f}"
    return "—" if r.get("short_lufs") is None else f"{r['short_lufs']:.1f} short"


def register(app: typer.Typer) -> None:
    app.command("info")(info)
