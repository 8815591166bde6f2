"""Draw engine.display's data as a PNG with matplotlib's Agg renderer.

Imported only by `sao show` and `--plot` (matplotlib costs ~0.3 s to import).
The figure is built with matplotlib.figure.Figure and an Agg canvas, not pyplot:
no display, no global state, nothing to close. The PNG is exactly the requested
size in pixels (no "tight" bounding box, which would change it) and is written
atomically (temp file, then rename).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from .audio_io import atomic_file
from .display import Analysis, View, analyse_files, channel_names
from .errors import OutputRefused, UsageError
from .plan import Region

DPI = 100
DB_RANGE = 90.0  # spectrogram colour scale: the loudest band down to this many dB below
DIFF_LIMIT_DB = (6.0, 48.0)  # the difference colour scale is ± its largest change, within these
VIEWS = ("waveform", "spectrogram", "both")


def check_png_output(out: str | os.PathLike, force: bool) -> None:
    """Refuse a PNG target that is not .png (exit 2), or exists without force / can't be written (exit 4)."""
    o = Path(out)
    if o.suffix.lower() != ".png":
        raise UsageError(f"{out}: the picture is a PNG; give a name ending in .png")
    if o.is_dir():
        raise OutputRefused(f"{out}: is a folder; give a file name")
    if not o.parent.exists():
        raise OutputRefused(f"{out}: the folder {o.parent} does not exist")
    if o.exists() and not force:
        raise OutputRefused(f"{out}: already exists; pass --force to overwrite it")
    if not os.access(o.parent, os.W_OK):
        raise OutputRefused(f"{out}: the folder is not writable")


def render_png(before: str | os.PathLike, after: str | os.PathLike | None, out_png: str | os.PathLike, *,
               view: str = "both", region: Region | None = None, size: tuple[int, int] = (1200, 800)) -> Analysis:
    """Draw one file, or before and after plus their difference, into `out_png`; return the data drawn.

    The caller checks `out_png` first (check_png_output). The analysis resolution
    follows the picture: one envelope column per pixel, one spectrogram frame per
    two pixels, so nothing is computed that cannot be seen.
    """
    if view not in VIEWS:
        raise UsageError(f"view must be one of {', '.join(VIEWS)} (got {view!r})")
    width, height = size
    paths = [before] if after is None else [before, after]
    analysis = analyse_files(paths, region, columns=width, frames=width // 2, bands=int(np.clip(height // 4, 48, 256)))
    fig = draw(analysis, view, size)
    with atomic_file(out_png) as fh:
        fig.savefig(fh, format="png", dpi=DPI)
    return analysis


def draw(analysis: Analysis, view: str, size: tuple[int, int]) -> Figure:
    """The figure: per file a waveform row and/or a spectrogram row; then the difference."""
    rows: list[tuple[str, View | None]] = []
    for v in analysis.views:
        if view in ("waveform", "both"):
            rows.append(("waveform", v))
        if view in ("spectrogram", "both"):
            rows.append(("spectrogram", v))
    if analysis.difference is not None and view in ("spectrogram", "both"):
        rows.append(("difference", None))
    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(len(rows), 2, width_ratios=(60, 1))  # column 2: colour bars, kept for all rows so time lines up
    axes = [fig.add_subplot(grid[0, 0])]
    axes += [fig.add_subplot(grid[i, 0], sharex=axes[0]) for i in range(1, len(rows))]
    top = max(float(v.spectrogram.db.max()) for v in analysis.views)
    top = float(np.ceil(top / 10) * 10)
    dense_ticks = size[1] / len(rows) >= 180  # room for 20, 50, 100, 200 ... or only 100, 1k, 10k
    for row, (ax, (kind, v)) in enumerate(zip(axes, rows)):
        if kind == "waveform":
            _waveform(ax, v)
        elif kind == "spectrogram":
            spec = v.spectrogram
            mesh = _mesh(ax, spec.time_edges, spec.freq_edges, spec.db, "magma", top - DB_RANGE, top, dense_ticks)
            fig.colorbar(mesh, cax=fig.add_subplot(grid[row, 1]), label="dBFS")
            ax.set_title(f"{_label(v)} — spectrogram", loc="left", fontsize="medium")
        else:
            diff = analysis.difference
            limit = float(np.clip(np.percentile(np.abs(diff), 99.5), *DIFF_LIMIT_DB))
            spec = analysis.views[0].spectrogram
            mesh = _mesh(ax, spec.time_edges, spec.freq_edges, diff, "RdBu_r", -limit, limit, dense_ticks)
            fig.colorbar(mesh, cax=fig.add_subplot(grid[row, 1]), label="dB")
            ax.set_title(f"difference: {analysis.views[1].name} − {analysis.views[0].name} (blue = quieter after)",
                         loc="left", fontsize="medium")
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(analysis.start_s, analysis.end_s)
    return fig


def _label(v: View) -> str:
    return f"{v.name}  ({v.duration_s:.2f} s, {v.sample_rate} Hz, {v.channels} ch)"


def _waveform(ax, v: View) -> None:
    """Channels as lanes, top to bottom: ±peak light, ±RMS dark, drawn as steps over columns."""
    env = v.envelope
    t = env.time_edges
    names = channel_names(v.channels)
    for c in range(v.channels):
        y = -2.0 * c
        peak, rms = np.append(env.peak[c], env.peak[c, -1]), np.append(env.rms[c], env.rms[c, -1])
        ax.fill_between(t, y - peak, y + peak, step="post", color="#7aa6d6", linewidth=0)
        ax.fill_between(t, y - rms, y + rms, step="post", color="#1f4e8c", linewidth=0)
        ax.axhline(y, color="#1f4e8c", linewidth=0.4)
    ax.set_yticks([-2.0 * c for c in range(v.channels)], names)
    ax.set_ylim(-2.0 * (v.channels - 1) - 1.05, 1.05)
    ax.set_title(f"{_label(v)} — peak (light) and RMS (dark)", loc="left", fontsize="medium")


def _mesh(ax, time_edges: np.ndarray, freq_edges: np.ndarray, values: np.ndarray, cmap: str, vmin: float, vmax: float,
          dense_ticks: bool):
    mesh = ax.pcolormesh(time_edges, freq_edges, values, cmap=cmap, vmin=vmin, vmax=vmax, shading="flat", rasterized=True)
    ax.set_yscale("log")
    ax.set_ylim(freq_edges[0], freq_edges[-1])
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if dense_ticks else (1.0,)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda f, _: f"{f / 1000:g}k" if f >= 1000 else f"{f:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda f, _: ""))
    ax.set_ylabel("Hz")
    return mesh


