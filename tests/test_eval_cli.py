"""`sao eval --ref --pred`: folders of real recordings scored, models optional, bad folders refused in one line."""

from __future__ import annotations

import json
import shutil

import pytest
import soundfile as sf
from cli_helpers import run, sao
from conftest import real_sound
from test_eval_metrics import snr_noise, tiny_clap, tiny_panns

NAMES = ["alarm-clock-elapsed", "complete", "phone-incoming-call", "trash-empty"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """ref/ (float WAV), pred/ = ref + noise at 20 dB SNR (FLAC, so pairing ignores the extension),
    input/ = ref + noise at 5 dB SNR, exact/ = copies of ref; captions.csv names each clip."""
    root = tmp_path_factory.mktemp("eval")
    for d in ("ref", "pred", "input", "exact"):
        (root / d).mkdir()
    rows = ["file,caption"]
    for i, name in enumerate(NAMES):
        x, sr = real_sound(name)
        x = x[:, :sr]
        sf.write(root / "ref" / f"{name}.wav", x.T, sr, subtype="FLOAT")
        sf.write(root / "exact" / f"{name}.wav", x.T, sr, subtype="FLOAT")
        sf.write(root / "pred" / f"{name}.flac", (x + snr_noise(x, 20.0, seed=i)).T, sr, subtype="PCM_24")
        sf.write(root / "input" / f"{name}.wav", (x + snr_noise(x, 5.0, seed=i)).T, sr, subtype="FLOAT")
        rows.append(f"{name}.wav,{name.replace('-', ' ')} sound")
    (root / "captions.csv").write_text("\n".join(rows) + "\n")
    return root


def one_line_error(r, code: int) -> str:
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("sao: error:") and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def test_signal_metrics_measure_the_added_noise_and_name_the_skipped_models(folders):
    r = run("eval", "--ref", folders / "ref", "--pred", folders / "pred", "--input", folders / "input", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    pred, baseline = out["metrics"]["pred"], out["metrics"]["input"]
    assert out["files"] == len(NAMES) and len(out["per_file"]) == len(NAMES)
    assert pred["si_sdr"] == pytest.approx(20.0, abs=0.5) and baseline["si_sdr"] == pytest.approx(5.0, abs=0.5)
    for key in ("lsd", "stft", "mr_stft", "mr_mel"):
        assert 0 < pred[key] < baseline[key], key
    assert {"fd_panns", "kl_softmax", "is", "fd_clap", "clap_score"} <= set(out["skipped"])
    assert "--panns" in r.stderr and "--clap" in r.stderr and "skipped" in r.stderr


def test_the_table_shows_both_columns(folders):
    r = run("eval", "--ref", folders / "ref", "--pred", folders / "exact", "--input", folders / "input")
    assert r.exit_code == 0, r.stderr
    row = next(ln for ln in r.stdout.splitlines() if "SI-SDR" in ln)
    cells = [c.strip() for c in row.split("│") if c.strip()]
    assert cells[1] == "higher" and float(cells[2]) > 100 and float(cells[3]) == pytest.approx(5.0, abs=0.5)
    assert "pred vs ref" in r.stdout and "input vs ref" in r.stdout


def test_model_metrics_with_tiny_cnn14_and_clap(folders, tmp_path):
    """Predictions identical to the references: FD and KL ≈ 0; the noisy inputs: clearly above."""
    for side in ("ref", "exact", "input"):  # three of the clips keep it quick
        (tmp_path / side).mkdir()
        for name in NAMES[:3]:
            shutil.copy(folders / side / f"{name}.wav", tmp_path / side)
    ckpt, clap = tiny_panns(tmp_path), tiny_clap(tmp_path / "clap")
    r = run("eval", "--ref", tmp_path / "ref", "--pred", tmp_path / "exact", "--input", tmp_path / "input",
            "--panns", ckpt, "--clap", clap, "--captions", folders / "captions.csv", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["skipped"] == {}
    exact, noisy = out["metrics"]["pred"], out["metrics"]["input"]
    scale = noisy["fd_panns"]
    assert scale > 0 and exact["fd_panns"] < 1e-6 * max(scale, 1.0)
    assert noisy["fd_clap"] > 0 and exact["fd_clap"] < 1e-6
    assert abs(exact["kl_softmax"]) < 1e-6 and noisy["kl_softmax"] > 1e-4 and noisy["kl_sigmoid"] > 1e-4
    assert 1.0 <= exact["is"] <= 527
    assert -1.0 <= exact["clap_score"] <= 1.0 and exact["clap_score"] != noisy["clap_score"]


def test_missing_and_extra_files_are_refused_in_one_line(folders, tmp_path):
    pred = tmp_path / "pred"
    shutil.copytree(folders / "pred", pred)
    (pred / "trash-empty.flac").unlink()
    line = one_line_error(run("eval", "--ref", folders / "ref", "--pred", pred), 3)
    assert f"no file for 1 of {len(NAMES)} references" in line and "trash-empty.wav" in line
    shutil.copy(folders / "pred" / "trash-empty.flac", pred)
    shutil.copy(folders / "pred" / "complete.flac", pred / "stray.flac")
    line = one_line_error(run("eval", "--ref", folders / "ref", "--pred", pred), 3)
    assert "no reference" in line and "stray.flac" in line


def test_mismatched_sample_rates_are_refused_in_one_line(folders, tmp_path):
    pred = tmp_path / "pred"
    shutil.copytree(folders / "exact", pred)
    x, sr = sf.read(pred / "complete.wav", always_2d=True)
    sf.write(pred / "complete.wav", x[::2], sr // 2)
    line = one_line_error(run("eval", "--ref", folders / "ref", "--pred", pred), 3)
    assert "complete.wav" in line and f"{sr // 2} Hz" in line and f"{sr} Hz" in line


def test_usage_errors_exit_2_in_one_line(folders, tmp_path):
    assert "--ref" in one_line_error(run("eval"), 2)
    assert "no such file" in one_line_error(run("eval", "--ref", folders / "ref", "--pred", folders / "pred", "--panns", tmp_path / "nope.pth"), 2)
    captions = tmp_path / "few.csv"
    captions.write_text("file,caption\ncomplete.wav,a chime\n")
    line = one_line_error(run("eval", "--ref", folders / "ref", "--pred", folders / "pred", "--clap", tiny_clap(tmp_path / "clap"),
                              "--captions", captions), 2)
    assert f"no caption for {len(NAMES) - 1} file(s)" in line


def test_an_uncached_hub_model_fails_fast_as_a_real_process(folders):
    """HF_HUB_OFFLINE=1 (set by the helper): a hub id that is not cached is refused at once, with no traceback."""
    p = sao("eval", "--ref", folders / "ref", "--pred", folders / "pred", "--clap", "no-such-org/no-such-clap", timeout=60)
    assert p.returncode == 2, p.stderr
    err = p.stderr.decode()
    assert "Traceback" not in err and "--clap no-such-org/no-such-clap" in err and "hub cache" in err
