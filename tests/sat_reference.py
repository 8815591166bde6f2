"""stable-audio-tools 0.0.19's own model code, imported from its unpacked wheel.

The converter parity tests compare sao's diffusers-based models with the
reference implementation the published checkpoints were trained with. Only the
modules they exercise are imported, as the files ship: models/dit.py,
models/transformer.py, models/blocks.py, models/utils.py, the Oobleck classes of
models/autoencoders.py and the number conditioner of models/conditioners.py
(through models/adp.py). What those files import but the tests never call
(torchaudio, alias_free_torch, einops_exts, the training-time diffusion and
factory modules) is replaced by stand-ins that raise if anything touches them;
the third-party stand-ins are removed from sys.modules again after the import.

tests/fetch_sat_wheel.sh downloads and unpacks the wheel (pip download --no-deps).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import subprocess
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("SAO_SAT_WHEEL_DIR", REPO / ".cache" / "sat-wheel")) / "site"
FETCH = REPO / "tests" / "fetch_sat_wheel.sh"
PACKAGE = "stable_audio_tools"
T5_BASE_DIM = 768


class _StandIn:
    """A name the reference files import but the parity tests never use."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("stand-in for a stable-audio-tools dependency the parity tests do not use")


def ensure_unpacked() -> Path:
    """The unpacked wheel, fetching it first if needed (raises CalledProcessError if that fails)."""
    if not (SITE / PACKAGE / "models" / "dit.py").is_file():
        subprocess.run(["bash", str(FETCH)], check=True, capture_output=True, text=True, timeout=300)
    return SITE


def require() -> types.SimpleNamespace:
    """load() for a test: fails in CI (CI set) when the wheel cannot be had, skips elsewhere."""
    import pytest

    try:
        return load()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"stable-audio-tools 0.0.19 wheel unavailable ({e}); run tests/fetch_sat_wheel.sh")


def random_reference(ref: types.SimpleNamespace, fmt: str = "sao-instruct", seed: int = 0) -> tuple[dict, dict]:
    """(config, modules) of the tiny architecture with every weight randomised.

    Zero-initialised layers (stable-audio-tools zeroes several) would hide a
    dropped or swapped weight, so every parameter and buffer gets noise, except
    the rotary inv_freq buffer, which is not a weight.
    """
    import torch

    cfg = sat_config(fmt, "tiny")
    torch.manual_seed(seed)
    modules = build(ref, cfg)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in modules.values():
            for name, t in [*m.named_parameters(), *m.named_buffers()]:
                if not name.endswith("inv_freq"):
                    t.add_(torch.randn(t.shape, generator=g) * 0.05)
            m.eval()
    return cfg, modules


def write_checkpoint(folder: Path, cfg: dict, modules: dict) -> Path:
    """Save as a stable-audio-tools checkpoint folder: config.json + model.safetensors."""
    import json

    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(cfg))
    save_file({k: v.contiguous() for k, v in checkpoint_state(modules).items()}, str(folder / "model.safetensors"))
    return folder


