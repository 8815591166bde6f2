"""The model folder's configuration: the full and tiny architectures, and its checks.

Pure Python (no torch), so `sao models info` and config checks stay cheap.

A folder config (`sao_model.json`) holds the keyword arguments of diffusers'
StableAudioDiTModel ("dit"), AutoencoderOobleck ("vae") and
StableAudioProjectionModel ("projection"). The pieces must fit together in ways
diffusers does not check at construction time; `check_config` does, so a wrong
config fails with a message naming the field instead of a shape error mid-edit.

Pitfall: AutoencoderOobleck's encoder ends in `encoder_hidden_size` channels that
are split into mean and scale, so `encoder_hidden_size` must be twice
`decoder_input_channels` (128 and 64 in Stable Audio Open).
"""

from __future__ import annotations

import copy

FORMAT_VERSION = 1
FORMATS = ("sao-instruct", "stable-audio")
SIZES = ("tiny", "full")
CONFIG_SECTIONS = ("dit", "vae", "projection", "text_encoder")
# sigma_min: where the sampler's schedule ends before its last, denoising step (docs/neural.md says why 0.03).
DEFAULTS = {"steps": 100, "cfg": 5.0, "strength": 4.0, "sigma_min": 0.03}
T5_BASE = "google-t5/t5-base"

# Stable Audio Open 1.0 (stable-audio-tools model_config.json), in diffusers' terms.
_FULL = {
    "sample_rate": 44100,
    "audio_channels": 2,
    "latent": 64,
    "dit": {"sample_size": 1024, "num_layers": 24, "attention_head_dim": 64, "num_attention_heads": 24,
            "cross_attention_dim": 768, "time_proj_dim": 256},
    "vae": {"encoder_hidden_size": 128, "downsampling_ratios": [2, 4, 4, 8, 8],
            "channel_multiples": [1, 2, 4, 8, 16], "decoder_channels": 128},
    "cond_dim": 768,
    "seconds": (0, 512),
    "max_length": 128,
    "t5": {"vocab_size": 32128, "d_model": 768, "d_kv": 64, "d_ff": 3072, "num_layers": 12, "num_heads": 12},
}

# Same shape of network, a few thousand times smaller: a 2 s edit runs in well
# under a second on a CPU. The hop length (2048) and sample rate stay real, so
# latent frame counts and timing code are the same as with the real model.
# attention_head_dim stays 64 so the rotary width (head_dim // 2 = 32) matches
# what stable-audio-tools uses (it never goes below 32).
_TINY = {
    "sample_rate": 44100,
    "audio_channels": 2,
    "latent": 4,
    "dit": {"sample_size": 1024, "num_layers": 2, "attention_head_dim": 64, "num_attention_heads": 2,
            "cross_attention_dim": 64, "time_proj_dim": 32},
    "vae": {"encoder_hidden_size": 8, "downsampling_ratios": [2, 4, 4, 8, 8],
            "channel_multiples": [1, 1, 2, 4, 8], "decoder_channels": 8},
    "cond_dim": 64,
    "seconds": (0, 512),
    "max_length": 64,
    "t5": {"vocab_size": 264, "d_model": 64, "d_kv": 32, "d_ff": 128, "num_layers": 2, "num_heads": 2},
}


