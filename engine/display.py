"""What `sao show` draws: a peak/RMS envelope and a log-frequency spectrogram.

Everything here is numbers (numpy and scipy, no plotting), so tests check the data
a picture is drawn from, and the PNG (engine.plot) and the text preview
(sao_cli.commands.show) draw the same thing.

Long files are decimated, not loaded: the file is streamed in blocks, the envelope
keeps one peak and one RMS value per column, and each spectrogram frame averages
at most `MAX_WINDOWS` FFT windows spread over its stretch of time. Memory is
bounded by the block size and the number of columns, whatever the file length.
Pitfall: a long file's spectrogram therefore samples the audio (8 windows of
~93 ms per frame), so a click between windows may not show; the envelope never
misses a peak.

Levels are dBFS: a full-scale sine reads 0 dB in both the envelope's peak and the
spectrogram band holding its frequency.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf
from scipy import fft as sp_fft

from .audio_io import open_audio
from .errors import BadAudio, UsageError
from .plan import Region, resolve_time

FLOOR_DB = -120.0
FMIN_HZ = 20.0
MAX_WINDOWS = 8  # FFT windows averaged per spectrogram frame (long files)
BLOCK_FRAMES = 1 << 16
FFT_BATCH = 256  # windows transformed at once: bounds memory for short files drawn wide
SIZE_LIMITS = (200, 8000)  # pixels, each side


@dataclass
class Envelope:
    """Per channel and column: the largest |sample| and the RMS, linear (0..1 = full scale)."""

    peak: np.ndarray  # (channels, columns)
    rms: np.ndarray  # (channels, columns)
    time_edges: np.ndarray  # (columns + 1,) seconds
    column_frames: np.ndarray  # (columns,) frames per column
    frames_read: int  # fewer than column_frames.sum() when the file ends early (a shorter file on a shared grid)


@dataclass
class Spectrogram:
    """Band levels over time. Rows are frequency bands (low to high), columns are frames."""

    db: np.ndarray  # (bands, frames) dBFS, floored at FLOOR_DB
    time_edges: np.ndarray  # (frames + 1,) seconds
    freq_edges: np.ndarray  # (bands + 1,) Hz, log-spaced

    @property
    def times(self) -> np.ndarray:
        return (self.time_edges[:-1] + self.time_edges[1:]) / 2

    @property
    def freqs(self) -> np.ndarray:
        """Band centres (geometric mean of the edges)."""
        return np.sqrt(self.freq_edges[:-1] * self.freq_edges[1:])


@dataclass
class View:
    """One file (or one region of it) as drawn."""

    name: str
    sample_rate: int
    channels: int
    duration_s: float  # of the whole file
    envelope: Envelope
    spectrogram: Spectrogram

    @property
    def peak_db(self) -> np.ndarray:
        """Per channel, over the whole view."""
        return _db(self.envelope.peak.max(axis=1))

    @property
    def rms_db(self) -> np.ndarray:
        """Per channel, over the audio in the view (not the silence after a shorter file's end)."""
        env = self.envelope
        return _db(np.sqrt(np.sum(env.rms**2 * env.column_frames, axis=1) / max(env.frames_read, 1)))


@dataclass
class Analysis:
    """What `sao show` draws: one or two views on the same time and frequency grid."""

    views: list[View]
    start_s: float
    end_s: float

    @property
    def difference(self) -> np.ndarray | None:
        """After − before, in dB, per band and frame; None for a single file."""
        if len(self.views) < 2:
            return None
        return self.views[1].spectrogram.db - self.views[0].spectrogram.db


def channel_names(channels: int) -> list[str]:
    return {1: ["mono"], 2: ["L", "R"]}.get(channels, [str(i + 1) for i in range(channels)])


def _db(x: np.ndarray) -> np.ndarray:
    return 20 * np.log10(np.maximum(x, 10 ** (FLOOR_DB / 20)))


# ---------------------------------------------------------------- parsing


_TIME = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)s?$")


def parse_time(text: str) -> float:
    """'1.5', '1.5s', '0:05', '1:02:03.25' -> seconds. Raises UsageError."""
    m = _TIME.match(text.strip())
    if not m:
        raise UsageError(f"'{text}' is not a time (use seconds like 1.5, or m:ss like 0:05, or h:mm:ss)")
    first, second, seconds = m.groups()
    hours, minutes = (first, second) if second is not None else (None, first)
    if minutes is not None and float(seconds) >= 60 or hours is not None and int(minutes) >= 60:
        raise UsageError(f"'{text}' is not a time: minutes and seconds after ':' must be below 60")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def parse_region(text: str) -> Region:
    """'START-END' (either side may be empty: '-3' is the first 3 s, '10-' runs to the end)."""
    parts = text.split("-")
    if len(parts) != 2 or not "".join(parts).strip():
        raise UsageError(f"--region '{text}' is not START-END (e.g. 1.5-3 or 0:05-0:12)")
    try:
        start = parse_time(parts[0]) if parts[0].strip() else 0.0
        end = parse_time(parts[1]) if parts[1].strip() else None
    except UsageError as e:
        raise UsageError(f"--region '{text}': {e.message}") from None
    if end is not None and end <= start:
        raise UsageError(f"--region '{text}' ends before it starts")
    return Region(start, end)


