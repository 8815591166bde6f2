"""Truncated files: a header that promises more audio than the file holds.

libsndfile reads such a WAV or AIFF as the frames that are there without a word,
so a 2 s WAV cut to 60 bytes used to edit into a 0.00 s result with exit 0. Now
it is refused (exit 3) with both counts, unless --allow-truncated, which edits
what is there and says so on stderr and in the sidecar.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run, sao
from conftest import SR, tone

from engine.measure import rms_db


def cut(tmp_path, name: str, keep: int | float, seconds: float = 2.0, **write) -> tuple:
    """A `seconds` tone written as `name`, then cut to `keep` bytes (or that fraction of them)."""
    full = tmp_path / f"full-{name}"
    sf.write(str(full), tone(440.0, seconds).T, SR, **write)
    data = full.read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: keep if isinstance(keep, int) else int(len(data) * keep)])
    return path, int(seconds * SR)


def test_a_wav_cut_to_60_bytes_is_refused_with_both_counts(tmp_path):
    path, frames = cut(tmp_path, "take.wav", 60, subtype="PCM_16")
    out = tmp_path / "out.wav"
    p = sao("edit", path, "make it quieter", "-o", out)
    err = p.stderr.decode()
    assert p.returncode == 3, err
    assert f"header says {frames} frames, found 4" in err and "--allow-truncated" in err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("name, write", [("take.wav", {"subtype": "PCM_24"}), ("take.aiff", {"subtype": "PCM_16"})])
def test_allow_truncated_edits_what_is_there_and_says_so(tmp_path, name, write):
    path, frames = cut(tmp_path, name, 0.5, **write)
    found = sf.info(str(path)).frames
    assert 0 < found < frames
    out = tmp_path / "out.wav"
    r = run("edit", path, "make it 6 dB quieter", "-o", out)
    assert r.exit_code == 3 and "truncated" in r.stderr and not out.exists()
    r = run("edit", path, "make it 6 dB quieter", "-o", out, "--allow-truncated")
    assert r.exit_code == 0, r.stderr
    assert "truncated" in r.stderr and f"found {found}" in r.stderr
    y, _ = sf.read(str(out), dtype="float32", always_2d=True)
    assert len(y) == found
    assert rms_db(y.T) == pytest.approx(rms_db(tone(440.0, 2.0)) - 6.0, abs=0.1)
    side = json.loads((tmp_path / "out.wav.sao.json").read_text())
    assert any("truncated" in w for w in side["warnings"])


@pytest.mark.parametrize("name, write", [("take.flac", {"subtype": "PCM_16"}), ("take.mp3", {})])
def test_a_cut_flac_or_mp3_is_refused(tmp_path, name, write):
    path, _ = cut(tmp_path, name, 0.6, **write)
    p = sao("edit", path, "make it quieter", "-o", tmp_path / "out.wav")
    err = p.stderr.decode()
    assert p.returncode == 3 and ("truncated" in err or "cut short" in err), err
    assert "Traceback" not in err and not (tmp_path / "out.wav").exists()


def test_a_whole_mp3_is_not_taken_for_a_cut_one(tmp_path):
    path = tmp_path / "take.mp3"
    sf.write(str(path), tone(440.0, 1.0).T, SR)
    assert run("edit", path, "make it quieter", "-o", tmp_path / "out.wav").exit_code == 0


def test_info_reports_a_truncated_file(tmp_path):
    path, frames = cut(tmp_path, "take.wav", 0.5, subtype="PCM_16")
    r = run("info", path, "--json")
    assert r.exit_code == 3
    (row,) = json.loads(r.stdout)
    assert "truncated" in row["error"] and str(frames) in row["error"]


def test_a_long_truncated_file_streams_with_allow_truncated(tmp_path):
    """Over a minute, the edit streams in blocks: the same refusal, the same warning, the same samples."""
    path, frames = cut(tmp_path, "long.wav", 0.8, seconds=80.0, subtype="PCM_16")
    found = sf.info(str(path)).frames
    assert found > 60 * SR
    out = tmp_path / "out.wav"
    assert run("edit", path, "make it 6 dB quieter", "-o", out).exit_code == 3
    r = run("edit", path, "make it 6 dB quieter", "-o", out, "--allow-truncated")
    assert r.exit_code == 0 and f"found {found}" in r.stderr
    x, _ = sf.read(str(path), dtype="float32")
    y, _ = sf.read(str(out), dtype="float32")
    assert len(y) == found and np.abs(y - x * 10 ** (-6 / 20)).max() < 1e-4
