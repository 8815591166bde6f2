"""Splitting a file into parts: part lengths, parts that join back sample for sample, numbered
files with a sidecar each, replay of one part, and the refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from cli_helpers import run
from conftest import SR, real_sound, tone, write
from engine.errors import OutputRefused, UsageError
from engine.measure import rms_db
from engine.ops import get_operation
from engine.ops.split import part_bounds
from engine.parts import part_path
from engine.pipeline import EditRequest, OutputSpec, run_edit
from engine.plan import EditPlan, Step
from engine.planner import make_plan


def read(path) -> tuple[np.ndarray, int, str]:
    info = sf.info(str(path))
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return x.T, sr, info.subtype


def parts_of(folder, stem: str, ext: str = ".wav") -> list:
    return sorted(folder.glob(f"{stem}.part*{ext}"))


def music(seconds: float) -> np.ndarray:
    return tone(220.0, seconds) + tone(331.0, seconds, amp=0.2)


@pytest.mark.parametrize("frames,every_s,parts,expected", [
    (100, None, 3, [(0, 33), (33, 66), (66, 100)]),
    (SR * 10, 3.0, None, [(0, 3 * SR), (3 * SR, 6 * SR), (6 * SR, 9 * SR), (9 * SR, 10 * SR)]),
    (SR * 6, 3.0, None, [(0, 3 * SR), (3 * SR, 6 * SR)]),
])
def test_part_bounds_cover_the_file_without_gaps(frames, every_s, parts, expected):
    assert part_bounds(frames, SR, every_s, parts) == expected


def test_part_bounds_refuse_nonsense():
    with pytest.raises(UsageError, match="either"):
        part_bounds(100, SR, 1.0, 3)
    with pytest.raises(UsageError, match="empty"):
        part_bounds(2, SR, None, 3)
    with pytest.raises(UsageError, match="files"):
        part_bounds(SR * 3600, SR, 0.01, None)


def test_the_split_op_gives_one_part_and_refuses_without_one():
    x = music(1.0)
    op = get_operation("split")
    np.testing.assert_array_equal(op.apply(x, SR, {"parts": 4, "part": 2}), x[:, SR // 4 : SR // 2])
    with pytest.raises(UsageError, match="one file per part"):
        op.apply(x, SR, {"parts": 4})
    with pytest.raises(UsageError, match="no part 5"):
        op.apply(x, SR, {"parts": 4, "part": 5})


@pytest.mark.parametrize("subtype", ["FLOAT", "PCM_16", "PCM_24"])
def test_equal_parts_join_back_byte_exact(tmp_path, subtype):
    """Three parts of a 10.00001 s file: lengths differ by one frame at most, and the parts' samples
    put end to end are the input's, to the last bit (no fades, no dither: nothing was edited)."""
    x = music(10.1)[:, : 10 * SR + 1]
    src = write(tmp_path / "take.wav", x, subtype=subtype)
    outcome = run_edit(EditRequest(str(src), [make_plan("split into 3 equal parts")], OutputSpec(str(src)), sidecar=f"{src}.sao.json"))
    files = parts_of(tmp_path, "take")
    assert [p["path"] for p in outcome.parts] == [str(f) for f in files] and [f.name for f in files] == ["take.part01.wav", "take.part02.wav", "take.part03.wav"]
    pieces = [read(f) for f in files]
    assert [p[0].shape[1] for p in pieces] == [147000, 147000, 147001]
    assert all(p[1] == SR and p[2] == subtype for p in pieces)
    original = read(src)[0]
    np.testing.assert_array_equal(np.concatenate([p[0] for p in pieces], axis=1), original)
    raw = [sf.read(str(f), dtype="int32" if subtype != "FLOAT" else "float32")[0] for f in [src, *files]]
    assert np.array_equal(np.concatenate(raw[1:]), raw[0])  # the integers themselves


