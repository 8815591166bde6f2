"""The model a run starts from: a Stable Audio base widened for editing, or an SAO-Instruct model as it is.

A Stable Audio DiT (format "stable-audio") reads the noisy latent only.
SAO-Instruct's reads [noisy latent, input latent] stacked on the channel axis,
so the two input layers grow from C to 2C channels:

    preprocess_conv  W (C x C)   ->  [[W, 0], [0, 0]]   (its residual passes the input latent through)
    proj_in          P (D x C)   ->  [P, 0]

Every weight that touches the new channels starts at zero, so at step 0 the
widened model predicts exactly what the base predicts, whatever the input latent.
Pitfall: zero weights do not stop learning here, because their inputs (the input
latent) are not zero; the first gradient step already moves them.
"""

from __future__ import annotations

import copy
import dataclasses

import torch

from engine.neural.loader import ModelBundle, load_bundle, quiet
from engine.neural.sources import resolve_model

WIDENED = ("preprocess_conv.weight", "proj_in.weight")


def instruct_config(cfg: dict) -> dict:
    """A Stable Audio folder config turned into SAO-Instruct's (the DiT reads twice the latent channels)."""
    out = copy.deepcopy(cfg)
    out["format"] = "sao-instruct"
    out["dit"]["in_channels"] = 2 * cfg["vae"]["decoder_input_channels"]
    out.pop("weights_sha256", None)
    return out


def widen_dit_state(state: dict[str, torch.Tensor], latent: int) -> dict[str, torch.Tensor]:
    """A Stable Audio DiT state dict with its input layers widened to 2 x `latent` channels, new weights zero."""
    out = dict(state)
    conv = state["preprocess_conv.weight"]  # (C, C, 1)
    wide = conv.new_zeros(2 * latent, 2 * latent, conv.shape[2])
    wide[:latent, :latent] = conv
    out["preprocess_conv.weight"] = wide
    proj = state["proj_in.weight"]  # (D, C)
    out["proj_in.weight"] = torch.cat([proj, proj.new_zeros(proj.shape[0], latent)], dim=1)
    return out


def widen(bundle: ModelBundle) -> ModelBundle:
    """The SAO-Instruct bundle made from a Stable Audio bundle (see the module docstring)."""
    from diffusers import StableAudioDiTModel

    if bundle.is_instruct:
        return bundle
    cfg = instruct_config(bundle.config)
    with quiet(), torch.device("meta"):
        dit = StableAudioDiTModel(**cfg["dit"])
    dit.load_state_dict(widen_dit_state(bundle.dit.state_dict(), bundle.latent_channels), strict=True, assign=True)
    return dataclasses.replace(bundle, dit=dit.train(bundle.dit.training), config=cfg)


def load_for_training(base: str, device: str | torch.device = "cpu") -> ModelBundle:
    """--base (a name, folder or checkpoint, as --model takes) as an SAO-Instruct bundle in float32.

    Float32 weights: mixed precision (--precision bf16) casts per operation and
    keeps the optimizer's master weights exact.
    """
    return widen(load_bundle(resolve_model(base), device=device, dtype=torch.float32))
