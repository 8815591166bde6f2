"""Files with more than two channels: BS.1770 loudness with channel weights, the BS.775
downmix (as an operation, `--downmix`, `--channels` and the planner's words), and the
layout a WAV file's channel mask gives.

Loudness is checked against what the standard gives for constructed signals: a
997 Hz sine at -20 dBFS in one front channel is -23.0 LUFS (BS.1770's own check
is -3.01 LKFS for 0 dBFS), in a surround channel +1.5 dB more (weight 1.41), in
the LFE nothing; and against ffmpeg's ebur128 filter where ffmpeg is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from cli_helpers import run
from conftest import real_sound
from models_helpers import one_thread, tiny_model  # noqa: F401  (fixtures)

from engine.audio_io import read_audio
from engine.layout import from_mask
from engine.measure import lufs, rms_db

SR = 48000
FRONT_SINE_LUFS = -23.01  # 997 Hz at -20 dBFS peak in one front channel


def sine(seconds: float = 2.0, hz: float = 997.0, db: float = -20.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (10 ** (db / 20) * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def only_in(channel: int, channels: int = 6, hz: float = 997.0) -> np.ndarray:
    x = np.zeros((channels, 2 * SR), np.float32)
    x[channel] = sine(hz=hz)
    return x


def write_wav(path, samples: np.ndarray, mask: int | None = None):
    """A 24-bit WAV; with `mask`, WAVEFORMATEXTENSIBLE with that dwChannelMask (libsndfile writes its
    default mask; the 4 bytes are set here, at byte 20 of the fmt chunk's data)."""
    sf.write(str(path), samples.T, SR, subtype="PCM_24", format="WAVEX" if mask is not None else "WAV")
    if mask is not None:
        data = bytearray(path.read_bytes())
        struct.pack_into("<I", data, data.find(b"fmt ") + 8 + 20, mask)
        path.write_bytes(bytes(data))
    return path


def read(path) -> np.ndarray:
    x, _ = sf.read(str(path), dtype="float32", always_2d=True)
    return x.T


# --- loudness -----------------------------------------------------------------------

@pytest.mark.parametrize("channel, expected", [(0, FRONT_SINE_LUFS), (1, FRONT_SINE_LUFS), (2, FRONT_SINE_LUFS),
                                               (4, FRONT_SINE_LUFS + 1.49), (5, FRONT_SINE_LUFS + 1.49)])
def test_each_51_channel_is_weighted_as_bs1770_says(channel, expected):
    assert lufs(only_in(channel), SR) == pytest.approx(expected, abs=0.05)


def test_the_lfe_is_left_out_of_loudness():
    assert lufs(only_in(3, hz=60.0), SR) == float("-inf")
    x = only_in(0)
    x[3] = sine(hz=60.0, db=0.0)  # a full-scale LFE adds nothing
    assert lufs(x, SR) == pytest.approx(FRONT_SINE_LUFS, abs=0.05)


def test_up_to_five_channels_it_measures_as_pyloudnorm():
    x, sr = real_sound("complete")
    rng = np.random.default_rng(0)
    five = np.concatenate([x, x[:1] * 0.5, 0.05 * rng.standard_normal((2, x.shape[1])).astype(np.float32)])
    for samples in (x[:1], x, five):
        assert lufs(samples, sr) == pytest.approx(pyloudnorm.Meter(sr).integrated_loudness(samples.T.astype(np.float64)), abs=1e-6)


def test_the_channel_mask_decides_which_channel_is_the_lfe(tmp_path):
    """Four channels: without a mask quad (FL FR BL BR); mask 0x0F is 3.1 (FL FR FC LFE)."""
    x = np.zeros((4, 2 * SR), np.float32)
    x[3] = sine()
    quad, three_one = write_wav(tmp_path / "quad.wav", x), write_wav(tmp_path / "31.wav", x, mask=0x0F)
    assert read_audio(three_one).layout == ("FL", "FR", "FC", "LFE")
    assert read_audio(quad).layout is None  # the default order
    rows = json.loads(run("info", quad, three_one, "--json").stdout)
    assert rows[0]["lufs"] == pytest.approx(FRONT_SINE_LUFS + 1.49, abs=0.05)  # a rear surround
    assert rows[1]["lufs"] is None and rows[1]["layout"] == "FL FR FC LFE"  # only the LFE plays


def test_info_and_normalize_on_a_six_channel_file(tmp_path):
    rng = np.random.default_rng(1)
    x = (0.05 * rng.standard_normal((6, 3 * SR))).astype(np.float32)
    six = write_wav(tmp_path / "six.wav", x)
    r = run("info", six, "--json")
    assert r.exit_code == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["channels"] == 6 and row["layout"] == "5.1"
    assert row["lufs"] == pytest.approx(lufs(x, SR), abs=0.01)
    out = tmp_path / "norm.wav"
    r = run("edit", six, "normalize to -23 LUFS", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert read(out).shape[0] == 6
    assert lufs(read(out), SR) == pytest.approx(-23.0, abs=0.1)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (the reference meter)")
@pytest.mark.parametrize("mask", [None, 0x60F])
def test_six_channel_loudness_agrees_with_ffmpeg_ebur128(tmp_path, mask):
    rng = np.random.default_rng(2)
    x = np.stack([0.02 * (i + 1) * rng.standard_normal(3 * SR) for i in range(6)]).astype(np.float32)
    path = write_wav(tmp_path / "six.wav", x, mask)
    log = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
                         capture_output=True, text=True, timeout=60).stderr
    reference = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1])
    (row,) = json.loads(run("info", path, "--json").stdout)
    assert row["lufs"] == pytest.approx(reference, abs=0.1)