def parse_size(text: str) -> tuple[int, int]:
    """'1200x800' -> (1200, 800) pixels. Raises UsageError."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    lo, hi = SIZE_LIMITS
    if not m:
        raise UsageError(f"--size '{text}' is not WIDTHxHEIGHT in pixels (e.g. 1200x800)")
    w, h = int(m.group(1)), int(m.group(2))
    if not (lo <= w <= hi and lo <= h <= hi):
        raise UsageError(f"--size {w}x{h}: each side must be between {lo} and {hi} pixels")
    return w, h


# ---------------------------------------------------------------- reading


def _blocks(f: sf.SoundFile, start: int, stop: int, name: str) -> Iterator[np.ndarray]:
    """(channels, frames) float32 blocks of frames [start, stop); stops early at the file's end."""
    f.seek(min(start, f.frames))
    pos = start
    while pos < stop:
        try:
            block = f.read(min(BLOCK_FRAMES, stop - pos), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as e:
            raise BadAudio(f"{name}: the file is damaged at {pos / f.samplerate:.2f} s ({e})") from None
        if not len(block):
            return
        if not np.isfinite(block).all():
            raise BadAudio(f"{name}: the audio contains NaN or infinite samples")
        pos += len(block)
        yield block.T


# ---------------------------------------------------------------- analysis


def fft_size(sample_rate: int) -> int:
    """About 93 ms (4096 at 44.1/48 kHz): ~11 Hz resolution, enough for log bands from 20 Hz."""
    return 1 << int(round(np.log2(sample_rate * 0.093)))


def log_band_edges(bands: int, fmax: float, fmin: float = FMIN_HZ) -> np.ndarray:
    return np.geomspace(fmin, fmax, bands + 1)


def _to_bands(power: np.ndarray, bin_hz: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Linear FFT bins (…, bins) -> log bands (…, bands).

    A band wide enough to hold FFT bins takes their maximum, so a tone keeps its
    level however wide the band (as Audacity's log view does); a band narrower than
    one bin (low frequencies) interpolates the power at its centre.
    """
    first = np.searchsorted(bin_hz, edges[:-1])
    last = np.searchsorted(bin_hz, edges[1:])
    has = last > first
    out = np.empty(power.shape[:-1] + (len(edges) - 1,))
    if has.any():
        out[..., has] = np.maximum.reduceat(power[..., : last[has][-1]], first[has], axis=-1)
    centres = np.sqrt(edges[:-1] * edges[1:])[~has]
    i = np.clip(np.searchsorted(bin_hz, centres) - 1, 0, len(bin_hz) - 2)
    w = (centres - bin_hz[i]) / (bin_hz[i + 1] - bin_hz[i])
    out[..., ~has] = power[..., i] * (1 - w) + power[..., i + 1] * w
    return out


def _window_starts(edges: np.ndarray, length: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """FFT window starts for frames with the given frame edges, and the frame each belongs to.

    Short frames get one window centred on them (windows overlap); long frames get
    up to MAX_WINDOWS windows spread evenly over them. Windows stay inside [lo, hi).
    """
    widths = np.diff(edges)
    count = np.clip(widths // length, 1, MAX_WINDOWS)
    owner = np.repeat(np.arange(len(widths)), count)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    centres = edges[owner] + (k + 0.5) * widths[owner] / count[owner]
    starts = np.clip(np.round(centres - length / 2).astype(np.int64), lo, max(lo, hi - length))
    return starts, owner


def analyse_blocks(blocks: Iterator[np.ndarray], sample_rate: int, channels: int, start: int, stop: int,
                   columns: int, frames: int, bands: int, fmax: float) -> tuple[Envelope, Spectrogram]:
    """Envelope and spectrogram of frames [start, stop), fed as consecutive blocks.

    Blocks past the audio's end may simply be missing (a shorter file on a shared
    grid): that time reads as silence.
    """
    span = stop - start
    columns, frames = max(1, min(columns, span)), max(1, min(frames, span))
    col_edges = start + (np.arange(columns + 1) * span) // columns
    frame_edges = start + (np.arange(frames + 1) * span) // frames
    n_fft = fft_size(sample_rate)
    length = min(n_fft, span)
    win_starts, owner = _window_starts(frame_edges, length, start, stop)
    window = np.hanning(length + 2)[1:-1].astype(np.float32)  # no zero end points
    scale = (2.0 / window.sum()) ** 2  # a sine of amplitude A reads A² in its bin
    bin_hz = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)

    peak = np.zeros((channels, columns))
    sumsq = np.zeros((channels, columns))
    power = np.zeros((frames, n_fft // 2 + 1))
    carry = np.zeros((channels, 0), np.float32)  # the last length-1 frames, for windows across blocks
    pos, done = start, 0  # pos: first frame of the next block; done: windows processed
    for block in blocks:
        end = pos + block.shape[1]
        # envelope: split the block at column edges
        c0 = int(np.searchsorted(col_edges, pos, side="right")) - 1
        inner = col_edges[(col_edges > pos) & (col_edges < end)] - pos
        cuts = np.concatenate([[0], inner]).astype(np.int64)
        cols = slice(c0, c0 + len(cuts))
        peak[:, cols] = np.maximum(peak[:, cols], np.maximum.reduceat(np.abs(block), cuts, axis=1))
        sumsq[:, cols] += np.add.reduceat(np.square(block, dtype=np.float64), cuts, axis=1)
        # spectrogram: every window that ends inside this block
        buf = np.concatenate([carry, block], axis=1)
        buf_start = pos - carry.shape[1]
        todo = int(np.searchsorted(win_starts + length, end, side="right"))
        for first in range(done, todo, FFT_BATCH):
            batch = slice(first, min(todo, first + FFT_BATCH))
            idx = win_starts[batch, None] - buf_start + np.arange(length)
            spec = np.abs(sp_fft.rfft(buf[:, idx] * window, n=n_fft, axis=-1)) ** 2  # (channels, windows, bins)
            np.add.at(power, owner[batch], spec.mean(axis=0) * scale)
        done = max(done, todo)
        carry = buf[:, -(length - 1):] if length > 1 else buf[:, :0]
        pos = end
    # windows past the audio's end (a shorter file on a shared grid) read as silence
    counts = np.bincount(owner, minlength=frames)
    power /= counts[:, None]
    widths = np.diff(col_edges)
    envelope = Envelope(peak, np.sqrt(sumsq / widths), col_edges / sample_rate, widths, pos - start)
    edges = log_band_edges(bands, fmax)
    band_power = _to_bands(power, bin_hz, edges)
    db = 10 * np.log10(np.maximum(band_power, 10 ** (FLOOR_DB / 10))).T
    return envelope, Spectrogram(db, frame_edges / sample_rate, edges)


def analyse(samples: np.ndarray, sample_rate: int, *, columns: int = 1000, frames: int = 500, bands: int = 160,
            name: str = "audio") -> View:
    """View of samples (channels, frames) already in memory, over their whole length."""
    n = samples.shape[1]
    env, spec = analyse_blocks(iter([samples.astype(np.float32, copy=False)]), sample_rate, samples.shape[0], 0, n,
                               columns, frames, bands, sample_rate / 2)
    return View(name, sample_rate, samples.shape[0], n / sample_rate, env, spec)


def analyse_files(paths: list[str | os.PathLike], region: Region | None = None, *, columns: int = 1000,
                  frames: int = 500, bands: int = 160) -> Analysis:
    """Views of one or two files on one grid (the same seconds, the same bands), streamed.

    Two files are compared over the longer one's length, so the difference of
    their spectrograms lines up even when an edit changed the length (the shorter
    file's missing end reads as silence). A region is cut to the audio's length;
    one that starts after the end is a UsageError.
    """
    files = [open_audio(p) for p in paths]
    try:
        longest = max(f.frames / f.samplerate for f in files)
        start_s, end_s = 0.0, longest
        if region:
            if (region.start_s or 0.0) >= longest:
                raise UsageError(f"--region starts at {region.start_s:g} s, after the end of the audio ({longest:.2f} s)")
            start_s = resolve_time(region.start_s, longest, 0.0)
            end_s = resolve_time(region.end_s, longest, longest)
            if end_s <= start_s:
                raise UsageError(f"--region {start_s:g}-{end_s:g} s is empty")
        fmax = min(f.samplerate for f in files) / 2
        views = []
        for path, f in zip(paths, files):
            sr = f.samplerate
            start, stop = int(round(start_s * sr)), max(int(round(end_s * sr)), int(round(start_s * sr)) + 1)
            env, spec = analyse_blocks(_blocks(f, start, stop, str(path)), sr, f.channels, start, stop,
                                       columns, frames, bands, fmax)
            views.append(View(Path(path).name, sr, f.channels, f.frames / sr, env, spec))
        return Analysis(views, start_s, end_s)
    finally:
        for f in files:
            f.close()
