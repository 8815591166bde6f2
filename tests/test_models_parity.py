"""The converter against stable-audio-tools' own code: same weights, same outputs.

A tiny SAO-Instruct-shaped model is built with stable-audio-tools 0.0.19 (from
its wheel, tests/sat_reference.py), every weight is randomised, and the state
dict is saved as a checkpoint folder. sao converts it and loads it with
diffusers' modules; outputs must agree to 1e-5 for the DiT (with a concatenated
input latent, at three noise levels), VAE encode and decode, and the
conditioning projections. Then every weight is perturbed in turn: sao's output
must move (nothing dropped) and still agree (nothing misrouted).

In CI (CI set) a missing wheel fails the test; elsewhere it skips.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import sat_reference
from conftest import real_sound
from engine.errors import UsageError
from engine.neural.configs import T5_BASE, build_config
from engine.neural.convert import check_weights, convert_checkpoint, convert_state_dict, folder_config_from_sat
from engine.neural.loader import Conditioning, load_bundle
from models_helpers import one_thread  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")
TOL = 1e-5
NOISE_LEVELS = (0.1, 0.5, 0.9)
LATENT = 4


@pytest.fixture(scope="module")
def ref():
    return sat_reference.require()


@pytest.fixture(scope="module")
def reference(ref):
    return sat_reference.random_reference(ref)


@pytest.fixture(scope="module")
def converted(reference, tmp_path_factory):
    """The reference saved as a stable-audio-tools checkpoint folder, converted and loaded by sao."""
    src = sat_reference.write_checkpoint(tmp_path_factory.mktemp("sat") / "checkpoint", *reference)
    dest = convert_checkpoint(src, tmp_path_factory.mktemp("converted") / "model")
    return load_bundle(dest, text_encoder=False)


def make_inputs(modules, frames: int, samples: int, seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    message, _ = real_sound("message")  # 13728 stereo frames at 44.1 kHz
    audio = torch.from_numpy(np.ascontiguousarray(message[:, :samples]))[None]
    with torch.no_grad():
        latent = modules["encoder"](audio).chunk(2, dim=1)[0]  # what the decoder meets in use
    return {
        "x": torch.randn(2, LATENT, frames, generator=g),
        "input_latent": torch.randn(2, LATENT, frames, generator=g),
        "cross": torch.randn(2, 130, 64, generator=g),
        "global": torch.randn(2, 128, generator=g),
        "audio": audio,
        "latent": latent,
        "text_hidden": torch.randn(2, 16, sat_reference.T5_BASE_DIM, generator=g),
        "seconds": [0.0, 3.5, 47.0, 600.0],  # 600 is clamped to the range's top
    }


@pytest.fixture(scope="module")
def inputs(reference):
    return make_inputs(reference[1], frames=40, samples=8192, seed=2)


KEYS = [f"dit@{t}" for t in NOISE_LEVELS] + ["encode", "decode", "start", "total", "prompt"]


@torch.no_grad()
def reference_output(modules, i, key: str) -> torch.Tensor:
    if key.startswith("dit@"):
        t = torch.full((2,), float(key[4:]))
        return modules["dit"](i["x"], t, cross_attn_cond=i["cross"], global_embed=i["global"],
                              input_concat_cond=i["input_latent"])
    if key == "encode":
        return modules["encoder"](i["audio"])
    if key == "decode":
        return modules["decoder"](i["latent"])
    if key in ("start", "total"):
        return modules[key](i["seconds"], "cpu")[0]
    return modules["prompt"].proj_out(i["text_hidden"])


@torch.no_grad()
def sao_output(bundle, i, key: str) -> torch.Tensor:
    if key.startswith("dit@"):
        t = torch.full((2,), float(key[4:]))
        return bundle.predict(i["x"], t, Conditioning(i["cross"], i["global"][:, None]), input_latent=i["input_latent"])
    if key == "encode":
        return bundle.vae.encode(i["audio"]).latent_dist.parameters
    if key == "decode":
        return bundle.vae_decode(i["latent"])
    if key in ("start", "total"):
        start, total = bundle.encode_seconds(i["seconds"], i["seconds"])
        return start if key == "start" else total
    return bundle.projection(text_hidden_states=i["text_hidden"]).text_hidden_states


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a - b).abs().max().item()


def test_dit_with_concatenated_input_matches_at_three_noise_levels(reference, converted, inputs):
    _, modules = reference
    for t in NOISE_LEVELS:
        want, got = reference_output(modules, inputs, f"dit@{t}"), sao_output(converted, inputs, f"dit@{t}")
        assert want.std() > 0.1  # a real signal, so 1e-5 is a strict bound
        assert max_diff(want, got) < TOL, t
    # the noise level and the input latent both reach the network
    low, high = sao_output(converted, inputs, "dit@0.1"), sao_output(converted, inputs, "dit@0.9")
    assert max_diff(low, high) > 0.01
    flipped = sao_output(converted, dict(inputs, input_latent=-inputs["input_latent"]), "dit@0.9")
    assert max_diff(high, flipped) > 0.01


def test_vae_encode_and_decode_match_on_a_real_recording(reference, converted, inputs):
    _, modules = reference
    for key in ("encode", "decode"):
        want, got = reference_output(modules, inputs, key), sao_output(converted, inputs, key)
        assert want.std() > 0.05, key
        assert max_diff(want, got) < TOL, key
    mean = reference_output(modules, inputs, "encode").chunk(2, dim=1)[0]
    assert max_diff(mean, converted.vae_encode(inputs["audio"])) < TOL
    assert sao_output(converted, inputs, "decode").shape[-1] == inputs["audio"].shape[-1]


def test_seconds_and_prompt_projections_match(reference, converted, inputs):
    _, modules = reference
    for key in ("start", "total", "prompt"):
        assert max_diff(reference_output(modules, inputs, key), sao_output(converted, inputs, key)) < TOL, key
    start = sao_output(converted, inputs, "start")
    assert max_diff(start[2], start[3]) > 1e-3  # 47 s and 600 s (clamped to 512) differ


def test_every_weight_is_used_and_routed(reference, converted):
    """Perturb each reference tensor in turn: sao's output must change (not dropped) and still match (not misrouted)."""
    cfg, modules = reference
    _, layout = folder_config_from_sat(cfg)
    small = make_inputs(modules, frames=8, samples=2048, seed=4)
    affects = {"dit": "dit@0.5", "encoder": "encode", "decoder": "decode", "start": "start", "total": "total",
               "prompt": "prompt"}
    baseline = {key: sao_output(converted, small, key) for key in affects.values()}
    tensors = [(part, name, t) for part, m in modules.items() for name, t in [*m.named_parameters(), *m.named_buffers()]
               if not name.endswith("inv_freq")]
    assert len(tensors) > 300
    targets = {"dit": converted.dit, "vae": converted.vae, "projection": converted.projection}
    g = torch.Generator().manual_seed(3)
    failures = []
    try:
        for part, name, tensor in tensors:
            saved = tensor.detach().clone()
            with torch.no_grad():
                tensor.add_(torch.randn(tensor.shape, generator=g) * 0.2 + 0.1)
            weights = convert_state_dict(sat_reference.checkpoint_state(modules), layout)
            for target, module in targets.items():
                module.load_state_dict(weights[target])
            key = affects[part]
            got = sao_output(converted, small, key)
            if max_diff(got, baseline[key]) < 1e-4:
                failures.append(f"{part}.{name}: no effect on {key} (dropped?)")
            elif max_diff(got, reference_output(modules, small, key)) > TOL:
                failures.append(f"{part}.{name}: {key} differs from the reference (misrouted?)")
            with torch.no_grad():
                tensor.copy_(saved)
    finally:
        weights = convert_state_dict(sat_reference.checkpoint_state(modules), layout)
        for target, module in targets.items():
            module.load_state_dict(weights[target])
    assert not failures, failures[:10]