def test_info_describes_the_good_files_and_reports_the_bad_one(tmp_path):
    a = write_wav(tmp_path / "a.wav", only_in(0, 2))
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    c = write_wav(tmp_path / "c.wav", only_in(1, 2))
    r = run("info", a, bad, c)
    assert r.exit_code == 3
    assert r.stdout.count("2.000") == 2  # a row (its duration) for each good file; names may wrap at 80 columns
    assert "bad.wav" in r.stderr and "Traceback" not in r.stderr
    rows = json.loads(run("info", a, bad, c, "--json").stdout)
    assert [("error" in row) for row in rows] == [False, True, False]
    assert rows[2]["lufs"] == pytest.approx(FRONT_SINE_LUFS, abs=0.05)


# --- downmix -------------------------------------------------------------------------

def test_the_downmix_follows_bs775():
    """Lo = L + 0.707 C + 0.707 Ls; Ro = R + 0.707 C + 0.707 Rs; the LFE is dropped."""
    from engine.ops import get_operation

    op = get_operation("downmix")
    for channel, (left_db, right_db) in {0: (0.0, None), 1: (None, 0.0), 2: (-3.01, -3.01), 3: (None, None),
                                         4: (-3.01, None), 5: (None, -3.01)}.items():
        y = op.apply(only_in(channel), SR, {"channels": 2})
        assert y.shape == (2, 2 * SR)
        for side, want in ((0, left_db), (1, right_db)):
            got = rms_db(y[side]) - rms_db(sine())
            assert got == pytest.approx(want, abs=0.05) if want is not None else rms_db(y[side]) < -100


def test_a_mask_moves_the_channels_the_downmix_reads(tmp_path):
    """Mask 0x33 is quad with back channels (FL FR BL BR): channel 2 is a left surround, not a centre."""
    x = only_in(2, 4)
    y = get_downmixed(tmp_path, x, mask=0x33)
    assert rms_db(y[0]) == pytest.approx(rms_db(sine()) - 3.01, abs=0.05) and rms_db(y[1]) < -100
    y = get_downmixed(tmp_path, x, mask=0x0F)  # FL FR FC LFE: now it is the centre
    assert rms_db(y[0]) == pytest.approx(rms_db(y[1]), abs=0.01)


def get_downmixed(tmp_path, x: np.ndarray, mask: int) -> np.ndarray:
    src = write_wav(tmp_path / f"in{mask}.wav", x, mask)
    out = tmp_path / f"out{mask}.wav"
    r = run("edit", src, "downmix to stereo", "-o", out)
    assert r.exit_code == 0, r.stderr
    return read(out)


