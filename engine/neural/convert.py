"""Convert stable-audio-tools checkpoints (and diffusers pipeline folders) into model folders.

A stable-audio-tools checkpoint is a folder with `config.json` (or
`model_config.json`) and `model.safetensors`, `model.pt` or `model.ckpt`: one
state dict for the whole model, keyed

    model.model.*                 the DiT (DiTWrapper -> DiffusionTransformer)
    pretransform.model.*          the Oobleck VAE (AudioAutoencoder)
    conditioner.conditioners.*    the seconds embedders (and a prompt projection, if any)

The T5 text encoder is not in it; the folder names its hub id instead.

Renaming to diffusers' modules: fused attention projections are split (to_qkv ->
to_q/to_k/to_v, to_kv -> to_k/to_v); `rotary_pos_emb.inv_freq` is dropped
(diffusers computes it); Snake parameters gain two axes; numbered Sequential
layers become named blocks. A DiT that concatenates an input latent
(`input_concat_dim`, SAO-Instruct) keeps its widened input layers as they are:
diffusers' `in_channels` is set to io_channels + input_concat_dim.

Pitfalls:
- Checkpoints can carry `pretransform_ckpt_path` entries pointing at the gated
  Stable Audio Open VAE; they are ignored, the VAE weights are in the checkpoint.
- Every converted tensor is checked against the shapes of the diffusers modules
  the config describes, so a checkpoint that does not match its config fails
  here, naming keys, rather than at load time.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from engine.errors import UsageError

from .configs import DEFAULTS, FORMAT_VERSION, T5_BASE, check_config
from .folder import LOCAL_TEXT_ENCODER, write_model_folder

SAT_CONFIG_FILES = ("config.json", "model_config.json")
SAT_WEIGHT_FILES = ("model.safetensors", "model.pt", "model.ckpt")
T5_DIMS = {"t5-small": 512, "t5-base": 768, "t5-large": 1024, "google/flan-t5-small": 512,
           "google/flan-t5-base": 768, "google/flan-t5-large": 1024}
HUB_IDS = {"t5-small": "google-t5/t5-small", "t5-base": T5_BASE, "t5-large": "google-t5/t5-large"}

# DiT options this converter maps onto diffusers' StableAudioDiTModel, with the
# values diffusers can represent (None: any value).
_DIT_OPTIONS = {
    "io_channels": None, "embed_dim": None, "depth": None, "num_heads": None, "cond_token_dim": None,
    "global_cond_dim": None, "project_cond_tokens": None, "project_global_cond": None, "input_concat_dim": None,
    "patch_size": {1}, "prepend_cond_dim": {0}, "transformer_type": {"continuous_transformer"},
    "global_cond_type": {"prepend"}, "timestep_cond_type": {"global"}, "diffusion_objective": {"v"},
}


@dataclass(frozen=True)
class SatLayout:
    """Where the pieces sit in a stable-audio-tools state dict."""

    text_id: str  # the T5 conditioner
    start_id: str  # the seconds_start number conditioner
    total_id: str  # the seconds_total number conditioner
    input_ids: tuple[str, ...]  # input-concat conditioners (SAO-Instruct's input audio)
    vae_depth: int  # Oobleck blocks (len(strides))


# ---------------------------------------------------------------- configs


def find_sat_files(src: Path) -> tuple[Path, Path] | None:
    """(config, weights) of a stable-audio-tools checkpoint folder, or None."""
    src = Path(src)
    config = next((src / n for n in SAT_CONFIG_FILES if (src / n).is_file()), None)
    weights = next((src / n for n in SAT_WEIGHT_FILES if (src / n).is_file()), None)
    return (config, weights) if config and weights else None


def read_sat_config(path: Path) -> dict:
    try:
        cfg = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"{path}: unreadable config: {e}") from None
    if not isinstance(cfg, dict) or "model" not in cfg:
        raise UsageError(f"{path}: not a stable-audio-tools model config (no 'model' section)")
    return cfg


def folder_config_from_sat(sat: dict, where: str = "config") -> tuple[dict, SatLayout]:
    """The folder config and state-dict layout for a stable-audio-tools model config.

    Raises UsageError (exit 2) for architectures diffusers' modules cannot hold.
    """

    def bad(message: str) -> UsageError:
        return UsageError(f"{where}: {message}")

    def section(d: dict, key: str, path: str) -> dict:
        value = d.get(key)
        if not isinstance(value, dict):
            raise bad(f"missing '{path}'")
        return value

    def require(d: dict, keys: tuple[str, ...], path: str) -> None:
        absent = [k for k in keys if not isinstance(d.get(k), (int, list))]
        if absent:
            raise bad(f"'{path}' lacks {', '.join(absent)} (or they are not numbers)")

    if sat.get("model_type") != "diffusion_cond":
        raise bad(f"model_type is {sat.get('model_type')!r}; only diffusion_cond models convert")
    model = section(sat, "model", "model")
    diffusion = section(model, "diffusion", "model.diffusion")
    if diffusion.get("type") != "dit":
        raise bad(f"diffusion type is {diffusion.get('type')!r}; only 'dit' converts")
    dit_cfg = dict(section(diffusion, "config", "model.diffusion.config"))
    dit_cfg.setdefault("diffusion_objective", diffusion.get("diffusion_objective", "v"))
    for key, value in dit_cfg.items():
        if key not in _DIT_OPTIONS:
            raise bad(f"DiT option '{key}' is not supported by diffusers' StableAudioDiTModel")
        allowed = _DIT_OPTIONS[key]
        if allowed is not None and value not in allowed:
            raise bad(f"DiT option {key}={value!r} is not supported (only {sorted(allowed)})")
    if diffusion.get("prepend_cond_ids"):
        raise bad("prepend_cond_ids are not supported")
    require(dit_cfg, ("io_channels", "embed_dim", "depth", "num_heads", "cond_token_dim", "global_cond_dim"),
            "model.diffusion.config")

    conditioners = {c.get("id"): c for c in section(model, "conditioning", "model.conditioning").get("configs", [])}
    require(model["conditioning"], ("cond_dim",), "model.conditioning")
    cond_dim = model["conditioning"]["cond_dim"]
    cross_ids = list(diffusion.get("cross_attention_cond_ids", []))
    global_ids = list(diffusion.get("global_cond_ids", []))
    kinds = [conditioners.get(i, {}).get("type") for i in cross_ids]
    if kinds != ["t5", "number", "number"] or global_ids != cross_ids[1:]:
        raise bad("conditioning must be a T5 prompt plus two seconds numbers (cross attention: prompt, start, total; "
                  f"global: start, total); found cross attention {cross_ids} {kinds}, global {global_ids}")
    text_id, start_id, total_id = cross_ids
    t5 = conditioners[text_id].get("config", {})
    t5_name = t5.get("t5_model_name", "t5-base")
    if t5_name not in T5_DIMS:
        raise bad(f"T5 model {t5_name!r} is not one of {', '.join(T5_DIMS)}")
    if t5.get("project_out") and T5_DIMS[t5_name] == cond_dim:
        raise bad("a prompt projection between equal widths cannot be represented")
    numbers = [conditioners[i].get("config", {}) for i in (start_id, total_id)]
    ranges = {(n.get("min_val", 0), n.get("max_val", 1)) for n in numbers}
    if len(ranges) != 1:
        raise bad("seconds_start and seconds_total must share one value range")
    min_value, max_value = ranges.pop()

    input_ids = tuple(diffusion.get("input_concat_ids", []))
    io = dit_cfg["io_channels"]
    concat = dit_cfg.get("input_concat_dim", 0)
    if bool(input_ids) != bool(concat):
        raise bad("input_concat_ids and the DiT's input_concat_dim must be given together")
    if concat and concat != io:
        raise bad(f"input_concat_dim ({concat}) must equal io_channels ({io}): the input latent is concatenated")

    pre = section(model, "pretransform", "model.pretransform")
    if pre.get("type") != "autoencoder" or pre.get("scale", 1.0) != 1.0:
        raise bad("the pretransform must be an unscaled autoencoder")
    ae = section(pre, "config", "model.pretransform.config")
    enc = section(section(ae, "encoder", "pretransform.config.encoder"), "config", "encoder.config")
    dec = section(section(ae, "decoder", "pretransform.config.decoder"), "config", "decoder.config")
    if ae["encoder"].get("type") != "oobleck" or ae["decoder"].get("type") != "oobleck":
        raise bad("only Oobleck encoders and decoders convert")
    for coder, path in ((enc, "encoder.config"), (dec, "decoder.config")):
        require(coder, ("channels", "latent_dim", "c_mults", "strides"), path)
    if (ae.get("bottleneck") or {}).get("type") != "vae":
        raise bad("only the VAE bottleneck converts")
    latent = dec.get("latent_dim")
    if not (enc.get("use_snake") and dec.get("use_snake")) or enc.get("antialias_activation") or dec.get("antialias_activation"):
        raise bad("the Oobleck VAE must use Snake activations without antialiasing")
    if dec.get("final_tanh", True) or dec.get("use_nearest_upsample"):
        raise bad("the Oobleck decoder must have final_tanh false and transposed-convolution upsampling")
    if enc.get("latent_dim") != 2 * latent or enc.get("channels") != 2 * latent:
        raise bad("the Oobleck encoder's latent_dim and channels must both be twice the decoder's latent_dim")
    if enc.get("strides") != dec.get("strides") or enc.get("c_mults") != dec.get("c_mults"):
        raise bad("encoder and decoder must share strides and c_mults")
    if io != latent:
        raise bad(f"the DiT's io_channels ({io}) differ from the VAE's latent_dim ({latent})")

    embed, heads = dit_cfg["embed_dim"], dit_cfg["num_heads"]
    head_dim = embed // heads
    cross_dim = embed if dit_cfg.get("project_cond_tokens", True) else dit_cfg["cond_token_dim"]
    hop = math.prod(enc["strides"])
    cfg = {
        "format": "sao-instruct" if concat else "stable-audio",
        "version": FORMAT_VERSION,
        "sample_rate": sat.get("sample_rate"),
        "audio_channels": sat.get("audio_channels", ae.get("io_channels", 2)),
        "dit": {
            "sample_size": int(sat.get("sample_size", 1024 * hop)) // hop,
            "in_channels": io + concat,
            "num_layers": dit_cfg["depth"],
            "attention_head_dim": head_dim,
            "num_attention_heads": heads,
            "num_key_value_attention_heads": cross_dim // head_dim,
            "out_channels": io,
            "cross_attention_dim": cross_dim,
            "time_proj_dim": 256,
            "global_states_input_dim": dit_cfg["global_cond_dim"],
            "cross_attention_input_dim": dit_cfg["cond_token_dim"],
        },
        "vae": {
            "encoder_hidden_size": enc["channels"],
            "downsampling_ratios": list(enc["strides"]),
            "channel_multiples": list(enc["c_mults"]),
            "decoder_channels": dec["channels"],
            "decoder_input_channels": latent,
            "audio_channels": ae.get("io_channels", 2),
            "sampling_rate": sat.get("sample_rate"),
        },
        "projection": {"text_encoder_dim": T5_DIMS[t5_name], "conditioning_dim": cond_dim,
                       "min_value": min_value, "max_value": max_value},
        "text_encoder": {"path": HUB_IDS.get(t5_name, t5_name), "max_length": t5.get("max_length", 128)},
        "defaults": dict(DEFAULTS),
    }
    problems = check_config(cfg)
    if problems:
        raise bad(problems[0])
    return cfg, SatLayout(text_id, start_id, total_id, input_ids, len(enc["strides"]))


# ---------------------------------------------------------------- weights


def convert_state_dict(state: Mapping[str, "object"], layout: SatLayout) -> dict[str, dict]:
    """A stable-audio-tools state dict -> {"dit": .., "vae": .., "projection": ..} in diffusers' names.

    Raises UsageError listing keys it does not know (nothing is dropped silently
    except the rotary inv_freq buffer, which diffusers recomputes).
    """
    out = {"dit": {}, "vae": {}, "projection": {}}
    unknown = []
    vae_copies = {}
    for key, value in state.items():
        entries = None
        if key.startswith("model.model."):
            entries = _dit_entries(key[len("model.model."):], value)
            part = "dit"
        elif key.startswith("pretransform.model."):
            entries = _vae_entries(_weight_norm_name(key[len("pretransform.model."):]), value, layout.vae_depth)
            part = "vae"
        elif key.startswith("conditioner.conditioners."):
            cond_id, _, rest = key[len("conditioner.conditioners."):].partition(".")
            if cond_id in layout.input_ids and rest.startswith("pretransform.model."):
                vae_copies[_weight_norm_name(rest[len("pretransform.model."):])] = value
                continue
            entries = _projection_entries(cond_id, rest, value, layout)
            part = "projection"
        if entries is None:
            unknown.append(key)
        else:
            out[part].update(entries)
    if unknown:
        raise UsageError(f"checkpoint has {len(unknown)} key(s) this converter does not know, e.g. {', '.join(unknown[:3])}")
    _check_vae_copies(vae_copies, out["vae"], layout)
    return out


def _weight_norm_name(key: str) -> str:
    """Newer torch saves weight norm as parametrizations; diffusers' Oobleck uses weight_g / weight_v."""
    return key.replace(".parametrizations.weight.original0", ".weight_g").replace(
        ".parametrizations.weight.original1", ".weight_v")


