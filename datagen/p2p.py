"""The Prompt-to-Prompt pipeline (`sao gen-data p2p`): fully synthetic pairs from caption edits.

For each sample slot (ids `p2p-s<seed>-<slot>`, attempts as in the manual
pipeline: a rejected attempt is logged and the slot moves on to the next):

1. The words: a caption row, drawn from the slot's generator; the output
   caption, instruction and negative captions come from the row's own columns
   or from the LLM (`caption_edit`, then the paper's variation/minimisation
   passes).
2. Candidate search (quality.py): 7 seed/CFG pairs rendered as P2P pairs at 50
   steps with the midpoints of the search ranges, filtered (CLAP threshold or
   a judge model), the best survivor by CLAP kept. No survivor: rejected.
3. Bayesian optimisation (bo.py): 10 trials over λ_frac, λ_delay, λ_weight at
   50 steps, maximising the CLAP objective (clap_objective.py).
4. The final render at 100 steps with the best λs, scored, and written.

Both clips of a pair come from one batch with the same starting and SDE noise;
the input generation's cross-attention is injected into the output's
(attention.py). The input is generated with the base negative caption, the
output with it plus the edit's negatives ("remove the dog" → "dog barking").

The step 1-2 choices are stored with the attempt's study, so a killed run
resumes the optimisation where it stopped instead of searching again.
This module also holds what the inversion pipeline shares: caption rows, the
edit's words, and the slot loop (ModelJob).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import UsageError
from engine.measure import rms_db
from engine.shard import in_shard, stable_hash

from . import bo
from .attention import CrossAttentionControl, TokenMap, align_tokens
from .captions import BadRow, read_rows
from .clap_objective import Scorer
from .dataset import UNREADABLE, DatasetWriter, Outcome, Sample
from .generate import DEFAULT_NEGATIVE, decode, generate
from .llm import ChatClient, LLMConfig, LLMFailed, caption_edit, diversify
from .manual import (  # the same gates and headroom as the manual pipeline
    PEAK_CEILING,
    SILENT_DB,
)
from .provenance import clap_identity, model_identity
from .quality import (
    CANDIDATE_CFG,
    CANDIDATES,
    Candidate,
    CandidateFilter,
    EditText,
    candidate_search,
    candidate_settings,
)
from .tasks import MAX_OUTPUT_S, Reject

PIPELINE = "p2p"
SEARCH_LAMBDAS = {"lambda_frac": 0.6, "lambda_delay": 0.3, "lambda_weight": 1.4}  # the BO ranges' midpoints
EDIT_COLUMNS = ("output_caption", "instruction", "negative_caption")


# ---------------------------------------------------------------- the words


@dataclass(frozen=True)
class CaptionRow:
    caption: str
    file: str | None = None
    output_caption: str | None = None
    instruction: str | None = None
    negative_caption: str | None = None  # added to the output generation's negative caption

    @property
    def has_edit(self) -> bool:
        return bool(self.output_caption and self.instruction)


def read_caption_rows(path: str | Path, lenient: bool = False) -> tuple[list[CaptionRow], list[BadRow]]:
    """Rows of a CSV (header with at least `caption`) or JSON Lines file; `file` and the edit columns are optional.

    Rows with an empty caption are dropped; whitespace is collapsed. Malformed
    rows are an error, or with `lenient` skipped and returned (captions.read_rows).
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--captions {path}: no such file")
    read = read_rows(path, required=("caption",), lenient=lenient)

    def clean(value) -> str | None:
        text = " ".join(str(value or "").split())
        return text or None

    rows = [CaptionRow(clean(r.get("caption")), clean(r.get("file")), *(clean(r.get(k)) for k in EDIT_COLUMNS)) for r in read.rows]
    return [r for r in rows if r.caption], read.bad


