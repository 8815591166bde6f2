"""Model sources and conversion: --model paths, the conversion cache, diffusers folders, bad input."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import torch

import sat_reference
from engine.errors import NeedsModel, OutputRefused, UsageError
from engine.neural import sources
from engine.neural.convert import convert_checkpoint, folder_config_from_sat
from engine.neural.folder import CONFIG_FILE, read_config, weights_sha256
from engine.neural.loader import load_bundle
from engine.neural.random_init import init_random
from models_helpers import one_thread, tiny_model  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SAO_CACHE", str(tmp_path / "sao-cache"))
    monkeypatch.delenv("SAO_MODEL", raising=False)
    return tmp_path / "sao-cache"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny stable-audio-tools checkpoint folder written by the reference code."""
    cfg, modules = sat_reference.random_reference(sat_reference.require())
    return sat_reference.write_checkpoint(tmp_path_factory.mktemp("sat") / "tiny-checkpoint", cfg, modules)


def copy_checkpoint(checkpoint, dest):
    shutil.copytree(checkpoint, dest)
    return dest


# ---------------------------------------------------------------- resolving and caching


def test_a_checkpoint_is_converted_once_and_reused(checkpoint, cache, tmp_path):
    src = copy_checkpoint(checkpoint, tmp_path / "ckpt")
    first = sources.resolve_model(str(src))
    assert first.parent == cache / "converted"
    assert read_config(first)["format"] == "sao-instruct"
    stamp = (first / CONFIG_FILE).stat().st_mtime_ns
    assert sources.resolve_model(str(src)) == first
    assert sources.resolve_model(str(src / "model.safetensors")) == first  # the weights file names its folder
    assert (first / CONFIG_FILE).stat().st_mtime_ns == stamp  # not converted again
    os.utime(src / "model.safetensors", ns=(1, 1))  # a changed checkpoint gets a fresh conversion
    assert sources.resolve_model(str(src)) != first


def test_sao_model_and_the_default_name(tiny_model, cache, monkeypatch):
    monkeypatch.setenv("SAO_MODEL", str(tiny_model))
    assert sources.resolve_model(None) == tiny_model
    assert sources.resolve_model(str(tiny_model)) == tiny_model
    monkeypatch.setenv("SAO_MODEL", str(tiny_model.parent / "nowhere"))
    with pytest.raises(UsageError, match="SAO_MODEL: .*nowhere does not exist"):
        sources.resolve_model(None)
    monkeypatch.delenv("SAO_MODEL")
    shutil.copytree(tiny_model, cache / "models" / "sao-instruct")  # a pulled, converted model
    assert sources.resolve_model(None) == cache / "models" / "sao-instruct"


def test_unknown_names_and_other_folders_are_usage_errors(cache, tmp_path):
    with pytest.raises(UsageError, match="no model called 'sao-instrukt'"):
        sources.resolve_model("sao-instrukt")
    with pytest.raises(UsageError, match="helper model"):
        sources.resolve_model("clap")
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(UsageError, match="not a sao model folder"):
        sources.resolve_model(str(other))


def test_a_diffusers_pipeline_folder_converts_to_the_same_model(tiny_model, cache, tmp_path):
    """The layout of stabilityai/stable-audio-open-1.0's diffusers folders."""
    original = load_bundle(tiny_model)
    src = tmp_path / "pipeline"
    for module, sub in ((original.dit, "transformer"), (original.vae, "vae"), (original.projection, "projection_model"),
                        (original.text_encoder, "text_encoder"), (original.tokenizer, "tokenizer")):
        module.save_pretrained(str(src / sub))
    (src / "model_index.json").write_text(json.dumps({"_class_name": "StableAudioPipeline"}))
    converted = load_bundle(sources.resolve_model(str(src)))
    assert converted.format == "sao-instruct"
    z = original.vae_encode(torch.randn(1, 2, 4096, generator=torch.Generator().manual_seed(0)) * 0.1)
    x = torch.randn(z.shape, generator=torch.Generator().manual_seed(1))

    def v(b):
        return b.predict(x, torch.tensor([0.3]), b.conditioning(["brighter"], [0], [3]), input_latent=z)

    assert torch.equal(v(original), v(converted))


# ---------------------------------------------------------------- bad input


