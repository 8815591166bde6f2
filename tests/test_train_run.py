"""`sao train` runs on tiny models: it learns, resumes exactly, and exports models `sao edit` uses.

The data are manual-pipeline pairs (LOW_PASS and HIGH_PASS) of simple signals,
8 latent frames long; the base is a tiny random Stable Audio model, widened by
the run. Tiny random models need a higher learning rate than the real model's
5e-5 to show learning in 200 steps, so these runs use 1e-3.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from cli_helpers import run
from conftest import SR
from models_helpers import one_thread  # noqa: F401  (fixture)
from test_train_data import CLIP_S, append_lines, make_dataset, nan_output, tiny_base

from training.data import DataSpec, Geometry, draw_batch, load_audio, read_catalog
from training.module import Hyper
from training.objective import alphas_sigmas
from training.run import RunSettings, read_skipped, train

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    return {"train": make_dataset(root / "train", seed=1, n=24), "held": make_dataset(root / "held", seed=2, n=8),
            "base": tiny_base(root / "base")}


def settings(world, steps: int, **changes) -> RunSettings:
    s = RunSettings(data=[str(world["train"])], base=str(world["base"]), seconds=CLIP_S, batch_size=4, precision="fp32",
                    max_steps=steps, checkpoint_every=10_000, validate_every=0, log_every=1, workers=0,
                    accelerator="cpu", devices="1", hyper=Hyper(lr=1e-3), progress=False)
    for key, value in changes.items():
        setattr(s, key, value)
    return s


def logged_losses(run_dir: Path) -> list[float]:
    """train/loss by step, over every (re)start's metrics.csv, later starts overriding earlier rows."""
    by_step = {}
    for path in sorted((run_dir / "logs" / "csv").glob("version_*/metrics.csv")):
        with open(path, newline="") as f:
            by_step.update({int(row["step"]): float(row["train/loss"]) for row in csv.DictReader(f)})
    return [by_step[k] for k in sorted(by_step)]


def one_step_edit_errors(bundle, pairs) -> dict[float, float]:
    """Mean squared error to the target latent of the model's denoised estimate of the output latent.

    For each held-out pair: the target latent noised to time t, the model's v
    prediction given the input latent and instruction, and the clean latent it
    implies. At t = 1 the noisy latent is pure noise, so the estimate is a
    one-step edit from nothing but the input and the instruction.
    """
    errors = {0.5: [], 0.8: [], 1.0: []}
    with torch.inference_mode():
        for i, pair in enumerate(pairs):
            z_in = bundle.vae_encode(torch.from_numpy(load_audio(pair.input, SR, 2))[None])
            z_out = bundle.vae_encode(torch.from_numpy(load_audio(pair.output, SR, 2))[None])
            cond = bundle.conditioning([pair.instruction], [0.0], [pair.input_frames / SR])
            noise = torch.randn(z_out.shape, generator=torch.Generator().manual_seed(i))
            for t in errors:
                tt = torch.tensor([t])
                alpha, sigma = alphas_sigmas(tt)
                x_t = alpha * z_out + sigma * noise
                estimate = alpha * x_t - sigma * bundle.predict(x_t, tt, cond, input_latent=z_in)
                errors[t].append(((estimate - z_out) ** 2).mean().item())
    return {t: float(np.mean(e)) for t, e in errors.items()}


def test_training_lowers_the_loss_and_moves_edits_toward_the_targets(world, tmp_path):
    from engine.neural.loader import load_bundle
    from training.export import export
    from training.init import load_for_training

    result = train(tmp_path / "run", settings(world, 200, cache_latents=True))
    assert result.steps == 200
    losses = logged_losses(tmp_path / "run")
    assert len(losses) == 200
    first, last = np.mean(losses[:20]), np.mean(losses[-20:])
    assert last <= 0.7 * first, f"loss {first:.3f} -> {last:.3f}"

    held = read_catalog([DataSpec(world["held"])]).pairs
    before = one_step_edit_errors(load_for_training(str(world["base"])), held)
    after = one_step_edit_errors(load_bundle(export(tmp_path / "run", tmp_path / "model")), held)
    for t in before:
        assert after[t] < 0.5 * before[t], f"t={t}: latent MSE to target {before[t]:.4f} untrained, {after[t]:.4f} trained"


def test_a_resumed_run_repeats_the_uninterrupted_one_bitwise(world, tmp_path):
    """Stopped at step 50 and resumed to 100, against 100 in one go."""
    whole, halves = tmp_path / "whole", tmp_path / "halves"

    def steps(n):
        return settings(world, n, batch_size=2, checkpoint_every=30, cache_latents=True)

    train(whole, steps(100))
    train(halves, steps(50))
    resumed = train(halves, steps(100), resume=True)
    assert resumed.resumed_from == halves / "checkpoints" / "last.ckpt"
    a, b = logged_losses(whole), logged_losses(halves)
    assert len(a) == len(b) == 100 and a == b
    ckpts = [torch.load(str(d / "checkpoints" / "last.ckpt"), weights_only=True) for d in (whole, halves)]
    assert ckpts[0]["global_step"] == ckpts[1]["global_step"] == 100
    for key, value in ckpts[0]["state_dict"].items():  # the DiT and its EMA
        assert torch.equal(value, ckpts[1]["state_dict"][key]), key

    # Killed after step 60 (last checkpoint at 60): resuming from there still repeats the run.
    shutil.copy(halves / "checkpoints" / "step-000000060.ckpt", halves / "checkpoints" / "last.ckpt")
    train(halves, steps(100), resume=True)
    assert logged_losses(halves) == a


def test_the_command_trains_checkpoints_renders_validation_edits_and_exports_a_model_sao_edit_uses(world, tmp_path):
    from safetensors.torch import load_file

    from engine.neural.folder import read_config
    from engine.neural.loader import load_bundle
    from training.init import load_for_training

    ds = tmp_path / "ds"
    shutil.copytree(world["train"], ds)
    append_lines(ds / "manifest.jsonl", [dict(json.loads((ds / "manifest.jsonl").read_text().splitlines()[0]),
                                              id="gone", input="audio/gone.in.wav")])
    out = tmp_path / "run"
    args = ["train", "--data", ds, "--base", world["base"], "--out", out, "--max-steps", 4, "--batch-size", 2,
            "--seconds", CLIP_S, "--precision", "fp32", "--lr", "1e-3", "--checkpoint-every", 2, "--validate-every", 2,
            "--log-every", 1, "--workers", 0, "--accelerator", "cpu", "--devices", 1]  # no cache: the audio path
    r = run(*args)
    assert r.exit_code == 0, r.stderr
    assert "skipped 1 manifest lines (1 missing audio file)" in r.stderr
    assert {p.name for p in (out / "checkpoints").iterdir()} == {"step-000000002.ckpt", "step-000000004.ckpt", "last.ckpt"}
    val = out / "validation"
    source = sf.read(str(val / "input.wav"), always_2d=True)[0]
    for step in (0, 2, 4):
        edited, rate = sf.read(str(val / f"step-{step:09d}.wav"), always_2d=True)
        assert rate == SR and edited.shape == source.shape and np.isfinite(edited).all() and np.abs(edited).max() > 1e-3
    assert (val / "instruction.txt").read_text().strip() == json.loads((ds / "manifest.jsonl").read_text().splitlines()[0])["instruction"]

    assert run(*args).exit_code == 4  # a run is there: --resume or --force
    changed = run("train", "--out", out, "--resume", "--seconds", 1.0)
    assert changed.exit_code == 2 and "--seconds" in changed.stderr
    more = run("train", "--out", out, "--resume", "--max-steps", 6, "--accelerator", "cpu")
    assert more.exit_code == 0, more.stderr
    assert torch.load(str(out / "checkpoints" / "last.ckpt"), weights_only=True)["global_step"] == 6

    for flag, name in (([], "raw"), (["--ema"], "ema")):
        r = run("train", "export", out, "-o", tmp_path / name, *flag)
        assert r.exit_code == 0, r.stderr
    assert run("train", "export", out, "-o", tmp_path / "raw").exit_code == 4
    wrong = run("train", "export", out, "-o", tmp_path / "other", "--base", tmp_path / "raw")
    assert wrong.exit_code == 2 and "not the base model" in wrong.stderr
    sat = run("train", "export", out, "-o", tmp_path / "sat", "--format", "stable-audio-tools")
    assert sat.exit_code == 2 and "256 timestep features" in sat.stderr and not (tmp_path / "sat").exists()

    init = load_for_training(str(world["base"])).dit.state_dict()
    raw, ema = (load_file(str(tmp_path / n / "dit.safetensors")) for n in ("raw", "ema"))
    assert read_config(tmp_path / "raw")["format"] == "sao-instruct"
    assert (tmp_path / "raw" / "vae.safetensors").read_bytes() == (world["base"] / "vae.safetensors").read_bytes()
    moved = {k for k in init if not torch.equal(raw[k], init[k])}
    assert "proj_in.weight" in moved and "time_proj.weight" in moved  # the new input channels and sat's trained features
    assert not any(k.endswith(("norm1.bias", "norm2.bias", "norm3.bias")) for k in moved)  # sat's LayerNorms have no bias to train

    def distance(weights):
        return sum(((weights[k] - init[k]) ** 2).sum().item() for k in init)

    assert 0 < distance(ema) < distance(raw)  # the EMA trails the weights

    clip = tmp_path / "clip.wav"
    sf.write(str(clip), load_audio(read_catalog([DataSpec(world["held"])]).pairs[0].input, SR, 2).T, SR)
    edited = run("edit", clip, "muffle it", "--engine", "neural", "--model", tmp_path / "ema", "-o", tmp_path / "out.wav",
                 "--steps", 8, "--seed", 1)
    assert edited.exit_code == 0, edited.stderr
    y, rate = sf.read(str(tmp_path / "out.wav"), always_2d=True)
    assert rate == SR and y.shape == sf.read(str(clip), always_2d=True)[0].shape and np.abs(y).max() > 1e-3
    sidecar = json.loads((tmp_path / "out.wav.sao.json").read_text())
    assert sidecar["steps"][0]["model"]["sha256"] == read_config(tmp_path / "ema")["weights_sha256"]
    assert load_bundle(tmp_path / "ema", text_encoder=False).is_instruct