def edit_text(row: CaptionRow, client: ChatClient | None, negative: str, rng: np.random.Generator) -> EditText:
    """The edit's words: the row's own columns when it has them, else the LLM's (Reject when it fails)."""
    extra = [row.negative_caption] if row.negative_caption else []
    if row.has_edit:
        instruction, output_caption, source = row.instruction, row.output_caption, "captions file"
    else:
        seed = int(rng.integers(2**31))
        try:
            reply = caption_edit(client, row.caption, seed)
            instruction, passes = diversify(client, reply["instruction"], rng, seed)
        except LLMFailed as e:
            raise Reject(e.reason) from None
        output_caption, source = reply["output_caption"], "+".join(["llm", *passes])
        extra = reply["negative_captions"] + extra
    negative_out = ", ".join(n for n in [negative, *extra] if n)
    return EditText(row.caption, output_caption, instruction, negative, negative_out, source)


# ---------------------------------------------------------------- the slot loop both model pipelines share


@dataclass
class ModelConfig:
    """What every model pipeline takes (the pipeline's own config adds its steps and inputs)."""

    captions: Path
    n: int
    out: Path
    seed: int = 0
    shard: tuple[int, int] = (0, 1)
    negative: str = DEFAULT_NEGATIVE
    trials: int = 10
    max_attempts: int = 3
    llm: LLMConfig | None = None
    lenient: bool = False  # skip malformed caption rows (named in bad_rows) instead of stopping
    skipped_rows: dict = field(default_factory=dict)  # filled in: caption rows that were skipped, by reason
    bad_rows: list = field(default_factory=list)  # filled in: the malformed rows skipped under `lenient`


