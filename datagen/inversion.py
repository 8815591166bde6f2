"""The DDPM-inversion pipeline (`sao gen-data inversion`): real clips, edited by regenerating from their own noise.

For each sample slot (ids `inversion-s<seed>-<slot>`, attempts as in the other
pipelines):

1. A clip from `--captions` (drawn from the slot's generator), cropped to
   `--clip-s` at a random place and brought to the model's rate and channels;
   its edit's words from the row's columns or the LLM (p2p.edit_text).
2. Bayesian optimisation (bo.py), 7 trials at 70 steps, maximising the CLAP
   objective over T_start, CFG_src and CFG_tar. Each trial inverts the clip's
   latent with the source caption at CFG_src (generate.invert: the noise maps
   that make the DDPM sampler return it exactly), then runs the sampler over the
   last T_start steps with the output caption at CFG_tar.
3. The best trial's output is written with the (real) input crop.

The clip, crop and words are stored with the attempt's study, so a killed run
resumes where it stopped. When the best trial ran before a kill, it is
rendered again (the same noise, so the same audio).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from engine.errors import UsageError
from engine.pipeline import OutputSpec, conform
from engine.shard import stable_hash

from . import bo
from .captions import Clip, read_clips
from .dataset import UNREADABLE, Sample
from .generate import (
    cfg_denoiser,
    conditioning,
    ddpm_levels,
    ddpm_sample,
    decode,
    encode,
    invert,
)
from .p2p import (
    EDIT_COLUMNS,
    CaptionRow,
    ModelConfig,
    ModelJob,
    edit_text,
    read_caption_rows,
)
from .quality import EditText
from .tasks import MAX_OUTPUT_S, Reject

PIPELINE = "inversion"


@dataclass
class InversionConfig(ModelConfig):
    clips_dir: Path | None = None
    trials: int = 7
    steps: int = 70
    clip_s: float = 10.0  # longer clips are cropped to this, at a random place
    min_clip_s: float = 1.0


def read_crop(clip: Clip, start: int, length: int, sample_rate: int, channels: int) -> np.ndarray:
    """`length` frames from `start` of a clip's file, at the model's rate and channel count (Reject if unreadable)."""
    try:
        with sf.SoundFile(str(clip.path)) as f:
            f.seek(start)
            crop = f.read(length, dtype="float32", always_2d=True).T
            rate = f.samplerate
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        raise Reject(UNREADABLE, clip=clip.name) from None
    if crop.shape[1] == 0 or not np.isfinite(crop).all():
        raise Reject(UNREADABLE, clip=clip.name)
    return conform(np.ascontiguousarray(crop), rate, OutputSpec("", sample_rate, channels))[0]


class InversionJob(ModelJob):
    PIPELINE = PIPELINE

    def __init__(self, cfg: InversionConfig, bundle, clap):
        if cfg.clips_dir is None:
            raise UsageError("the inversion pipeline needs --clips")
        longest = min(MAX_OUTPUT_S, bundle.max_seconds)
        if not 0 < cfg.min_clip_s <= cfg.clip_s <= longest:
            raise UsageError(f"--clip-s must be between --min-clip-s ({cfg.min_clip_s:g}) and {longest:.1f} (got {cfg.clip_s:g})")
        if cfg.steps < 1:
            raise UsageError("--steps must be at least 1")
        listing = read_clips(cfg.clips_dir, cfg.captions, cfg.lenient)
        cfg.skipped_rows, cfg.bad_rows = dict(listing.skipped), listing.bad
        edits = {r.file: r for r in read_caption_rows(cfg.captions, cfg.lenient)[0] if r.file}
        self.clips = {c.name: c for c in listing.clips}
        rows = [CaptionRow(c.caption, c.name, *(getattr(edits.get(c.name), k, None) for k in EDIT_COLUMNS)) for c in listing.clips]
        super().__init__(cfg, bundle, clap, rows)
        self.levels = ddpm_levels(cfg.steps)

    def _plan(self, slot: int, attempt: int, rng: np.random.Generator) -> dict:
        if not self.rows:
            raise Reject("too few readable clips")
        row = self.rows[int(rng.integers(len(self.rows)))]
        try:
            info = sf.info(str(self.clips[row.file].path))
        except (sf.LibsndfileError, RuntimeError):
            raise Reject(UNREADABLE, clip=row.file) from None
        if info.frames < self.cfg.min_clip_s * info.samplerate:
            raise Reject("clip too short")
        length = min(info.frames, int(self.cfg.clip_s * info.samplerate))
        start = int(rng.integers(0, info.frames - length + 1))
        text = edit_text(row, self.client, self.cfg.negative, rng)
        return {"text": asdict(text), "file": row.file, "start": start, "length": length, "rate": info.samplerate,
                "noise_seed": stable_hash(f"{self.cfg.seed}:{slot}:{attempt}") % 2**63}

    def _make(self, sid: str, slot: int, attempt: int, rng: np.random.Generator) -> Sample:
        b = self.bundle
        study = self.study(sid, attempt)
        if study.plan is None:
            study.save_plan(self._plan(slot, attempt, rng))
        plan = study.plan
        text = EditText(**plan["text"])
        audio = read_crop(self.clips[plan["file"]], plan["start"], plan["length"], b.sample_rate, b.audio_channels)
        frames, seconds = audio.shape[1], audio.shape[1] / b.sample_rate
        x0 = encode(b, audio)
        cond_src, cond_tar = (conditioning(b, [c], seconds) for c in (text.input_caption, text.output_caption))
        neg_src, neg_tar = (conditioning(b, [c], seconds) for c in (text.negative_in, text.negative_out))

        def render(params: dict) -> np.ndarray:
            start = self.cfg.steps - params["t_start"]
            maps = invert(cfg_denoiser(b, cond_src, neg_src, params["cfg_src"]), x0, self.levels, start, plan["noise_seed"])
            return decode(b, ddpm_sample(cfg_denoiser(b, cond_tar, neg_tar, params["cfg_tar"]), maps), frames)[0]

        scorer = self.scorer(text)

        def evaluate(params: dict) -> tuple[float, tuple]:
            out = render(params)
            scores = scorer(audio, out)
            return scores.objective, (out, scores)

        best = study.optimise(bo.inversion_space(self.cfg.steps), evaluate, self.cfg.trials)
        out, scores = best.artifact or evaluate(best.params)[1]
        params = {"t_start": best.params["t_start"], "cfg_src": round(best.params["cfg_src"], 4),
                  "cfg_tar": round(best.params["cfg_tar"], 4), "steps": self.cfg.steps,
                  "crop_start_s": round(plan["start"] / plan["rate"], 6)}
        return self.sample(sid, attempt, audio, out, text, params, {**scores.as_dict(), "bo_trials": best.complete},
                           plan["noise_seed"], sources=[plan["file"]])
