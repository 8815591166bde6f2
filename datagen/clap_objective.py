"""The objective that ranks model-made edits: does the output match its caption, and did it change the right way?

SAO-Instruct scores a candidate (input audio, output audio) pair with

    8 · CLAP(out audio, out caption) + 14 · direction + 0.5 · CLAP(in audio, out audio) − 1.5 · mel(in, out)

and maximises it over the Prompt-to-Prompt and DDPM-inversion parameters:

- CLAP(a, b) is the cosine of two LAION-CLAP embeddings (engine.metrics.embeddings).
- direction is the cosine between the audio change E_a(out) − E_a(in) and the
  caption change E_t(out) − E_t(in): the edit moved the audio the way the
  captions moved. It is 0 when either change is (numerically) nothing.
- CLAP(in, out) rewards keeping the rest of the input, and the multi-resolution
  mel distance (engine.metrics.spectral, auraloss' MR-STFT on 128 mel bands)
  penalises changing more than needed.

Pitfall: the terms live on different scales (cosines in [−1, 1], the mel
distance from 0 to a few units), which is what the weights balance; the total
is only comparable between pairs scored with the same CLAP checkpoint.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import numpy as np

from engine.metrics.spectral import mr_mel_distance

WEIGHTS = {"clap_out": 8.0, "direction": 14.0, "clap_in_out": 0.5, "mel": -1.5}
NO_CHANGE = 1e-6  # a change vector shorter than this has no direction


@dataclass(frozen=True)
class Scores:
    """The objective's terms for one pair, plus CLAP(in audio, in caption), which the candidate filter reads."""

    clap_out: float  # CLAP(out audio, out caption)
    direction: float  # cos(E_a(out) − E_a(in), E_t(out) − E_t(in))
    clap_in_out: float  # CLAP(in audio, out audio)
    mel: float  # multi-resolution mel distance between in and out (0: identical)
    clap_in: float  # CLAP(in audio, in caption): not part of the objective

    @property
    def objective(self) -> float:
        return sum(weight * getattr(self, term) for term, weight in WEIGHTS.items())

    def as_dict(self) -> dict[str, float]:
        """Rounded for a manifest line, with the objective."""
        return {k: round(v, 6) for k, v in {**asdict(self), "objective": self.objective}.items()}


def direction(audio_in: np.ndarray, audio_out: np.ndarray, text_in: np.ndarray, text_out: np.ndarray) -> float:
    """Cosine between the audio change and the caption change (0 when either is nothing)."""
    da, dt = audio_out - audio_in, text_out - text_in
    na, nt = np.linalg.norm(da), np.linalg.norm(dt)
    if na < NO_CHANGE or nt < NO_CHANGE:
        return 0.0
    return float(np.dot(da, dt) / (na * nt))


class Scorer:
    """Scores pairs for one caption edit; caption embeddings are computed once, and the last input clip's too.

    A Prompt-to-Prompt optimisation renders the same input clip in every trial
    (only the output generation is steered) and an inversion's input is the real
    clip, so most calls embed one new clip, not two. `clap` is an
    engine.metrics.embeddings.ClapEmbedder (unit-norm embeddings: dot products
    are cosines).
    """

    def __init__(self, clap, sample_rate: int, caption_in: str, caption_out: str):
        self.clap, self.sample_rate = clap, sample_rate
        self.text_in, self.text_out = clap.text([caption_in, caption_out])
        self._last_in: tuple[bytes, np.ndarray] | None = None  # (digest of the input clip, its embedding)

    def _embed_input(self, audio_in: np.ndarray) -> np.ndarray:
        digest = hashlib.sha1(np.ascontiguousarray(audio_in).view(np.uint8)).digest()
        if self._last_in is None or self._last_in[0] != digest:
            self._last_in = (digest, self.clap(audio_in, self.sample_rate))
        return self._last_in[1]

    def __call__(self, audio_in: np.ndarray, audio_out: np.ndarray) -> Scores:
        """The terms for clips (channels, frames) at the scorer's sample rate."""
        e_in, e_out = self._embed_input(audio_in), self.clap(audio_out, self.sample_rate)
        return Scores(
            clap_out=float(np.dot(e_out, self.text_out)),
            direction=direction(e_in, e_out, self.text_in, self.text_out),
            clap_in_out=float(np.dot(e_in, e_out)),
            mel=mr_mel_distance(audio_in, audio_out, self.sample_rate),
            clap_in=float(np.dot(e_in, self.text_in)),
        )


def score(clap, audio_in: np.ndarray, audio_out: np.ndarray, sample_rate: int, caption_in: str, caption_out: str) -> Scores:
    """The objective's terms for one pair (see Scorer)."""
    return Scorer(clap, sample_rate, caption_in, caption_out)(audio_in, audio_out)