class ModelJob:
    """Open the dataset and the study storage, work out the slots left, then `run()` them.

    Subclasses set PIPELINE and implement `_make(sid, slot, attempt, rng) -> Sample`
    (raising Reject to drop the attempt); `bundle` is a ModelBundle of the base
    model, `clap` a ClapEmbedder, `rows` the caption rows to draw from. Bad
    settings fail before the dataset folder is touched.
    """

    PIPELINE = ""

    def __init__(self, cfg: ModelConfig, bundle, clap, rows: list[CaptionRow]):
        if cfg.n < 1:
            raise UsageError(f"--n must be at least 1 (got {cfg.n})")
        if cfg.seed < 0 or cfg.trials < 1 or cfg.max_attempts < 1:
            raise UsageError("--seed must be 0 or more, --trials and --max-attempts at least 1")
        if bundle.is_instruct:
            raise UsageError(f"{bundle.path} is a SAO-Instruct model; gen-data generates with the base Stable Audio model",
                             hint="Pass --model stable-audio-open (after `sao models pull stable-audio-open`) or a stable-audio folder.")
        self.cfg, self.bundle, self.clap = cfg, bundle, clap
        self.client = ChatClient(cfg.llm) if cfg.llm else None
        usable = self._usable(rows)
        self.models = {"base_model": model_identity(bundle), "clap": clap_identity(clap)}  # every manifest line's provenance
        self.writer = DatasetWriter(cfg.out)
        self.rows = [r for r in usable if r.file not in self.writer.unreadable]  # rows whose clip is not known to be unreadable
        self.storage = bo.open_storage(cfg.out)
        mine = [k for k in range(cfg.n) if in_shard(self.sample_id(k), cfg.shard)]
        self.pending = [k for k in mine if self.sample_id(k) not in self.writer.ids]
        self.done_before = len(mine) - len(self.pending)

    def _usable(self, rows: list[CaptionRow]) -> list[CaptionRow]:
        """Without an LLM only rows that carry their edit can be used; the rest are counted as skipped."""
        if self.client is None:
            lacking = sum(not r.has_edit for r in rows)
            rows = [r for r in rows if r.has_edit]
            if lacking:
                self.cfg.skipped_rows["no output_caption/instruction and no --llm-url"] = lacking
        if not rows:
            raise UsageError(f"{self.cfg.captions}: no usable rows: each needs a caption, and without --llm-url also "
                             "output_caption and instruction columns")
        return rows

    def sample_id(self, slot: int) -> str:
        return f"{self.PIPELINE}-s{self.cfg.seed}-{slot:07d}"

    def close(self) -> None:
        self.writer.close()

    def run(self) -> Iterator[Outcome]:
        """One Outcome per attempt, as ManualJob.run."""
        for slot in self.pending:
            sid = self.sample_id(slot)
            for attempt in range(self.writer.rejected_attempts.get(sid, 0), self.cfg.max_attempts):
                rng = np.random.default_rng([self.cfg.seed, slot, attempt])
                try:
                    sample = self._make(sid, slot, attempt, rng)
                except Reject as r:
                    self.writer.reject(sid, self.PIPELINE, r.reason, attempt, **r.details)
                    if r.reason == UNREADABLE:  # the clip leaves the pool (inversion)
                        self.rows = [row for row in self.rows if row.file not in self.writer.unreadable]
                    yield Outcome(sid, False, self.PIPELINE, r.reason, slot_done=attempt + 1 == self.cfg.max_attempts)
                    continue
                self.writer.add(sample)
                yield Outcome(sid, True, self.PIPELINE)
                break

    def _make(self, sid: str, slot: int, attempt: int, rng: np.random.Generator) -> Sample:
        raise NotImplementedError

    def study(self, sid: str, attempt: int) -> bo.SampleStudy:
        return bo.SampleStudy(self.storage, f"{sid}-a{attempt}")

    def scorer(self, text: EditText) -> Scorer:
        return Scorer(self.clap, self.bundle.sample_rate, text.input_caption, text.output_caption)

    def sample(self, sid: str, attempt: int, audio_in: np.ndarray, audio_out: np.ndarray, text: EditText,
               params: dict, scores: dict, seed: int, **extra) -> Sample:
        """The kept triplet: silence rejected, one shared gain (only downwards) so neither peaks above -1 dBFS."""
        if rms_db(audio_in) < SILENT_DB:
            raise Reject("silent input")
        if rms_db(audio_out) < SILENT_DB:
            raise Reject("silent output")
        peak = max(float(np.abs(audio_in).max()), float(np.abs(audio_out).max()))
        gain = min(1.0, PEAK_CEILING / peak)
        record = {"instruction": text.instruction, "input_caption": text.input_caption, "output_caption": text.output_caption,
                  "pipeline": self.PIPELINE, "task": None,
                  "params": {**params, "gain_db": round(20 * np.log10(gain), 3)}, "scores": scores, "seed": seed,
                  "attempt": attempt, "instruction_source": text.source,
                  "negative_captions": {"input": text.negative_in, "output": text.negative_out}, **self.models, **extra}
        return Sample(sid, (audio_in * np.float32(gain)).astype(np.float32), (audio_out * np.float32(gain)).astype(np.float32),
                      self.bundle.sample_rate, record)


# ---------------------------------------------------------------- Prompt-to-Prompt


@dataclass
class P2PConfig(ModelConfig):
    seconds: float = 10.0
    candidates: int = CANDIDATES
    cfg_range: tuple[float, float] = CANDIDATE_CFG
    search_steps: int = 50
    bo_steps: int = 50
    final_steps: int = 100


class NoCandidate(Reject):
    def __init__(self, dropped: Counter):
        super().__init__("no candidate passed the filter")
        self.details = {"dropped": dict(dropped)}


def token_map(bundle, source: str, target: str) -> TokenMap:
    """align_tokens on the two captions as the bundle's tokenizer cuts them."""
    max_length = int(bundle.config["text_encoder"]["max_length"])
    ids = [bundle.tokenizer(t, truncation=True, max_length=max_length)["input_ids"] for t in (source, target)]
    return align_tokens(*ids, max_length)


