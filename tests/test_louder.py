""""Louder" ends louder, and loudness targets reach short sounds.

A take peaking at 0 dBFS made "louder" used to get +6 dB and then -6.1 dB from
the clipping guard: no louder. Now a true-peak limiter and make-up gain raise its
integrated loudness by the asked amount (within 1 dB), or sao refuses (exit 5).
Files shorter than BS.1770's 0.4 s block are measured as K-weighted RMS over all
of them, with a warning on stderr and in the sidecar.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run
from conftest import FREEDESKTOP, SR, real_sound, tone, write

from engine.measure import lufs, short_lufs, true_peak


def read(path) -> tuple[np.ndarray, int]:
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return x.T, sr


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> tuple:
    """A real recording (espeak-ng speech) normalised to a 0 dBFS peak, as a 24-bit WAV."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    folder = tmp_path_factory.mktemp("speech")
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), "The quick brown fox jumps over the lazy dog. A sound designer tries the editor."],
                   check=True, timeout=60)
    x, sr = read(raw)
    return write(folder / "take.wav", x / np.abs(x).max(), sr, subtype="PCM_24"), sr


def test_louder_on_a_take_at_full_scale_ends_louder(speech, tmp_path):
    path, sr = speech
    x, _ = read(path)
    assert np.abs(x).max() == pytest.approx(1.0, abs=1e-4)
    out = tmp_path / "louder.wav"
    r = run("edit", path, "make it louder", "-o", out)
    assert r.exit_code == 0, r.stderr
    y, _ = read(out)
    assert lufs(y, sr) - lufs(x, sr) == pytest.approx(6.0, abs=1.0)
    assert true_peak(y, sr) <= -0.99  # the ceiling holds, with no clipping guard needed
    assert "limiter" in r.stderr and "would clip (" not in r.stderr
    side = json.loads((tmp_path / "louder.wav.sao.json").read_text())
    assert any(w.startswith("louder:") for w in side["warnings"])


@pytest.mark.parametrize("text, db", [("a bit louder", 2.0), ("make it 3 dB louder", 3.0)])
def test_other_amounts_on_a_hot_take(speech, tmp_path, text, db):
    path, sr = speech
    out = tmp_path / "louder.wav"
    assert run("edit", path, text, "-o", out).exit_code == 0
    assert lufs(read(out)[0], sr) - lufs(read(path)[0], sr) == pytest.approx(db, abs=1.0)


def test_a_dense_sound_at_full_scale_cannot_be_made_6_db_louder(tmp_path):
    """An alarm already at -3.6 LUFS with 0 dBFS peaks has no room: exit 5, nothing written."""
    x, sr = real_sound("alarm-clock-elapsed")
    path = write(tmp_path / "alarm.wav", x / np.abs(x).max(), sr)
    out = tmp_path / "out.wav"
    r = run("edit", path, "make it louder", "-o", out)
    assert r.exit_code == 5 and "cannot make it 6 dB louder" in r.stderr
    assert not out.exists()


def test_louder_is_a_plain_gain_while_nothing_would_clip(tmp_path):
    x = tone(440.0, 2.0, amp=0.2)
    path = write(tmp_path / "quiet.wav", x, subtype="FLOAT")
    out = tmp_path / "out.wav"
    r = run("edit", path, "make it louder", "-o", out)
    assert r.exit_code == 0 and "limiter" not in r.stderr
    assert np.array_equal(read(out)[0], x * np.float32(10 ** (6 / 20)))


def test_a_long_hot_take_is_made_louder_too(tmp_path):
    """Past a minute the edit streams; a louder that would clip falls back to memory and still limits."""
    rng = np.random.default_rng(0)
    t = np.arange(70 * SR) / SR
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t)) + 0.02 * rng.standard_normal(t.size)).astype(np.float32)
    x = np.stack([x, x]) / np.abs(x).max()
    path = write(tmp_path / "long.wav", x, subtype="PCM_24")
    out = tmp_path / "out.wav"
    r = run("edit", path, "make it a bit louder", "-o", out)
    assert r.exit_code == 0, r.stderr
    y, _ = read(out)
    assert lufs(y, SR) - lufs(x, SR) == pytest.approx(2.0, abs=1.0)
    assert true_peak(y, SR) <= -0.99


SHORT = ["bell", "dialog-information", "message"]  # 0.14 s, 0.06 s, 0.31 s


@pytest.mark.parametrize("name", SHORT)
def test_normalize_a_short_freedesktop_sound_to_minus_16_lufs(tmp_path, name):
    src = FREEDESKTOP / f"{name}.oga"
    if not src.exists():
        pytest.skip(f"{src} missing")
    out = tmp_path / "out.wav"
    r = run("edit", src, "normalize to -16 LUFS", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert "shorter than BS.1770's 0.4 s block" in r.stderr
    y, sr = read(out)
    assert y.shape[1] < 0.4 * sr
    peak_room = true_peak(y, sr) < -0.9  # where the -1 dBTP ceiling turned it down, it says so
    level = short_lufs(y, sr)
    assert level == pytest.approx(-16.0, abs=0.1) or (peak_room and level < -16.0 and "true peak" in r.stderr)
    side = json.loads((tmp_path / "out.wav.sao.json").read_text())
    assert any("K-weighted RMS" in w for w in side["warnings"])


def test_the_short_measure_is_bs1770_over_one_block():
    """A 997 Hz sine at -20 dBFS in one channel: -23.0 LUFS however short; silence is -inf."""
    sr = 48000
    for seconds in (0.05, 0.2, 0.39):
        t = np.arange(int(seconds * sr)) / sr
        x = (0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)[None]
        assert short_lufs(x, sr) == pytest.approx(-23.0, abs=0.1)
    assert short_lufs(np.zeros((2, 1000), np.float32), sr) == float("-inf")
