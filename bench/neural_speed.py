"""Neural editing speed: seconds per 10 s clip at 8, 25, 50 and 100 steps, clips/s at batch 8, peak memory.

    python3 bench/neural_speed.py [--device auto|cpu|cuda|mps] [--precision fp32|bf16|fp16]
                                  [--compile MODE] [--size full|tiny] [--seconds 10] [--json OUT.json]

The full-size SAO-Instruct architecture (1.06 B-parameter DiT, Oobleck VAE,
t5-base-sized text encoder) is built in memory from engine.neural.configs with
random weights, directly on the device: timing does not depend on the weights'
values, and building takes seconds where writing and reading the 5 GB folder of
`sao models init-random --size full` takes minutes.

Every figure goes through SaoInstructEditor.edit_batch, the code `sao edit`
runs (encode, text, DPM-Solver++ with classifier-free guidance, decode,
loudness), on a 10 s stereo clip sized to its length (no 47 s window).

- On a GPU each figure is the median of whole edits, timed after a warm-up.
- On a CPU a 100-step edit of the full model takes many minutes, so the run
  times one whole edit at --cpu-steps steps and one sampling step on its own,
  and extrapolates: time(n) = time(cpu_steps) + (n - cpu_steps) x step. For
  batch 8 it times one step of the 8-clip batch and scales the batch-1 fixed
  costs (encode, text, decode) by 8.

--compile MODE wraps the DiT in torch.compile (e.g. reduce-overhead: CUDA
graphs, which remove the per-layer launch cost that dominates at batch 1).
It is meant for GPUs: the CPU run does not warm it up at every shape.

Reference: the SAO-Instruct paper's 9.94 s per 10 s clip on an A6000 at 100
steps. Target (issue 6): at most 1.0 s per clip at 100 steps on one H200.

--overhead (issue 16) times instead what a sampling step costs outside the
networks: the DiT is a stub that returns at once (conditioning is random), and
the real guided denoiser, ModelBundle.predict (rotary table, casts) and
DPM-Solver++ loop run with each SDE noise version, at batch 1 and 8 and 216
and 1024 latent frames. Per step:
- `critical`: the host time a step costs the device. On CUDA it is measured
  directly (the loop's wall time, synchronised once at the end: the latent
  arithmetic runs asynchronously on the GPU). On a CPU the CPU is also the
  device, so it is emulated: the loop runs on a latent one frame wide (each
  tensor operation then costs only its dispatch, like a kernel launch), with
  the noise drawn in the chunks the real shape gets on an accelerator, plus the
  rotary table built at the real frame count, shared out over the steps. Noise
  version 1's Brownian tree is host work at any shape: it is timed at the real
  shape, waited for as the sampler waits for it.
- `with arithmetic` (CPU only): the whole loop at the real shape on the CPU,
  which also counts the latent arithmetic a GPU would do.
Target: critical under 0.5 ms per step at batch 8 x 1024 frames.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.neural import configs  # noqa: E402
from engine.neural.editor import NeuralSettings, SaoInstructEditor, resolve_device  # noqa: E402
from engine.neural.loader import ModelBundle, quiet  # noqa: E402
from engine.neural.sampler import StepNoise, guided_denoiser, make_noise, sample_dpmpp_3m_sde  # noqa: E402
from engine.neural.loader import Conditioning  # noqa: E402
from engine.neural.schedule import schedule  # noqa: E402
from engine.neural.tokenizer import byte_tokenizer  # noqa: E402
from engine.plan import neural_step  # noqa: E402

STEP_COUNTS = (8, 25, 50, 100)
BATCH = 8
SR = 44100
PAPER_A6000_S = 9.94
TARGET_H200_S = 1.0
OVERHEAD_TARGET_MS = 0.5  # per step, batch 8 x 1024 frames (issue 16)
OVERHEAD_SHAPES = ((1, 216), (1, 1024), (8, 216), (8, 1024))  # (batch, latent frames)
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def build_bundle(size: str, device: str, dtype: torch.dtype) -> ModelBundle:
    """The architecture of `size` with random weights, made on `device` (no files)."""
    from diffusers import AutoencoderOobleck, StableAudioDiTModel
    from diffusers.pipelines.stable_audio.modeling_stable_audio import (
        StableAudioProjectionModel,
    )
    from diffusers.utils import logging as diffusers_logging
    from transformers import T5Config, T5EncoderModel

    diffusers_logging.set_verbosity_error()  # no advice about from_pretrained: there is nothing to load
    cfg = configs.build_config("sao-instruct", size)
    torch.manual_seed(0)
    with quiet(), torch.device(device):
        dit = StableAudioDiTModel(**cfg["dit"])
        vae = AutoencoderOobleck(**cfg["vae"])
        projection = StableAudioProjectionModel(**cfg["projection"])
        t5 = T5EncoderModel(T5Config(**configs.t5_config(size)))
    parts = [m.to(dtype).eval() for m in (dit, vae, projection, t5)]
    return ModelBundle(*parts, tokenizer=byte_tokenizer(cfg["text_encoder"]["max_length"]), config=cfg,
                       name=f"random-{size}", sha256="random", path=Path("."), device=torch.device(device), dtype=dtype)


def clip(seconds: float) -> np.ndarray:
    """A stereo tone with some noise: a clip the model has to work on."""
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(0)
    x = 0.3 * np.sin(2 * np.pi * 220 * t)[None] + 0.05 * rng.standard_normal((2, t.size))
    return x.astype(np.float32)


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


def edit_seconds(editor: SaoInstructEditor, audio: np.ndarray, batch: int) -> float:
    """Wall time of one edit of `batch` copies of `audio` (the results come back as numpy: synchronised)."""
    step = neural_step("add a large hall reverb")
    start = time.perf_counter()
    editor.edit_batch([(audio, SR, step)] * batch)
    return time.perf_counter() - start


def step_seconds(bundle: ModelBundle, frames: int, batch: int, repeat: int = 1, cfg: float = 5.0) -> float:
    """One sampling step (the DiT with classifier-free guidance) for `batch` clips of `frames` audio frames."""
    shape = (batch, bundle.latent_channels, bundle.latent_frames(frames))
    with torch.inference_mode():
        z = torch.randn(shape, device=bundle.device)
        cond = bundle.conditioning(["add a large hall reverb"] * batch, [0.0] * batch, [frames / SR] * batch)
        denoise = guided_denoiser(bundle, cond, z, cfg)
        denoise(z, 1.0)  # warm-up
        sync(bundle.device.type)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            denoise(z, 1.0)
            sync(bundle.device.type)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory_mib(device: str) -> float:
    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def reset_peak(device: str) -> None:
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def run(args) -> dict:
    device = resolve_device(args.device)
    dtype = DTYPES[args.precision]
    torch.backends.cuda.matmul.allow_tf32 = True  # fp32 runs on Ampere and later use TF32 tensor cores
    start = time.perf_counter()
    bundle = build_bundle(args.size, device, dtype)
    build_s = time.perf_counter() - start
    if args.compile:
        bundle.dit = torch.compile(bundle.dit, mode=args.compile)
    audio = clip(args.seconds)
    frames = audio.shape[1]

    def editor(steps: int, batch: int = 1) -> SaoInstructEditor:
        return SaoInstructEditor(bundle, NeuralSettings(steps=steps, seed=0, batch_size=batch, device=device,
                                                        precision=args.precision))

    result = {"device": device, "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
              "cpu": f"{platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
                     f"{torch.get_num_threads()} torch threads, load {os.getloadavg()[0]:.1f}",
              "torch": torch.__version__, "precision": args.precision, "compile": args.compile, "size": args.size,
              "clip_s": args.seconds, "build_s": round(build_s, 2), "per_clip_s": {}, "method": ""}
    if device == "cpu" and not args.whole:
        n0 = args.cpu_steps
        edit_seconds(editor(1), audio[:, :SR], 1)  # warm-up: the first call pays for allocations and kernel choice
        whole = edit_seconds(editor(n0), audio, 1)
        step1 = step_seconds(bundle, frames, 1)
        step8 = step_seconds(bundle, frames, BATCH)
        fixed = whole - n0 * step1
        for n in STEP_COUNTS:
            result["per_clip_s"][n] = round(whole + (n - n0) * step1, 2)
        batch8 = BATCH * fixed + 100 * step8
        result.update(method=f"extrapolated: one whole edit at {n0} steps ({whole:.1f} s) + one timed step "
                             f"({step1:.2f} s at batch 1, {step8:.2f} s at batch {BATCH}); fixed costs x{BATCH} for the batch",
                      step_s={"batch1": round(step1, 3), f"batch{BATCH}": round(step8, 3)},
                      fixed_s=round(fixed, 2), clips_per_s_batch8=round(BATCH / batch8, 4),
                      peak_memory_mib={"process": round(peak_memory_mib(device))})
        return result
    edit_seconds(editor(STEP_COUNTS[0]), audio, 1)  # warm-up (and compilation at batch 1)
    memory = {}
    for n in STEP_COUNTS:
        reset_peak(device)
        times = [edit_seconds(editor(n), audio, 1) for _ in range(args.repeat)]
        result["per_clip_s"][n] = round(statistics.median(times), 3)
        memory["batch1"] = round(peak_memory_mib(device))
    edit_seconds(editor(STEP_COUNTS[0], BATCH), audio, BATCH)  # warm-up at batch 8
    reset_peak(device)
    times = [edit_seconds(editor(100, BATCH), audio, BATCH) for _ in range(max(1, args.repeat - 1))]
    memory[f"batch{BATCH}"] = round(peak_memory_mib(device))
    result.update(method=f"whole edits, median of {args.repeat} after a warm-up",
                  step_s={"batch1": round(step_seconds(bundle, frames, 1, repeat=10), 4),
                          f"batch{BATCH}": round(step_seconds(bundle, frames, BATCH, repeat=5), 4)},
                  clips_per_s_batch8=round(BATCH / statistics.median(times), 3), peak_memory_mib=memory)
    return result


def report(r: dict) -> None:
    print(f"neural edit speed: {r['size']} SAO-Instruct (random weights), {r['clip_s']:g} s stereo clip, "
          f"{r['device']}{' (' + r['gpu'] + ')' if r['gpu'] else ''}, {r['precision']}, "
          f"compile: {r['compile'] or 'no'}, torch {r['torch']}")
    print(f"machine: {r['cpu']}; model built in {r['build_s']} s")
    print(f"method: {r['method']}")
    print("steps   seconds per clip")
    for n, s in r["per_clip_s"].items():
        print(f"{n:>5}   {s:>10.3f}")
    print(f"sampling step (DiT with CFG): {r['step_s']}")
    print(f"clips per second at batch {BATCH}, 100 steps: {r['clips_per_s_batch8']}")
    print(f"peak memory (MiB): {r['peak_memory_mib']}")
    print(f"reference: SAO-Instruct paper, A6000, 100 steps: {PAPER_A6000_S} s per 10 s clip; "
          f"target on one H200: <= {TARGET_H200_S} s")


class StubDiT(torch.nn.Module):
    """Returns at once: a view of its input with the output's channels (the v of a network that costs nothing)."""

    def __init__(self, out_channels: int):
        super().__init__()
        self.out_channels = out_channels

    def forward(self, hidden_states, *args, **kwargs):
        return (hidden_states[:, : self.out_channels],)


