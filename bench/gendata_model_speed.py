#!/usr/bin/env python3
"""Speed of the model pipelines of `sao gen-data` (p2p, inversion): minutes per pair, pairs per minute.

    python3 bench/gendata_model_speed.py [--size tiny|full] [--device auto|cpu|cuda] [--precision fp32|bf16]
                                         [--seconds 10] [--samples 0] [--json OUT.json]

The base Stable Audio architecture (stable-audio format: the 1.06 B DiT at
full size) and a CLAP model are built in memory with random weights, directly
on the device: timing does not depend on the weights, and building takes
seconds where a 5 GB folder takes minutes to write and read.

Every part of a pair is timed on its own (median of a few calls after a
warm-up) and the pipelines are extrapolated with the paper's settings:

- candidate search: 7 x (50 P2P steps + decode 2 clips + CLAP of 2 clips + mel distance)
- Prompt-to-Prompt: 10 trials x (50 steps + decode 2 + CLAP 1 + mel + optuna)
                    + the final render (100 steps + decode 2 + CLAP 2 + mel)
- inversion: encode + 7 trials x (T_start inversion steps + T_start sampling steps
             + decode 1 + CLAP 1 + mel + optuna), T_start at its mean (41.5 of 70)

A P2P step is one DiT call on 4 rows (input and output, each with its negative
pass) through the injecting cross-attention processors; an inversion step one
call on 2 rows. `--samples N` also runs N real samples of each pipeline end to
end (datagen's jobs on 10 s scenes of real recordings, default settings, a
temporary dataset with its optuna storage) and reports measured pairs per minute
next to the extrapolation.

Reference: the SAO-Instruct paper on one A6000: 2.2 min of candidate search
plus 3.4 min of Prompt-to-Prompt per pair, and 1.8 min per inversion pair.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datagen.attention import CrossAttentionControl, injecting
from datagen.bo import INVERSION_T_START
from datagen.generate import cfg_denoiser, conditioning, decode, encode, latent_shape
from datagen.p2p import token_map
from engine.neural import configs
from engine.neural.editor import resolve_device
from engine.neural.loader import ModelBundle, quiet
from engine.neural.tokenizer import byte_tokenizer

PAPER_A6000_MIN = {"candidate_search": 2.2, "p2p": 3.4, "p2p_pair": 5.6, "inversion_pair": 1.8}
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
SR = 44100
CAPTION, EDITED = "a dog barks in a quiet yard", "a dog barks in a quiet yard while rain falls"


def build_bundle(size: str, device: str, dtype: torch.dtype) -> ModelBundle:
    """The base stable-audio architecture of `size`, random weights, made on `device` (no files)."""
    from diffusers import AutoencoderOobleck, StableAudioDiTModel
    from diffusers.pipelines.stable_audio.modeling_stable_audio import (
        StableAudioProjectionModel,
    )
    from diffusers.utils import logging as diffusers_logging
    from transformers import T5Config, T5EncoderModel

    diffusers_logging.set_verbosity_error()
    cfg = configs.build_config("stable-audio", size)
    torch.manual_seed(0)
    with quiet(), torch.device(device):
        parts = [StableAudioDiTModel(**cfg["dit"]), AutoencoderOobleck(**cfg["vae"]),
                 StableAudioProjectionModel(**cfg["projection"]), T5EncoderModel(T5Config(**configs.t5_config(size)))]
    parts = [m.to(dtype).eval() for m in parts]
    return ModelBundle(*parts, tokenizer=byte_tokenizer(cfg["text_encoder"]["max_length"]), config=cfg,
                       name=f"random-{size}", sha256="random", path=Path("."), device=torch.device(device), dtype=dtype)


def build_clap(size: str):
    """LAION-CLAP's architecture (transformers' ClapConfig defaults: HTSAT + RoBERTa) or a tiny one, random weights.

    The tokenizer is the offline byte tokenizer: text costs are negligible next to audio.
    """
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel

    from engine.metrics.embeddings import ClapEmbedder

    torch.manual_seed(0)
    if size == "full":
        config = ClapConfig()
    else:
        config = ClapConfig(
            text_config={"vocab_size": 300, "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                         "intermediate_size": 64, "max_position_embeddings": 80},
            audio_config={"depths": [1, 1], "num_attention_heads": [2, 2], "hidden_size": 64, "patch_embeds_hidden_size": 32,
                          "num_hidden_layers": 2, "patch_size": 16, "patch_stride": [16, 16]},
            projection_dim=16)
    return ClapEmbedder(ClapModel(config), ClapFeatureExtractor(), byte_tokenizer(77))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def median_seconds(fn, device: torch.device, repeat: int) -> float:
    fn()  # warm-up: allocations, kernel choice
    sync(device)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def scene(seconds: float) -> np.ndarray:
    """A stereo clip of real recordings (or a tone when they are missing)."""
    from engine.audio_io import read_audio
    from engine.pipeline import OutputSpec, conform

    sounds = Path("/usr/share/sounds/freedesktop/stereo")
    clips = [read_audio(p) for p in sorted(sounds.glob("*.oga"))[:12]]
    parts = [conform(c.samples, c.sample_rate, OutputSpec("", SR, 2))[0] for c in clips]
    x = np.concatenate(parts, axis=1) if parts else np.sin(np.arange(int(seconds * SR)) / SR * 2 * np.pi * 220)[None]
    x = np.tile(x, (1, -(-int(seconds * SR) // x.shape[1])))[:, : int(seconds * SR)]
    return np.ascontiguousarray(np.broadcast_to(x, (2, x.shape[1])), dtype=np.float32)


def optuna_seconds(repeat: int = 10) -> float | None:
    """One trial's ask + tell on a SQLite storage (what bo.py does per trial); None without optuna."""
    import importlib.util

    if importlib.util.find_spec("optuna") is None:
        return None
    from datagen import bo

    with tempfile.TemporaryDirectory() as t:
        study = bo.SampleStudy(bo.open_storage(Path(t)), "timing")
        start = time.perf_counter()
        study.optimise(bo.p2p_space, lambda p: (p["lambda_frac"], None), repeat)
        return (time.perf_counter() - start) / repeat


