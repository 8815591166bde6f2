"""`sao train export --format stable-audio-tools`: the layout stable-audio-tools' code loads.

The model is the tiny architecture with the two things stable-audio-tools
fixes: a T5 named by hub id (t5-base, 768 wide, projected to the conditioning
width) and 256 timestep features. Every weight is random, so a misrouted tensor
cannot go unnoticed.
"""

from __future__ import annotations

import pytest
import sat_reference
import torch
from models_helpers import one_thread  # noqa: F401  (fixture)

from engine.errors import UsageError
from engine.neural.configs import T5_BASE, build_config
from engine.neural.convert import convert_checkpoint
from training.sat_format import sat_config, sat_state, write_sat_checkpoint

pytestmark = pytest.mark.usefixtures("one_thread")


def random_model(fmt: str, seed: int = 0) -> tuple[dict, dict]:
    from diffusers import AutoencoderOobleck, StableAudioDiTModel
    from diffusers.pipelines.stable_audio.modeling_stable_audio import (
        StableAudioProjectionModel,
    )

    cfg = build_config(fmt, "tiny", text_encoder=T5_BASE)
    cfg["dit"]["time_proj_dim"] = 256
    cfg["projection"]["text_encoder_dim"] = sat_reference.T5_BASE_DIM
    torch.manual_seed(seed)
    weights = {"dit": StableAudioDiTModel(**cfg["dit"]).state_dict(), "vae": AutoencoderOobleck(**cfg["vae"]).state_dict(),
               "projection": StableAudioProjectionModel(**cfg["projection"]).state_dict()}
    for part in weights.values():  # no zeros or ones left where an init would put them
        for key, value in part.items():
            part[key] = value + 0.01 * torch.randn_like(value)
    return cfg, weights


@pytest.mark.parametrize("fmt", ["sao-instruct", "stable-audio"])
def test_the_checkpoint_converts_back_to_the_same_model(fmt, tmp_path):
    from safetensors.torch import load_file

    from engine.neural.folder import WEIGHT_FILES, read_config

    cfg, weights = random_model(fmt)
    src = write_sat_checkpoint(tmp_path / "sat", cfg, weights)
    assert {p.name for p in src.iterdir()} == {"config.json", "model.safetensors"}
    back = convert_checkpoint(src, tmp_path / "folder")
    assert {k: v for k, v in read_config(back).items() if k != "weights_sha256"} == cfg
    for part, name in WEIGHT_FILES.items():
        loaded = load_file(str(back / name))
        assert loaded.keys() == weights[part].keys()
        assert all(torch.equal(loaded[k], weights[part][k]) for k in loaded), part


def test_stable_audio_tools_loads_it_with_strict_key_and_shape_checks():
    ref = sat_reference.require()
    cfg, weights = random_model("sao-instruct")
    modules = sat_reference.build(ref, sat_config(cfg))
    state = sat_state(cfg, weights)
    prefixes = {"dit": "model.model.", "encoder": "pretransform.model.encoder.", "decoder": "pretransform.model.decoder.",
                "start": "conditioner.conditioners.seconds_start.", "total": "conditioner.conditioners.seconds_total.",
                "prompt": "conditioner.conditioners.prompt."}
    used = set()
    for part, module in modules.items():
        mine = {k[len(prefixes[part]):]: v for k, v in state.items() if k.startswith(prefixes[part])}
        module.load_state_dict(mine, strict=True)  # every key, every shape
        used |= {prefixes[part] + k for k in mine}
    copies = {k for k in state if k.startswith("conditioner.conditioners.input_audio.pretransform.model.")}
    assert state.keys() - used == copies  # plus the input conditioner's copy of the VAE, as SAO-Instruct saves it
    for key in copies:
        assert torch.equal(state[key], state[key.replace("conditioner.conditioners.input_audio.", "")])


def test_what_stable_audio_tools_cannot_hold_is_refused_by_name(tmp_path):
    cfg, weights = random_model("sao-instruct")
    local = dict(cfg, text_encoder={"path": "text_encoder", "max_length": 64})
    with pytest.raises(UsageError, match="names its T5 by hub id"):
        write_sat_checkpoint(tmp_path / "a", local, weights)
    narrow = dict(cfg, dit=dict(cfg["dit"], time_proj_dim=32))
    with pytest.raises(UsageError, match="256 timestep features"):
        write_sat_checkpoint(tmp_path / "b", narrow, weights)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
