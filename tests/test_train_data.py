"""`sao train`'s data: real gen-data folders mixed by weight, crops, the batch order, bad lines.

Also home of the helpers the other tests/test_train_*.py modules share: a
dataset made by the manual gen-data pipeline from simple signals, and a tiny
random base model whose VAE gives latents of unit scale, as Stable Audio's does.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from cli_helpers import run, sao
from conftest import SR
from models_helpers import one_thread  # noqa: F401  (fixture)

from datagen.manual import ManualConfig, ManualJob
from engine.errors import BadAudio, UsageError
from training.data import (
    DataSpec,
    Geometry,
    LatentCache,
    StepBatches,
    build_cache,
    crop_audio,
    crop_latent,
    draw_batch,
    load_audio,
    parse_data_spec,
    read_catalog,
    substitute,
)

pytestmark = pytest.mark.usefixtures("one_thread")
CLIP_S = 0.37  # 8 latent frames of 2048 samples
HOP = 2048


# ---------------------------------------------------------------- shared helpers


def simple_clips(folder: Path, seed: int, n: int = 8, seconds: float = 0.4) -> tuple[Path, Path]:
    """n clips of a square wave (100 Hz to 3 kHz, random level) over white noise, and their captions."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    rows = ["file,caption"]
    for i in range(n):
        square = np.sign(np.sin(2 * np.pi * rng.uniform(100, 3000) * t)) * rng.uniform(0.05, 0.4)
        x = square[:, None] + rng.uniform(0.01, 0.1) * rng.standard_normal((t.size, 2))
        sf.write(str(folder / f"c{i}.wav"), x.astype(np.float32), SR)
        rows.append(f"c{i}.wav,a buzzing tone number {seed}-{i}")
    (folder / "captions.csv").write_text("\n".join(rows) + "\n")
    return folder, folder / "captions.csv"


def make_dataset(folder: Path, seed: int, n: int, tasks=("LOW_PASS", "HIGH_PASS"), clip_s: float = CLIP_S) -> Path:
    """A real dataset folder from the manual gen-data pipeline (its own clips under folder.parent)."""
    clips, captions = simple_clips(folder.parent / f"{folder.name}-clips", seed, seconds=clip_s + 0.05)
    job = ManualJob(ManualConfig(clips, captions, n, folder, tasks=tasks, clip_s=clip_s, min_clip_s=0.3, seed=seed))
    try:
        assert sum(o.kept for o in job.run()) == n
    finally:
        job.close()
    return folder


def tiny_base(folder: Path, latent_scale: float = 10.0) -> Path:
    """A tiny random Stable Audio (text-to-audio) model folder.

    The random VAE's latents are about a tenth of Stable Audio's unit scale;
    its last encoder layer is scaled so the posterior mean has about unit
    variance, as the real model's does (the v-objective balances noise and
    signal only at that scale).
    """
    from safetensors.torch import load_file

    from engine.neural.folder import WEIGHT_FILES, read_config, write_model_folder
    from engine.neural.random_init import init_random

    raw = init_random(folder.parent / f"{folder.name}-raw", size="tiny", fmt="stable-audio", seed=0)
    cfg = {k: v for k, v in read_config(raw).items() if k != "weights_sha256"}
    weights = {part: load_file(str(raw / name)) for part, name in WEIGHT_FILES.items()}
    weights["vae"]["encoder.conv2.weight_g"] = weights["vae"]["encoder.conv2.weight_g"] * latent_scale
    return write_model_folder(folder, cfg, weights, text_encoder=raw / "text_encoder", tokenizer=raw / "tokenizer")


def append_lines(manifest: Path, rows: list) -> None:
    with open(manifest, "a", encoding="utf-8") as f:
        for row in rows:
            f.write((row if isinstance(row, str) else json.dumps(row)) + "\n")


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def two_sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    return make_dataset(root / "a", seed=1, n=6), make_dataset(root / "b", seed=2, n=3, clip_s=1.2)


def test_data_specs_take_an_optional_weight():
    assert parse_data_spec("runs/ds") == DataSpec(Path("runs/ds"), 1.0)
    assert parse_data_spec("runs/ds:2.5") == DataSpec(Path("runs/ds"), 2.5)
    assert parse_data_spec("C:/data/ds").path == Path("C:/data/ds")  # a colon not followed by a number is the path's
    for bad in ("ds:0", "ds:-1", "ds:nan"):
        with pytest.raises(UsageError, match="weight"):
            parse_data_spec(bad)


