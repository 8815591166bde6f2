"""The ModelBundle of a tiny random model: what a sampler can rely on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import real_sound
from engine.neural.loader import load_bundle
from engine.neural.random_init import init_random
from models_helpers import one_thread, tiny_model  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def bundle(tiny_model):
    return load_bundle(tiny_model)


@pytest.fixture(scope="module")
def message():
    samples, sr = real_sound("message")
    assert sr == 44100
    return torch.from_numpy(np.ascontiguousarray(samples))[None]  # (1, 2, 13728)


def test_vae_round_trip_lengths_follow_the_hop(bundle, message):
    assert bundle.hop_length == 2048 and bundle.sample_rate == 44100
    latents = bundle.vae_encode(message)
    assert latents.shape == (1, bundle.latent_channels, 7)  # ceil(13728 / 2048)
    audio = bundle.vae_decode(latents)
    assert audio.shape == (1, 2, 7 * 2048)
    assert torch.isfinite(audio).all()


def test_vae_mean_is_deterministic_and_sampling_follows_the_generator(bundle, message):
    assert torch.equal(bundle.vae_encode(message), bundle.vae_encode(message))
    a = bundle.vae_encode(message, sample=True, generator=torch.Generator().manual_seed(5))
    b = bundle.vae_encode(message, sample=True, generator=torch.Generator().manual_seed(5))
    c = bundle.vae_encode(message, sample=True, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert not torch.equal(a, bundle.vae_encode(message))


def test_conditioning_layout_and_padding(bundle):
    cond = bundle.conditioning(["remove the dog barking", "add reverb"], [0, 0], [2.0, 2.0])
    max_length, width = bundle.config["text_encoder"]["max_length"], bundle.config["projection"]["conditioning_dim"]
    assert cond.cross_attention.shape == (2, max_length + 2, width)
    assert cond.global_embed.shape == (2, 1, 2 * width)
    embeds, mask = bundle.encode_text(["add reverb"])
    tokens = int(mask.sum())
    assert tokens == len("add reverb") + 1  # byte tokens plus </s>
    assert embeds[0, tokens:].abs().max() == 0  # padding is zeroed, as stable-audio-tools does
    assert embeds[0, :tokens].abs().min() > 0
    # the global token is the two seconds embeddings side by side, which are also the last two tokens
    assert torch.equal(cond.global_embed[:, 0, :width], cond.cross_attention[:, -2])
    assert torch.equal(cond.global_embed[:, 0, width:], cond.cross_attention[:, -1])


def test_instruction_seconds_and_input_audio_all_reach_the_dit(bundle, message):
    z = bundle.vae_encode(message)
    x = torch.randn(z.shape, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([0.6])

    def v(text="make it louder", total=2.0, latent=z):
        return bundle.predict(x, t, bundle.conditioning([text], [0.0], [total]), input_latent=latent)

    base = v()
    assert torch.equal(base, v())  # deterministic
    assert (base - v(text="remove the bell")).abs().max() > 1e-4
    assert (base - v(total=10.0)).abs().max() > 1e-4
    assert (base - v(latent=torch.zeros_like(z))).abs().max() > 1e-4


def test_format_decides_whether_an_input_latent_is_needed(bundle, tmp_path):
    z = torch.zeros(1, bundle.latent_channels, 4)
    cond = bundle.conditioning(["x"], [0], [1])
    with pytest.raises(ValueError, match="needs an input latent"):
        bundle.predict(z, torch.tensor([0.5]), cond)
    base = load_bundle(init_random(tmp_path / "base", fmt="stable-audio"))
    assert base.config["dit"]["in_channels"] == base.latent_channels
    out = base.predict(z, torch.tensor([0.5]), base.conditioning(["x"], [0], [1]))
    assert out.shape == z.shape
    with pytest.raises(ValueError, match="takes no input latent"):
        base.predict(z, torch.tensor([0.5]), cond, input_latent=z)


def test_loads_in_bfloat16(tiny_model, message):
    b16 = load_bundle(tiny_model, dtype=torch.bfloat16)
    assert next(b16.dit.parameters()).dtype == torch.bfloat16
    z = b16.vae_encode(message)
    assert z.dtype == torch.bfloat16
    v = b16.predict(torch.zeros_like(z), torch.tensor([0.5]), b16.conditioning(["x"], [0], [1]), input_latent=z)
    assert v.dtype == torch.bfloat16 and torch.isfinite(v.float()).all()


def test_predict_keeps_autograd_for_training(tiny_model, message):
    fresh = load_bundle(tiny_model)  # its own modules: gradients must not leak into the shared bundle
    z = fresh.vae_encode(message)
    v = fresh.predict(torch.randn_like(z), torch.tensor([0.5]), fresh.conditioning(["x"], [0], [1]), input_latent=z)
    v.pow(2).mean().backward()
    grads = [p.grad for p in fresh.dit.transformer_blocks[0].attn1.to_q.parameters()]
    assert grads and all(g is not None and g.abs().sum() > 0 for g in grads)
