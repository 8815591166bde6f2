"""Sidecars, replay, and shell pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import soundfile as sf

from cli_helpers import run, sao
from conftest import SR, tone, write
from engine.measure import band_energy_db, rms_db


def test_replay_is_byte_identical_and_checks_the_input(tmp_path, wav):
    out = tmp_path / "o.flac"
    assert run("edit", wav, "low pass at 1 kHz and make it 2 dB louder", "-o", out).exit_code == 0
    side = tmp_path / "o.flac.sao.json"
    data = json.loads(side.read_text())
    assert data["version"] == 1 and data["output"]["sha256"]
    r = run("replay", side)
    assert r.exit_code == 4  # the recorded output exists
    r = run("replay", side, "--force")
    assert r.exit_code == 0 and "identical" in r.stderr
    write(wav, tone(441.0))  # change the input
    r = run("replay", side, "-o", tmp_path / "x.flac")
    assert r.exit_code == 3 and "changed" in r.stderr
    (tmp_path / "bogus.json").write_text("{}")
    assert run("replay", tmp_path / "bogus.json").exit_code == 2


def test_no_sidecar_and_explicit_sidecar(tmp_path, wav):
    assert run("edit", wav, "louder", "-o", tmp_path / "a.wav", "--no-sidecar").exit_code == 0
    assert not (tmp_path / "a.wav.sao.json").exists()
    p = sao("edit", wav, "louder", "-o", "-", "--sidecar", tmp_path / "s.json")
    assert p.returncode == 0 and json.loads((tmp_path / "s.json").read_text())["output"]["path"] == "-"


def test_pipe_between_two_edits(tmp_path, wav):
    out = tmp_path / "piped.wav"
    env = dict(os.environ, NO_COLOR="1")
    cmd = f'{sys.executable} -m sao_cli edit {wav} "make it 6 dB louder" -o - | {sys.executable} -m sao_cli edit - "low pass at 2 kHz" -o {out}'
    p = subprocess.run(cmd, shell=True, capture_output=True, env=env)
    assert p.returncode == 0, p.stderr
    x, _ = sf.read(str(wav), dtype="float32", always_2d=True)
    y, sr = sf.read(str(out), dtype="float32", always_2d=True)
    assert sr == SR and y.shape == x.shape
    assert rms_db(y.T) == pytest.approx(rms_db(x.T) + 6, abs=0.5)  # 440 Hz passes a 2 kHz low-pass untouched


def test_stdout_is_a_valid_wav_and_stdin_needs_output(tmp_path, wav):
    p = sao("edit", wav, "add a high pass at 2 kHz", "-o", "-")
    assert p.returncode == 0 and p.stdout[:4] == b"RIFF"
    (tmp_path / "o.wav").write_bytes(p.stdout)
    y, _ = sf.read(str(tmp_path / "o.wav"), dtype="float32", always_2d=True)
    assert band_energy_db(y.T, SR, 300, 600) < band_energy_db(tone().astype("float32"), SR, 300, 600) - 20
    p = sao("edit", "-", "louder", input=wav.read_bytes())
    assert p.returncode == 2 and b"-o" in p.stderr
    assert sao("edit", "-", "louder", "-o", tmp_path / "e.wav", input=b"").returncode == 3