def stub_bundle(device: str) -> ModelBundle:
    """The full-size configuration with a stub DiT and no other networks (the sampling loop uses none)."""
    cfg = configs.build_config("sao-instruct", "full")
    return ModelBundle(StubDiT(cfg["dit"]["out_channels"]), None, None, None, tokenizer=None, config=cfg, name="stub",
                       sha256="stub", path=Path("."), device=torch.device(device), dtype=torch.float32)


def sampling_loop_s(bundle: ModelBundle, batch: int, frames: int, steps: int, version: int,
                    chunk_for: int | None = None) -> float:
    """Wall time of noise set-up plus the sampling loop over `frames` latent frames, stub networks, cfg 5.

    chunk_for: draw version 2's noise in the chunks that this many latent frames get on an accelerator.
    """
    device, latent = bundle.device, bundle.latent_channels
    sigmas = schedule(steps, 4.0)
    cond = Conditioning(torch.randn(batch, 130, 768, device=device), torch.randn(batch, 1, 1536, device=device))
    z_in = torch.randn(batch, latent, frames, device=device)
    with torch.inference_mode():
        sync(device.type)
        start = time.perf_counter()
        with make_noise(version, (latent, frames), list(range(batch)), sigmas, device) as noise:
            if chunk_for is not None and isinstance(noise, StepNoise):
                noise.per_chunk = max(1, StepNoise.CHUNK_ELEMENTS_DEVICE // (latent * chunk_for * batch))
            sample_dpmpp_3m_sde(guided_denoiser(bundle, cond, z_in, 5.0), z_in + 4.0, sigmas, noise)
        sync(device.type)
    return time.perf_counter() - start


def rotary_build_s(frames: int, device: str) -> float:
    bundle = stub_bundle(device)
    start = time.perf_counter()
    bundle.rotary(frames)
    sync(device)
    return time.perf_counter() - start


def overhead(args) -> dict:
    device = resolve_device(args.device)
    bundle = stub_bundle(device)
    steps = args.overhead_steps
    sampling_loop_s(bundle, 1, 8, 4, 2)  # warm-up: imports, first allocations
    rows = []
    for batch, frames in OVERHEAD_SHAPES:
        row = {"batch": batch, "frames": frames}
        if device == "cpu":
            emulated = sampling_loop_s(bundle, batch, 1, steps, 2, chunk_for=frames) + rotary_build_s(frames, device)
            row["v2_critical_ms"] = 1e3 * emulated / steps
            row["v2_with_arithmetic_ms"] = 1e3 * sampling_loop_s(bundle, batch, frames, steps, 2) / steps
        else:
            row["v2_critical_ms"] = 1e3 * sampling_loop_s(bundle, batch, frames, steps, 2) / steps
        v1_steps = min(steps, args.v1_steps)  # the Brownian tree costs up to a quarter second per step
        row["v1_critical_ms"] = 1e3 * sampling_loop_s(bundle, batch, frames, v1_steps, 1) / v1_steps
        rows.append({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
    return {"device": device, "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
            "cpu": f"{platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
                   f"{torch.get_num_threads()} torch threads, load {os.getloadavg()[0]:.1f}",
            "torch": torch.__version__, "steps": steps, "v1_steps": min(steps, args.v1_steps), "rows": rows}


def report_overhead(r: dict) -> None:
    print(f"sampling step outside the networks (stub DiT): {r['device']}"
          f"{' (' + r['gpu'] + ')' if r['gpu'] else ''}, torch {r['torch']}, {r['steps']} steps "
          f"(noise v1: {r['v1_steps']})")
    print(f"machine: {r['cpu']}")
    cpu = r["device"] == "cpu"
    print("batch  frames   v2 critical ms/step" + ("   v2 with CPU arithmetic" if cpu else "") + "   v1 (Brownian) ms/step")
    for row in r["rows"]:
        extra = f"   {row['v2_with_arithmetic_ms']:>22.3f}" if cpu else ""
        print(f"{row['batch']:>5}  {row['frames']:>6}   {row['v2_critical_ms']:>19.3f}{extra}   {row['v1_critical_ms']:>22.3f}")
    worst = next(row for row in r["rows"] if (row["batch"], row["frames"]) == (8, 1024))
    verdict = "met" if worst["v2_critical_ms"] < OVERHEAD_TARGET_MS else "NOT met"
    print(f"target: under {OVERHEAD_TARGET_MS} ms per step at batch 8 x 1024 frames: {verdict} "
          f"({worst['v2_critical_ms']:.3f} ms; noise v1 {worst['v1_critical_ms']:.1f} ms)")
    if cpu:
        print("critical on a CPU is emulated (module docstring); rerun with --device cuda for the measured figure")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--precision", default="fp32", choices=list(DTYPES))
    p.add_argument("--compile", default=None, metavar="MODE", help="torch.compile the DiT with this mode (e.g. reduce-overhead)")
    p.add_argument("--size", default="full", choices=configs.SIZES)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--repeat", type=int, default=3, help="GPU: timed edits per figure")
    p.add_argument("--cpu-steps", type=int, default=2, help="CPU: steps of the one whole edit that is timed")
    p.add_argument("--whole", action="store_true", help="time whole edits (the GPU method) on a CPU too: with --size tiny, "
                                                        "the GPU check's smoke test")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    p.add_argument("--overhead", action="store_true", help="time a sampling step outside the networks instead (issue 16)")
    p.add_argument("--overhead-steps", type=int, default=100, help="--overhead: steps per timed loop")
    p.add_argument("--v1-steps", type=int, default=10, help="--overhead: steps timed with noise version 1 (slow)")
    args = p.parse_args()
    if args.overhead:
        result = overhead(args)
        report_overhead(result)
    else:
        result = run(args)
        report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
