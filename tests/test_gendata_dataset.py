"""The dataset folder: atomic samples, recovery, shards, merge and split, on real recordings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import FREEDESKTOP, SR, tone

from datagen.dataset import MANIFEST, REJECTED, DatasetWriter, Sample, read_manifest
from datagen.manual import ManualConfig, ManualJob
from datagen.merge import merge
from datagen.split import split
from engine.errors import OutputRefused, UsageError

# Real recordings (various rates and channel counts) with captions written for them.
CLIPS = {
    "alarm-clock-elapsed": "An alarm clock beeps repeatedly",
    "complete": "A bright chime plays a short rising melody",
    "message-new-instant": "A soft notification pops",
    "phone-incoming-call": "A phone rings with a melodic tone",
    "service-login": "Gentle synth chords swell up",
    "suspend-error": "A low electronic buzz sounds twice",
    "trash-empty": "Paper crumples and rustles",
    "camera-shutter": "A camera shutter clicks",
    "audio-test-signal": "A test tone sweeps",
    "phone-outgoing-busy": "A telephone busy signal beeps",
}


def make_clips(folder: Path) -> tuple[Path, Path]:
    """Copy the recordings into `folder/clips` as WAV and write `folder/captions.csv`."""
    clips = folder / "clips"
    clips.mkdir(parents=True)
    rows = ["file,caption"]
    for name, caption in CLIPS.items():
        path = FREEDESKTOP / f"{name}.oga"
        if not path.exists():
            pytest.skip(f"{path} missing: install sound-theme-freedesktop")
        x, sr = sf.read(str(path), dtype="float32")
        sf.write(str(clips / f"{name}.wav"), x, sr)
        rows.append(f'{name}.wav,"{caption}"')
    captions = folder / "captions.csv"
    captions.write_text("\n".join(rows) + "\n")
    return clips, captions


def generate(folder: Path, clips: Path, captions: Path, n: int, **kw) -> list[dict]:
    job = ManualJob(ManualConfig(clips, captions, n, folder, **kw))
    try:
        list(job.run())
    finally:
        job.close()
    return read_manifest(folder)


def audio_files(folder: Path) -> set[str]:
    return {p.name for p in (folder / "audio").iterdir()}


@pytest.fixture(scope="module")
def clip_set(tmp_path_factory):
    return make_clips(tmp_path_factory.mktemp("clips"))


def test_a_sample_is_written_whole_and_listed(tmp_path):
    x = tone(440.0, 1.0)
    with DatasetWriter(tmp_path / "ds") as w:
        row = w.add(Sample("s1", x, x[:, ::-1].copy(), SR, {"instruction": "reverse it", "pipeline": "manual", "task": None}))
    assert row["input"] == "audio/s1.in.wav" and row["output"] == "audio/s1.out.wav"
    assert read_manifest(tmp_path / "ds") == [row]
    y, sr = sf.read(str(tmp_path / "ds" / row["output"]), dtype="float32", always_2d=True)
    assert sr == SR and np.max(np.abs(y.T - x[:, ::-1])) < 2 / 32768
    assert row["duration_s"] == pytest.approx(1.0)


def test_reopening_clears_what_a_kill_leaves_and_keeps_the_rest(tmp_path):
    ds = tmp_path / "ds"
    x = tone(440.0, 0.5)
    with DatasetWriter(ds) as w:
        w.add(Sample("keep", x, x, SR, {"instruction": "a"}))
    # What a kill can leave: a temp file mid-write, a renamed pair whose line never came, a torn line.
    (ds / "audio" / ".gone.in.wav.abc.part").write_bytes(b"RIFF")
    sf.write(str(ds / "audio" / "gone.in.wav"), x.T, SR)
    sf.write(str(ds / "audio" / "gone.out.wav"), x.T, SR)
    with open(ds / MANIFEST, "a") as f:
        f.write('{"id": "torn", "inp')
    with open(ds / REJECTED, "a") as f:
        f.write('{"id": "x", "pipeline": "manual", "reason": "silent input"}\n{"id": "y", "pip')
    with DatasetWriter(ds) as w:
        r = w.recovery
        assert (r.temp_files, r.orphan_files, r.torn_lines) == (1, 2, 2)
        assert w.ids == {"keep"}
    assert audio_files(ds) == {"keep.in.wav", "keep.out.wav"}
    assert (ds / MANIFEST).read_text().endswith("\n") and (ds / REJECTED).read_text().count("\n") == 1


def test_one_writer_per_folder_and_no_duplicate_ids(tmp_path):
    x = tone(440.0, 0.2)
    with DatasetWriter(tmp_path / "ds") as w:
        w.add(Sample("a", x, x, SR, {}))
        with pytest.raises(UsageError, match="already in the manifest"):
            w.add(Sample("a", x, x, SR, {}))
        with pytest.raises(UsageError, match="another sao gen-data process"):
            DatasetWriter(tmp_path / "ds")


def test_shards_are_disjoint_cover_the_job_and_merge_into_the_unsharded_dataset(tmp_path, clip_set):
    clips, captions = clip_set
    whole = generate(tmp_path / "whole", clips, captions, 18, seed=3)
    shards = [tmp_path / f"shard{i}" for i in range(3)]
    parts = [generate(s, clips, captions, 18, seed=3, shard=(i, 3)) for i, s in enumerate(shards)]
    ids = [{r["id"] for r in p} for p in parts]
    assert all(ids) and not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert set().union(*ids) == {r["id"] for r in whole} and len(whole) == 18
    report = merge(shards, tmp_path / "merged")
    assert (report.kept, report.shards) == (18, 3)
    merged = read_manifest(tmp_path / "merged")
    assert merged == sorted(whole, key=lambda r: r["id"])  # same instructions, params, captions
    for row in merged:  # and the same audio, byte for byte
        for key in ("input", "output"):
            assert (tmp_path / "merged" / row[key]).read_bytes() == (tmp_path / "whole" / row[key]).read_bytes()
    assert audio_files(tmp_path / "merged") == {Path(r[k]).name for r in merged for k in ("input", "output")}


def test_merge_refuses_duplicate_ids_and_writes_nothing(tmp_path, clip_set):
    clips, captions = clip_set
    a = tmp_path / "a"
    generate(a, clips, captions, 4, seed=1)
    b = tmp_path / "b"
    generate(b, clips, captions, 6, seed=1)  # same seed: ids 0..3 again
    with pytest.raises(UsageError, match="duplicate ids"):
        merge([a, b], tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / ".out.merging").exists()
    with pytest.raises(UsageError, match="given twice"):
        merge([a, a], tmp_path / "out")
    with pytest.raises(OutputRefused):
        merge([a], b)


def test_split_keeps_every_clip_on_one_side(tmp_path, clip_set):
    clips, captions = clip_set
    ds = tmp_path / "ds"
    rows = generate(ds, clips, captions, 36, seed=5)
    report = split(ds, 0.2, seed=0)
    train = [json.loads(l) for l in (ds / "train.jsonl").read_text().splitlines()]
    val = [json.loads(l) for l in (ds / "val.jsonl").read_text().splitlines()]
    train_clips = {c for r in train for c in r["sources"]}
    val_clips = {c for r in val for c in r["sources"]}
    assert train and val and not train_clips & val_clips
    assert len(train) + len(val) + report.left_out == len(rows)
    assert {r["id"] for r in train} | {r["id"] for r in val} <= {r["id"] for r in rows}
    assert len(val) >= 0.2 * len(rows)  # clips are added until the share is reached
    with pytest.raises(OutputRefused):
        split(ds, 0.2)
    assert split(ds, 0.2, seed=0, force=True) == report  # deterministic


def test_split_rejects_a_bad_share(tmp_path, clip_set):
    clips, captions = clip_set
    generate(tmp_path / "ds", clips, captions, 2)
    with pytest.raises(UsageError, match="between 0 and 1"):
        split(tmp_path / "ds", 1.5)
