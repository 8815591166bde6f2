"""Training throughput of `sao train` (issue 8): steps/s, samples/s and peak memory.

The model is the full-size SAO-Instruct architecture (1.06 B DiT, a t5-base-sized
T5, the Oobleck VAE) with random weights built in memory, or the tiny one. It is
trained by training.module.InstructTraining under a Lightning Trainer, as `sao
train --cache-latents` trains: AdamW, the inverse-LR schedule, the EMA update,
CFG dropout, T5 on every batch. The data are synthetic cached latents of
--seconds of audio (10 s: 216 latent frames) with random instructions, so disk
and audio decoding do not enter the figure.

Steps after --warmup are timed one by one (the device synchronised at both ends
of each), so CUDA initialisation and kernel selection stay out of the figure.
Peak memory is the device's (torch.cuda.max_memory_allocated) on CUDA, and the
process's peak resident size on the CPU.

    python3 bench/train_throughput.py --device cuda --size full --batch-size 16 --precision bf16
    python3 bench/train_throughput.py --device cpu --size tiny --batch-size 16 --precision fp32

It needs torch, lightning, diffusers, transformers and the project (not
soundfile or the audio stack), so it runs on a bare GPU image (bench/gpu_check_train.sh).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lightning as L  # noqa: E402
import torch  # noqa: E402

from engine.neural import configs  # noqa: E402
from engine.neural.loader import ModelBundle, quiet  # noqa: E402
from engine.neural.tokenizer import byte_tokenizer  # noqa: E402
from training.module import Hyper, InstructTraining  # noqa: E402

PRECISIONS = {"bf16": "bf16-mixed", "fp16": "16-mixed", "fp32": "32-true"}
WORDS = ["add", "remove", "the", "a", "dog", "barking", "reverb", "rain", "soft", "louder", "muffled", "thin", "echo", "crowd", "piano", "drums", "bird"]


def random_bundle(size: str, device: str) -> ModelBundle:
    """An SAO-Instruct bundle with random weights, initialised directly on the device."""
    from diffusers import AutoencoderOobleck, StableAudioDiTModel
    from diffusers.pipelines.stable_audio.modeling_stable_audio import (
        StableAudioProjectionModel,
    )
    from transformers import T5Config, T5EncoderModel

    cfg = configs.build_config("sao-instruct", size)
    torch.manual_seed(0)
    with quiet(), torch.device(device):
        dit = StableAudioDiTModel(**cfg["dit"])
        vae = AutoencoderOobleck(**cfg["vae"])
        projection = StableAudioProjectionModel(**cfg["projection"])
        t5 = T5EncoderModel(T5Config(**configs.t5_config(size)))
    tokenizer = byte_tokenizer(cfg["text_encoder"]["max_length"])
    return ModelBundle(dit, vae.eval(), projection.eval(), t5.eval(), tokenizer, cfg, f"random-{size}", "0" * 64,
                       Path("."), torch.device(device), torch.float32)


class SyntheticLatents(torch.utils.data.Dataset):
    """Batches shaped as `sao train --cache-latents` serves them: cropped latents, instructions, seconds."""

    def __init__(self, batch_size: int, latent: int, frames: int, seconds: float, length: int):
        self.batch_size, self.latent, self.frames, self.seconds, self.length = batch_size, latent, frames, seconds, length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict:
        g = torch.Generator().manual_seed(index)
        words = torch.randint(len(WORDS), (self.batch_size, 6), generator=g)
        return {
            "index": index,
            "instruction": [" ".join(WORDS[int(w)] for w in row) for row in words],
            "seconds_start": torch.zeros(self.batch_size),
            "seconds_total": torch.full((self.batch_size,), self.seconds),
            "input_latent": torch.randn(self.batch_size, self.latent, self.frames, generator=g),
            "output_latent": torch.randn(self.batch_size, self.latent, self.frames, generator=g),
        }


class StepTimer(L.Callback):
    def __init__(self, device: str):
        self.device, self.times, self._start = device, [], 0.0

    def _sync(self) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        self._sync()
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        self._sync()
        self.times.append(time.perf_counter() - self._start)


def measure(args) -> dict:
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    started = time.perf_counter()
    bundle = random_bundle(args.size, args.device)
    built_s = time.perf_counter() - started
    frames = math.ceil(args.seconds * bundle.sample_rate / bundle.hop_length)
    module = InstructTraining(bundle, Hyper(), seed=0)
    data = SyntheticLatents(args.batch_size, bundle.latent_channels, frames, args.seconds, args.warmup + args.steps)
    loader = torch.utils.data.DataLoader(data, batch_size=None, num_workers=2, pin_memory=args.device == "cuda")
    timer = StepTimer(args.device)
    trainer = L.Trainer(accelerator="gpu" if args.device == "cuda" else "cpu", devices=1,
                        precision=PRECISIONS[args.precision], max_steps=args.warmup + args.steps, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        use_distributed_sampler=False, limit_val_batches=0, num_sanity_val_steps=0, callbacks=[timer])
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    trainer.fit(module, train_dataloaders=loader)
    timed = timer.times[args.warmup:]
    step_s = sum(timed) / len(timed)
    if args.device == "cuda":
        peak, where = torch.cuda.max_memory_allocated() / 2**30, torch.cuda.get_device_name()
    else:
        peak, where = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, f"cpu ({torch.get_num_threads()} threads)"
    return {
        "device": where, "size": args.size, "precision": args.precision, "batch_size": args.batch_size,
        "seconds": args.seconds, "latent_frames": frames,
        "dit_parameters_m": round(sum(p.numel() for p in bundle.dit.parameters()) / 1e6, 1),
        "trained_parameters_m": round(sum(p.numel() for p in module.dit.parameters() if p.requires_grad) / 1e6, 1),
        "build_s": round(built_s, 2), "warmup_steps": args.warmup, "timed_steps": len(timed),
        "step_s": round(step_s, 4), "step_s_min": round(min(timed), 4), "step_s_max": round(max(timed), 4),
        "steps_per_s": round(1 / step_s, 3), "samples_per_s": round(args.batch_size / step_s, 2),
        "peak_memory_gib": round(peak, 2),
        "torch": torch.__version__,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cuda", "cpu"])
    ap.add_argument("--size", default="full", choices=configs.SIZES)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10.0, help="audio per training item (10 s: 216 latent frames)")
    ap.add_argument("--precision", default="bf16", choices=sorted(PRECISIONS))
    ap.add_argument("--steps", type=int, default=20, help="timed optimiser steps")
    ap.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    result = measure(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