_BLOCK_PARTS = {"pre_norm": "norm1", "cross_attend_norm": "norm2", "ff_norm": "norm3"}
_NORM_PARAMS = {"gamma": "weight", "beta": "bias"}
_TOP_LEVEL = {
    "timestep_features.weight": "time_proj.weight",
    "preprocess_conv.weight": "preprocess_conv.weight",
    "postprocess_conv.weight": "postprocess_conv.weight",
    "transformer.project_in.weight": "proj_in.weight",
    "transformer.project_out.weight": "proj_out.weight",
}
_TOP_SEQUENTIALS = {"to_timestep_embed": "timestep_proj", "to_global_embed": "global_proj",
                    "to_cond_embed": "cross_attention_proj"}


def _dit_entries(key: str, value) -> list | None:
    """(diffusers key, tensor) pairs for one DiT tensor; None for a key it does not know."""
    if key == "transformer.rotary_pos_emb.inv_freq":
        return []
    if key in _TOP_LEVEL:
        return [(_TOP_LEVEL[key], value.reshape(-1) if key.startswith("timestep_features") else value)]
    head, _, rest = key.partition(".")
    if head in _TOP_SEQUENTIALS:
        return [(f"{_TOP_SEQUENTIALS[head]}.{rest}", value)]
    m = re.fullmatch(r"transformer\.layers\.(\d+)\.(.+)", key)
    if not m:
        return None
    block, rest = f"transformer_blocks.{m.group(1)}", m.group(2)
    part, _, param = rest.partition(".")
    if part in _BLOCK_PARTS and param in _NORM_PARAMS:
        return [(f"{block}.{_BLOCK_PARTS[part]}.{_NORM_PARAMS[param]}", value)]
    attn = {"self_attn": "attn1", "cross_attn": "attn2"}.get(part)
    if attn and param == "to_qkv.weight":
        return [(f"{block}.{attn}.to_{n}.weight", t.contiguous()) for n, t in zip("qkv", value.chunk(3, dim=0))]
    if attn and param == "to_kv.weight":
        return [(f"{block}.{attn}.to_{n}.weight", t.contiguous()) for n, t in zip("kv", value.chunk(2, dim=0))]
    if attn and param in ("to_q.weight", "to_out.weight"):
        return [(f"{block}.{attn}.{param.replace('to_out', 'to_out.0')}", value)]
    m = re.fullmatch(r"ff\.ff\.(0\.proj|2)\.(weight|bias)", rest)
    if m:
        return [(f"{block}.ff.net.{m.group(1)}.{m.group(2)}", value)]
    return None


