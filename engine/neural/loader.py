"""Load a model folder into a ModelBundle: the modules plus the few calls a sampler needs.

The bundle is the neural engine's one interface to the networks. It keeps
stable-audio-tools' conventions, which differ from diffusers' StableAudioPipeline
in ways that change results:

- Conditioning: the T5 prompt tokens, then the seconds_start and seconds_total
  embeddings, as one cross-attention sequence (max_length + 2 tokens); the two
  seconds embeddings side by side (2 x conditioning_dim) as the global token that
  the DiT prepends to the latents. Padding positions of the prompt are zeroed.
- The DiT's timestep is stable-audio-tools' t in [0, 1] (sigma = tan(t * pi / 2)),
  and it predicts v.
- SAO-Instruct (format "sao-instruct") reads [noisy latent, input latent] stacked
  on the channel axis, noisy latent first.
- Rotary embeddings cover the prepended global token too (frames + 1 positions),
  max(head_dim // 2, 32) wide.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch

from engine.errors import UsageError

from . import folder as folder_io


@dataclass
class Conditioning:
    """What the DiT is conditioned on, for a batch of B items."""

    cross_attention: torch.Tensor  # (B, max_length + 2, conditioning_dim): prompt tokens, seconds_start, seconds_total
    global_embed: torch.Tensor  # (B, 1, 2 x conditioning_dim): seconds_start and seconds_total side by side


@dataclass
class ModelBundle:
    """The modules of one model folder, on one device and dtype, in eval mode."""

    dit: "torch.nn.Module"  # diffusers StableAudioDiTModel
    vae: "torch.nn.Module"  # diffusers AutoencoderOobleck
    projection: "torch.nn.Module"  # diffusers StableAudioProjectionModel
    text_encoder: "torch.nn.Module | None"  # transformers T5EncoderModel (None: loaded without it)
    tokenizer: object  # its tokenizer
    config: dict  # sao_model.json
    name: str
    sha256: str  # of the weights (folder.weights_sha256): the sidecar's model identity
    path: Path
    device: torch.device
    dtype: torch.dtype
    _rotary: dict = field(default_factory=dict, repr=False, compare=False)  # frames -> (cos, sin) on the device

    @property
    def format(self) -> str:
        return self.config["format"]

    @property
    def is_instruct(self) -> bool:
        return self.format == "sao-instruct"

    @property
    def sample_rate(self) -> int:
        return int(self.config["sample_rate"])

    @property
    def audio_channels(self) -> int:
        return int(self.config["audio_channels"])

    @property
    def latent_channels(self) -> int:
        return int(self.config["vae"]["decoder_input_channels"])

    @property
    def hop_length(self) -> int:
        """Audio samples per latent frame (2048 in Stable Audio Open)."""
        return math.prod(self.config["vae"]["downsampling_ratios"])

    @property
    def max_seconds(self) -> float:
        """The longest audio the DiT was built for (sample_size latent frames)."""
        return self.config["dit"].get("sample_size", 1024) * self.hop_length / self.sample_rate

    def latent_frames(self, audio_frames: int) -> int:
        return -(-audio_frames // self.hop_length)

    @torch.no_grad()
    def encode_text(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """T5 then the projection: (embeddings (B, max_length, C), mask (B, max_length) bool)."""
        if self.text_encoder is None:
            raise ValueError("this bundle was loaded without its text encoder")
        max_length = int(self.config["text_encoder"]["max_length"])
        tokens = self.tokenizer(list(texts), padding="max_length", max_length=max_length, truncation=True,
                                return_tensors="pt")
        ids = tokens["input_ids"].to(self.device)
        mask = tokens["attention_mask"].to(self.device).bool()
        hidden = self.text_encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        embeds = self.projection(text_hidden_states=hidden.to(self.dtype)).text_hidden_states
        return embeds * mask.unsqueeze(-1).to(embeds.dtype), mask

    @torch.no_grad()
    def encode_seconds(self, seconds_start: Sequence[float], seconds_total: Sequence[float]) -> tuple[torch.Tensor, torch.Tensor]:
        """The two number embeddings, each (B, 1, C); values are clamped to the projection's range."""
        start = torch.as_tensor(seconds_start, dtype=torch.float32, device=self.device).reshape(-1)
        total = torch.as_tensor(seconds_total, dtype=torch.float32, device=self.device).reshape(-1)
        out = self.projection(start_seconds=start, end_seconds=total)
        return out.seconds_start_hidden_states, out.seconds_end_hidden_states

    def conditioning(self, texts: Sequence[str], seconds_start: Sequence[float], seconds_total: Sequence[float]) -> Conditioning:
        """Text and timing conditioning laid out as stable-audio-tools does (module docstring)."""
        prompt, _ = self.encode_text(texts)
        start, total = self.encode_seconds(seconds_start, seconds_total)
        return Conditioning(
            cross_attention=torch.cat([prompt, start, total], dim=1),
            global_embed=torch.cat([start, total], dim=-1),
        )

    def rotary(self, frames: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(cos, sin) for `frames` latent frames plus the prepended global token.

        Built once per frame count and device (milliseconds of CPU and a copy to
        the device that every sampling step would otherwise repeat), and apart
        under torch.inference_mode: its tensors must not reach training's autograd.
        """
        key = (frames, str(self.device), torch.is_inference_mode_enabled())
        if key not in self._rotary:
            from diffusers.models.embeddings import get_1d_rotary_pos_embed

            dim = max(self.config["dit"]["attention_head_dim"] // 2, 32)
            cos, sin = get_1d_rotary_pos_embed(dim, frames + 1, use_real=True, repeat_interleave_real=False)
            self._rotary[key] = (cos.to(self.device), sin.to(self.device))
        return self._rotary[key]

    def predict(self, x: torch.Tensor, t: torch.Tensor, cond: Conditioning, input_latent: torch.Tensor | None = None) -> torch.Tensor:
        """The DiT's v prediction for noisy latents x (B, latent, T) at times t (B,) in [0, 1].

        SAO-Instruct needs `input_latent` (B, latent, T): the latent of the audio to edit.
        Unlike the encoders, this keeps autograd on (training backpropagates through
        it): samplers should run under torch.inference_mode().
        """
        if self.is_instruct != (input_latent is not None):
            need = "needs an" if self.is_instruct else "takes no"
            raise ValueError(f"a {self.format} model {need} input latent")
        model_in = x if input_latent is None else torch.cat([x, input_latent.to(x.dtype)], dim=1)
        t = torch.as_tensor(t, device=self.device).reshape(-1).expand(x.shape[0])
        return self.dit(
            model_in.to(self.dtype),
            t.to(self.dtype),
            encoder_hidden_states=cond.cross_attention.to(self.dtype),
            global_hidden_states=cond.global_embed.to(self.dtype),
            rotary_embedding=self.rotary(x.shape[-1]),
            return_dict=False,
        )[0]

    @torch.no_grad()
    def vae_encode(self, audio: torch.Tensor, sample: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
        """Audio (B, channels, N) -> latents (B, latent, ceil(N / hop_length)).

        The audio is zero-padded at the end to whole latent frames. By default this
        returns the posterior mean (deterministic); sample=True draws from it as
        stable-audio-tools' VAE bottleneck does, using `generator`.
        """
        pad = -audio.shape[-1] % self.hop_length
        audio = torch.nn.functional.pad(audio.to(self.device, self.dtype), (0, pad))
        posterior = self.vae.encode(audio).latent_dist
        return posterior.sample(generator) if sample else posterior.mean

    @torch.no_grad()
    def vae_decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents (B, latent, T) -> audio (B, channels, T x hop_length)."""
        return self.vae.decode(latents.to(self.device, self.dtype)).sample


def load_bundle(path: Path, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
                name: str | None = None, text_encoder: bool = True, text_dtype: torch.dtype | None = None) -> ModelBundle:
    """Load the model folder at `path` (see sources.resolve_model for names and checkpoints).

    text_encoder=False skips T5 and its tokenizer (both None; encode_text then
    fails), for work on latents and precomputed conditioning. T5 runs in
    `text_dtype`; by default fp16 on CUDA, as stable-audio-tools runs it
    (bench/gpu_check_neural.sh compares its embeddings with fp32), else `dtype`.
    Errors: UsageError (2) for a broken folder; NeedsModel (6) when the config's
    text encoder is a hub id that is not in the local hub cache.
    """
    from diffusers import AutoencoderOobleck, StableAudioDiTModel
    from diffusers.pipelines.stable_audio.modeling_stable_audio import StableAudioProjectionModel

    path = Path(path)
    cfg = folder_io.read_config(path)
    device = torch.device(device)
    with quiet():
        dit = _load_module(StableAudioDiTModel, cfg["dit"], path / folder_io.WEIGHT_FILES["dit"], device, dtype)
        vae = _load_module(AutoencoderOobleck, cfg["vae"], path / folder_io.WEIGHT_FILES["vae"], device, dtype)
        projection = _load_module(StableAudioProjectionModel, cfg["projection"],
                                  path / folder_io.WEIGHT_FILES["projection"], device, dtype)
        t5, tokenizer = _load_text_encoder(path, cfg, text_dtype or default_text_dtype(device, dtype)) if text_encoder else (None, None)
    if t5 is not None and t5.config.d_model != cfg["projection"]["text_encoder_dim"]:
        raise UsageError(f"{path}: the text encoder's width ({t5.config.d_model}) differs from "
                         f"projection.text_encoder_dim ({cfg['projection']['text_encoder_dim']})")
    return ModelBundle(dit.eval(), vae.eval(), projection.eval(),
                       None if t5 is None else t5.to(device).eval(), tokenizer=tokenizer,
                       config=cfg, name=name or path.name,
                       sha256=cfg.get("weights_sha256") or folder_io.weights_sha256(path), path=path,
                       device=device, dtype=dtype)


def default_text_dtype(device: torch.device, dtype: torch.dtype) -> torch.dtype:
    """fp16 on CUDA (stable-audio-tools' choice, and half T5's time and memory); elsewhere the model's dtype."""
    return torch.float16 if torch.device(device).type == "cuda" else dtype


@contextlib.contextmanager
def quiet():
    """No per-load progress bars or deprecation chatter (torch's weight_norm, used by diffusers' Oobleck)."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, message=".*weight_norm.*")
            yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def _load_module(cls, kwargs: dict, weights: Path, device: torch.device, dtype: torch.dtype):
    """Build on the meta device (no random init of a billion weights), then take the file's tensors."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = {k: v.to(device=device, dtype=dtype) for k, v in load_file(str(weights)).items()}
    except (SafetensorError, OSError, ValueError) as e:
        raise UsageError(f"{weights}: unreadable weights: {e}") from None
    try:
        with torch.device("meta"):
            module = cls(**kwargs)
        module.load_state_dict(state, strict=True, assign=True)
    except (TypeError, ValueError) as e:
        raise UsageError(f"{weights.parent}: {weights.stem} config is wrong: {e}") from None
    except RuntimeError as e:  # missing/unexpected keys or shape mismatches
        first = str(e).strip().splitlines()
        raise UsageError(f"{weights}: does not match its config: {' '.join(first[1:3]) or first[0]}"[:400]) from None
    return module


def _load_text_encoder(path: Path, cfg: dict, dtype: torch.dtype):
    from transformers import AutoTokenizer, T5EncoderModel

    from .sources import hub_snapshot

    where = cfg["text_encoder"]["path"]
    if where == folder_io.LOCAL_TEXT_ENCODER:
        model_dir, tok_dir = path / folder_io.LOCAL_TEXT_ENCODER, path / "tokenizer"
    else:
        model_dir = tok_dir = hub_snapshot(where, purpose=f"the text encoder of {path}")
    try:
        return T5EncoderModel.from_pretrained(str(model_dir)).to(dtype), AutoTokenizer.from_pretrained(str(tok_dir))
    except (OSError, ValueError) as e:
        reason = str(e).strip().splitlines()[0][:200]
        raise UsageError(f"{path}: text encoder {where!r} is unreadable: {reason}") from None