def _module(name: str, package_dir: Path | None = None, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    if package_dir is not None:
        module.__path__ = [str(package_dir)]
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


def load() -> types.SimpleNamespace:
    """DiffusionTransformer, OobleckEncoder, OobleckDecoder, NumberConditioner and Conditioner from the wheel."""
    site = ensure_unpacked()
    if str(site) not in sys.path:
        sys.path.insert(0, str(site))  # for einops, unpacked beside stable_audio_tools
    pkg = site / PACKAGE
    third_party = {
        "torchaudio": _module("torchaudio", transforms=_module("torchaudio.transforms", Resample=_StandIn)),
        "alias_free_torch": _module("alias_free_torch", Activation1d=_StandIn),
        "einops_exts": _module("einops_exts", rearrange_many=_StandIn),
    }
    own = {
        PACKAGE: _module(PACKAGE, pkg),  # not its __init__.py, which imports the whole training stack
        f"{PACKAGE}.inference": _module(f"{PACKAGE}.inference", pkg / "inference"),
        f"{PACKAGE}.inference.sampling": _module(f"{PACKAGE}.inference.sampling", sample=_StandIn,
                                                 DistributionShift=_StandIn),
        f"{PACKAGE}.inference.utils": _module(f"{PACKAGE}.inference.utils", prepare_audio=_StandIn,
                                              set_audio_channels=_StandIn),
        f"{PACKAGE}.models": _module(f"{PACKAGE}.models", pkg / "models"),
        f"{PACKAGE}.models.diffusion": _module(f"{PACKAGE}.models.diffusion", ConditionedDiffusionModel=_StandIn,
                                               DAU1DCondWrapper=_StandIn, UNet1DCondWrapper=_StandIn, DiTWrapper=_StandIn),
        f"{PACKAGE}.models.factory": _module(f"{PACKAGE}.models.factory", create_pretransform_from_config=_StandIn,
                                             create_bottleneck_from_config=_StandIn),
        f"{PACKAGE}.models.pretransforms": _module(f"{PACKAGE}.models.pretransforms", Pretransform=_StandIn,
                                                   AutoencoderPretransform=_StandIn),
    }
    saved = {name: sys.modules.get(name) for name in third_party}
    sys.modules.update(own)
    sys.modules.update(third_party)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # transformer.py prints that flash_attn is missing
            dit = importlib.import_module(f"{PACKAGE}.models.dit")
            autoencoders = importlib.import_module(f"{PACKAGE}.models.autoencoders")
            conditioners = importlib.import_module(f"{PACKAGE}.models.conditioners")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return types.SimpleNamespace(
        DiffusionTransformer=dit.DiffusionTransformer,
        OobleckEncoder=autoencoders.OobleckEncoder,
        OobleckDecoder=autoencoders.OobleckDecoder,
        NumberConditioner=conditioners.NumberConditioner,
        Conditioner=conditioners.Conditioner,
    )


def sat_config(fmt: str, size: str) -> dict:
    """A stable-audio-tools model config of the tiny or real (Stable Audio Open 1.0) architecture.

    The real values are those of Stable Audio Open 1.0's published model_config.json;
    fmt "sao-instruct" adds an input-audio conditioner concatenated to the DiT input.
    """
    real = size == "full"
    latent = 64 if real else 4
    dims = dict(embed_dim=1536, depth=24, num_heads=24, cond=768) if real else dict(embed_dim=128, depth=2, num_heads=2, cond=64)
    oobleck = {"channels": 2 * latent, "c_mults": [1, 2, 4, 8, 16] if real else [1, 1, 2, 4],
               "strides": [2, 4, 4, 8, 8] if real else [2, 4, 4, 8], "use_snake": True}
    conditioners = [
        {"id": "prompt", "type": "t5", "config": {"t5_model_name": "t5-base", "max_length": 128}},
        {"id": "seconds_start", "type": "number", "config": {"min_val": 0, "max_val": 512}},
        {"id": "seconds_total", "type": "number", "config": {"min_val": 0, "max_val": 512}},
    ]
    diffusion = {
        "cross_attention_cond_ids": ["prompt", "seconds_start", "seconds_total"],
        "global_cond_ids": ["seconds_start", "seconds_total"],
        "type": "dit",
        "config": {"io_channels": latent, "embed_dim": dims["embed_dim"], "depth": dims["depth"],
                   "num_heads": dims["num_heads"], "cond_token_dim": dims["cond"], "global_cond_dim": 2 * dims["cond"],
                   "project_cond_tokens": False, "transformer_type": "continuous_transformer"},
    }
    if fmt == "sao-instruct":
        conditioners.append({"id": "input_audio", "type": "pretransform",
                             "config": {"sample_rate": 44100, "output_dim": latent, "use_model_pretransform": True,
                                        "pretransform_ckpt_path": "/gated/stable-audio-open/vae.ckpt"}})
        diffusion["input_concat_ids"] = ["input_audio"]
        diffusion["config"]["input_concat_dim"] = latent
    hop = 1
    for s in oobleck["strides"]:
        hop *= s
    return {
        "model_type": "diffusion_cond",
        "sample_size": 1024 * hop,
        "sample_rate": 44100,
        "audio_channels": 2,
        "model": {
            "pretransform": {"type": "autoencoder", "iterate_batch": True, "config": {
                "encoder": {"type": "oobleck", "config": dict(oobleck, in_channels=2, latent_dim=2 * latent)},
                "decoder": {"type": "oobleck", "config": dict(oobleck, out_channels=2, latent_dim=latent, final_tanh=False)},
                "bottleneck": {"type": "vae"}, "latent_dim": latent, "downsampling_ratio": hop, "io_channels": 2}},
            "conditioning": {"configs": conditioners, "cond_dim": dims["cond"]},
            "diffusion": diffusion,
            "io_channels": latent,
        },
    }


def build(ref: types.SimpleNamespace, cfg: dict) -> dict:
    """The reference modules of a config: {"dit", "encoder", "decoder", "start", "total", "prompt"}.

    "prompt" is the T5 conditioner's output projection (its base class's proj_out,
    a Linear when T5's width differs from cond_dim, else Identity); T5 itself is
    never part of a checkpoint.
    """
    model = cfg["model"]
    dit_cfg = dict(model["diffusion"]["config"])
    dit_cfg.pop("transformer_type")
    ae = model["pretransform"]["config"]
    numbers = {c["id"]: c["config"] for c in model["conditioning"]["configs"] if c["type"] == "number"}
    cond = model["conditioning"]["cond_dim"]
    return {
        "dit": ref.DiffusionTransformer(**dit_cfg),
        "encoder": ref.OobleckEncoder(**ae["encoder"]["config"]),
        "decoder": ref.OobleckDecoder(**ae["decoder"]["config"]),
        "start": ref.NumberConditioner(cond, **numbers["seconds_start"]),
        "total": ref.NumberConditioner(cond, **numbers["seconds_total"]),
        "prompt": ref.Conditioner(T5_BASE_DIM, cond),
    }


def checkpoint_state(modules: dict) -> dict:
    """One state dict with the key names of a published stable-audio-tools checkpoint."""
    prefixes = {"dit": "model.model.", "encoder": "pretransform.model.encoder.", "decoder": "pretransform.model.decoder.",
                "start": "conditioner.conditioners.seconds_start.", "total": "conditioner.conditioners.seconds_total.",
                "prompt": "conditioner.conditioners.prompt."}
    return {prefixes[part] + k: v for part, m in modules.items() for k, v in m.state_dict().items()}
