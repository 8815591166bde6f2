"""Learning happens: a tiny model trained on gen-data manual triplets edits clips it never saw better than it could without them.

A falling loss is not enough: a model can lower it by learning latent
statistics alone. So this trains a tiny model (fixed seeds) on manual-pipeline
triplets (LOOP, SPEED, LOW_PASS, HIGH_PASS) made from one set of clips, and
measures it on triplets made from other clips, in latent MSE to the target
of its one-step edit (the clean latent its v prediction implies at t = 1, from
pure noise, the input latent and the instruction) against:

- the mean training latent (the mean over every frame of the training targets):
  what predicting the statistics gives;
- the best fixed latent (the training targets' mean at each frame position);
- the same model given another triplet's input latent (the "shuffled" input),
  its own instruction and length kept: what it gets without using its input;
- copying the input, on the length-changing tasks (LOOP, SPEED).

The clips are loud events (noise bursts, sines, square waves) over near
silence, 0.7 s long; the training window is 1 s, so LOOP's repeats and SPEED's
stretch show inside it. The base is tiny_base's random model with its VAE
encoder standardised instead of only scaled: a random Oobleck encoder maps
almost any audio to nearly the same latent (a per-channel offset; content moves
it by a few hundredths), and with only tiny_base's x10 the mean latent was
already a near-perfect predictor, leaving nothing to learn. Standardised, silence
encodes to 0 and the clips to unit variance per channel, as with Stable Audio's
VAE, where content dominates the latent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from conftest import SR
from models_helpers import one_thread  # noqa: F401  (fixture)

from datagen.manual import ManualConfig, ManualJob
from training.data import DataSpec, Geometry, crop_latent, encode_silence, load_audio, read_catalog
from training.module import Hyper
from training.run import RunSettings, train

pytestmark = pytest.mark.usefixtures("one_thread")
CLIP_S, WINDOW_S = 0.7, 1.0
TASKS = ("LOOP", "SPEED", "LOW_PASS", "HIGH_PASS")
STEPS = 600


def event_clips(folder: Path, seed: int, n: int = 32) -> tuple[Path, Path]:
    """n clips of 2 to 4 loud events (noise burst, sine or square wave, 35 to 135 ms) over faint noise, and their captions."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    frames = int((CLIP_S + 0.02) * SR)
    t = np.arange(frames) / SR
    rows = ["file,caption"]
    for i in range(n):
        x = 0.003 * rng.standard_normal((2, frames))
        for _ in range(rng.integers(2, 5)):
            start, length = int(rng.integers(0, frames - 2048)), int(rng.integers(1500, 6000))
            length = min(length, frames - start)
            kind = rng.integers(3)
            if kind == 0:
                event = rng.standard_normal((2, length))
            else:
                wave = np.sin(2 * np.pi * rng.uniform(80, 4000) * t[:length])
                event = np.repeat((wave if kind == 1 else np.sign(wave))[None], 2, axis=0)
            x[:, start:start + length] += rng.uniform(0.3, 0.9) * event
        sf.write(str(folder / f"e{i}.wav"), np.clip(x, -1, 1).T.astype(np.float32), SR)
        rows.append(f"e{i}.wav,sound events {seed}-{i}")
    (folder / "captions.csv").write_text("\n".join(rows) + "\n")
    return folder, folder / "captions.csv"


def manual_dataset(folder: Path, seed: int, n: int) -> Path:
    clips, captions = event_clips(folder.parent / f"{folder.name}-clips", seed)
    job = ManualJob(ManualConfig(clips, captions, n, folder, tasks=TASKS, clip_s=CLIP_S, min_clip_s=0.1, seed=seed))
    try:
        assert sum(o.kept for o in job.run()) == n
    finally:
        job.close()
    return folder


def standardised_base(folder: Path, clips: Path) -> Path:
    """A tiny random Stable Audio model whose VAE encodes silence to 0 and `clips` to unit variance per latent channel.

    The encoder's last convolution is rescaled and shifted per output channel
    (the posterior mean's channels only). The decoder is left as it is: this
    model's decoded audio means nothing, as with any random model.
    """
    from safetensors.torch import load_file

    from engine.neural.folder import WEIGHT_FILES, read_config, write_model_folder
    from engine.neural.loader import load_bundle
    from engine.neural.random_init import init_random

    raw = init_random(folder.parent / f"{folder.name}-raw", size="tiny", fmt="stable-audio", seed=0)
    bundle = load_bundle(raw, text_encoder=False)

    def encode(audio: np.ndarray) -> torch.Tensor:
        return bundle.vae_encode(torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))[None])[0].float()

    with torch.inference_mode():
        silence = encode_silence(encode, Geometry(SR, 2, bundle.hop_length, 0))
        content = torch.cat([encode(load_audio(p, SR, 2)) - silence[:, None] for p in sorted(clips.glob("*.wav"))], dim=1)
    scale = content.std(dim=1)
    cfg = {k: v for k, v in read_config(raw).items() if k != "weights_sha256"}
    weights = {part: load_file(str(raw / name)) for part, name in WEIGHT_FILES.items()}
    vae, c = weights["vae"], len(scale)
    vae["encoder.conv2.weight_g"][:c] /= scale.view(-1, 1, 1)
    vae["encoder.conv2.bias"][:c] = (vae["encoder.conv2.bias"][:c] - silence) / scale
    return write_model_folder(folder, cfg, weights, text_encoder=raw / "text_encoder", tokenizer=raw / "tokenizer")


def target_latents(bundle, dataset: Path, frames: int):
    """(pairs, input latents, output latents) of a dataset, each as training sees it: the first `frames`, padded with silence."""
    def encode(audio: np.ndarray) -> torch.Tensor:
        return bundle.vae_encode(torch.from_numpy(audio)[None])[0].float()

    pairs = read_catalog([DataSpec(dataset)]).pairs
    with torch.inference_mode():
        silence = encode_silence(encode, Geometry(SR, 2, bundle.hop_length, frames))
        z = [[crop_latent(encode(load_audio(path, SR, 2)), 0, frames, silence) for path in (p.input, p.output)] for p in pairs]
    return pairs, torch.stack([a for a, _ in z]), torch.stack([b for _, b in z])


@pytest.mark.slow  # about 1.5 minutes on an idle 2-core machine (mostly the 600 training steps)
def test_a_trained_model_edits_unseen_clips_using_its_input(tmp_path):
    from engine.neural.loader import load_bundle
    from training.export import export

    train_set, held = manual_dataset(tmp_path / "train", seed=1, n=128), manual_dataset(tmp_path / "held", seed=2, n=48)
    base = standardised_base(tmp_path / "base", tmp_path / "train-clips")
    settings = RunSettings(data=[str(train_set)], base=str(base), seconds=WINDOW_S, batch_size=16, precision="fp32",
                           max_steps=STEPS, checkpoint_every=10_000, validate_every=0, log_every=50, workers=0,
                           accelerator="cpu", devices="1", hyper=Hyper(lr=3e-3), cache_latents=True, progress=False)
    assert train(tmp_path / "run", settings).steps == STEPS
    model = load_bundle(export(tmp_path / "run", tmp_path / "model", ema=True))

    frames = model.latent_frames(round(WINDOW_S * SR))
    _, _, train_out = target_latents(model, train_set, frames)
    pairs, z_in, z_out = target_latents(model, held, frames)
    tasks = {row["id"]: row["task"] for row in map(json.loads, (held / "manifest.jsonl").read_text().splitlines())}
    cond = model.conditioning([p.instruction for p in pairs], [0.0] * len(pairs), [p.input_frames / SR for p in pairs])
    noise = torch.randn(z_out.shape, generator=torch.Generator().manual_seed(0))

    def error(estimate: torch.Tensor) -> torch.Tensor:
        return ((estimate - z_out) ** 2).mean(dim=(1, 2))

    with torch.inference_mode():  # at t = 1 (alpha 0, sigma 1) the clean estimate is -v
        trained = error(-model.predict(noise, torch.ones(len(pairs)), cond, input_latent=z_in))
        shuffled = error(-model.predict(noise, torch.ones(len(pairs)), cond, input_latent=z_in.roll(1, dims=0)))
    mean_latent = error(train_out.mean(dim=(0, 2))[:, None].expand_as(z_out[0]))
    best_fixed = error(train_out.mean(dim=0).expand_as(z_out))
    copied = error(z_in)
    figures = (f"trained {trained.mean():.3f}, mean latent {mean_latent.mean():.3f}, best fixed latent {best_fixed.mean():.3f}, "
               f"shuffled input {shuffled.mean():.3f}")
    assert trained.mean() <= 0.6 * mean_latent.mean(), figures
    assert trained.mean() <= 0.85 * best_fixed.mean(), figures  # more than latent statistics
    assert trained.mean() <= 0.8 * shuffled.mean(), figures  # it uses its input
    for task in ("LOOP", "SPEED"):
        mask = torch.tensor([tasks[p.id] == task for p in pairs])
        assert mask.sum() >= 5
        assert trained[mask].mean() < copied[mask].mean(), f"{task}: trained {trained[mask].mean():.3f}, copy {copied[mask].mean():.3f}"
    print(figures)