def test_downmix_to_stereo_the_flag_and_channels_2_agree(tmp_path):
    rng = np.random.default_rng(3)
    x = (0.1 * rng.standard_normal((6, SR))).astype(np.float32)
    six = write_wav(tmp_path / "six.wav", x)
    outs = []
    for name, args in {"words": ["downmix to stereo"], "flag": ["reverse it", "--downmix"], "channels": ["reverse it", "--channels", "2"]}.items():
        out = tmp_path / f"{name}.wav"
        r = run("edit", six, *args, "-o", out)
        assert r.exit_code == 0, r.stderr
        outs.append(read(out))
    expected = np.stack([x[0] + 0.7071 * (x[2] + x[4]), x[1] + 0.7071 * (x[2] + x[5])])
    assert np.abs(outs[0] - expected).max() < 1e-4  # 24-bit rounding
    assert np.abs(outs[1][:, ::-1] - expected).max() < 1e-4
    assert np.array_equal(outs[1], outs[2])
    assert rms_db(expected[:, :100] - outs[0][:, :100]) < -100


def test_the_planner_reads_a_downmix_to_stereo():
    from engine.planner import make_plan

    for text in ("downmix to stereo", "fold it down to stereo", "convert 5.1 to stereo", "mix it down to two channels"):
        assert [(s.op, s.params) for s in make_plan(text).steps] == [("downmix", {"channels": 2})], text
    assert [s.op for s in make_plan("mix down to mono").steps] == ["mono"]


def test_a_mask_reads_as_speakers():
    assert from_mask(0x3F, 6) == ("FL", "FR", "FC", "LFE", "BL", "BR")
    assert from_mask(0x60F, 6) == ("FL", "FR", "FC", "LFE", "SL", "SR")
    assert from_mask(0x3, 3) == ("FL", "FR", "?")  # more channels than the mask names
    assert from_mask(0, 6) == from_mask(None, 6) == ("FL", "FR", "FC", "LFE", "BL", "BR")


# --- the neural engine ---------------------------------------------------------------

@pytest.mark.usefixtures("one_thread")
def test_a_neural_edit_of_a_surround_file_with_downmix(tmp_path, tiny_model):
    six = write_wav(tmp_path / "six.wav", (0.1 * np.random.default_rng(5).standard_normal((6, SR))).astype(np.float32))
    out = tmp_path / "o.wav"
    args = ("edit", six, "add a large hall reverb", "--engine", "neural", "--model", tiny_model, "--steps", "4", "--seed", "1", "-o", out)
    r = run(*args)
    assert r.exit_code == 3 and "--downmix" in r.stderr and not out.exists()
    r = run(*args, "--downmix")
    assert r.exit_code == 0, r.stderr
    assert sf.info(str(out)).channels == 2 and sf.info(str(out)).frames == SR



def test_a_long_surround_file_streams_through_the_downmix(tmp_path):
    """Past a minute the edit runs block by block: the same BS.775 fold, with the mask's layout."""
    sr = 8000
    rng = np.random.default_rng(6)
    x = (0.1 * rng.standard_normal((6, 65 * sr))).astype(np.float32)
    src = tmp_path / "long.wav"
    sf.write(str(src), x.T, sr, subtype="FLOAT", format="WAVEX")
    data = bytearray(src.read_bytes())
    struct.pack_into("<I", data, data.find(b"fmt ") + 8 + 20, 0x60F)  # 5.1 with side surrounds: the same fold
    src.write_bytes(bytes(data))
    for args in (["make it 6 dB quieter", "--channels", "2"], ["downmix to stereo"]):
        out = tmp_path / "out.wav"
        r = run("edit", src, *args, "-o", out, "--force")
        assert r.exit_code == 0, r.stderr
        gain = 10 ** (-6 / 20) if "--channels" in args else 1.0
        expected = gain * np.stack([x[0] + 0.7071 * (x[2] + x[4]), x[1] + 0.7071 * (x[2] + x[5])])
        assert np.abs(read(out) - expected).max() < 1e-5