# Oobleck: stable-audio-tools numbers the layers of nn.Sequentials; diffusers names them.
_RESIDUAL = {"0": "snake1", "1": "conv1", "2": "snake2", "3": "conv2"}
_ENCODER_BLOCK = {"0": "res_unit1", "1": "res_unit2", "2": "res_unit3", "3": "snake1", "4": "conv1"}
_DECODER_BLOCK = {"0": "snake1", "1": "conv_t1", "2": "res_unit1", "3": "res_unit2", "4": "res_unit3"}


def _vae_entries(key: str, value, depth: int) -> list | None:
    """[(diffusers key, tensor)] for one Oobleck tensor; None for a key it does not know."""
    m = re.fullmatch(r"(encoder|decoder)\.layers\.(\d+)\.(.+)", key)
    if not m:
        return None
    coder, index, rest = m.group(1), int(m.group(2)), m.group(3)
    if index == 0:
        name = f"conv1.{rest}"
    elif index == depth + 1:
        name = f"snake1.{rest}"
    elif index == depth + 2:
        name = f"conv2.{rest}"
    else:
        table = _ENCODER_BLOCK if coder == "encoder" else _DECODER_BLOCK
        m = re.fullmatch(r"layers\.(\d)\.(?:layers\.(\d)\.)?(\w+)", rest)
        if not m or m.group(1) not in table:
            return None
        inner = table[m.group(1)]
        if inner.startswith("res_unit") != (m.group(2) is not None) or (m.group(2) and m.group(2) not in _RESIDUAL):
            return None
        if m.group(2):
            inner = f"{inner}.{_RESIDUAL[m.group(2)]}"
        name = f"block.{index - 1}.{inner}.{m.group(3)}"
    if name.split(".")[-2].startswith("snake"):
        value = value.reshape(1, -1, 1)
    return [(f"{coder}.{name}", value)]