def parts(bundle: ModelBundle, clap, seconds: float, repeat: int) -> dict[str, float]:
    """Seconds of each part of a pair (see the module docstring)."""
    from engine.metrics.spectral import mr_mel_distance

    dev = bundle.device
    audio = scene(seconds)
    frames = audio.shape[1]
    shape = latent_shape(bundle, seconds)
    with torch.inference_mode():
        x2, x1 = torch.randn(2, *shape, device=dev), torch.randn(1, *shape, device=dev)
        pair = cfg_denoiser(bundle, conditioning(bundle, [CAPTION, EDITED], seconds),
                            conditioning(bundle, ["low quality"] * 2, seconds), 5.0)
        single = cfg_denoiser(bundle, conditioning(bundle, [CAPTION], seconds), conditioning(bundle, ["low quality"], seconds), 5.0)
        control = CrossAttentionControl(token_map(bundle, CAPTION, EDITED), 50, 1.0, 0.0, 1.4)
        with injecting(bundle.dit, control):
            p2p_step = median_seconds(lambda: pair(x2, 1.0), dev, repeat)
        out = {
            "p2p_step": p2p_step,
            "inversion_step": median_seconds(lambda: single(x1, 1.0), dev, repeat),
            "decode_2": median_seconds(lambda: decode(bundle, x2, frames), dev, max(1, repeat // 2)),
            "decode_1": median_seconds(lambda: decode(bundle, x1, frames), dev, max(1, repeat // 2)),
            "encode": median_seconds(lambda: encode(bundle, audio), dev, max(1, repeat // 2)),
        }
    out["clap"] = median_seconds(lambda: clap(audio, SR), torch.device("cpu"), max(1, repeat // 2))
    out["mel"] = median_seconds(lambda: mr_mel_distance(audio, audio[:, ::-1], SR), torch.device("cpu"), max(1, repeat // 2))
    out["optuna"] = optuna_seconds() or 0.0
    return out


def extrapolate(t: dict[str, float]) -> dict[str, float]:
    """Seconds per pair of each pipeline stage with the paper's settings."""
    t_start = sum(INVERSION_T_START) / 2
    candidate = 50 * t["p2p_step"] + t["decode_2"] + 2 * t["clap"] + t["mel"]
    search = 7 * candidate
    p2p = (10 * (50 * t["p2p_step"] + t["decode_2"] + t["clap"] + t["mel"] + t["optuna"])
           + 100 * t["p2p_step"] + t["decode_2"] + 2 * t["clap"] + t["mel"])
    inversion = t["encode"] + 2 * t["clap"] + 7 * (2 * t_start * t["inversion_step"] + t["decode_1"] + t["clap"] + t["mel"] + t["optuna"])
    return {"candidate_search": search, "p2p": p2p, "p2p_pair": search + p2p, "inversion_pair": inversion}


def measured(bundle: ModelBundle, clap, samples: int, seconds: float) -> dict[str, float]:
    """Seconds per kept pair of real jobs with default settings (no rejections: the CLAP filter keeps all)."""
    from datagen.inversion import InversionConfig, InversionJob
    from datagen.p2p import P2PConfig, P2PJob
    from datagen.quality import ClapThreshold

    with tempfile.TemporaryDirectory() as t:
        root = Path(t)
        (root / "clips").mkdir()
        rows = ["file,caption,output_caption,instruction"]
        for i in range(samples):
            sf.write(str(root / "clips" / f"scene{i}.wav"), np.roll(scene(seconds), i * SR, axis=1).T, SR, subtype="PCM_16")
            rows.append(f"scene{i}.wav,{CAPTION},{EDITED},add rain")
        (root / "captions.csv").write_text("\n".join(rows) + "\n")
        result = {}
        for name, job in (
            ("p2p_pair", lambda: P2PJob(P2PConfig(root / "captions.csv", samples, root / "p2p", seconds=seconds),
                                        bundle, clap, ClapThreshold(-1.0))),
            ("inversion_pair", lambda: InversionJob(InversionConfig(root / "captions.csv", samples, root / "inv", clips_dir=root / "clips",
                                                                    clip_s=seconds), bundle, clap)),
        ):
            j = job()
            start = time.perf_counter()
            try:
                kept = sum(o.kept for o in j.run())
            finally:
                j.close()
            result[name] = (time.perf_counter() - start) / max(kept, 1)
        return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", default="full", choices=configs.SIZES)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--precision", default="fp32", choices=list(DTYPES))
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--repeat", type=int, default=5, help="timed calls per part")
    p.add_argument("--samples", type=int, default=0, help="also run this many real samples of each pipeline")
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args()
    device = resolve_device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = True
    start = time.perf_counter()
    bundle = build_bundle(a.size, device, DTYPES[a.precision])
    clap = build_clap(a.size)
    build_s = time.perf_counter() - start
    t = parts(bundle, clap, a.seconds, a.repeat)
    per_pair = extrapolate(t)
    real = measured(bundle, clap, a.samples, a.seconds) if a.samples else {}
    result = {"size": a.size, "device": device, "precision": a.precision, "clip_s": a.seconds, "build_s": round(build_s, 1),
              "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
              "cpu": f"{platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
                     f"{torch.get_num_threads()} torch threads, load {os.getloadavg()[0]:.1f}",
              "parts_s": {k: round(v, 4) for k, v in t.items()},
              "extrapolated_min_per_pair": {k: round(v / 60, 3) for k, v in per_pair.items()},
              "measured_min_per_pair": {k: round(v / 60, 3) for k, v in real.items()},
              "paper_a6000_min_per_pair": PAPER_A6000_MIN}
    print(f"gen-data model pipelines: {a.size} stable-audio + CLAP (random weights), {a.seconds:g} s clips, "
          f"{device}{' (' + result['gpu'] + ')' if result['gpu'] else ''}, {a.precision}; built in {build_s:.1f} s")
    print(f"machine: {result['cpu']}")
    print("parts (s): " + ", ".join(f"{k} {v:.4f}" for k, v in t.items()))
    print(f"{'':18s}{'min/pair':>10s}{'pairs/min':>11s}{'measured':>10s}{'paper A6000':>13s}")
    for k, v in per_pair.items():
        m = f"{real[k] / 60:.3f}" if k in real else "-"
        print(f"{k:18s}{v / 60:10.3f}{60 / v:11.2f}{m:>10s}{PAPER_A6000_MIN[k]:13.1f}")
    if a.json:
        a.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
