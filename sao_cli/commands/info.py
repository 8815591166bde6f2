"""`sao info FILE...`: what a file is and how loud it is."""

from __future__ import annotations

from typing import List

import typer

from .. import console
from ..errors import handle_errors


def describe(path: str) -> dict:
    from engine.audio_io import read_audio
    from engine.measure import lufs, peak_db, rms_db, true_peak

    audio = read_audio(path)
    loudness = lufs(audio.samples, audio.sample_rate)
    return {
        "path": path,
        "duration_s": round(audio.duration_s, 6),
        "sample_rate": audio.sample_rate,
        "channels": audio.channels,
        "frames": audio.frames,
        "format": audio.format,
        "subtype": audio.subtype,
        "peak_db": round(peak_db(audio.samples), 2),
        "true_peak_db": round(true_peak(audio.samples, audio.sample_rate), 2),
        "rms_db": round(rms_db(audio.samples), 2),
        "lufs": round(loudness, 2) if loudness != float("-inf") else None,
    }


@handle_errors
def info(
    files: List[str] = typer.Argument(..., help="Audio files to describe."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (a list, one object per file)."),
) -> None:
    """Duration, rate, channels, format, peak, true peak, RMS and integrated loudness (LUFS)."""
    from rich.table import Table

    from ..views import show_table

    rows = [describe(f) for f in files]
    if as_json:
        console.print_json(rows)
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
        "—" if r["lufs"] is None else f"{r['lufs']:.1f}",
    ]


def register(app: typer.Typer) -> None:
    app.command("info")(info)
