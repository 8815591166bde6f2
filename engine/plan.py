"""The edit plan: an explicit, serialisable list of steps made before anything runs.

Times may be negative (counted back from the end) or null (the end), so a plan
can be made without knowing the file: "the last 2 seconds" is
`{"start_s": -2.0, "end_s": null}`. A step may be limited to some channels
(`"channels": [0]`, the left), and a plan may say what the written file is to be
(`"output": {"bits": 16}`); both keys are left out of the JSON when unused.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from .errors import UsageError

PLAN_VERSION = 1
ENGINES = ("dsp", "neural")
RULES = "rules"  # Step.planner of the steps sao's own planner writes
ENCODINGS = ("pcm", "float", "ulaw", "alaw")


def resolve_time(t: float | None, duration_s: float, default: float) -> float:
    """A plan time in seconds: None -> default, negative -> from the end; clamped to the file."""
    if t is None:
        t = default
    elif t < 0:
        t = duration_s + t
    return min(max(t, 0.0), duration_s)


@dataclass
class Region:
    start_s: float | None = 0.0
    end_s: float | None = None

    def frames(self, sample_rate: int, frames: int) -> tuple[int, int]:
        """The region as a [start, end) frame range within a file of `frames` frames."""
        duration = frames / sample_rate
        s = resolve_time(self.start_s, duration, 0.0)
        e = resolve_time(self.end_s, duration, duration)
        return int(round(s * sample_rate)), int(round(max(s, e) * sample_rate))


@dataclass
class Step:
    op: str
    params: dict = field(default_factory=dict)
    region: Region | None = None
    engine: str = "dsp"
    text: str = ""
    planner: str = RULES  # who wrote the step: "rules", or the language model's name
    channels: list[int] | None = None  # only these channels (0 = left, 1 = right); None: all

    def to_dict(self) -> dict:
        d = asdict(self)
        d["region"] = asdict(self.region) if self.region else None
        keys = ("op", "params", "region", "engine", "text", "planner") + (("channels",) if self.channels is not None else ())
        return {k: d[k] for k in keys}

    @classmethod
    def from_dict(cls, d: dict) -> "Step":
        try:
            region = Region(**d["region"]) if d.get("region") else None
            step = cls(op=d["op"], params=dict(d.get("params") or {}), region=region, engine=d.get("engine", "dsp"), text=d.get("text", ""),
                       planner=d.get("planner") or RULES,  # plans written before the field: the rules wrote them
                       channels=_channel_list(d.get("channels")))
        except (KeyError, TypeError) as e:
            raise UsageError(f"not a valid plan step ({e}): {d!r}") from None
        if step.engine not in ENGINES:
            raise UsageError(f"plan step engine must be dsp or neural (got {step.engine!r})")
        if not isinstance(step.planner, str):
            raise UsageError(f"plan step planner must be a name (got {step.planner!r})")
        return step


def _channel_list(value) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or any(type(c) is not int or c < 0 for c in value) or len(set(value)) != len(value):
        raise UsageError(f"a step's channels must be a list of distinct channel numbers from 0 (got {value!r})")
    return value


@dataclass
class OutputFormat:
    """What the written file is to be, as the instruction says it ("16-bit", "mu-law", "stereo").

    Like --bits and --channels, and a flag given on the command line wins over it.
    `bits` is 8, 16, 24 or 32; `encoding` is pcm (integers), float, ulaw or alaw
    (8-bit telephone codecs, WAV and AIFF only); `channels` 1 to 32. A sample
    rate is not here: "16 kHz" is a `resample` step.
    """

    bits: int | None = None
    encoding: str | None = None
    channels: int | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, d: object) -> "OutputFormat":
        if not isinstance(d, dict) or set(d) - {"bits", "encoding", "channels"}:
            raise UsageError(f"a plan's output must be an object with bits, encoding or channels (got {d!r})")
        out = cls(**d)
        if out.bits not in (None, 8, 16, 24, 32):
            raise UsageError(f"a plan's output bits must be 8, 16, 24 or 32 (got {out.bits!r})")
        if out.encoding not in (None, *ENCODINGS):
            raise UsageError(f"a plan's output encoding must be one of {', '.join(ENCODINGS)} (got {out.encoding!r})")
        if out.channels is not None and (type(out.channels) is not int or not 1 <= out.channels <= 32):
            raise UsageError(f"a plan's output channels must be 1 to 32 (got {out.channels!r})")
        return out


@dataclass
class EditPlan:
    instruction: str
    steps: list[Step] = field(default_factory=list)
    version: int = PLAN_VERSION
    output: OutputFormat | None = None
    ignored: list[str] = field(default_factory=list)  # the instruction's words the planner did not use (story, unread clauses)

    @property
    def needs_model(self) -> bool:
        return any(s.engine == "neural" for s in self.steps)

    def to_dict(self) -> dict:
        d = {"version": self.version, "instruction": self.instruction, "steps": [s.to_dict() for s in self.steps],
             "ignored": list(self.ignored)}
        if self.output is not None:
            d["output"] = self.output.to_dict()
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: dict) -> "EditPlan":
        if not isinstance(d, dict) or "steps" not in d:
            raise UsageError("not a plan: expected a JSON object with 'steps'")
        if d.get("version", PLAN_VERSION) != PLAN_VERSION:
            raise UsageError(f"plan version {d.get('version')} is not supported (this sao reads version {PLAN_VERSION})")
        output = OutputFormat.from_dict(d["output"]) if d.get("output") is not None else None
        ignored = d.get("ignored") or []  # absent from plans written before it existed
        if not isinstance(ignored, list) or not all(isinstance(w, str) for w in ignored):
            raise UsageError("a plan's 'ignored' must be a list of strings")
        return cls(instruction=d.get("instruction", ""), steps=[Step.from_dict(s) for s in d["steps"]], output=output,
                   ignored=ignored)


def neural_step(text: str, region: Region | None = None) -> Step:
    """A step for the model: the instruction itself is the text prompt."""
    return Step(op="instruct", params={"instruction": text}, region=region, engine="neural", text=text)


def neural_plan(instruction: str) -> EditPlan:
    """`--engine neural`: the whole instruction goes to the model as one step."""
    return EditPlan(instruction, [neural_step(instruction)])
