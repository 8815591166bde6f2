"""`sao edit`, `sao plan`, `sao info`, `sao ops` end to end: outputs measured, bad input refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from cli_helpers import run, sao
from conftest import SR, tone, write
from engine.measure import dominant_hz, rms_db


def read(path):
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return x.T, sr


def test_edit_louder_measured_with_sidecar(tmp_path, wav):
    out = tmp_path / "out.wav"
    r = run("edit", wav, "make it 6 dB louder", "-o", out)
    assert r.exit_code == 0, r.stderr
    x, _ = read(wav)
    y, sr = read(out)
    assert sr == SR and y.shape == x.shape
    assert rms_db(y) - rms_db(x) == pytest.approx(6.0, abs=0.1)
    side = json.loads((tmp_path / "out.wav.sao.json").read_text())
    assert side["steps"][0]["plan"]["steps"][0]["op"] == "louder"
    assert side["input"]["frames"] == x.shape[1] and side["output"]["sha256"]


def test_default_output_name_and_refusals(tmp_path, wav):
    r = run("edit", wav, "make it quieter")
    assert r.exit_code == 0
    out = tmp_path / "tone.edited.wav"
    assert out.exists() and rms_db(read(out)[0]) < rms_db(read(wav)[0]) - 1
    before = out.read_bytes()
    r = run("edit", wav, "make it quieter")
    assert r.exit_code == 4 and "exists" in r.stderr and out.read_bytes() == before
    assert run("edit", wav, "make it quieter", "--force").exit_code == 0
    r = run("edit", wav, "make it quieter", "-o", wav)
    assert r.exit_code == 4 and "input" in r.stderr


def test_formats_and_output_options(tmp_path):
    src = tmp_path / "in.flac"
    sf.write(str(src), tone(440, 1.0).T, SR, subtype="PCM_24")
    r = run("edit", src, "make it a bit quieter", "-o", tmp_path / "o.wav", "--sr", "22050", "--channels", "1", "--bits", "16")
    assert r.exit_code == 0, r.stderr
    info = sf.info(str(tmp_path / "o.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16")
    assert info.duration == pytest.approx(1.0, abs=1e-3)
    assert dominant_hz(read(tmp_path / "o.wav")[0], 22050) == pytest.approx(440, rel=0.01)
    mp3 = tmp_path / "song.mp3"
    sf.write(str(mp3), tone(440, 1.0).T, SR, format="MP3")
    assert run("edit", mp3, "make it louder").exit_code == 0
    assert (tmp_path / "song.edited.wav").exists()


def test_clipping_is_limited_with_a_warning(tmp_path, wav):
    out = tmp_path / "hot.wav"
    r = run("edit", wav, "+20 dB", "-o", out)  # a plain gain: "louder" limits (tests/test_louder.py)
    assert r.exit_code == 0 and "clip" in r.stderr
    from engine.measure import true_peak

    assert true_peak(read(out)[0], SR) <= -0.09


@pytest.mark.parametrize(
    "instruction,code,words",
    [("remove the dog barking", 6, "model"), ("flurb the wizzle glonk", 5, "sao ops")],
)
def test_refused_instructions_write_nothing(tmp_path, wav, instruction, code, words):
    out = tmp_path / "o.wav"
    p = sao("edit", wav, instruction, "-o", out)
    assert p.returncode == code
    err = p.stderr.decode()
    assert words in err and "Traceback" not in err and not out.exists()


def test_engine_dsp_refuses_a_neural_step(tmp_path, wav):
    p = sao("edit", wav, "add reverb and remove the dog barking", "--engine", "dsp", "-o", tmp_path / "o.wav")
    assert p.returncode == 6 and b"--engine dsp" in p.stderr and not (tmp_path / "o.wav").exists()


def _nan(path):
    x = tone(seconds=0.2)
    x[0, 5] = np.inf
    sf.write(str(path), x.T, SR, subtype="FLOAT")


@pytest.mark.parametrize(
    "make",
    [lambda p: None, lambda p: p.write_bytes(b""), lambda p: p.write_text("not audio at all\n" * 50),
     lambda p: p.write_bytes(write(p.with_name("ok.wav"), tone()).read_bytes()[:40]),
     lambda p: sf.write(str(p), np.zeros((0, 2)), SR), _nan],
    ids=["missing", "empty", "text", "truncated", "zero-length", "non-finite"],
)
def test_bad_input_exit_3_one_line_no_output(tmp_path, make):
    src = tmp_path / "bad.wav"
    make(src)
    out = tmp_path / "o.wav"
    p = sao("edit", src, "make it louder", "-o", out)
    err = p.stderr.decode().strip()
    assert p.returncode == 3, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_usage_errors_exit_2(tmp_path, wav):
    assert sao("edit", wav).returncode == 2
    assert sao("edit", wav, "louder", "--engine", "quantum").returncode == 2
    p = sao("edit", wav, "louder", "-o", "-", "--json")
    assert p.returncode == 2 and b"--json" in p.stderr
    assert sao("edit", wav, "louder", "-o", tmp_path / "x.mp3").returncode == 2


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, wav):
    r = run("edit", wav, "trim the first second, then add a small room reverb", "--dry-run", "--json")
    assert r.exit_code == 0
    plan = json.loads(r.stdout)
    assert [s["op"] for s in plan["steps"]] == ["trim", "reverb"]
    assert plan["steps"][0]["params"]["end_s"] == pytest.approx(1.0)
    table = run("plan", "trim the first second, then add a small room reverb")
    assert "trim" in table.stdout and "reverb" in table.stdout
    assert list(tmp_path.iterdir()) == [wav]


def test_json_result_on_stdout(tmp_path, wav):
    r = run("edit", wav, "pitch it up 3 semitones", "-o", tmp_path / "o.wav", "--json")
    data = json.loads(r.stdout)
    assert data["output"] == str(tmp_path / "o.wav") and data["channels"] == 2
    f0 = dominant_hz(read(tmp_path / "o.wav")[0], SR)
    assert f0 / 440 == pytest.approx(2 ** (3 / 12), rel=0.01)


def test_info_and_ops_json(wav):
    info = json.loads(run("info", wav, "--json").stdout)[0]
    assert info["duration_s"] == pytest.approx(2.0) and info["channels"] == 2
    assert info["peak_db"] == pytest.approx(20 * np.log10(0.3), abs=0.05)
    assert info["rms_db"] == pytest.approx(20 * np.log10(0.3 / np.sqrt(2)), abs=0.05)
    ops = json.loads(run("ops", "--json").stdout)
    names = {o["name"] for o in ops}
    assert {"gain", "trim", "reverb", "pitch_shift", "denoise", "add"} <= names
    assert all(o["summary"] for o in ops)
    assert run("info", "/nonexistent.wav").exit_code == 3


def test_help_and_dsp_edit_do_not_import_torch(tmp_path, wav):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from sao_cli.app import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0\n"
        f"r = CliRunner().invoke(app, ['edit', '{wav}', 'add reverb and make it louder', '-o', '{tmp_path / 'o.wav'}'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('torch' in sys.modules)\n"
    )
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "False"


def test_version_and_quiet(wav, tmp_path):
    assert run("--version").stdout.startswith("sao ")
    r = run("--quiet", "edit", wav, "louder", "-o", tmp_path / "q.wav")
    assert r.exit_code == 0 and r.stderr == ""
