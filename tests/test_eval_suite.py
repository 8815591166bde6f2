"""`sao eval suite`: the deterministic tasks built from real clips, run through `sao edit`, scored against exact targets."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run
from conftest import FREEDESKTOP
from models_helpers import one_thread, tiny_model  # noqa: F401  (fixtures)

CLIPS = ["alarm-clock-elapsed", "complete", "phone-incoming-call", "service-login", "service-logout", "trash-empty"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    for name in CLIPS:
        if not (FREEDESKTOP / f"{name}.oga").exists():
            pytest.skip("sound-theme-freedesktop is not installed")
        shutil.copy(FREEDESKTOP / f"{name}.oga", folder)
    return folder


@pytest.fixture(scope="module")
def dsp_run(clips, tmp_path_factory):
    keep = tmp_path_factory.mktemp("suite") / "dsp"
    r = run("eval", "suite", "--engine", "dsp", "--clips", clips, "--per-task", 1, "--tasks", "LOOP,PITCH,DROP,INPAINT",
            "--keep", keep, "--json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout), keep


def read(path):
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return x.T, sr


def test_dsp_route_runs_end_to_end_and_reproduces_exact_tasks(dsp_run):
    out, keep = dsp_run
    rows = {t["task"]: t for t in out["per_task"]}
    assert list(rows) == ["LOOP", "PITCH", "DROP", "INPAINT"]
    assert all(t["ok"] + t["refused"] + t["failed"] == 1 for t in rows.values())
    # LOOP is sample-exact on the DSP engine: the prediction is the target, and as long as count x input.
    assert rows["LOOP"]["status"] == "ok" and rows["LOOP"]["scores"]["si_sdr"] > 80
    (case,) = [c for c in out["cases"] if c["task"] == "LOOP"]
    manifest = json.loads((keep / "datasets" / "LOOP" / "manifest.jsonl").read_text().splitlines()[0])
    pred, _ = read(keep / "pred" / "LOOP" / f"{case['id']}.wav")
    source, _ = read(keep / "input" / "LOOP" / f"{case['id']}.wav")
    assert pred.shape[1] == manifest["params"]["count"] * source.shape[1]
    # PITCH keeps the length; the DSP shift is the target's own operation, so it scores far above doing nothing.
    assert rows["PITCH"]["status"] == "ok" and rows["PITCH"]["scores"]["si_sdr"] > rows["PITCH"]["input_si_sdr"] + 20
    for t in rows.values():
        if t["scores"]:
            assert all(np.isfinite(v) for v in t["scores"].values())
            assert t["scores"]["stft"] >= 0 and t["scores"]["mr_mel"] >= 0


def test_dsp_route_refuses_what_only_a_model_can_do(dsp_run):
    out, keep = dsp_run
    for task in ("DROP", "INPAINT"):
        (row,) = [t for t in out["per_task"] if t["task"] == task]
        assert row["status"] == "refused" and row["note"] == "needs the model" and not row["scores"]
        (case,) = [c for c in out["cases"] if c["task"] == task]
        assert "--engine dsp" in case["message"] or "model" in case["message"]
        assert not (keep / "pred" / task / f"{case['id']}.wav").exists()
    assert out["average"]["tasks"] == ["LOOP", "PITCH"]
    assert out["average"]["paper_si_sdr_same_tasks"] == pytest.approx(np.mean([-11.9, -41.4]))


def test_kept_cases_rescore_with_sao_eval(dsp_run):
    out, keep = dsp_run
    (row,) = [t for t in out["per_task"] if t["task"] == "PITCH"]
    r = run("eval", "--ref", keep / "target" / "PITCH", "--pred", keep / "pred" / "PITCH", "--input", keep / "input" / "PITCH", "--json")
    assert r.exit_code == 0, r.stderr
    again = json.loads(r.stdout)["metrics"]
    assert again["pred"]["si_sdr"] == pytest.approx(row["scores"]["si_sdr"], abs=1e-6)
    assert again["input"]["si_sdr"] == pytest.approx(row["input_si_sdr"], abs=1e-6)


def test_auto_matches_dsp_where_no_model_is_needed_and_neural_needs_the_model(dsp_run, clips, tmp_path):
    out, keep = dsp_run
    r = run("eval", "suite", "--engine", "auto", "--clips", clips, "--per-task", 1, "--tasks", "LOOP", "--keep", tmp_path / "auto", "--json")
    assert r.exit_code == 0, r.stderr
    (case,) = [c for c in out["cases"] if c["task"] == "LOOP"]
    auto, _ = read(tmp_path / "auto" / "pred" / "LOOP" / f"{case['id']}.wav")
    dsp, _ = read(keep / "pred" / "LOOP" / f"{case['id']}.wav")
    assert np.array_equal(auto, dsp)
    r = run("eval", "suite", "--engine", "neural", "--clips", clips, "--per-task", 1, "--tasks", "LOW_PASS", "--json")
    assert r.exit_code == 0, r.stderr
    (row,) = json.loads(r.stdout)["per_task"]
    assert row["status"] == "refused" and row["note"] == "needs the model"


@pytest.mark.parametrize("args, words", [
    (["--tasks", "LOW_PASS,FLANGE"], "unknown task(s) FLANGE"),
    (["--clips", "/nonexistent/clips"], "no such folder"),
    (["--per-task", "0"], "at least 1"),
])
def test_bad_suite_arguments_exit_2_in_one_line(args, words, clips):
    r = run("eval", "suite", "--clips", clips, *args) if "--clips" not in args else run("eval", "suite", *args)
    assert r.exit_code == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines[-1].startswith("sao: error:") and words in lines[-1] and "Traceback" not in r.stderr


def test_keep_refuses_a_folder_with_files(clips, tmp_path):
    (tmp_path / "something.txt").write_text("mine")
    r = run("eval", "suite", "--clips", clips, "--keep", tmp_path)
    assert r.exit_code == 2 and "not an empty folder" in r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["something.txt"]


def test_suite_runs_with_a_tiny_model_in_neural_and_auto_modes(dsp_run, clips, tiny_model, tmp_path, one_thread):
    """With a model, nothing is refused: neural edits everything, auto only what DSP cannot do."""
    out, keep = dsp_run
    results = {}
    for engine in ("neural", "auto"):
        r = run("eval", "suite", "--engine", engine, "--model", tiny_model, "--clips", clips, "--per-task", 1,
                "--tasks", "LOW_PASS,DROP", "--keep", tmp_path / engine, "--json")
        assert r.exit_code == 0, r.stderr
        results[engine] = {row["task"]: row for row in json.loads(r.stdout)["per_task"]}
        for task, row in results[engine].items():
            assert row["status"] == "ok", (engine, row)
            (case,) = [c for c in json.loads(r.stdout)["cases"] if c["task"] == task]
            pred, _ = read(tmp_path / engine / "pred" / task / f"{case['id']}.wav")
            target, _ = read(tmp_path / engine / "target" / task / f"{case['id']}.wav")
            assert pred.shape == target.shape and np.isfinite(pred).all()
    # a random model cannot low-pass; the hybrid route runs that step on DSP and reproduces the target
    assert results["neural"]["LOW_PASS"]["scores"]["si_sdr"] < 0
    assert results["auto"]["LOW_PASS"]["scores"]["si_sdr"] > 30


def test_a_failed_case_shows_sao_edits_reason_not_just_its_exit_code(dsp_run, tmp_path):
    """A case `sao edit` refuses (here its output path is a folder: exit 4) reads as the reason in the notes."""
    from datagen.eval_suite import Case, run_suite, sao_edit, summarise
    from sao_cli.commands.eval import _suite_notes

    out, keep = dsp_run
    (row,) = [c for c in out["cases"] if c["task"] == "PITCH"]
    case = Case("PITCH", row["id"], row["instruction"], keep / "input" / "PITCH" / f"{row['id']}.wav",
                keep / "target" / "PITCH" / f"{row['id']}.wav")
    (tmp_path / "pred" / "PITCH" / f"{row['id']}.wav").mkdir(parents=True)  # where the edit must go
    (result,) = run_suite([case], sao_edit("dsp"), tmp_path)
    assert result.status == "failed" and "is a folder" in result.reason and "exit 4" in result.reason
    per_task, average = summarise([result], ("PITCH",))
    (note,) = [n for n in _suite_notes(per_task, average) if n.startswith("PITCH")]
    assert "is a folder; give a file name" in note