def build_config(fmt: str, size: str, text_encoder: str = "text_encoder") -> dict:
    """The folder config of the full (real) or tiny architecture in `fmt`.

    `text_encoder` is the folder config's text encoder path: "text_encoder" for a
    T5 saved in the folder, or a hub id such as T5_BASE.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    spec = {"full": _FULL, "tiny": _TINY}[size]
    latent, cond = spec["latent"], spec["cond_dim"]
    dit = dict(spec["dit"])
    dit.update(
        in_channels=latent * (2 if fmt == "sao-instruct" else 1),
        out_channels=latent,
        num_key_value_attention_heads=dit["cross_attention_dim"] // dit["attention_head_dim"],
        global_states_input_dim=2 * cond,
        cross_attention_input_dim=cond,
    )
    vae = dict(copy.deepcopy(spec["vae"]), decoder_input_channels=latent, audio_channels=spec["audio_channels"],
               sampling_rate=spec["sample_rate"])
    return {
        "format": fmt,
        "version": FORMAT_VERSION,
        "sample_rate": spec["sample_rate"],
        "audio_channels": spec["audio_channels"],
        "dit": dit,
        "vae": vae,
        "projection": {"text_encoder_dim": spec["t5"]["d_model"], "conditioning_dim": cond,
                       "min_value": spec["seconds"][0], "max_value": spec["seconds"][1]},
        "text_encoder": {"path": text_encoder, "max_length": spec["max_length"]},
        "defaults": dict(DEFAULTS),
    }


def t5_config(size: str) -> dict:
    """T5Config keyword arguments for a random text encoder of this size (t5-base's shape when full)."""
    spec = {"full": _FULL, "tiny": _TINY}[size]
    return dict(spec["t5"], feed_forward_proj="relu", dropout_rate=0.0, pad_token_id=0, eos_token_id=1,
                decoder_start_token_id=0, is_encoder_decoder=False)


def check_config(cfg: dict) -> list[str]:
    """Every reason this folder config cannot work; empty when it can."""
    problems = []
    if cfg.get("format") not in FORMATS:
        problems.append(f"format is {cfg.get('format')!r}, expected one of {', '.join(FORMATS)}")
    if cfg.get("version") != FORMAT_VERSION:
        problems.append(f"version is {cfg.get('version')!r}, this sao reads version {FORMAT_VERSION}")
    missing = [s for s in CONFIG_SECTIONS if not isinstance(cfg.get(s), dict)]
    if missing:
        return problems + [f"missing section(s): {', '.join(missing)}"]
    dit, vae, proj = cfg["dit"], cfg["vae"], cfg["projection"]
    need = {
        "dit": ("in_channels", "out_channels", "num_layers", "attention_head_dim", "num_attention_heads",
                "num_key_value_attention_heads", "cross_attention_dim", "global_states_input_dim",
                "cross_attention_input_dim"),
        "vae": ("encoder_hidden_size", "downsampling_ratios", "channel_multiples", "decoder_channels",
                "decoder_input_channels", "audio_channels", "sampling_rate"),
        "projection": ("text_encoder_dim", "conditioning_dim", "min_value", "max_value"),
        "text_encoder": ("path", "max_length"),
    }
    for section, keys in need.items():
        absent = [k for k in keys if k not in cfg[section]]
        if absent:
            problems.append(f"{section} lacks {', '.join(absent)}")
    if problems:
        return problems
    latent = vae["decoder_input_channels"]
    want_in = latent * (2 if cfg["format"] == "sao-instruct" else 1)
    checks = [
        (dit["in_channels"] == want_in,
         f"dit.in_channels is {dit['in_channels']}; format {cfg['format']} with {latent} latent channels needs {want_in}"),
        (dit["out_channels"] == latent, f"dit.out_channels ({dit['out_channels']}) differs from the VAE's latent channels ({latent})"),
        (vae["encoder_hidden_size"] == 2 * latent,
         f"vae.encoder_hidden_size ({vae['encoder_hidden_size']}) must be twice vae.decoder_input_channels ({latent})"),
        (len(vae["downsampling_ratios"]) == len(vae["channel_multiples"]),
         "vae.downsampling_ratios and vae.channel_multiples differ in length"),
        (dit["cross_attention_input_dim"] == proj["conditioning_dim"],
         f"dit.cross_attention_input_dim ({dit['cross_attention_input_dim']}) differs from projection.conditioning_dim ({proj['conditioning_dim']})"),
        (dit["global_states_input_dim"] == 2 * proj["conditioning_dim"],
         f"dit.global_states_input_dim ({dit['global_states_input_dim']}) must be twice projection.conditioning_dim"),
        (dit["num_attention_heads"] * dit["attention_head_dim"] > 0, "dit has no attention heads"),
        (dit["cross_attention_dim"] == dit["num_key_value_attention_heads"] * dit["attention_head_dim"],
         "dit.cross_attention_dim must be num_key_value_attention_heads x attention_head_dim"),
        (cfg.get("sample_rate") == vae["sampling_rate"], "sample_rate differs from vae.sampling_rate"),
        (cfg.get("audio_channels") == vae["audio_channels"], "audio_channels differs from vae.audio_channels"),
        (proj["max_value"] > proj["min_value"], "projection.max_value must exceed min_value"),
        (_positive_number(_defaults(cfg).get("sigma_min", 1.0)),
         f"defaults.sigma_min must be a number above 0 (got {_defaults(cfg).get('sigma_min')!r})"),
    ]
    return [message for ok, message in checks if not ok]


def sigma_min(cfg: dict) -> float:
    """The folder's sigma_min (`defaults.sigma_min`); folders written before it was a setting use 0.03."""
    from .schedule import SIGMA_MIN

    return float(_defaults(cfg).get("sigma_min", SIGMA_MIN))


def _defaults(cfg: dict) -> dict:
    return cfg["defaults"] if isinstance(cfg.get("defaults"), dict) else {}


def _positive_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")