def test_exactly_last_and_the_kept_periodic_checkpoints_remain_after_off_cadence_stops_and_resumes(world, tmp_path):
    out, folder = tmp_path / "run", tmp_path / "run" / "checkpoints"

    def to(n: int, resume: bool = True):
        return train(out, settings(world, n, batch_size=2, checkpoint_every=4, keep_checkpoints=2, cache_latents=True),
                     resume=resume)

    def files() -> list[str]:
        return sorted(p.name for p in folder.iterdir())

    def step_of(name: str) -> int:
        return torch.load(str(folder / name), weights_only=True)["global_step"]

    to(3, resume=False)  # stops before the first periodic checkpoint
    assert files() == ["last.ckpt"] and step_of("last.ckpt") == 3
    (folder / "last-v1.ckpt").write_bytes(b"what Lightning's ModelCheckpoint used to leave")
    to(6)  # a periodic checkpoint at 4, then stops off-cadence
    assert files() == ["last.ckpt", "step-000000004.ckpt"] and step_of("last.ckpt") == 6
    to(13)  # 8 and 12; the oldest goes
    assert files() == ["last.ckpt", "step-000000008.ckpt", "step-000000012.ckpt"] and step_of("last.ckpt") == 13
    to(16)  # ends on a periodic step: last.ckpt is that checkpoint, not a second copy
    assert files() == ["last.ckpt", "step-000000012.ckpt", "step-000000016.ckpt"] and step_of("last.ckpt") == 16
    assert (folder / "last.ckpt").samefile(folder / "step-000000016.ckpt")


def test_a_file_that_fails_when_read_is_replaced_named_and_listed_or_stops_the_run_under_strict(world, tmp_path):
    ds = tmp_path / "ds"
    shutil.copytree(world["train"], ds)
    catalog = read_catalog([DataSpec(ds)])
    first = draw_batch(catalog, catalog.probabilities(), Geometry(SR, 2, 2048, 8), 0, 0, 0, 2)[0].pair  # in step 1's batch
    bad = catalog.pairs[first]
    path = nan_output(ds, bad)

    def args(out, *extra):
        return ["train", "--data", ds, "--base", world["base"], "--out", out, "--batch-size", 2, "--seconds", CLIP_S,
                "--precision", "fp32", "--lr", "1e-3", "--validate-every", 0, "--workers", 1, "--accelerator", "cpu",
                "--devices", 1, *extra]

    out = tmp_path / "run"
    r = run(*args(out, "--max-steps", 3))  # a DataLoader worker process reads the audio
    assert r.exit_code == 0, r.stderr
    assert f"pair {bad.id} ({bad.line}) skipped at step 0: {path}: NaN or infinite samples" in r.stderr
    assert "1 pairs failed when read and were replaced by others (1 NaN or infinite samples)" in r.stderr
    assert f"{out}: trained to step 3" in r.stderr and "Epoch 0: 100%" in r.stderr  # the bar, on stderr
    assert r.stdout == ""  # stdout is for data
    expected = [{"step": 0, "rank": 0, "id": bad.id, "line": bad.line, "file": str(path), "reason": "NaN or infinite samples"}]
    assert read_skipped(out) == expected
    assert run(*args(out, "--max-steps", 5, "--resume")).exit_code == 0
    assert read_skipped(out) == expected  # listed once, whatever the restarts

    cached = train(tmp_path / "cached", settings(world, 2, data=[str(ds)], cache_latents=True))  # found filling the cache
    assert cached.steps == 2 and cached.failed_reads == {"NaN or infinite samples": 1}
    assert [(x["id"], x["file"]) for x in read_skipped(tmp_path / "cached")] == [(bad.id, str(path))]

    strict = tmp_path / "strict"
    r = run(*args(strict, "--max-steps", 3, "--strict"))
    assert r.exit_code == 3 and "Traceback" not in r.stderr
    assert f"{path}: NaN or infinite samples (pair {bad.id}, {bad.line}; found at step 0)" in r.stderr
    assert not (strict / "checkpoints" / "last.ckpt").exists()  # it stopped before training on the batch