def _projection_entries(cond_id: str, rest: str, value, layout: SatLayout) -> list | None:
    if cond_id in (layout.start_id, layout.total_id):
        m = re.fullmatch(r"embedder\.embedding\.(0\.weights|1\.weight|1\.bias)", rest)
        side = "start" if cond_id == layout.start_id else "end"
        return [(f"{side}_number_conditioner.time_positional_embedding.{m.group(1)}", value)] if m else None
    if cond_id == layout.text_id and rest in ("proj_out.weight", "proj_out.bias"):
        return [(rest.replace("proj_out", "text_projection"), value)]
    return None


def _check_vae_copies(copies: dict, vae: dict, layout: SatLayout) -> None:
    """An input-audio conditioner may save its own VAE copy; it must be the model's VAE."""
    import torch

    for key, value in copies.items():
        entries = _vae_entries(key, value, layout.vae_depth) or [(None, None)]
        new_key, tensor = entries[0]
        if new_key not in vae or not torch.equal(vae[new_key], tensor):
            raise UsageError("the input-audio conditioner's VAE differs from the model's VAE; this is not supported")


def check_weights(weights: Mapping[str, Mapping], cfg: dict, where: str = "checkpoint") -> None:
    """Every module gets exactly the keys and shapes its config builds (no weights are allocated)."""
    import torch

    for part, cls in _module_classes().items():
        try:
            with torch.device("meta"):
                expected = {k: tuple(v.shape) for k, v in cls(**cfg[part]).state_dict().items()}
        except (TypeError, ValueError) as e:
            raise UsageError(f"{where}: the {part} config is wrong: {e}") from None
        got = {k: tuple(v.shape) for k, v in weights[part].items()}
        missing = sorted(set(expected) - set(got))
        unexpected = sorted(set(got) - set(expected))
        wrong = sorted(k for k in set(expected) & set(got) if expected[k] != got[k])
        if missing or unexpected or wrong:
            details = [f"{label}: {', '.join(keys[:3])}" for label, keys in
                       (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)) if keys]
            raise UsageError(f"{where}: {part} weights do not match the config ({'; '.join(details)})")


