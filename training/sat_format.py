"""A model in stable-audio-tools' layout: `sao train export --format stable-audio-tools`.

The inverse of engine/neural/convert.py, which documents the correspondence:
diffusers' names go back to stable-audio-tools' (to_q/to_k/to_v fused into
to_qkv, to_k/to_v into to_kv, named Oobleck blocks back to numbered layers,
Snake parameters lose their two extra axes, LayerNorm weight/bias become
gamma/beta), and the folder config becomes a stable-audio-tools model config.
sao's converter reads the result back to the same tensors (tests check this), and
stable-audio-tools loads it with its own `create_model_from_config`.

Written as a SAO-Instruct checkpoint is: the DiT under `model.model.`, the VAE
under `pretransform.model.` and again under the input-audio conditioner (which
uses the model's VAE), the seconds embedders under `conditioner.conditioners.`,
plus the rotary frequencies stable-audio-tools keeps as a buffer.

What stable-audio-tools cannot hold is refused (exit 2) with the reason: its
T5 is named by hub id (a text encoder saved in the folder, as in sao's random
test models, has none), and its timestep features are 256 wide.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path

import torch

from engine.errors import OutputRefused, UsageError
from engine.neural.convert import (
    _DECODER_BLOCK,
    _ENCODER_BLOCK,
    _RESIDUAL,
    HUB_IDS,
    T5_DIMS,
)

SAT_TIMESTEP_FEATURES = 256  # fixed in stable-audio-tools' DiffusionTransformer
INPUT_ID = "input_audio"

_TOP_LEVEL = {
    "time_proj.weight": "timestep_features.weight",
    "preprocess_conv.weight": "preprocess_conv.weight",
    "postprocess_conv.weight": "postprocess_conv.weight",
    "proj_in.weight": "transformer.project_in.weight",
    "proj_out.weight": "transformer.project_out.weight",
}
_SEQUENTIALS = {"timestep_proj": "to_timestep_embed", "global_proj": "to_global_embed", "cross_attention_proj": "to_cond_embed"}
_NORMS = {"norm1": "pre_norm", "norm2": "cross_attend_norm", "norm3": "ff_norm"}
_NORM_PARAMS = {"weight": "gamma", "bias": "beta"}


def t5_name(cfg: dict) -> str:
    """stable-audio-tools' name of the folder's T5 ('t5-base' for google-t5/t5-base)."""
    path = cfg["text_encoder"]["path"]
    name = {hub: short for short, hub in HUB_IDS.items()}.get(path, path)
    if name not in T5_DIMS or T5_DIMS[name] != cfg["projection"]["text_encoder_dim"]:
        raise UsageError(f"stable-audio-tools names its T5 by hub id (one of {', '.join(T5_DIMS)}); this model's text "
                         f"encoder is {path!r}, which it cannot name",
                         hint="Export this model as a folder (--format folder).")
    return name


def sat_config(cfg: dict) -> dict:
    """The stable-audio-tools model config of a folder config."""
    dit, vae, proj = cfg["dit"], cfg["vae"], cfg["projection"]
    if dit["time_proj_dim"] != SAT_TIMESTEP_FEATURES:
        raise UsageError(f"stable-audio-tools' DiT has {SAT_TIMESTEP_FEATURES} timestep features; this model has "
                         f"{dit['time_proj_dim']}", hint="Export this model as a folder (--format folder).")
    latent, embed = vae["decoder_input_channels"], dit["num_attention_heads"] * dit["attention_head_dim"]
    project_tokens = dit["cross_attention_dim"] != dit["cross_attention_input_dim"]
    if project_tokens and dit["cross_attention_dim"] != embed:
        raise UsageError("stable-audio-tools projects cross-attention tokens to the DiT's width or not at all; "
                         f"this model projects them to {dit['cross_attention_dim']}")
    hop = math.prod(vae["downsampling_ratios"])
    coder = {"c_mults": vae["channel_multiples"], "strides": vae["downsampling_ratios"], "use_snake": True}
    numbers = {"min_val": proj["min_value"], "max_val": proj["max_value"]}
    conditioners = [
        {"id": "prompt", "type": "t5", "config": {"t5_model_name": t5_name(cfg), "max_length": cfg["text_encoder"]["max_length"]}},
        {"id": "seconds_start", "type": "number", "config": dict(numbers)},
        {"id": "seconds_total", "type": "number", "config": dict(numbers)},
    ]
    diffusion = {
        "type": "dit",
        "diffusion_objective": "v",
        "cross_attention_cond_ids": ["prompt", "seconds_start", "seconds_total"],
        "global_cond_ids": ["seconds_start", "seconds_total"],
        "config": {"io_channels": latent, "embed_dim": embed, "depth": dit["num_layers"], "num_heads": dit["num_attention_heads"],
                   "cond_token_dim": dit["cross_attention_input_dim"], "global_cond_dim": dit["global_states_input_dim"],
                   "project_cond_tokens": project_tokens, "transformer_type": "continuous_transformer"},
    }
    if cfg["format"] == "sao-instruct":
        conditioners.append({"id": INPUT_ID, "type": "pretransform",
                             "config": {"sample_rate": cfg["sample_rate"], "output_dim": latent, "use_model_pretransform": True}})
        diffusion["input_concat_ids"] = [INPUT_ID]
        diffusion["config"]["input_concat_dim"] = latent
    return {
        "model_type": "diffusion_cond",
        "sample_size": dit.get("sample_size", 1024) * hop,
        "sample_rate": cfg["sample_rate"],
        "audio_channels": cfg["audio_channels"],
        "model": {
            "pretransform": {"type": "autoencoder", "iterate_batch": True, "config": {
                "encoder": {"type": "oobleck", "config": dict(coder, in_channels=vae["audio_channels"],
                                                              channels=vae["encoder_hidden_size"], latent_dim=2 * latent)},
                "decoder": {"type": "oobleck", "config": dict(coder, out_channels=vae["audio_channels"],
                                                              channels=vae["decoder_channels"], latent_dim=latent,
                                                              final_tanh=False)},
                "bottleneck": {"type": "vae"}, "latent_dim": latent, "downsampling_ratio": hop,
                "io_channels": vae["audio_channels"]}},
            "conditioning": {"configs": conditioners, "cond_dim": proj["conditioning_dim"]},
            "diffusion": diffusion,
            "io_channels": latent,
        },
    }


def _dit_key(key: str) -> str:
    if key in _TOP_LEVEL:
        return _TOP_LEVEL[key]
    head, _, rest = key.partition(".")
    if head in _SEQUENTIALS:
        return f"{_SEQUENTIALS[head]}.{rest}"
    m = re.fullmatch(r"transformer_blocks\.(\d+)\.(norm\d)\.(weight|bias)", key)
    if m:
        return f"transformer.layers.{m.group(1)}.{_NORMS[m.group(2)]}.{_NORM_PARAMS[m.group(3)]}"
    m = re.fullmatch(r"transformer_blocks\.(\d+)\.(attn\d)\.to_out\.0\.weight", key)
    if m:
        return f"transformer.layers.{m.group(1)}.{'self_attn' if m.group(2) == 'attn1' else 'cross_attn'}.to_out.weight"
    m = re.fullmatch(r"transformer_blocks\.(\d+)\.ff\.net\.(0\.proj|2)\.(weight|bias)", key)
    if m:
        return f"transformer.layers.{m.group(1)}.ff.ff.{m.group(2)}.{m.group(3)}"
    raise ValueError(f"no stable-audio-tools name for DiT weight {key}")


def dit_state(dit: dict[str, torch.Tensor], head_dim: int) -> dict[str, torch.Tensor]:
    """The DiT in stable-audio-tools' names (keys without the `model.model.` prefix)."""
    out, fused = {}, {}
    for key, value in dit.items():
        m = re.fullmatch(r"transformer_blocks\.(\d+)\.(attn\d)\.to_([qkv])\.weight", key)
        if m and not (m.group(2) == "attn2" and m.group(3) == "q"):
            fused[(m.group(1), m.group(2), m.group(3))] = value
            continue
        if m:
            out[f"transformer.layers.{m.group(1)}.cross_attn.to_q.weight"] = value
            continue
        out[_dit_key(key)] = value.reshape(-1, 1) if key == "time_proj.weight" else value
    for block, attn in sorted({(b, a) for b, a, _ in fused}):
        if attn == "attn1":
            out[f"transformer.layers.{block}.self_attn.to_qkv.weight"] = torch.cat([fused[(block, attn, n)] for n in "qkv"])
        else:
            out[f"transformer.layers.{block}.cross_attn.to_kv.weight"] = torch.cat([fused[(block, attn, n)] for n in "kv"])
    rotary = max(head_dim // 2, 32)
    out["transformer.rotary_pos_emb.inv_freq"] = 1.0 / (10000 ** (torch.arange(0, rotary, 2).float() / rotary))
    return out


def vae_state(vae: dict[str, torch.Tensor], depth: int) -> dict[str, torch.Tensor]:
    """The Oobleck VAE in stable-audio-tools' names (keys without the `pretransform.model.` prefix)."""
    encoder = {v: k for k, v in _ENCODER_BLOCK.items()}
    decoder = {v: k for k, v in _DECODER_BLOCK.items()}
    residual = {v: k for k, v in _RESIDUAL.items()}
    out = {}
    for key, value in vae.items():
        coder, _, rest = key.partition(".")
        part, _, tail = rest.partition(".")
        if part == "conv1":
            name = f"layers.0.{tail}"
        elif part == "snake1":
            name = f"layers.{depth + 1}.{tail}"
        elif part == "conv2":
            name = f"layers.{depth + 2}.{tail}"
        else:
            m = re.fullmatch(r"block\.(\d+)\.(\w+?)(?:\.(snake\d|conv\d))?\.(\w+)", rest)
            if not m:
                raise ValueError(f"no stable-audio-tools name for VAE weight {key}")
            table = encoder if coder == "encoder" else decoder
            name = f"layers.{int(m.group(1)) + 1}.layers.{table[m.group(2)]}."
            name += (f"layers.{residual[m.group(3)]}." if m.group(3) else "") + m.group(4)
        out[f"{coder}.{name}"] = value.reshape(-1) if ".snake" in f".{rest}" and value.dim() == 3 else value
    return out


def projection_state(projection: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The seconds embedders (and a prompt projection) in stable-audio-tools' names, with their conditioner prefixes."""
    out = {}
    for key, value in projection.items():
        m = re.fullmatch(r"(start|end)_number_conditioner\.time_positional_embedding\.(.+)", key)
        if m:
            cond = "seconds_start" if m.group(1) == "start" else "seconds_total"
            out[f"conditioner.conditioners.{cond}.embedder.embedding.{m.group(2)}"] = value
        elif key.startswith("text_projection."):
            out[f"conditioner.conditioners.prompt.{key.replace('text_projection', 'proj_out')}"] = value
        else:
            raise ValueError(f"no stable-audio-tools name for projection weight {key}")
    return out


def sat_state(cfg: dict, weights: dict[str, dict]) -> dict[str, torch.Tensor]:
    """The whole model as one stable-audio-tools state dict."""
    vae = vae_state(weights["vae"], len(cfg["vae"]["downsampling_ratios"]))
    state = {f"model.model.{k}": v for k, v in dit_state(weights["dit"], cfg["dit"]["attention_head_dim"]).items()}
    state.update({f"pretransform.model.{k}": v for k, v in vae.items()})
    if cfg["format"] == "sao-instruct":
        state.update({f"conditioner.conditioners.{INPUT_ID}.pretransform.model.{k}": v for k, v in vae.items()})
    state.update(projection_state(weights["projection"]))
    return state


def write_sat_checkpoint(dest: Path, cfg: dict, weights: dict[str, dict], force: bool = False) -> Path:
    """Write `dest/config.json` and `dest/model.safetensors`, atomically (a hidden sibling renamed into place)."""
    from safetensors.torch import save_file

    dest = Path(dest)
    if dest.exists() and not force and (not dest.is_dir() or any(dest.iterdir())):
        raise OutputRefused(f"{dest} exists; pass --force to replace it")
    config = sat_config(cfg)
    state = {k: v.detach().cpu().contiguous() for k, v in sat_state(cfg, weights).items()}
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        # Tensors that share memory (the VAE's two copies) must be separate for safetensors.
        save_file({k: v.clone() for k, v in state.items()}, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        os.chmod(tmp / "model.safetensors", 0o644)
        if dest.exists():
            shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest
