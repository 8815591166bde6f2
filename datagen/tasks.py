"""The paper's twelve manual edits: deterministic (input, output) pairs from real clips.

Each task is a small function of its source clips, the run's settings and a
random generator, returning an `Edit`: the two arrays, the parameters that were
drawn (units in their names, as in plans), and who is who among the sources so
the instruction can name them. The signal processing goes through the engine's
operation registry (`pitch_shift`, `time_stretch`, `low_pass`, `high_pass`,
`loop`, `resample`, `gain`): the model learns from exactly the DSP users get.
Mixing and cutting are plain array arithmetic.

Everything random comes from the generator, so a sample is reproducible from
its seed. Pitfall: the tasks trust their inputs to be at `settings.sample_rate`
with matching channels; the pipeline conforms clips before calling them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from engine.measure import rms_db
from engine.ops import get_operation

from .sources import noun_phrase

MAX_OUTPUT_S = 47.0  # Stable Audio Open's longest clip
PITCH_RANGE = 12  # semitones either way
SPEED_RANGE = 3.0  # tempo factor from 1/3 to 3, log-uniform
LOW_PASS_HZ = 8000.0
HIGH_PASS_HZ = 1000.0
MAX_BLANK = 0.95  # INPAINT blanks up to this share of the clip
MIN_BLANK = 0.05
MAX_LOOPS = 8
MIX_DB = (-6.0, 3.0)  # a mixed-in source's RMS relative to the base's
POSITIONS = ("start", "middle", "end", "any")


@dataclass
class Source:
    name: str  # the clip's `file` entry: identifies it for the train/val split
    caption: str
    samples: np.ndarray  # (channels, frames) at the run's sample rate


@dataclass(frozen=True)
class Settings:
    sample_rate: int = 44100
    noise_std: float = 0.01  # DENOISE: standard deviation of the added Gaussian noise (see docs/gen-data.md)


@dataclass
class Edit:
    task: str
    input: np.ndarray
    output: np.ndarray
    params: dict
    roles: dict[str, Source]  # base, added, target, replacement, first, second, or clip
    input_caption: str
    output_caption: str


class Reject(Exception):
    """This draw cannot make a useful sample; `reason` is counted in the summary, `details` join its rejected.jsonl line."""

    def __init__(self, reason: str, **details):
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Task:
    name: str
    inputs: int  # how many source clips it takes
    make: Callable[[list[Source], Settings, np.random.Generator], Edit]


TASKS: dict[str, Task] = {}


def task(name: str, inputs: int):
    def deco(fn):
        TASKS[name] = Task(name, inputs, fn)
        return fn

    return deco


def _op(name: str, samples: np.ndarray, sample_rate: int, **params) -> np.ndarray:
    return get_operation(name).apply(samples, sample_rate, params)


def _cap(caption: str) -> str:
    return caption.strip().rstrip(".")


def _level_to(clip: np.ndarray, base: np.ndarray, db: float, sample_rate: int) -> np.ndarray:
    """Scale `clip` so its RMS sits `db` above the base's."""
    if rms_db(clip) < -80 or rms_db(base) < -80:
        raise Reject("silent source")
    return _op("gain", clip, sample_rate, db=rms_db(base) + db - rms_db(clip))


def _mix_at(base: np.ndarray, clip: np.ndarray, start: int) -> np.ndarray:
    out = base.copy()
    out[:, start : start + clip.shape[1]] += clip
    return out


def _event_length(base: Source, *events: Source) -> int:
    """Frames of an event laid over the base: the shortest event, and at most half the base."""
    length = min([base.samples.shape[1] // 2] + [e.samples.shape[1] for e in events])
    if length < 1:
        raise Reject("clip too short")
    return length


def _limit(samples: np.ndarray, seconds: float, sample_rate: int) -> np.ndarray:
    return samples[:, : max(1, int(seconds * sample_rate))]


@task("ADD", 2)
def add(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    """Mix a second clip into the first at the start, middle, end, or anywhere."""
    base, added = sources
    frames = base.samples.shape[1]
    length = _event_length(base, added)
    position = str(rng.choice(POSITIONS))
    start = {"start": 0, "middle": (frames - length) // 2, "end": frames - length}.get(position)
    if start is None:
        start = int(rng.integers(0, frames - length + 1))
    db = float(rng.uniform(*MIX_DB))
    clip = _level_to(added.samples[:, :length], base.samples, db, s.sample_rate)
    params = {"position": position, "at_s": start / s.sample_rate, "length_s": length / s.sample_rate, "db": round(db, 2)}
    where = {"start": "at the start", "middle": "in the middle", "end": "at the end", "any": f"at {start / s.sample_rate:.1f} s"}[position]
    return Edit("ADD", base.samples, _mix_at(base.samples, clip, start), params, {"base": base, "added": added},
                _cap(base.caption), f"{_cap(base.caption)}, with {noun_phrase(added.caption)} {where}")


def _base_plus_target(base: Source, events: list[Source], rng: np.random.Generator, s: Settings):
    """Lay the first event over the base at a random place; the length suits every event given."""
    target = events[0]
    length = _event_length(base, *events)
    start = int(rng.integers(0, base.samples.shape[1] - length + 1))
    db = float(rng.uniform(*MIX_DB))
    clip = _level_to(target.samples[:, :length], base.samples, db, s.sample_rate)
    params = {"at_s": start / s.sample_rate, "length_s": length / s.sample_rate, "db": round(db, 2)}
    return _mix_at(base.samples, clip, start), start, length, db, params


@task("REPLACE", 3)
def replace(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    """The input is base + target; the output is base + replacement at the same place and level."""
    base, target, replacement = sources
    mixed, start, length, db, params = _base_plus_target(base, [target, replacement], rng, s)
    other = _level_to(replacement.samples[:, :length], base.samples, db, s.sample_rate)
    return Edit("REPLACE", mixed, _mix_at(base.samples, other, start), params,
                {"base": base, "target": target, "replacement": replacement},
                f"{_cap(base.caption)}, with {noun_phrase(target.caption)}",
                f"{_cap(base.caption)}, with {noun_phrase(replacement.caption)}")


@task("DROP", 2)
def drop(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    """The input is base + target; the output is the base alone."""
    base, target = sources
    mixed, _, _, _, params = _base_plus_target(base, [target], rng, s)
    return Edit("DROP", mixed, base.samples.copy(), params, {"base": base, "target": target},
                f"{_cap(base.caption)}, with {noun_phrase(target.caption)}", _cap(base.caption))


@task("SWAP", 2)
def swap(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    """Clip A then clip B becomes B then A; each is cut to half of 47 s so the pair fits."""
    a, b = (_limit(x.samples, MAX_OUTPUT_S / 2, s.sample_rate) for x in sources)
    params = {"first_s": a.shape[1] / s.sample_rate, "second_s": b.shape[1] / s.sample_rate}
    first, second = sources
    return Edit("SWAP", np.concatenate([a, b], axis=1), np.concatenate([b, a], axis=1), params, {"first": first, "second": second},
                f"{noun_phrase(first.caption)}, followed by {noun_phrase(second.caption)}",
                f"{noun_phrase(second.caption)}, followed by {noun_phrase(first.caption)}")


@task("LOOP", 1)
def loop(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    """Play the clip 2 to 8 times in a row, never past 47 s."""
    (clip,) = sources
    x = _limit(clip.samples, MAX_OUTPUT_S / 2, s.sample_rate)
    most = min(MAX_LOOPS, int(MAX_OUTPUT_S * s.sample_rate) // x.shape[1])
    count = int(rng.integers(2, most + 1))
    return Edit("LOOP", x, _op("loop", x, s.sample_rate, count=count), {"count": count}, {"clip": clip},
                _cap(clip.caption), f"{_cap(clip.caption)}, repeated {count} times")


@task("PITCH", 1)
def pitch(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    """Shift by a whole number of semitones, -12 to +12 (never 0), keeping the duration."""
    (clip,) = sources
    semitones = int(rng.choice([n for n in range(-PITCH_RANGE, PITCH_RANGE + 1) if n]))
    way = "up" if semitones > 0 else "down"
    unit = "semitone" if abs(semitones) == 1 else "semitones"
    return Edit("PITCH", clip.samples, _op("pitch_shift", clip.samples, s.sample_rate, semitones=semitones), {"semitones": semitones},
                {"clip": clip}, _cap(clip.caption), f"{_cap(clip.caption)}, pitched {way} {abs(semitones)} {unit}")


@task("SPEED", 1)
def speed(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    """Change the tempo, keeping the pitch (the paper's SPEED); the factor is log-uniform in 1/3..3.

    The factor is rounded to two decimals before use, so an instruction that
    states it is exact. The input is cut so the slowed result stays within 47 s.
    """
    (clip,) = sources
    ratio = 1.0
    while abs(ratio - 1.0) < 0.05:
        ratio = round(float(np.exp(rng.uniform(-np.log(SPEED_RANGE), np.log(SPEED_RANGE)))), 2)
    x = _limit(clip.samples, MAX_OUTPUT_S * ratio, s.sample_rate)
    how = "faster" if ratio > 1 else "slower"
    return Edit("SPEED", x, _op("time_stretch", x, s.sample_rate, ratio=ratio), {"ratio": ratio}, {"clip": clip},
                _cap(clip.caption), f"{_cap(clip.caption)}, played {how} ({ratio:g}x tempo)")


@task("LOW_PASS", 1)
def low_pass(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    (clip,) = sources
    return Edit("LOW_PASS", clip.samples, _op("low_pass", clip.samples, s.sample_rate, cutoff_hz=LOW_PASS_HZ), {"cutoff_hz": LOW_PASS_HZ},
                {"clip": clip}, _cap(clip.caption), f"{_cap(clip.caption)}, muffled")


@task("HIGH_PASS", 1)
def high_pass(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    (clip,) = sources
    return Edit("HIGH_PASS", clip.samples, _op("high_pass", clip.samples, s.sample_rate, cutoff_hz=HIGH_PASS_HZ), {"cutoff_hz": HIGH_PASS_HZ},
                {"clip": clip}, _cap(clip.caption), f"{_cap(clip.caption)}, thin, without its low end")


@task("INPAINT", 1)
def inpaint(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    """Blank one stretch of 5 % to 95 % of the clip; the output is the original.

    The blank is exact digital silence with hard edges (no fades), so
    `start_s`/`end_s` say precisely which frames are missing.
    """
    (clip,) = sources
    frames = clip.samples.shape[1]
    gap = max(1, round(rng.uniform(MIN_BLANK, MAX_BLANK) * frames))
    start = int(rng.integers(0, frames - gap + 1))
    blanked = clip.samples.copy()
    blanked[:, start : start + gap] = 0.0
    params = {"start_s": start / s.sample_rate, "end_s": (start + gap) / s.sample_rate}
    return Edit("INPAINT", blanked, clip.samples, params, {"clip": clip}, f"{_cap(clip.caption)}, with a silent gap", _cap(clip.caption))


@task("SUPER_RES", 1)
def super_res(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    """The input went down to a quarter of the rate and back, losing everything above rate/8."""
    (clip,) = sources
    low = s.sample_rate // 4
    down = _op("resample", clip.samples, s.sample_rate, hz=low)
    up = _op("resample", down, low, hz=s.sample_rate)
    frames = clip.samples.shape[1]
    up = np.pad(up[:, :frames], ((0, 0), (0, max(0, frames - up.shape[1]))))
    return Edit("SUPER_RES", up, clip.samples, {"low_rate_hz": low}, {"clip": clip}, f"{_cap(clip.caption)}, in low quality", _cap(clip.caption))


@task("DENOISE", 1)
def denoise(sources: list[Source], s: Settings, rng: np.random.Generator) -> Edit:
    """The input has white Gaussian noise of standard deviation `noise_std` added; the output is the original."""
    (clip,) = sources
    noise = rng.normal(0.0, s.noise_std, clip.samples.shape).astype(np.float32)
    params = {"noise_std": s.noise_std, "snr_db": round(rms_db(clip.samples) - rms_db(noise), 2)}
    return Edit("DENOISE", clip.samples + noise, clip.samples, params, {"clip": clip}, f"{_cap(clip.caption)}, with background hiss", _cap(clip.caption))
