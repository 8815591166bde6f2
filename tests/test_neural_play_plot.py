"""`sao edit|chain --play` and `--plot`: what happens after the output is written (DSP edits: no model needed)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run
from conftest import SR, tone, write
from scipy import signal

from engine.measure import correlation, rms_db

try:  # the PulseAudio null-sink fixture of `sao play`'s own tests
    from test_play import _no_device_env, pulse, read_recording, recording  # noqa: F401
except ImportError:  # pragma: no cover - test_play changed; its own tests still cover playback
    pulse = None


def sao(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sao_cli", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def png_size(path) -> tuple[int, int]:
    import matplotlib.image

    image = matplotlib.image.imread(str(path))  # decodes the whole PNG: a broken file fails here
    return image.shape[1], image.shape[0]


def test_plot_draws_before_and_after_beside_the_output(tmp_path, wav):
    from engine.display import analyse_files

    out = tmp_path / "quiet.wav"
    r = run("edit", wav, "make it 6 dB quieter", "-o", out, "--plot")
    assert r.exit_code == 0, r.stderr
    png = tmp_path / "quiet.png"
    assert png_size(png) == (1200, 800) and str(png) in r.stderr
    diff = analyse_files([wav, out]).difference  # the difference the picture draws
    views = analyse_files([wav, out]).views
    loudest = np.unravel_index(np.argmax(views[0].spectrogram.db), diff.shape)[0]
    assert np.median(diff[loudest]) == pytest.approx(-6.0, abs=0.5)


def test_chain_plot_file_and_its_refusals(tmp_path, wav):
    png = tmp_path / "pictures.png"
    r = run("chain", wav, "make it 6 dB quieter", "add a small room reverb", "-o", tmp_path / "o.wav", "--plot-file", png)
    assert r.exit_code == 0, r.stderr
    assert png_size(png) == (1200, 800)
    r = run("chain", wav, "make it louder", "-o", tmp_path / "again.wav", "--plot-file", png)
    assert r.exit_code == 4 and not (tmp_path / "again.wav").exists()  # checked before editing
    r = run("edit", wav, "make it louder", "-o", "-", "--plot")
    assert r.exit_code == 2 and "--plot" in r.stderr
    r = run("edit", wav, "make it louder", "-o", tmp_path / "p.wav", "--plot-file", tmp_path / "p.jpg")
    assert r.exit_code == 2 and not (tmp_path / "p.wav").exists()


def test_play_refuses_stdout(wav):
    r = run("edit", wav, "make it louder", "-o", "-", "--play")
    assert r.exit_code == 2 and "--play" in r.stderr and r.stdout_bytes == b""


@pytest.mark.skipif(pulse is None, reason="tests/test_play.py's fixtures are not importable")
def test_play_without_an_output_device_exits_7_before_editing(tmp_path, wav):
    out = tmp_path / "o.wav"
    result = sao("edit", wav, "make it louder", "-o", out, "--play", env=_no_device_env(tmp_path))
    assert result.returncode == 7 and "no audio output device" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


@pytest.mark.playback
@pytest.mark.timeout(90)
@pytest.mark.skipif(pulse is None, reason="tests/test_play.py's fixtures are not importable")
def test_play_sends_the_edit_to_the_sound_server(pulse, tmp_path):  # noqa: F811
    src = write(tmp_path / "in.wav", tone(440, seconds=1.5))
    out = tmp_path / "quiet.wav"
    with recording(pulse, tmp_path / "rec.raw"):
        result = sao("edit", src, "make it 6 dB quieter", "-o", out, "--play", env=pulse)
    assert result.returncode == 0, result.stderr
    edited, sr = sf.read(out, dtype="float32", always_2d=True)
    assert sr == SR
    recorded = read_recording(tmp_path / "rec.raw")
    edited = edited.T
    lag = int(np.argmax(signal.correlate(recorded.mean(axis=0), edited.mean(axis=0), mode="valid", method="fft")))
    arrived = recorded[:, lag : lag + edited.shape[1]]
    assert arrived.shape == edited.shape and correlation(arrived[0], edited[0]) > 0.9
    # the edit, not the original 6 dB above it (the tolerance allows for a dropout on a busy machine)
    assert rms_db(arrived) == pytest.approx(rms_db(edited), abs=1.5)
