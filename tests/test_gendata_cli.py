"""`sao gen-data` as users run it: real processes, real recordings, kills, resumes, shards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run, sao
from test_gendata_dataset import make_clips

from datagen.dataset import MANIFEST, REJECTED, read_jsonl


@pytest.fixture(scope="module")
def clip_set(tmp_path_factory):
    return make_clips(tmp_path_factory.mktemp("clips"))


def manual_args(clips, captions, out, n, *extra):
    return ["gen-data", "manual", "--clips", clips, "--captions", captions, "--n", n, "--out", out, *extra]


def lines(path: Path) -> list[dict]:
    return read_jsonl(path)


def check_consistent(ds: Path) -> set[str]:
    """Every manifest line has both files, complete; returns the names of any other files in audio/."""
    rows = lines(ds / MANIFEST)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    listed = set()
    for r in rows:
        for key in ("input", "output"):
            info = sf.info(str(ds / r[key]))
            assert info.samplerate == r["sample_rate"]
            listed.add(Path(r[key]).name)
        longest = max(sf.info(str(ds / r[k])).frames for k in ("input", "output"))
        assert longest / r["sample_rate"] == pytest.approx(r["duration_s"], abs=1e-5)
    return {p.name for p in (ds / "audio").iterdir()} - listed


def test_manual_makes_n_listed_triplets_with_a_summary(tmp_path, clip_set):
    clips, captions = clip_set
    ds = tmp_path / "ds"
    p = sao(*manual_args(clips, captions, ds, 16, "--json"))
    assert p.returncode == 0, p.stderr.decode()
    summary = json.loads(p.stdout)
    rows = lines(ds / MANIFEST)
    assert len(rows) == 16 and check_consistent(ds) == set()
    assert sum(summary["dataset"]["kept"].values()) == 16
    rejected = lines(ds / REJECTED)
    assert sum(summary["this_run"]["rejected"].values()) == len(rejected)
    for r in rows:
        assert r["pipeline"] == "manual" and r["instruction"] and r["input_caption"] and r["output_caption"]
        assert r["input"] == f"audio/{r['id']}.in.wav" and r["sample_rate"] == 44100
        x, _ = sf.read(str(ds / r["input"]), always_2d=True)
        assert x.shape[1] == 2 and np.max(np.abs(x)) <= 10 ** (-1 / 20) + 1e-4  # the shared -1 dBFS ceiling


def test_rerun_skips_finished_ids_and_a_larger_n_only_adds(tmp_path, clip_set):
    clips, captions = clip_set
    ds = tmp_path / "ds"
    r = run(*manual_args(clips, captions, ds, 6))
    assert r.exit_code == 0, r.stderr
    before = (ds / MANIFEST).read_bytes()
    r = run(*manual_args(clips, captions, ds, 6, "--json"))
    assert r.exit_code == 0 and json.loads(r.stdout)["this_run"]["kept"] == {}
    assert (ds / MANIFEST).read_bytes() == before
    assert run(*manual_args(clips, captions, ds, 9)).exit_code == 0
    after = (ds / MANIFEST).read_bytes()
    assert after.startswith(before) and len(lines(ds / MANIFEST)) == 9


def test_summary_table_counts_rejections_by_reason(tmp_path, clip_set):
    clips, _ = clip_set
    sf.write(str(clips.parent / "silence.wav"), np.zeros((44100, 2), np.float32), 44100)
    sf.write(str(clips.parent / "blip.wav"), 0.3 * np.ones((400, 2), np.float32), 44100)
    (clips.parent / "broken.wav").write_bytes(b"RIFF\x00\x01not really a wave file")
    own = tmp_path / "captions.jsonl"  # JSON Lines this time, with a silent, a too-short and a corrupt clip
    rows = [{"file": f"../{n}", "caption": c} for n, c in (("silence.wav", "Nothing at all"), ("blip.wav", "A click"), ("broken.wav", "A hum"))]
    rows += [{"file": p.name, "caption": p.stem.replace("-", " ")} for p in sorted(clips.iterdir())[:3]]
    own.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = tmp_path / "ds"
    r = run(*manual_args(clips, own, ds, 12, "--tasks", "PITCH,LOW_PASS,DROP"))
    assert r.exit_code == 0, r.stderr
    table = r.stdout
    reasons = {}
    for row in lines(ds / REJECTED):
        reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
    assert {"clip too short", "unreadable clip"} <= set(reasons) and reasons.keys() & {"silent input", "silent source"}
    for reason, count in reasons.items():
        assert f"rejected: {reason}" in table
        row = next(line for line in table.splitlines() if f"rejected: {reason}" in line)
        assert row.split("│")[2].strip() == str(count)
    assert {row["task"] for row in lines(ds / MANIFEST)} <= {"PITCH", "LOW_PASS", "DROP"}
    assert "generating" in r.stderr  # the progress bar


def test_kill_9_mid_run_leaves_no_half_sample_and_resumes_to_the_same_dataset(tmp_path, clip_set):
    clips, captions = clip_set
    n = 30
    clean = tmp_path / "clean"
    assert run(*manual_args(clips, captions, clean, n)).exit_code == 0
    ds = tmp_path / "killed"
    env = dict(os.environ, HF_HUB_OFFLINE="1", NO_COLOR="1")
    for reached in (2, 9, 17):  # kill three times, at different points
        proc = subprocess.Popen([sys.executable, "-m", "sao_cli", *map(str, manual_args(clips, captions, ds, n))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(lines(ds / MANIFEST)) < reached:
            time.sleep(0.003)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        leftovers = check_consistent(ds)  # no line without its files, every listed file complete
        # At most what the next open clears: temp files and one sample's unlisted pair.
        assert all(name.endswith((".part", ".in.wav", ".out.wav")) for name in leftovers)
        assert len([x for x in leftovers if not x.endswith(".part")]) <= 2
    p = sao(*manual_args(clips, captions, ds, n))
    assert p.returncode == 0, p.stderr.decode()
    assert check_consistent(ds) == set() and not list((ds / "audio").glob(".*"))
    assert (ds / MANIFEST).read_bytes() == (clean / MANIFEST).read_bytes()
    for r in lines(ds / MANIFEST):
        assert (ds / r["output"]).read_bytes() == (clean / r["output"]).read_bytes()


def test_shards_merge_and_split_from_the_command_line(tmp_path, clip_set):
    clips, captions = clip_set
    for i in range(2):
        assert run(*manual_args(clips, captions, tmp_path / f"s{i}", 10, "--shard", f"{i}/2", "--seed", "7")).exit_code == 0
    a, b = ({r["id"] for r in lines(tmp_path / f"s{i}" / MANIFEST)} for i in range(2))
    assert a and b and not a & b and len(a | b) == 10
    r = run("gen-data", "merge", tmp_path / "s0", tmp_path / "s1", "-o", tmp_path / "all", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["kept"] == 10 and check_consistent(tmp_path / "all") == set()
    r = run("gen-data", "merge", tmp_path / "s0", tmp_path / "all", "-o", tmp_path / "dup")
    assert r.exit_code == 2 and "duplicate ids" in r.stderr and not (tmp_path / "dup").exists()
    r = run("gen-data", "merge", tmp_path / "s0", "-o", tmp_path / "all")
    assert r.exit_code == 4
    r = run("gen-data", "split", tmp_path / "all", "--val", "0.3", "--json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["train"] + report["val"] + report["left_out"] == 10 and report["val"] > 0


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--shard", "2/2"], "--shard"),
        (["--tasks", "PITCH,WOBBLE"], "WOBBLE"),
        (["--n", "0"], "--n"),
        (["--seed", "-1"], "--seed"),
        (["--llm-model", "x"], "--llm-url"),
        (["--llm-url", "localhost:8080"], "http://"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path, clip_set, extra, message):
    clips, captions = clip_set
    r = run(*manual_args(clips, captions, tmp_path / "ds", 2), *extra)
    assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "ds" / MANIFEST).exists()


def test_bad_captions_are_usage_errors(tmp_path, clip_set):
    clips, _ = clip_set
    headerless = tmp_path / "c.csv"
    headerless.write_text("bell.wav,A bell\n")
    missing = tmp_path / "m.csv"
    missing.write_text("file,caption\nnot-there.wav,A ghost\n")
    for captions, message in ((tmp_path / "none.csv", "no such file"), (headerless, "file,caption"), (missing, "no usable clips")):
        r = run(*manual_args(clips, captions, tmp_path / "ds", 2))
        assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.stderr