def render_pair(bundle, text: EditText, seconds: float, seed: int, cfg: float, steps: int, lambdas: dict) -> tuple[np.ndarray, np.ndarray]:
    """The input and output clips of one Prompt-to-Prompt generation (both (channels, frames))."""
    control = CrossAttentionControl(token_map(bundle, text.input_caption, text.output_caption), steps,
                                    lambdas["lambda_frac"], lambdas["lambda_delay"], lambdas["lambda_weight"])
    latents = generate(bundle, [text.input_caption, text.output_caption], [text.negative_in, text.negative_out],
                       seconds, [seed, seed], steps, cfg, control)
    audio_in, audio_out = decode(bundle, latents, round(seconds * bundle.sample_rate))
    return audio_in, audio_out


class P2PJob(ModelJob):
    PIPELINE = PIPELINE

    def __init__(self, cfg: P2PConfig, bundle, clap, keep: CandidateFilter):
        if not 0 < cfg.seconds <= min(MAX_OUTPUT_S, bundle.max_seconds):
            raise UsageError(f"--seconds must be above 0 and at most {min(MAX_OUTPUT_S, bundle.max_seconds):.1f} (got {cfg.seconds:g})")
        if min(cfg.candidates, cfg.search_steps, cfg.bo_steps, cfg.final_steps) < 1:
            raise UsageError("--candidates and every step count must be at least 1")
        rows, cfg.bad_rows = read_caption_rows(cfg.captions, cfg.lenient)
        if cfg.bad_rows:
            cfg.skipped_rows["malformed row"] = len(cfg.bad_rows)
        super().__init__(cfg, bundle, clap, rows)
        self.keep = keep

    def _render(self, text: EditText, seed: int, cfg: float, steps: int, lambdas: dict) -> tuple[np.ndarray, np.ndarray]:
        return render_pair(self.bundle, text, self.cfg.seconds, seed, cfg, steps, lambdas)

    def _candidate(self, text: EditText, scorer: Scorer, seed: int, cfg: float) -> Candidate:
        audio_in, audio_out = self._render(text, seed, cfg, self.cfg.search_steps, SEARCH_LAMBDAS)
        return Candidate(seed, cfg, audio_in, audio_out, scorer(audio_in, audio_out))

    def _plan(self, slot: int, attempt: int, rng: np.random.Generator) -> dict:
        row = self.rows[int(rng.integers(len(self.rows)))]
        text = edit_text(row, self.client, self.cfg.negative, rng)
        settings = candidate_settings(stable_hash(f"{self.cfg.seed}:{slot}:{attempt}"), self.cfg.candidates, self.cfg.cfg_range)
        scorer = self.scorer(text)
        best, dropped = candidate_search(lambda s, c: self._candidate(text, scorer, s, c), settings, self.keep, text,
                                         self.bundle.sample_rate)
        if best is None:
            raise NoCandidate(dropped)
        return {"text": asdict(text), "seed": best.seed, "cfg": best.cfg, "candidate": best.scores.as_dict(),
                "dropped": dict(dropped)}

    def _make(self, sid: str, slot: int, attempt: int, rng: np.random.Generator) -> Sample:
        study = self.study(sid, attempt)
        if study.plan is None:
            study.save_plan(self._plan(slot, attempt, rng))
        plan = study.plan
        text = EditText(**plan["text"])
        scorer = self.scorer(text)

        def evaluate(lambdas: dict) -> tuple[float, None]:
            audio_in, audio_out = self._render(text, plan["seed"], plan["cfg"], self.cfg.bo_steps, lambdas)
            return scorer(audio_in, audio_out).objective, None

        best = study.optimise(bo.p2p_space, evaluate, self.cfg.trials)
        audio_in, audio_out = self._render(text, plan["seed"], plan["cfg"], self.cfg.final_steps, best.params)
        final = scorer(audio_in, audio_out)
        params = {**{k: round(v, 4) for k, v in best.params.items()}, "cfg": plan["cfg"], "steps": self.cfg.final_steps,
                  "seconds": self.cfg.seconds}
        scores = {**final.as_dict(), "bo_best": round(best.value, 6), "bo_trials": best.complete,
                  "candidate": plan["candidate"]}
        return self.sample(sid, attempt, audio_in, audio_out, text, params, scores, plan["seed"],
                           candidates_dropped=plan["dropped"])