def test_datasets_mix_in_proportion_to_size_times_weight(two_sets):
    a, b = two_sets
    catalog = read_catalog([DataSpec(a, 1.0), DataSpec(b, 4.0)])
    geometry = Geometry(SR, 2, HOP, 8)
    probabilities = catalog.probabilities()
    drawn = Counter()
    for index in range(1500):
        for d in draw_batch(catalog, probabilities, geometry, seed=0, index=index, rank=0, batch_size=4):
            drawn[catalog.pairs[d.pair].key.split(":")[0]] += 1
    share_b = drawn["1"] / sum(drawn.values())
    assert share_b == pytest.approx(3 * 4 / (6 * 1 + 3 * 4), abs=0.02)  # per-pair weight x pairs


def test_train_jsonl_from_gen_data_split_is_read_instead_of_the_manifest(two_sets, tmp_path):
    a, _ = two_sets
    ds = tmp_path / "ds"
    shutil.copytree(a, ds)
    p = sao("gen-data", "split", ds, "--val", "0.3")
    assert p.returncode == 0, p.stderr.decode()
    train_ids = {json.loads(line)["id"] for line in (ds / "train.jsonl").read_text().splitlines()}
    catalog = read_catalog([DataSpec(ds)])
    assert {pair.key.split(":", 1)[1] for pair in catalog.pairs} == train_ids
    assert 0 < len(train_ids) < 6


def test_batches_are_a_function_of_seed_step_and_rank(two_sets):
    a, b = two_sets
    catalog = read_catalog([DataSpec(a), DataSpec(b)])
    geometry = Geometry(SR, 2, HOP, 8)
    p = catalog.probabilities()
    first = draw_batch(catalog, p, geometry, seed=3, index=17, rank=0, batch_size=8)
    assert draw_batch(catalog, p, geometry, seed=3, index=17, rank=0, batch_size=8) == first
    for other in ({"seed": 4, "index": 17, "rank": 0}, {"seed": 3, "index": 18, "rank": 0}, {"seed": 3, "index": 17, "rank": 1}):
        assert draw_batch(catalog, p, geometry, batch_size=8, **other) != first


def test_long_pairs_are_cropped_at_one_offset_and_short_ones_padded_with_silence(two_sets, tmp_path):
    from engine.neural.loader import load_bundle
    from engine.neural.random_init import init_random

    _, b = two_sets  # 1.2 s clips: 26 latent frames, cropped to 8
    bundle = load_bundle(init_random(tmp_path / "m", fmt="stable-audio"), text_encoder=False)
    geometry = Geometry(SR, 2, HOP, 8)
    catalog = read_catalog([DataSpec(b)])
    cache = LatentCache(tmp_path / "latents")

    def encode(audio):
        return bundle.vae_encode(torch.from_numpy(audio)[None])[0]

    assert build_cache(cache, catalog, geometry, encode) == len(catalog.pairs)
    assert build_cache(cache, catalog, geometry, encode) == 0  # cached once
    offsets = set()
    for index in range(24):
        batch = StepBatches(catalog, geometry, 0, 0, 2, cache)[index]
        draws = draw_batch(catalog, catalog.probabilities(), geometry, 0, index, 0, 2)
        for k, d in enumerate(draws):
            pair = catalog.pairs[d.pair]
            full = cache.load(cache.path(pair))
            frames = full["input"].shape[1]
            assert 0 <= d.offset <= frames - 8
            assert torch.equal(batch["input_latent"][k], full["input"][:, d.offset:d.offset + 8])
            assert torch.equal(batch["output_latent"][k], full["output"][:, d.offset:d.offset + 8])
            assert batch["seconds_start"][k].item() == pytest.approx(d.offset * HOP / SR)
            assert batch["seconds_total"][k].item() == pytest.approx(sf.info(str(pair.input)).frames / SR)
            offsets.add(d.offset)
    assert len(offsets) > 5  # crops land all over the clips

    # Shorter than the training length: padded with the latent of silence, which is what silent audio encodes to.
    silence = cache.silence()
    z = encode(np.zeros((2, 32 * HOP), dtype=np.float32))
    assert torch.allclose(z[:, 10:20], silence[:, None].expand(-1, 10), atol=1e-6)
    short = torch.randn(4, 3)
    padded = crop_latent(short, 0, 8, silence)
    assert torch.equal(padded[:, :3], short) and torch.equal(padded[:, 3:], silence[:, None].expand(-1, 5))
    x = load_audio(catalog.pairs[0].input, SR, 2)
    cropped = crop_audio(x, x.shape[1] - 100, 4096)
    assert cropped.shape == (2, 4096) and np.array_equal(cropped[:, :100], x[:, -100:]) and not cropped[:, 100:].any()


