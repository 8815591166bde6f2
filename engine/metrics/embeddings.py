"""Pluggable audio embedders for the model-based metrics: PANNs CNN14 and CLAP.

Each embedder takes one clip as samples (channels, frames) at any rate and
returns vectors; it mixes down and resamples itself. torch and transformers are
imported only when an embedder is loaded, so the signal metrics never pay for them.

Loading never reaches the network: CLAP comes from a local folder or the
Hugging Face hub cache (local_files_only), so an offline machine fails at once
with a clear reason instead of retrying a download.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UsageError
from .signals import mono_at

DEFAULT_CLAP = "laion/clap-htsat-unfused"
CLAP_WINDOW_S = 10.0  # LAION-CLAP's input length; longer clips are embedded in windows


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class PannsOutput:
    embedding: np.ndarray  # (dim,) the fc1 activation: what FD compares
    logits: np.ndarray  # (classes,) AudioSet logits: what KL and IS read


class PannsEmbedder:
    """PANNs CNN14 on a local checkpoint (e.g. Cnn14_mAP=0.431.pth); see engine.metrics.cnn14."""

    def __init__(self, model):
        import torch

        self.device = _device()
        self.model = model.to(self.device).eval()
        self.sample_rate = model.cfg.sample_rate
        self._no_grad = torch.no_grad

    @classmethod
    def load(cls, path: str | Path) -> PannsEmbedder:
        """Raises UsageError (exit 2) for a path that is missing or not a CNN14 checkpoint."""
        p = Path(path)
        if not p.is_file():
            raise UsageError(f"--panns {path}: no such file (give a CNN14 checkpoint such as Cnn14_mAP=0.431.pth)")
        try:
            from .cnn14 import load_cnn14
        except ImportError:
            raise UsageError("--panns needs torch: install sao's neural extras (pip install 'sao[neural]')") from None
        try:
            return cls(load_cnn14(str(p)))
        except ValueError as e:
            raise UsageError(f"--panns {path}: {e}") from None

    def __call__(self, samples: np.ndarray, sample_rate: int) -> PannsOutput:
        import torch

        x = mono_at(samples, sample_rate, self.sample_rate)
        if len(x) < self.model.min_samples:  # CNN14 pools 32x in time: pad very short clips with silence
            x = np.pad(x, (0, self.model.min_samples - len(x)))
        with self._no_grad():
            embedding, logits = self.model(torch.from_numpy(x)[None].to(self.device))
        return PannsOutput(embedding[0].cpu().double().numpy(), logits[0].cpu().double().numpy())


class ClapEmbedder:
    """LAION-CLAP through transformers' ClapModel: audio and text in one embedding space.

    Pitfall: the unfused LAION checkpoints crop clips longer than 10 s at a
    random offset; to stay deterministic, longer clips are cut here into 10 s
    windows whose embeddings are averaged.
    """

    def __init__(self, model, feature_extractor, tokenizer):
        import torch

        self.device = _device()
        self.model = model.to(self.device).eval()
        self.features = feature_extractor
        self.tokenizer = tokenizer
        self.sample_rate = int(feature_extractor.sampling_rate)
        self.truncation = "fusion" if model.config.audio_config.enable_fusion else "rand_trunc"
        self._no_grad = torch.no_grad

    @classmethod
    def load(cls, name_or_path: str) -> ClapEmbedder:
        """From a local folder (save_pretrained layout) or a hub id already in the cache.

        Raises UsageError (exit 2) naming what is missing; never downloads.
        """
        local = Path(name_or_path).exists()
        if not local and not _in_hub_cache(name_or_path):  # said before paying seconds for importing transformers
            raise UsageError(f"--clap {name_or_path}: not a folder, and not in the hub cache "
                             "(get it with `sao models pull clap`, or pass a folder)")
        try:
            from transformers import AutoTokenizer, ClapFeatureExtractor, ClapModel
            from transformers.utils import logging as hf_logging
        except ImportError:
            raise UsageError("--clap needs transformers: install sao's neural extras (pip install 'sao[neural]')") from None
        hf_logging.disable_progress_bar()  # its loading bars would bury sao's own messages on stderr
        try:
            model = ClapModel.from_pretrained(name_or_path, local_files_only=True)
            features = ClapFeatureExtractor.from_pretrained(name_or_path, local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(name_or_path, local_files_only=True)
        except (OSError, ValueError) as e:
            where = "folder" if local else "hub cache entry"
            raise UsageError(f"--clap {name_or_path}: no complete CLAP model in that {where} ({str(e).splitlines()[0][:160]})") from None
        return cls(model, features, tokenizer)

    @staticmethod
    def _pooled(out):
        """get_*_features returns a tensor (transformers 4) or an output with pooler_output (5)."""
        return out if hasattr(out, "shape") else out.pooler_output

    def __call__(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """The clip's unit-norm audio embedding (the mean over 10 s windows, renormalised)."""
        x = mono_at(samples, sample_rate, self.sample_rate)
        step = int(CLAP_WINDOW_S * self.sample_rate)
        windows = [x[i : i + step] for i in range(0, max(len(x), 1), step)]
        inputs = self.features(windows, sampling_rate=self.sample_rate, return_tensors="pt", truncation=self.truncation)
        with self._no_grad():
            e = self._pooled(self.model.get_audio_features(**{k: v.to(self.device) for k, v in inputs.items()}))
        return _unit(_unit(e.cpu().double().numpy()).mean(axis=0))

    def text(self, captions: list[str]) -> np.ndarray:
        """Unit-norm text embeddings, (n, dim)."""
        tokens = self.tokenizer(captions, padding=True, truncation=True, return_tensors="pt")
        with self._no_grad():
            e = self._pooled(self.model.get_text_features(input_ids=tokens["input_ids"].to(self.device),
                                                          attention_mask=tokens["attention_mask"].to(self.device)))
        return _unit(e.cpu().double().numpy())


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


@dataclass
class Embedders:
    """What model-based metrics can run, and for each one that cannot, why and what to pass."""

    panns: PannsEmbedder | None = None
    clap: ClapEmbedder | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # metric key -> why, and what to pass


def load_embedders(panns: str | None, clap: str | None) -> Embedders:
    """Load the embedders asked for; those not asked for become entries in `skipped`.

    An explicit path that fails is an error (UsageError): the user asked for it.
    CLAP, when not given, is looked up quietly in the hub cache under DEFAULT_CLAP.
    """
    skipped: dict[str, str] = {}
    p = PannsEmbedder.load(panns) if panns else None
    if p is None:
        for metric in ("fd_panns", "kl_softmax", "kl_sigmoid", "is"):
            skipped[metric] = "needs PANNs CNN14: pass --panns PATH (Cnn14_mAP=0.431.pth)"
    c = ClapEmbedder.load(clap) if clap else _cached_clap()
    if c is None:
        for metric in ("fd_clap", "clap_score"):
            skipped[metric] = f"needs CLAP: pass --clap PATH|HUB_ID (none in the hub cache as {DEFAULT_CLAP})"
    return Embedders(p, c, skipped)


def _in_hub_cache(repo_id: str) -> bool:
    """Whether the Hugging Face cache holds the model's config: a file lookup, no network, no transformers."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # the neural extras are not installed
        return False
    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except ValueError:  # not a valid repo id
        return False


def _cached_clap() -> ClapEmbedder | None:
    """DEFAULT_CLAP if the hub cache holds it, else None."""
    if not _in_hub_cache(DEFAULT_CLAP):
        return None
    try:
        return ClapEmbedder.load(DEFAULT_CLAP)
    except UsageError:
        return None
