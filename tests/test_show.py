"""`sao show`: the data the pictures are drawn from, the PNG, and the text preview."""

from __future__ import annotations

import os
import pty
import re
import struct
import subprocess
import sys

import numpy as np
import pytest
from rich.cells import cell_len

from cli_helpers import run
from conftest import SR, noise, real_sound, tone, write
from engine import display
from engine.errors import UsageError
from engine.measure import peak_db, rms_db
from engine.ops.filters import low_pass


def png_size(path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (bytes 16-24), after checking the signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def band_of(spec: display.Spectrogram, hz: float) -> int:
    return int(np.searchsorted(spec.freq_edges, hz) - 1)


# ---------------------------------------------------------------- the data


@pytest.mark.parametrize("hz", [100.0, 1000.0, 5000.0])
def test_tone_peaks_at_its_frequency_and_level(tmp_path, hz):
    path = write(tmp_path / "tone.wav", tone(hz, seconds=1.0, amp=0.5))
    spec = display.analyse_files([path]).views[0].spectrogram
    level = spec.db.mean(axis=1)
    assert band_of(spec, hz) == int(np.argmax(level))
    assert abs(level.max() - 20 * np.log10(0.5)) < 1.5  # dBFS: a sine of amplitude 0.5 reads about -6 dB
    assert level[band_of(spec, hz * 2)] < level.max() - 40  # and nothing an octave up


def test_low_pass_difference_is_negative_above_the_cutoff_and_near_zero_below(tmp_path):
    before = noise(seconds=3.0)
    after = low_pass(before, SR, cutoff_hz=1000.0)
    paths = [write(tmp_path / "in.wav", before, subtype="FLOAT"), write(tmp_path / "out.wav", after, subtype="FLOAT")]
    analysis = display.analyse_files(paths)
    diff, spec = analysis.difference, analysis.views[0].spectrogram
    below = spec.freq_edges[1:] <= 500.0
    above = spec.freq_edges[:-1] >= 2000.0
    assert np.abs(diff[below]).mean(axis=1).max() < 0.3  # each band, over time
    assert np.percentile(np.abs(diff[below]), 99) < 1.0  # (a cell in a spectral dip can move a little more)
    assert diff[above].max() < -15.0  # 24 dB/octave: at least an octave above the cutoff, in every frame
    assert diff[band_of(spec, 4000.0)].mean() < -40.0


def test_a_shorter_after_file_is_compared_on_the_same_grid(tmp_path):
    """A trim shortens the file: the difference lines up in time and shows the missing end as a cut."""
    before, sr = real_sound("complete")
    after = before[:, : before.shape[1] // 2]
    paths = [write(tmp_path / "in.wav", before, sr, subtype="FLOAT"), write(tmp_path / "out.wav", after, sr, subtype="FLOAT")]
    analysis = display.analyse_files(paths)
    before_view, after_view = analysis.views
    assert np.array_equal(before_view.spectrogram.time_edges, after_view.spectrogram.time_edges)
    times, diff = before_view.spectrogram.times, analysis.difference
    loud = before_view.spectrogram.db > before_view.spectrogram.db.max() - 40
    kept = (times < 0.45 * before_view.duration_s)[None, :] & loud
    gone = (times > 0.55 * before_view.duration_s)[None, :] & loud
    assert kept.any() and gone.any()
    assert np.abs(diff[kept]).max() < 1.0
    assert diff[gone].max() < -40.0
    # the meters measure the audio, not the silence after its end
    for view, samples in ((before_view, before), (after_view, after)):
        assert view.rms_db == pytest.approx([rms_db(ch) for ch in samples], abs=0.01)
        assert view.peak_db == pytest.approx([peak_db(ch) for ch in samples], abs=0.01)


def test_region_view_covers_exactly_that_region(tmp_path):
    """A 1 kHz tone whose amplitude rises linearly over 4 s: the region's first and last columns show its ends."""
    seconds = 4.0
    t = np.arange(int(seconds * SR)) / SR
    amp = 0.1 + 0.2 * t
    path = write(tmp_path / "ramp.wav", (amp * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)[None, :], subtype="FLOAT")
    for text, start, end in [("1.5-3", 1.5, 3.0), ("0:00.5-0:02", 0.5, 2.0)]:
        analysis = display.analyse_files([path], display.parse_region(text), columns=200, frames=50)
        view = analysis.views[0]
        assert (analysis.start_s, analysis.end_s) == (start, end)
        for edges in (view.envelope.time_edges, view.spectrogram.time_edges):
            assert edges[0] == pytest.approx(start, abs=1 / SR) and edges[-1] == pytest.approx(end, abs=1 / SR)
        peak = view.envelope.peak[0]
        column = (end - start) / 200
        assert peak[0] == pytest.approx(0.1 + 0.2 * (start + column), rel=0.02)
        assert peak[-1] == pytest.approx(0.1 + 0.2 * end, rel=0.02)
        assert np.all(np.diff(peak) > -1e-3)  # rising throughout: nothing from outside the region


def test_streaming_in_blocks_matches_the_whole_file_at_once(tmp_path, monkeypatch):
    """The block reader (used for long files) must see exactly what an in-memory analysis sees."""
    samples, sr = real_sound("bell")
    path = write(tmp_path / "bell.wav", samples, sr, subtype="FLOAT")
    whole = display.analyse(samples, sr, columns=300, frames=120, bands=64)
    monkeypatch.setattr(display, "BLOCK_FRAMES", 3001)  # many blocks, windows straddling their joins
    streamed = display.analyse_files([path], columns=300, frames=120, bands=64).views[0]
    np.testing.assert_allclose(streamed.envelope.peak, whole.envelope.peak)
    np.testing.assert_allclose(streamed.envelope.rms, whole.envelope.rms, rtol=1e-6)
    np.testing.assert_allclose(streamed.spectrogram.db, whole.spectrogram.db, atol=1e-3)


def test_long_frames_average_several_windows(tmp_path):
    """60 s drawn in 10 frames: each frame averages MAX_WINDOWS windows, so a tone that sounds only
    in the frame's second half still shows, about 3 dB down (half the windows hear it)."""
    sr = 8000
    on = (np.arange(60 * sr) % (6 * sr)) >= 3 * sr  # 3 s off, 3 s on, in each 6 s frame
    x = (0.5 * np.sin(2 * np.pi * 440 * np.arange(60 * sr) / sr) * on).astype(np.float32)[None, :]
    spec = display.analyse_files([write(tmp_path / "gated.wav", x, sr, subtype="FLOAT")], frames=10, bands=64).views[0].spectrogram
    assert np.allclose(spec.db[band_of(spec, 440.0)], 20 * np.log10(0.5) - 3.0, atol=1.0)


@pytest.mark.parametrize("text, expected", [
    ("1.5-3", (1.5, 3.0)), ("0:05-0:12", (5.0, 12.0)), ("1:00:02.5-1:00:04", (3602.5, 3604.0)),
    ("1.5s-3s", (1.5, 3.0)), ("-3", (0.0, 3.0)), ("10-", (10.0, None)), (".5-1", (0.5, 1.0)),
])
def test_parse_region(text, expected):
    region = display.parse_region(text)
    assert (region.start_s, region.end_s) == expected


@pytest.mark.parametrize("text", ["3-1", "2-2", "abc", "1-2-3", "0:75-1:00", "1:60:00-2:00:00", "-", "1,5-3"])
def test_parse_region_refuses(text):
    with pytest.raises(UsageError):
        display.parse_region(text)


# ---------------------------------------------------------------- the command


def test_png_has_the_requested_size(tmp_path, wav):
    after = write(tmp_path / "quiet.wav", tone(amp=0.1))
    for args, size in [([wav, after, "--size", "640x480"], (640, 480)), ([wav, "--view", "waveform"], (1200, 800)),
                       ([wav, "--view", "spectrogram", "--region", "0:00.5-0:01.5", "--size", "300x900"], (300, 900))]:
        out = tmp_path / f"{size[0]}x{size[1]}.png"
        result = run("show", *args, "-o", out)
        assert result.exit_code == 0, result.stderr
        assert png_size(out) == size
    import matplotlib.image

    pixels = matplotlib.image.imread(tmp_path / "640x480.png")
    assert pixels.shape[:2] == (480, 640) and pixels[..., :3].std() > 0.05  # decodes, and is not blank


def test_without_a_terminal_or_o_it_writes_stem_png_and_never_overwrites(tmp_path):
    before = write(tmp_path / "take.wav", tone())
    after = write(tmp_path / "take.edited.wav", tone(amp=0.1))
    result = run("show", before, after)
    assert result.exit_code == 0, result.stderr
    assert png_size(tmp_path / "take.edited.png") == (1200, 800)
    assert run("show", before, after).exit_code == 4
    assert run("show", before, after, "--force").exit_code == 0


def test_text_preview_fits_80_columns_and_shows_the_data(tmp_path):
    before = noise(seconds=2.0, amp=0.1)
    paths = [write(tmp_path / "in.wav", before), write(tmp_path / "out.wav", low_pass(before, SR, cutoff_hz=500.0))]
    result = run("show", *paths, "--text")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert sum("rms  -20.0" in line for line in lines) == 2  # noise of RMS 0.1 = -20 dBFS, on L and R
    diff_rows = lines[lines.index("difference (after − before)") + 2:-1]
    top, bottom = diff_rows[0].split("│")[1], diff_rows[-1].split("│")[1]
    assert set(top) == {"▼"} and set(bottom) == {"·"}  # highs cut, lows kept
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.parametrize("args, code, message", [
    (["--region", "3-1"], 2, "ends before it starts"),
    (["--region", "soon-3"], 2, "'soon' is not a time"),
    (["--region", "5-6"], 2, "after the end of the audio"),
    (["--size", "big"], 2, "WIDTHxHEIGHT"),
    (["--size", "10x10"], 2, "between"),
    (["-o", "{tmp}/plot.jpg"], 2, "PNG"),
])
def test_bad_options_exit_2_with_one_line(tmp_path, wav, args, code, message):
    args = [a.format(tmp=tmp_path) for a in args]
    result = run("show", wav, "-o", tmp_path / "x.png", *args)  # a later -o wins
    assert result.exit_code == code
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "plot.jpg").exists()


def test_bad_audio_exits_3(tmp_path, wav):
    garbage = tmp_path / "noise.wav"
    garbage.write_bytes(b"RIFF not really a wave file" * 10)
    for bad in (tmp_path / "missing.wav", garbage):
        result = run("show", wav, bad, "-o", tmp_path / "out.png")
        assert result.exit_code == 3 and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.png").exists()


def _in_terminal(args: list, env: dict) -> tuple[int, str]:
    """Run `python -m sao_cli` with stdout on a pseudo-terminal; returns the exit code and what it printed."""
    main, child = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "sao_cli", *map(str, args)], stdin=child, stdout=child,
                          stderr=subprocess.PIPE, env=env, timeout=120)
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 1 << 16)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    return proc.returncode, out.decode()


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def _colour_codes(text: str) -> list[int]:
    """SGR parameters that set a colour (30-49, 90-107); bold and dim are not colour."""
    codes = [int(p) for m in SGR.finditer(text) for p in m.group(1).split(";") if p]
    return [c for c in codes if 30 <= c <= 49 or 90 <= c <= 107]