def test_corrupt_checkpoints_are_refused(checkpoint, cache, tmp_path):
    truncated = copy_checkpoint(checkpoint, tmp_path / "truncated")
    data = (truncated / "model.safetensors").read_bytes()
    (truncated / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(UsageError, match="unreadable checkpoint"):
        sources.resolve_model(str(truncated))
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    shutil.copy(checkpoint / "config.json", garbage)
    (garbage / "model.pt").write_bytes(os.urandom(4096))
    with pytest.raises(UsageError, match="unreadable checkpoint"):
        sources.resolve_model(str(garbage))
    converted = cache / "converted"
    assert not converted.exists() or not any(converted.iterdir())  # nothing half-written


def test_a_pickle_that_runs_code_is_never_loaded(checkpoint, tmp_path):
    evil = tmp_path / "evil"
    evil.mkdir()
    shutil.copy(checkpoint / "config.json", evil)
    torch.save({"state_dict": {"x": torch.zeros(1)}, "payload": _Payload()}, evil / "model.pt")
    with pytest.raises(UsageError, match="unreadable checkpoint"):
        convert_checkpoint(evil, tmp_path / "out")
    assert not _Payload.ran and not (tmp_path / "out").exists()


class _Payload:
    ran = False

    def __reduce__(self):
        return (_mark_ran, ())


def _mark_ran():
    _Payload.ran = True


def test_a_checkpoint_that_does_not_match_its_config_is_refused(checkpoint, tmp_path):
    src = copy_checkpoint(checkpoint, tmp_path / "ckpt")
    cfg = json.loads((src / "config.json").read_text())
    cfg["model"]["diffusion"]["config"]["depth"] = 3  # the weights have 2 layers
    (src / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(UsageError, match=r"dit weights do not match the config \(missing: transformer_blocks\.2\."):
        convert_checkpoint(src, tmp_path / "out")


@pytest.mark.parametrize("change, message", [
    (lambda c: c["model"]["diffusion"]["config"].update(global_cond_type="adaLN"), "global_cond_type='adaLN' is not supported"),
    (lambda c: c["model"]["diffusion"]["config"].update(qk_norm="ln"), "'qk_norm' is not supported"),
    (lambda c: c["model"]["diffusion"].update(diffusion_objective="rectified_flow"), "diffusion_objective='rectified_flow'"),
    (lambda c: c["model"]["pretransform"]["config"]["decoder"]["config"].update(final_tanh=True), "final_tanh false"),
    (lambda c: c["model"]["diffusion"]["config"].update(input_concat_dim=32), "input_concat_dim .* must equal io_channels"),
    (lambda c: c.update(model_type="autoencoder"), "only diffusion_cond models convert"),
    (lambda c: c["model"].pop("pretransform"), "missing 'model.pretransform'"),
])
def test_configs_diffusers_cannot_hold_are_refused_by_name(change, message):
    cfg = sat_reference.sat_config("sao-instruct", "tiny")
    change(cfg)
    with pytest.raises(UsageError, match=message):
        folder_config_from_sat(cfg)


def test_a_wrong_folder_config_names_the_field(tiny_model, tmp_path):
    bad = shutil.copytree(tiny_model, tmp_path / "bad")
    cfg = json.loads((bad / CONFIG_FILE).read_text())
    cfg["dit"]["in_channels"] = cfg["dit"]["out_channels"]  # a base-model DiT in an sao-instruct folder
    (bad / CONFIG_FILE).write_text(json.dumps(cfg))
    with pytest.raises(UsageError, match="dit.in_channels is 4; format sao-instruct with 4 latent channels needs 8"):
        read_config(bad)
    cfg["dit"]["in_channels"] = 8
    cfg["dit"]["num_layers"] = 3  # the weights have 2
    (bad / CONFIG_FILE).write_text(json.dumps(cfg))
    with pytest.raises(UsageError, match="dit.safetensors: does not match its config"):
        load_bundle(bad)
    (bad / CONFIG_FILE).write_text("{not json")
    with pytest.raises(UsageError, match="unreadable"):
        read_config(bad)


def test_corrupt_weights_in_a_folder_are_refused(tiny_model, tmp_path):
    bad = shutil.copytree(tiny_model, tmp_path / "bad")
    (bad / "vae.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(UsageError, match="vae.safetensors: unreadable weights"):
        load_bundle(bad)


def test_a_missing_text_encoder_needs_a_model(tiny_model, tmp_path):
    """A folder naming a hub T5 that the hub cache lacks: exit 6, saying what to pull."""
    folder = shutil.copytree(tiny_model, tmp_path / "hub-t5")
    cfg = json.loads((folder / CONFIG_FILE).read_text())
    cfg["text_encoder"]["path"] = "nobody/no-such-t5"
    (folder / CONFIG_FILE).write_text(json.dumps(cfg))
    with pytest.raises(NeedsModel, match="nobody/no-such-t5 is not in the local Hugging Face cache"):
        load_bundle(folder)
    local = shutil.copytree(tiny_model, tmp_path / "no-t5")
    shutil.rmtree(local / "text_encoder")
    with pytest.raises(UsageError, match="incomplete model folder, missing text_encoder/"):
        load_bundle(local)


def test_init_random_is_seeded_and_refuses_to_overwrite(tiny_model, tmp_path):
    again = init_random(tmp_path / "again", seed=0)
    assert read_config(again)["weights_sha256"] == read_config(tiny_model)["weights_sha256"] == weights_sha256(again)
    other = init_random(tmp_path / "other", seed=1)
    seed1 = read_config(other)["weights_sha256"]
    assert seed1 != read_config(tiny_model)["weights_sha256"]
    with pytest.raises(OutputRefused, match="pass --force"):
        init_random(other, seed=2)
    assert weights_sha256(other) == seed1  # untouched
    init_random(other, seed=2, force=True)
    assert weights_sha256(other) == read_config(other)["weights_sha256"] != seed1
