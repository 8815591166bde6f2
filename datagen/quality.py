"""Which generated pairs are worth optimising: the candidate search and its pluggable filter.

Before optimising Prompt-to-Prompt for a caption pair, SAO-Instruct renders
a few cheap candidates (7 seed/CFG pairs, CFG spread over 3..9, 50 steps),
drops the ones a quality filter refuses, and keeps the best survivor by CLAP:
CLAP(in audio, in caption) + CLAP(out audio, out caption). Its seed and CFG are
then fixed for the optimisation.

Filters (each returns None to keep a candidate, else the reason to drop it):

- ClapThreshold: both clips must match their captions by CLAP cosine at least
  `threshold`. Needs nothing beyond CLAP; a blunt instrument.
- Judge: an audio-capable chat model (the paper used Gemini) behind any
  OpenAI-compatible endpoint hears both clips as `input_audio` parts (16 kHz
  mono WAV) and answers whether each matches its caption and whether the edit
  was made. A reply that stays invalid after the client's retries drops the
  candidate with the client's reason.
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import soundfile as sf

from engine.metrics.signals import mono_at

from .clap_objective import Scores
from .llm import (  # Retry: how a validator asks the client to retry
    ChatClient,
    LLMFailed,
    Retry,
)

CANDIDATES = 7
CANDIDATE_CFG = (3.0, 9.0)
JUDGE_RATE = 16000


@dataclass
class Candidate:
    seed: int
    cfg: float
    input: np.ndarray  # (channels, frames)
    output: np.ndarray
    scores: Scores

    @property
    def clap(self) -> float:
        """What survivors are ranked by: both clips' match to their captions."""
        return self.scores.clap_in + self.scores.clap_out


@dataclass(frozen=True)
class EditText:
    """The words of one edit: captions, instruction and the negative caption of each generation."""

    input_caption: str
    output_caption: str
    instruction: str
    negative_in: str
    negative_out: str
    source: str  # where the instruction came from: "captions file", "llm", "llm+variation", ...


class CandidateFilter(Protocol):
    name: str

    def __call__(self, candidate: Candidate, text: EditText, sample_rate: int) -> str | None: ...


@dataclass(frozen=True)
class ClapThreshold:
    threshold: float = 0.2
    name: str = "clap"

    def __call__(self, candidate: Candidate, text: EditText, sample_rate: int) -> str | None:
        if candidate.scores.clap_in < self.threshold:
            return "input does not match its caption (CLAP)"
        if candidate.scores.clap_out < self.threshold:
            return "output does not match its caption (CLAP)"
        return None


def wav_base64(samples: np.ndarray, sample_rate: int) -> str:
    """A 16 kHz mono 16-bit WAV, base64: small enough to send, enough for a judge to hear."""
    buf = io.BytesIO()
    sf.write(buf, mono_at(samples, sample_rate, JUDGE_RATE), JUDGE_RATE, subtype="PCM_16", format="WAV")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _verdict(data: dict) -> dict:
    keys = ("input_matches", "output_matches", "edit_applied")
    if not all(isinstance(data.get(k), bool) for k in keys):
        raise Retry("judge: reply lacks a true/false answer")
    return {k: data[k] for k in keys}


@dataclass
class Judge:
    client: ChatClient
    name: str = "judge"

    def __call__(self, candidate: Candidate, text: EditText, sample_rate: int) -> str | None:
        prompt = [
            {"type": "text", "text": (
                "You judge training data for an audio editor. The first clip is the input, the second the output of "
                f'the edit "{text.instruction}".\nInput caption: "{text.input_caption}"\n'
                f'Output caption: "{text.output_caption}"\n'
                "Does the input sound like its caption, does the output sound like its caption, and does the output "
                "differ from the input the way the edit says (and otherwise keep it)? Clips with artefacts, noise or "
                'silence do not match. Reply as {"input_matches": true|false, "output_matches": true|false, '
                '"edit_applied": true|false}')},
            {"type": "input_audio", "input_audio": {"data": wav_base64(candidate.input, sample_rate), "format": "wav"}},
            {"type": "input_audio", "input_audio": {"data": wav_base64(candidate.output, sample_rate), "format": "wav"}},
        ]
        try:
            verdict = self.client.ask(prompt, _verdict, seed=candidate.seed % 2**31)
        except LLMFailed as e:
            return e.reason
        for key, reason in (("input_matches", "input does not match its caption (judge)"),
                            ("output_matches", "output does not match its caption (judge)"),
                            ("edit_applied", "edit not applied (judge)")):
            if not verdict[key]:
                return reason
        return None


def candidate_settings(seed: int, n: int = CANDIDATES, cfg_range: tuple[float, float] = CANDIDATE_CFG) -> list[tuple[int, float]]:
    """n (seed, cfg) pairs: seeds drawn from `seed`, CFG evenly spread over the range."""
    seeds = np.random.SeedSequence(seed).generate_state(n, dtype=np.uint32)
    cfgs = np.linspace(*cfg_range, n) if n > 1 else [sum(cfg_range) / 2]
    return [(int(s), round(float(c), 3)) for s, c in zip(seeds, cfgs)]


def candidate_search(render: Callable[[int, float], Candidate], settings: list[tuple[int, float]], keep: CandidateFilter,
                     text: EditText, sample_rate: int) -> tuple[Candidate | None, Counter]:
    """Render every setting, filter, and return the best survivor by CLAP (None if none) and the drop reasons."""
    best, dropped = None, Counter()
    for seed, cfg in settings:
        candidate = render(seed, cfg)
        reason = keep(candidate, text, sample_rate)
        if reason:
            dropped[reason] += 1
        elif best is None or candidate.clap > best.clap:
            best = candidate
    return best, dropped