def _module_classes() -> dict:
    from diffusers import AutoencoderOobleck, StableAudioDiTModel
    from diffusers.pipelines.stable_audio.modeling_stable_audio import StableAudioProjectionModel

    return {"dit": StableAudioDiTModel, "vae": AutoencoderOobleck, "projection": StableAudioProjectionModel}


# ---------------------------------------------------------------- whole checkpoints


def load_sat_state(weights: Path) -> dict:
    """The tensors of model.safetensors / model.pt / model.ckpt (a Lightning-style {'state_dict': ..} too).

    .pt/.ckpt files are read with weights_only=True: a pickle that needs code
    to load is refused, never executed.
    """
    import torch

    try:
        if weights.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(weights))
        else:
            state = torch.load(str(weights), map_location="cpu", weights_only=True, mmap=True)
    except Exception as e:  # corrupt or foreign files raise many types; all mean "unreadable"
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise UsageError(f"{weights}: unreadable checkpoint: {reason}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UsageError(f"{weights}: not a state dict of tensors")
    return state


def convert_checkpoint(src: Path, dest: Path, force: bool = True) -> Path:
    """Convert the stable-audio-tools checkpoint folder `src` into the model folder `dest`."""
    files = find_sat_files(src)
    if files is None:
        raise UsageError(f"{src}: not a stable-audio-tools checkpoint (needs {' or '.join(SAT_CONFIG_FILES)} "
                         f"and one of {', '.join(SAT_WEIGHT_FILES)})")
    config_path, weights_path = files
    cfg, layout = folder_config_from_sat(read_sat_config(config_path), where=str(config_path))
    weights = convert_state_dict(load_sat_state(weights_path), layout)
    check_weights(weights, cfg, where=str(weights_path))
    return write_model_folder(dest, cfg, weights, force=force)


# ---------------------------------------------------------------- diffusers pipeline folders

_PIPELINE_PARTS = {"dit": "transformer", "vae": "vae", "projection": "projection_model"}


def is_diffusers_pipeline(src: Path) -> bool:
    src = Path(src)
    return (src / "model_index.json").is_file() and all((src / d).is_dir() for d in _PIPELINE_PARTS.values())


def convert_diffusers_pipeline(src: Path, dest: Path, force: bool = True) -> Path:
    """A diffusers StableAudioPipeline folder (transformer/, vae/, projection_model/, text_encoder/, tokenizer/) -> model folder.

    The weights keep their names; only the layout changes. Text encoder and
    tokenizer are copied when present, else the folder names t5-base on the hub.
    """
    from safetensors.torch import load_file

    src = Path(src)
    configs, weights = {}, {}
    for part, cls in _module_classes().items():
        sub = _PIPELINE_PARTS[part]
        try:
            raw = json.loads((src / sub / "config.json").read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise UsageError(f"{src / sub}: unreadable config: {e}") from None
        accepted = inspect.signature(cls.__init__).parameters  # config.json also records versions and class names
        configs[part] = {k: v for k, v in raw.items() if k in accepted and k != "self"}
        path = src / sub / "diffusion_pytorch_model.safetensors"
        try:
            weights[part] = load_file(str(path))
        except Exception as e:  # missing, sharded or corrupt: all unreadable here
            raise UsageError(f"{path}: unreadable weights ({str(e).strip()[:160] or type(e).__name__})") from None
    dit, vae = configs["dit"], configs["vae"]
    has_t5 = (src / "text_encoder").is_dir() and (src / "tokenizer").is_dir()
    max_length = 128
    if has_t5:
        tok_cfg = src / "tokenizer" / "tokenizer_config.json"
        if tok_cfg.is_file():
            max_length = int(json.loads(tok_cfg.read_text()).get("model_max_length", 128))
    cfg = {
        "format": "sao-instruct" if dit.get("in_channels") == 2 * dit.get("out_channels", -1) else "stable-audio",
        "version": FORMAT_VERSION,
        "sample_rate": vae.get("sampling_rate"),
        "audio_channels": vae.get("audio_channels"),
        **configs,
        "text_encoder": {"path": LOCAL_TEXT_ENCODER if has_t5 else T5_BASE, "max_length": min(max_length, 512)},
        "defaults": dict(DEFAULTS),
    }
    problems = check_config(cfg)
    if problems:
        raise UsageError(f"{src}: {problems[0]}")
    check_weights(weights, cfg, where=str(src))
    return write_model_folder(dest, cfg, weights, text_encoder=src / "text_encoder" if has_t5 else None,
                              tokenizer=src / "tokenizer" if has_t5 else None, force=force)
