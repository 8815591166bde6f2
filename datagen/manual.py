"""The manual pipeline: the paper's twelve deterministic edits on real captioned clips.

`--n N` asks for N kept triplets. They are N numbered slots, each with a fixed
id (`manual-s<seed>-<slot>`); `--shard i/N` keeps the slots whose id hashes to
shard i, so shards never overlap and together cover all N. A slot draws its
task (uniformly), clips, crops and parameters from a generator seeded with
(seed, slot, attempt): a rejected draw is logged and the slot tries again with
the next attempt, up to `max_attempts`, so the same command always makes the
same dataset, and a rerun picks up exactly where a killed one stopped.

Quality gates reject draws that would teach nothing: a silent input or output,
an edit with no audible effect (a low-pass on audio with nothing above 8 kHz),
sources with the same caption, clips too short or unreadable. An unreadable
clip is named in its rejected.jsonl line and leaves the pool; since the pool is
rebuilt from rejected.jsonl when a run starts, a rerun draws exactly as the
killed run would have. Input and output share one gain, only ever downwards, so
neither peaks above -1 dBFS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf

from engine.errors import UsageError
from engine.measure import rms_db
from engine.pipeline import OutputSpec, conform
from engine.shard import in_shard

from .captions import Clip, read_clips
from .dataset import UNREADABLE, DatasetWriter, Outcome, Sample
from .grammar import instruction_for
from .llm import ChatClient, LLMConfig, LLMFailed, diversify, phrase_manual
from .tasks import MAX_OUTPUT_S, TASKS, Edit, Reject, Settings, Source

PIPELINE = "manual"
SILENT_DB = -60.0  # RMS below this is silence
NO_CHANGE_DB = -30.0  # an edit whose difference is this far below the input changed nothing audible
PEAK_CEILING = 10 ** (-1.0 / 20)  # -1 dBFS


@dataclass
class ManualConfig:
    clips_dir: Path
    captions: Path
    n: int
    out: Path
    seed: int = 0
    shard: tuple[int, int] = (0, 1)
    tasks: tuple[str, ...] = tuple(TASKS)
    clip_s: float = 10.0  # longer clips are cropped to this, at a random place
    min_clip_s: float = 0.5
    sample_rate: int = 44100
    channels: int = 2
    noise_std: float = 0.01
    max_attempts: int = 10
    llm: LLMConfig | None = None
    lenient: bool = False  # skip malformed caption rows (named in bad_rows) instead of stopping
    skipped_rows: dict = field(default_factory=dict)  # filled in: caption rows that were skipped, by reason
    bad_rows: list = field(default_factory=list)  # filled in: the malformed rows skipped under `lenient`


def sample_id(seed: int, slot: int) -> str:
    return f"manual-s{seed}-{slot:07d}"


def _check(cfg: ManualConfig, clips: list[Clip]) -> None:
    if cfg.n < 1:
        raise UsageError(f"--n must be at least 1 (got {cfg.n})")
    if cfg.seed < 0:
        raise UsageError(f"--seed must be 0 or more (got {cfg.seed})")
    unknown = [t for t in cfg.tasks if t not in TASKS]
    if unknown or not cfg.tasks:
        raise UsageError(f"unknown task(s) {', '.join(unknown) or '(none given)'}; the tasks are {', '.join(TASKS)}")
    most = max(TASKS[t].inputs for t in cfg.tasks)
    if len(clips) < most:
        raise UsageError(f"the tasks need {most} different clips and the captions list {len(clips)}")
    if not cfg.min_clip_s <= cfg.clip_s <= MAX_OUTPUT_S:
        raise UsageError(f"--clip-s must be between --min-clip-s ({cfg.min_clip_s:g}) and {MAX_OUTPUT_S:g} (got {cfg.clip_s:g})")
    if not 0 < cfg.noise_std < 1:
        raise UsageError(f"--noise-std must be between 0 and 1 (got {cfg.noise_std:g})")
    if cfg.max_attempts < 1:
        raise UsageError("--max-attempts must be at least 1")


class ManualJob:
    """Open the dataset (recovering it), work out what is left to do, then `run()` it."""

    def __init__(self, cfg: ManualConfig):
        listing = read_clips(cfg.clips_dir, cfg.captions, cfg.lenient)
        cfg.skipped_rows, cfg.bad_rows = listing.skipped, listing.bad
        _check(cfg, listing.clips)
        self.cfg = cfg
        self.clips = listing.clips
        self.settings = Settings(cfg.sample_rate, cfg.noise_std)
        self.client = ChatClient(cfg.llm) if cfg.llm else None
        self.writer = DatasetWriter(cfg.out)
        self.pool = self._readable()
        mine = [k for k in range(cfg.n) if in_shard(sample_id(cfg.seed, k), cfg.shard)]
        self.pending = [k for k in mine if sample_id(cfg.seed, k) not in self.writer.ids]
        self.done_before = len(mine) - len(self.pending)

    def close(self) -> None:
        self.writer.close()

    def _readable(self) -> list[Clip]:
        """The clips that may be drawn: all but those a rejection found unreadable."""
        return [c for c in self.clips if c.name not in self.writer.unreadable]

    def run(self) -> Iterator[Outcome]:
        """Yield one Outcome per draw; `Outcome.kept`, or a rejection (the slot's last one when attempts run out)."""
        for slot in self.pending:
            sid = sample_id(self.cfg.seed, slot)
            for attempt in range(self.writer.rejected_attempts.get(sid, 0), self.cfg.max_attempts):
                rng = np.random.default_rng([self.cfg.seed, slot, attempt])
                task = str(rng.choice(self.cfg.tasks))
                try:
                    sample = self._make(sid, task, rng, attempt)
                except Reject as r:
                    self.writer.reject(sid, PIPELINE, r.reason, attempt, task=task, **r.details)
                    if r.reason == UNREADABLE:
                        self.pool = self._readable()
                    yield Outcome(sid, False, task, r.reason, slot_done=attempt + 1 == self.cfg.max_attempts)
                    continue
                self.writer.add(sample)
                yield Outcome(sid, True, task)
                break

    def _source(self, clip: Clip, rng: np.random.Generator) -> Source:
        """A random crop of up to `clip_s` seconds, at the run's rate and channels.

        Only the crop is read (files can be hours long), so nothing is cached.
        """
        try:
            with sf.SoundFile(str(clip.path)) as f:
                frames, rate = f.frames, f.samplerate
                if frames < self.cfg.min_clip_s * rate:
                    raise Reject("clip too short")
                length = min(frames, int(self.cfg.clip_s * rate))
                f.seek(int(rng.integers(0, frames - length + 1)))
                crop = f.read(length, dtype="float32", always_2d=True).T
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
            raise Reject(UNREADABLE, clip=clip.name) from None
        if crop.shape[1] == 0 or not np.isfinite(crop).all():
            raise Reject(UNREADABLE, clip=clip.name)
        samples, _ = conform(np.ascontiguousarray(crop), rate, OutputSpec("", self.cfg.sample_rate, self.cfg.channels))
        return Source(clip.name, clip.caption, samples)

    def _make(self, sid: str, task: str, rng: np.random.Generator, attempt: int) -> Sample:
        if len(self.pool) < TASKS[task].inputs:
            raise Reject("too few readable clips")
        picks = rng.choice(len(self.pool), size=TASKS[task].inputs, replace=False)
        clips = [self.pool[int(i)] for i in picks]
        if len({c.caption.lower().rstrip(".") for c in clips}) < len(clips):
            raise Reject("sources share a caption")
        edit = TASKS[task].make([self._source(c, rng) for c in clips], self.settings, rng)
        _gate(edit, self.cfg.sample_rate)
        gain_db = _share_headroom(edit)
        text, source = self._instruction(edit, rng)
        record = {
            "instruction": text,
            "input_caption": edit.input_caption,
            "output_caption": edit.output_caption,
            "pipeline": PIPELINE,
            "task": task,
            "params": {**edit.params, "gain_db": round(gain_db, 3)},
            "scores": {},
            "seed": self.cfg.seed,
            "attempt": attempt,
            "sources": [c.name for c in clips],
            "instruction_source": source,
            "base_model": None,  # provenance.py: the manual pipeline uses no model
            "clap": None,
        }
        return Sample(sid, edit.input, edit.output, self.cfg.sample_rate, record)

    def _instruction(self, edit: Edit, rng: np.random.Generator) -> tuple[str, str]:
        """The grammar's instruction, or the LLM's (which sees the grammar's as an example) plus its two passes."""
        text = instruction_for(edit, rng).text
        if self.client is None:
            return text, "grammar"
        seed = int(rng.integers(2**31))
        captions = {role: src.caption for role, src in edit.roles.items()}
        try:
            text = phrase_manual(self.client, edit.task, edit.params, captions, text, seed)
            text, passes = diversify(self.client, text, rng, seed)
        except LLMFailed as e:
            raise Reject(e.reason) from None
        return text, "+".join(["llm", *passes])


def _gate(edit: Edit, sample_rate: int) -> None:
    if rms_db(edit.input) < SILENT_DB:
        raise Reject("silent input")
    if rms_db(edit.output) < SILENT_DB:
        raise Reject("silent output")
    if max(edit.input.shape[1], edit.output.shape[1]) > MAX_OUTPUT_S * sample_rate + 1:
        raise Reject("longer than 47 s")
    if edit.input.shape == edit.output.shape and rms_db(edit.output - edit.input) - rms_db(edit.input) < NO_CHANGE_DB:
        raise Reject("no audible change")


def _share_headroom(edit: Edit) -> float:
    """Scale input and output by one gain so neither peaks above -1 dBFS; returns the gain in dB (<= 0)."""
    peak = max(float(np.max(np.abs(edit.input))), float(np.max(np.abs(edit.output))))
    if peak <= PEAK_CEILING:
        return 0.0
    g = PEAK_CEILING / peak
    edit.input = (edit.input * np.float32(g)).astype(np.float32)
    edit.output = (edit.output * np.float32(g)).astype(np.float32)
    return float(20 * np.log10(g))