def test_a_missing_or_unknown_key_is_refused(reference):
    cfg, modules = reference
    folder_cfg, layout = folder_config_from_sat(cfg)
    state = sat_reference.checkpoint_state(modules)
    dropped = {k: v for k, v in state.items() if k != "model.model.transformer.layers.1.cross_attn.to_kv.weight"}
    with pytest.raises(UsageError, match=r"missing: transformer_blocks\.1\.attn2\.to_k\.weight"):
        check_weights(convert_state_dict(dropped, layout), folder_cfg)
    with pytest.raises(UsageError, match="does not know.*model.model.transformer.layers.0.extra"):
        convert_state_dict({**state, "model.model.transformer.layers.0.extra.weight": torch.zeros(1)}, layout)


def test_full_size_sao_instruct_converts_with_published_key_names(ref):
    """The real architecture, built on the meta device (no memory): 1.06 B DiT parameters, every key placed."""
    cfg = sat_reference.sat_config("sao-instruct", "full")
    with torch.device("meta"):
        modules = sat_reference.build(ref, cfg)
    state = sat_reference.checkpoint_state(modules)
    assert "model.model.transformer.layers.23.self_attn.to_qkv.weight" in state
    assert state["model.model.transformer.project_in.weight"].shape == (1536, 128)  # widened: noisy + input latent
    folder_cfg, layout = folder_config_from_sat(cfg)
    weights = convert_state_dict(state, layout)
    check_weights(weights, folder_cfg)  # raises on any missing, unexpected or mis-shaped key
    dit_params = sum(t.numel() for t in weights["dit"].values())
    assert 1.05e9 < dit_params < 1.07e9, dit_params
    assert folder_cfg == build_config("sao-instruct", "full", text_encoder=T5_BASE)  # init-random --size full is this
