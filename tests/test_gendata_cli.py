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
        assert r["base_model"] is None and r["clap"] is None  # no model made it
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


def test_malformed_caption_rows_stop_with_their_line_or_are_skipped_and_named_under_lenient(tmp_path, clip_set):
    clips, captions = clip_set
    header, *good = captions.read_text().splitlines()  # ten quoted rows
    good = [row for row in good if not row.startswith("camera-shutter.wav")]  # its row is the bad one below
    unclosed = tmp_path / "unclosed.csv"  # one quote never closed: it would swallow every later row into one caption
    unclosed.write_text("\n".join([header, *good[:3], 'camera-shutter.wav,"A shutter clicks', *good[3:]]) + "\n")
    commas = tmp_path / "commas.csv"  # an unquoted caption with commas: three fields under a two-column header
    commas.write_text("\n".join([header, *good[:6], "camera-shutter.wav,A click, then another", *good[6:]]) + "\n")
    last = tmp_path / "last.csv"  # the same at the last row: the file ends inside the quote
    last.write_text("\n".join([header, *good, 'camera-shutter.wav,"A shutter clicks', "camera-shutter.wav,A click"]) + "\n")
    for bad, line, problem in ((unclosed, 5, "a quoted field is not closed on this line (the quote on line 6"),
                               (last, 11, "a quoted field is never closed"), (commas, 8, "3 fields where the header has 2")):
        ds = tmp_path / f"ds-{bad.stem}"
        r = run(*manual_args(clips, bad, ds, 2))
        assert r.exit_code == 2 and f"{bad}:{line}: {problem}" in r.stderr and "--lenient" in r.stderr
        assert "Traceback" not in r.stderr and not ds.exists()  # nothing generated

        r = run(*manual_args(clips, bad, ds, 12, "--lenient", "--tasks", "LOW_PASS,HIGH_PASS"))
        assert r.exit_code == 0, r.stderr
        assert f"skipped 1 rows (malformed row): line {line} ({problem}" in r.stderr
        rows = lines(ds / MANIFEST)
        used = {s for row in rows for s in row["sources"]}
        assert len(used) >= 6 and "camera-shutter.wav" not in used  # the rows after the bad one are read
        assert all(len(row["input_caption"]) < 60 for row in rows)  # no caption swallowed other rows

    # A quoted caption may hold commas, doubled quotes and a line break: it stays one valid row.
    multi = tmp_path / "multi.csv"
    multi.write_text('file,caption\ncomplete.wav,"A chime, then a ""ding""\nfades out"\ntrash-empty.wav,Paper crumples\n')
    ds = tmp_path / "ds-multi"
    r = run(*manual_args(clips, multi, ds, 6, "--tasks", "LOW_PASS"))
    assert r.exit_code == 0, r.stderr
    captions_seen = {row["input_caption"] for row in lines(ds / MANIFEST)}
    assert 'A chime, then a "ding" fades out' in captions_seen and "Paper crumples" in captions_seen


def test_an_unreadable_clip_is_named_and_leaves_the_pool_also_after_a_rerun(tmp_path, clip_set):
    clips, captions = clip_set
    (clips.parent / "broken.wav").write_bytes(b"RIFF\x00\x01not really a wave file")
    nan = np.full((22050, 2), np.nan, np.float32)  # a valid header over NaN samples
    sf.write(str(clips.parent / "nan.wav"), nan, 44100, subtype="FLOAT")
    own = tmp_path / "captions.csv"
    own.write_text("\n".join([*captions.read_text().splitlines()[:4], "../broken.wav,A hum", "../nan.wav,A hiss"]) + "\n")
    ds = tmp_path / "ds"

    def unreadable() -> list[dict]:
        return [row for row in lines(ds / REJECTED) if row["reason"] == "unreadable clip"]

    for n in (16, 32):  # the rerun adds samples, drawing from the pool the first run left
        r = run(*manual_args(clips, own, ds, n, "--tasks", "LOW_PASS,HIGH_PASS", "--seed", "3"))
        assert r.exit_code == 0, r.stderr
        named = sorted(row["clip"] for row in unreadable())
        assert named == ["../broken.wav", "../nan.wav"]  # each named once: never drawn again
        assert all(row["task"] in ("LOW_PASS", "HIGH_PASS") for row in unreadable())
        assert len(lines(ds / MANIFEST)) == n
        assert not {"../broken.wav", "../nan.wav"} & {s for row in lines(ds / MANIFEST) for s in row["sources"]}