def test_bad_lines_are_skipped_and_counted_or_stop_the_run_under_strict(two_sets, tmp_path):
    a, _ = two_sets
    ds = tmp_path / "ds"
    shutil.copytree(a, ds)
    good = json.loads((ds / "manifest.jsonl").read_text().splitlines()[0])
    (ds / "audio" / "garbage.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio" * 10)
    sf.write(str(ds / "audio" / "empty.wav"), np.zeros((0, 2), dtype=np.float32), SR)
    append_lines(ds / "manifest.jsonl", [
        dict(good, id="gone", input="audio/gone.in.wav"),
        dict(good, id="corrupt", output="audio/garbage.wav"),
        dict(good, id="empty", input="audio/empty.wav"),
        '{"id": "torn", "input": "aud',
        dict(good, id="no-instruction", instruction=""),
    ])
    catalog = read_catalog([DataSpec(ds)])
    assert len(catalog.pairs) == 6
    assert catalog.skipped == Counter({"missing audio file": 1, "unreadable audio file": 1, "empty audio file": 1,
                                       "unreadable manifest line": 2})
    with pytest.raises(BadAudio, match=r"manifest.jsonl:7: missing audio file: .*gone.in.wav"):
        read_catalog([DataSpec(ds)], strict=True)

    r = run("train", "--data", ds, "--base", tmp_path / "unused", "--out", tmp_path / "run", "--strict")
    assert r.exit_code == 3 and "missing audio file" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2  # one line, and its hint
    assert not (tmp_path / "run").exists()  # nothing made for a run that never started


def test_a_folder_that_is_no_dataset_is_a_usage_error(tmp_path):
    r = run("train", "--data", tmp_path, "--base", tmp_path / "unused", "--out", tmp_path / "run")
    assert r.exit_code == 2 and "not a dataset" in r.stderr
    with pytest.raises(UsageError, match="no usable training pairs"):
        (tmp_path / "manifest.jsonl").write_text('{"id": "x"}\n')
        read_catalog([DataSpec(tmp_path)])


def nan_output(ds: Path, pair) -> Path:
    """Overwrite a pair's output with NaN samples under a valid header (it passes the scan, fails when read)."""
    frames = sf.info(str(pair.output)).frames
    sf.write(str(pair.output), np.full((frames, 2), np.nan, np.float32), SR, subtype="FLOAT")
    return pair.output


def test_a_pair_that_fails_when_read_is_replaced_by_a_seeded_draw_and_reported_once(two_sets, tmp_path):
    a, _ = two_sets
    ds = tmp_path / "ds"
    shutil.copytree(a, ds)
    geometry = Geometry(SR, 2, HOP, 8)
    catalog = read_catalog([DataSpec(ds)])
    p = catalog.probabilities()
    index = next(i for i in range(100) if len({d.pair for d in draw_batch(catalog, p, geometry, 0, i, 0, 4)}) == 4)
    draws = draw_batch(catalog, p, geometry, 0, index, 0, 4)
    bad = draws[1].pair
    path = nan_output(ds, catalog.pairs[bad])
    assert read_catalog([DataSpec(ds)]).skipped == Counter()  # the header is valid: the scan cannot see it

    batches = StepBatches(catalog, geometry, seed=0, rank=0, batch_size=4)
    batch = batches[index]
    [record] = batch["skipped"]
    assert record == {"step": None, "rank": 0, "id": catalog.pairs[bad].id, "line": catalog.pairs[bad].line,
                      "file": str(path), "reason": "NaN or infinite samples"}
    assert torch.isfinite(batch["output_audio"]).all()
    # The slot holds the first substitute that reads; the other slots are untouched.
    sub = substitute(catalog, p, geometry, 0, index, 0, slot=1, attempt=1)
    assert sub.pair != bad
    expected = crop_audio(load_audio(catalog.pairs[sub.pair].output, SR, 2), sub.offset * HOP, 8 * HOP)
    assert np.array_equal(batch["output_audio"][1].numpy(), expected)
    assert batch["instruction"][1] == catalog.pairs[sub.pair].instruction
    for k in (0, 2, 3):
        x = crop_audio(load_audio(catalog.pairs[draws[k].pair].input, SR, 2), draws[k].offset * HOP, 8 * HOP)
        assert np.array_equal(batch["input_audio"][k].numpy(), x)
    # A function of (seed, micro-batch, rank) still: a fresh reader (another worker, a resumed run) makes the same batch.
    again = StepBatches(catalog, geometry, seed=0, rank=0, batch_size=4)[index]
    for key in ("input_audio", "output_audio", "seconds_start", "seconds_total"):
        assert torch.equal(again[key], batch[key])
    assert batches[index]["skipped"] == []  # found once per reader
    with pytest.raises(BadAudio, match="NaN or infinite samples"):
        load_audio(path, SR, 2)
