"""`sao show`: a picture of one file, or of a before/after pair and their difference.

In a terminal without `-o` it prints a compact text preview (at most 80 columns):
a peak/RMS meter and a level-over-time line per channel, and a coarse
block-character spectrogram. `--text` prints the preview anywhere (pipes, logs).
Otherwise it writes a PNG: `-o FILE.png`, or `<stem>.png` beside the (last) file
when stdout is not a terminal. Colour is decoration only (every level has its own
character), so NO_COLOR loses nothing.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.text import Text

from .. import console
from ..errors import handle_errors

MAX_WIDTH = 80
LABEL = 6  # the left column: channel names, band frequencies
METER_DB = 60.0  # meters and level lines span -60..0 dBFS
SPARK = " ▁▂▃▄▅▆▇█"
SHADES = " ░▒▓█"  # spectrogram: each step is 15 dB below the loudest band
SHADE_STYLES = ("", "blue", "magenta", "red", "yellow")
SHADE_STEP_DB = 15.0
TEXT_BANDS = 8
CHANGE_DB = (0.5, 3.0, 12.0)  # difference map: below 0.5 dB reads as unchanged; then a little, clearly, a lot


class ViewChoice(str, Enum):
    waveform = "waveform"
    spectrogram = "spectrogram"
    both = "both"


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def show(
        file: str = typer.Argument(..., metavar="FILE", help="The audio file (the 'before' when FILE2 is given)."),
        file2: Optional[str] = typer.Argument(None, metavar="FILE2", help="An edited version: drawn below FILE, with the difference."),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write a PNG here."),
        view: ViewChoice = typer.Option(ViewChoice.both, "--view", help="What to draw."),
        region: Optional[str] = typer.Option(None, "--region", metavar="START-END", help="Only this stretch, e.g. 1.5-3 or 0:05-0:12 (seconds, m:ss or h:mm:ss)."),
        size: str = typer.Option("1200x800", "--size", metavar="WxH", help="PNG size in pixels, WIDTHxHEIGHT."),
        text: bool = typer.Option(False, "--text", help="Print the text preview even when stdout is not a terminal."),
        force: bool = typer.Option(False, "--force", "-f", help="Overwrite an existing PNG."),
    ) -> None:
        """Draw the waveform (peak/RMS per channel) and a log-frequency spectrogram.

        In a terminal without -o: a text preview. Otherwise a PNG (-o, or <stem>.png beside the file).
        """
        from engine import display

        paths = [file] if file2 is None else [file, file2]
        spec = display.parse_region(region) if region else None
        pixels = display.parse_size(size)
        png = output
        if png is None and not text and not console.out.is_terminal:
            png = Path(paths[-1]).with_suffix(".png")
        if png is not None:
            from engine import plot

            plot.check_png_output(png, force)
        if text or png is None:
            width = min(console.out.width, MAX_WIDTH)
            body = max(width - LABEL - 1, 10)
            analysis = display.analyse_files(paths, spec, columns=body, frames=body, bands=TEXT_BANDS)
            for line in preview(analysis, view.value, width):
                console.out.print(line, no_wrap=True, overflow="crop", highlight=False)
        if png is not None:
            analysis = plot.render_png(paths[0], file2, png, view=view.value, region=spec, size=pixels)
            console.info(f"wrote {png} ({pixels[0]}x{pixels[1]})")
        if spec is not None and spec.end_s is not None and analysis.end_s < spec.end_s:
            console.warn(f"--region ends after the audio; showed {analysis.start_s:g}-{analysis.end_s:.2f} s")


def preview(analysis, view: str, width: int) -> list[Text]:
    """The text preview as lines of at most `width` cells."""
    from engine.display import channel_names

    lines: list[Text] = []
    top = max(float(v.spectrogram.db.max()) for v in analysis.views)
    titles = ["", ""] if len(analysis.views) == 1 else ["before: ", "after: "]
    for title, v in zip(titles, analysis.views):
        lines.append(Text(f"{title}{v.name}  {v.duration_s:.2f} s  {v.sample_rate} Hz  {v.channels} ch"[:width], style="bold"))
        if view in ("waveform", "both"):
            names = channel_names(v.channels)
            for name, peak, rms in zip(names, v.peak_db, v.rms_db):
                lines.append(_meter(name, peak, rms, width))
            lines.append(Text(f"{'':{LABEL}} level over time, -60 to 0 dBFS"[:width], style="dim"))
            for name, env in zip(names, v.envelope.peak):
                lines.append(Text(f"{name[:LABEL - 1]:<{LABEL}}│") + _spark(env))
        if view in ("spectrogram", "both"):
            lines.append(Text(f"{'':{LABEL}} spectrogram: █ within 15 dB of the loudest, then ▓ ▒ ░ every 15 dB"[:width], style="dim"))
            lines += _grid(v.spectrogram.db, v.spectrogram.freqs, lambda d: _shade(d, top))
    if analysis.difference is not None and view in ("spectrogram", "both"):
        lines.append(Text("difference (after − before)"[:width], style="bold"))
        lines.append(Text(f"{'':{LABEL}} · same  ▿ ▽ ▼ quieter by 0.5/3/12 dB  ▵ △ ▲ louder  (blank: too quiet)"[:width], style="dim"))
        lines += _grid(_audible_difference(analysis, top), analysis.views[0].spectrogram.freqs, _change)
    lines.append(_time_axis(analysis.start_s, analysis.end_s, width))
    return lines


def _meter(name: str, peak_db: float, rms_db: float, width: int) -> Text:
    """'L     peak  -6.0  rms  -9.0  ████▒▒····': RMS solid, peak shaded, on a -60..0 dBFS scale."""
    head = f"{name[:LABEL - 1]:<{LABEL}}peak {peak_db:6.1f}  rms {rms_db:6.1f}  "
    n = max(width - len(head), 0)
    line = Text(head)
    for i in range(n):
        level = -METER_DB + (i + 1) * METER_DB / n
        if level <= rms_db:
            line.append("█", style="green")
        elif level <= peak_db:
            line.append("▒", style="yellow" if level < -1.0 else "red")
        else:
            line.append("·", style="dim")
    return line


def _spark(peak) -> Text:
    import numpy as np

    db = 20 * np.log10(np.maximum(peak, 1e-6))
    steps = np.clip(np.ceil((db + METER_DB) / METER_DB * (len(SPARK) - 1)), 0, len(SPARK) - 1).astype(int)
    return Text("".join(SPARK[i] for i in steps), style="cyan")


def _grid(values, freqs, cell) -> list[Text]:
    """Rows of cells from (bands, frames) values, highest band on top, labelled in Hz."""
    rows = []
    for band in range(len(freqs) - 1, -1, -1):
        line = Text(f"{_hz(freqs[band]):>{LABEL - 1}} │")
        for d in values[band]:
            char, style = cell(d)
            line.append(char, style=style)
        rows.append(line)
    return rows


def _shade(db: float, top: float) -> tuple[str, str]:
    level = int(max(0, len(SHADES) - 1 - (top - db) // SHADE_STEP_DB))
    return SHADES[level], SHADE_STYLES[level]


def _audible_difference(analysis, top: float):
    """After − before in dB, NaN where both are more than METER_DB below the loudest cell
    (blank in the spectrograms too): the noise floor's changes (requantising, dither) are not the edit."""
    import numpy as np

    before, after = (v.spectrogram.db for v in analysis.views)
    return np.where(np.maximum(before, after) < top - METER_DB, np.nan, after - before)


def _change(d: float) -> tuple[str, str]:
    """A cell of the difference map: a level change of 0.5 dB or more shows, in three sizes."""
    small, clear, big = CHANGE_DB
    if d != d:  # NaN: too quiet to compare
        return " ", ""
    if abs(d) < small:
        return "·", "dim"
    marks = "▿▽▼" if d < 0 else "▵△▲"
    size = 2 if abs(d) >= big else 1 if abs(d) >= clear else 0
    return marks[size], "blue" if d < 0 else "red"


def _hz(f: float) -> str:
    """Two significant digits: 31, 180, 1k, 5.8k, 14k."""
    return f"{float(f'{f / 1000:.2g}'):g}k" if f >= 1000 else f"{float(f'{f:.2g}'):g}"


def _time_axis(start_s: float, end_s: float, width: int) -> Text:
    left, right = f"{start_s:.2f} s", f"{end_s:.2f} s"
    gap = max(width - LABEL - 1 - len(left) - len(right), 1)
    return Text(f"{'':{LABEL + 1}}{left}{'':{gap}}{right}", style="dim")