def test_in_a_terminal_it_previews_as_text_and_honours_no_color(tmp_path, wav):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", HF_HUB_OFFLINE="1")
    code, coloured = _in_terminal(["show", wav], env)
    assert code == 0 and _colour_codes(coloured)
    code, plain = _in_terminal(["show", wav], {**env, "NO_COLOR": "1"})
    assert code == 0 and not _colour_codes(plain)
    visible = SGR.sub("", plain).splitlines()
    assert max(cell_len(line) for line in visible) <= 80
    assert any(line.startswith("L     peak  -10.5") for line in visible)
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.parametrize("db, mark", [(-2.0, "▿"), (-6.0, "▽"), (1.0, "▵")])
def test_text_preview_shows_level_changes_from_half_a_db(tmp_path, db, mark):
    """A -2 dB edit must not read "· same": every audible cell of the difference shows the change."""
    before = real_sound("bell")[0]
    paths = [write(tmp_path / "in.wav", before, subtype="FLOAT"),
             write(tmp_path / "out.wav", before * np.float32(10 ** (db / 20)), subtype="FLOAT")]
    result = run("show", *paths, "--text")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("difference (after − before)") + 2
    cells = "".join(line.split("│")[1] for line in lines[start:start + 8])
    audible = cells.replace(" ", "")
    assert audible and set(audible) == {mark}, cells
    same = run("show", paths[0], paths[0], "--text").stdout.splitlines()
    assert set("".join(line.split("│")[1] for line in same[start:start + 8]).replace(" ", "")) == {"·"}