def test_pieces_of_a_length_with_a_shorter_last_one_and_edits_before_and_after(tmp_path):
    """"quieter, then split into 2-second pieces, then fade out": the gain runs once, the fade in every part."""
    src = write(tmp_path / "in.wav", music(5.0), subtype="FLOAT")
    out_dir = tmp_path / "parts"
    out_dir.mkdir()
    plan = make_plan("make it 6 dB quieter, then split it into 2-second pieces, then fade out over 0.5 s")
    assert [s.op for s in plan.steps] == ["gain", "split", "fade"]
    run_edit(EditRequest(str(src), [plan], OutputSpec(str(out_dir / "in.wav")), sidecar=str(out_dir / "in.wav.sao.json")))
    files = parts_of(out_dir, "in")
    assert [read(f)[0].shape[1] for f in files] == [2 * SR, 2 * SR, SR]
    x = read(src)[0]
    for k, f in enumerate(files):
        y = read(f)[0]
        head = slice(0, SR // 2)
        assert rms_db(y[:, head]) - rms_db(x[:, k * 2 * SR : k * 2 * SR + SR // 2]) == pytest.approx(-6.0, abs=0.05)
        assert rms_db(y[:, -SR // 20 :]) < rms_db(y[:, head]) - 20  # each part fades out at its own end


def test_sao_edit_writes_numbered_parts_beside_the_input_with_sidecars_and_replays_one(tmp_path):
    sound, sr = real_sound("complete")
    src = write(tmp_path / "chime.wav", sound, sr)
    r = run("edit", src, "split the file into 0.25-second pieces", "--json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    files = parts_of(tmp_path, "chime")
    assert len(files) == len(report["parts"]) == -(-sound.shape[1] // (sr // 4)) and report["output"] is None
    for k, f in enumerate(files, 1):
        side = json.loads(f.with_name(f.name + ".sao.json").read_text())
        split = side["steps"][0]["plan"]["steps"][0]
        assert split["op"] == "split" and split["params"] == {"every_s": 0.25, "part": k}
        assert side["output"]["path"] == str(f)
    again = tmp_path / "again.wav"
    r = run("replay", files[1].with_name(files[1].name + ".sao.json"), "-o", again)
    assert r.exit_code == 0, r.stderr
    assert again.read_bytes() == files[1].read_bytes() and "identical" in r.stderr


def test_parts_go_into_a_folder_given_with_o_and_nothing_is_overwritten(tmp_path):
    src = write(tmp_path / "take.wav", music(3.0))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert run("edit", src, "cut it in half", "-o", out_dir).exit_code == 0
    files = parts_of(out_dir, "take")
    assert [f.name for f in files] == ["take.part01.wav", "take.part02.wav"]
    before = [f.read_bytes() for f in files]
    (out_dir / "take.part02.wav.sao.json").unlink()
    r = run("edit", src, "cut it in half", "-o", out_dir)
    assert r.exit_code == 4 and "exists" in r.stderr
    assert [f.read_bytes() for f in files] == before and not (out_dir / "take.part02.wav.sao.json").exists()
    assert run("edit", src, "make it quieter, then cut it in half", "-o", out_dir, "--force").exit_code == 0
    assert rms_db(read(files[0])[0]) < rms_db(read(src)[0][:, : 3 * SR // 2]) - 1


def test_split_refuses_stdout_play_regions_and_intermediates(tmp_path):
    src = write(tmp_path / "take.wav", music(2.0))
    r = run("edit", src, "split into 3 parts", "-o", "-")
    assert r.exit_code == 2 and "-o DIR" in r.stderr
    r = run("edit", src, "split into 3 parts", "--play")
    assert r.exit_code == 2 and "per part" in r.stderr
    with pytest.raises(UsageError, match="whole file"):
        run_edit(EditRequest(str(src), [EditPlan("x", [Step("split", {"parts": 2}, region=make_plan("mute the first second").steps[0].region)])],
                             OutputSpec(str(tmp_path / "o.wav"))))
    r = run("chain", src, "make it louder", "split into 2 parts", "-o", tmp_path / "o.wav", "--keep-intermediates")
    assert r.exit_code == 2 and "intermediates" in r.stderr
    r = run("edit", src, "split into 3 parts", "-o", f"{tmp_path}/nowhere/")
    assert r.exit_code == 4 and "no such folder" in r.stderr
    assert not list(tmp_path.glob("**/*.part*"))


def test_sao_chain_splits_after_its_earlier_steps_and_names_parts_after_o(tmp_path):
    src = write(tmp_path / "take.flac", music(4.0))
    r = run("chain", src, "make it 3 dB louder", "split into 4 equal parts", "-o", tmp_path / "final.flac")
    assert r.exit_code == 0, r.stderr
    files = parts_of(tmp_path, "final", ".flac")
    assert len(files) == 4 and all(read(f)[0].shape[1] == SR for f in files)
    side = json.loads(files[3].with_name(files[3].name + ".sao.json").read_text())
    assert [s["instruction"] for s in side["steps"]] == ["make it 3 dB louder", "split into 4 equal parts"]
    assert side["steps"][1]["plan"]["steps"][0]["params"]["part"] == 4


def test_part_names():
    assert part_path("a/take.wav", 3, 12) == "a/take.part03.wav"
    assert part_path("take.flac", 7, 120) == "take.part007.flac"
    assert part_path("x/.sao/take.wav.sao.json", 1, 2) == "x/.sao/take.part01.wav.sao.json"


def test_batch_splits_every_file(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b"):
        write(src / f"{name}.wav", music(2.0))
    r = run("batch", src, "split into 2 parts", "-o", tmp_path / "out")
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.wav")) == ["a.part01.wav", "a.part02.wav", "b.part01.wav", "b.part02.wav"]
    assert (tmp_path / "out" / ".sao" / "a.part02.wav.sao.json").exists()


def test_refusing_an_existing_part_writes_nothing(tmp_path):
    src = write(tmp_path / "take.wav", music(2.0))
    (tmp_path / "take.part03.wav").write_bytes(b"mine")
    with pytest.raises(OutputRefused):
        run_edit(EditRequest(str(src), [make_plan("split into 3 parts")], OutputSpec(str(src))))
    assert [p.name for p in parts_of(tmp_path, "take")] == ["take.part03.wav"]


@pytest.mark.parametrize("text,params", [
    ("split the file into 30-second pieces", {"every_s": 30.0}),
    ("split the 12-minute file into 3 equal parts", {"parts": 3}),
    ("Split my file in 30s intervals", {"every_s": 30.0}),
    ("split the podcast into three-minute chunks", {"every_s": 180.0}),
    ("split the 60-minute files into 1-minute files", {"every_s": 60.0}),
    ("cut it in half", {"parts": 2}),
    ("divide it into quarters", {"parts": 4}),
    ("chop it into pieces of 500 ms", {"every_s": 0.5}),
    ("split it every 10 minutes", {"every_s": 600.0}),
    ("split it every hour", {"every_s": 3600.0}),
])
def test_planner_reads_splits(text, params):
    assert [(s.op, s.params) for s in make_plan(text).steps] == [("split", params)]


@pytest.mark.parametrize("text,op", [("cut the volume in half", "gain"), ("cut the first second", "trim")])
def test_split_words_without_parts_are_not_splits(text, op):
    assert [s.op for s in make_plan(text).steps] == [op]
