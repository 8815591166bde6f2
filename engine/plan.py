"""The edit plan: an explicit, serialisable list of steps made before anything runs.

Times may be negative (counted back from the end) or null (the end), so a plan
can be made without knowing the file: "the last 2 seconds" is
`{"start_s": -2.0, "end_s": null}`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from .errors import UsageError

PLAN_VERSION = 1
ENGINES = ("dsp", "neural")


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

    def to_dict(self) -> dict:
        d = asdict(self)
        d["region"] = asdict(self.region) if self.region else None
        return {k: d[k] for k in ("op", "params", "region", "engine", "text")}

    @classmethod
    def from_dict(cls, d: dict) -> "Step":
        try:
            region = Region(**d["region"]) if d.get("region") else None
            step = cls(op=d["op"], params=dict(d.get("params") or {}), region=region, engine=d.get("engine", "dsp"), text=d.get("text", ""))
        except (KeyError, TypeError) as e:
            raise UsageError(f"not a valid plan step ({e}): {d!r}") from None
        if step.engine not in ENGINES:
            raise UsageError(f"plan step engine must be dsp or neural (got {step.engine!r})")
        return step


@dataclass
class EditPlan:
    instruction: str
    steps: list[Step] = field(default_factory=list)
    version: int = PLAN_VERSION
    ignored: list[str] = field(default_factory=list)  # the instruction's words the planner did not use (story, unread clauses)

    @property
    def needs_model(self) -> bool:
        return any(s.engine == "neural" for s in self.steps)

    def to_dict(self) -> dict:
        return {"version": self.version, "instruction": self.instruction, "steps": [s.to_dict() for s in self.steps],
                "ignored": list(self.ignored)}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: dict) -> "EditPlan":
        if not isinstance(d, dict) or "steps" not in d:
            raise UsageError("not a plan: expected a JSON object with 'steps'")
        if d.get("version", PLAN_VERSION) != PLAN_VERSION:
            raise UsageError(f"plan version {d.get('version')} is not supported (this sao reads version {PLAN_VERSION})")
        ignored = d.get("ignored") or []  # absent from plans written before it existed
        if not isinstance(ignored, list) or not all(isinstance(w, str) for w in ignored):
            raise UsageError("a plan's 'ignored' must be a list of strings")
        return cls(instruction=d.get("instruction", ""), steps=[Step.from_dict(s) for s in d["steps"]], ignored=ignored)


def neural_step(text: str, region: Region | None = None) -> Step:
    """A step for the model: the instruction itself is the text prompt."""
    return Step(op="instruct", params={"instruction": text}, region=region, engine="neural", text=text)


def neural_plan(instruction: str) -> EditPlan:
    """`--engine neural`: the whole instruction goes to the model as one step."""
    return EditPlan(instruction, [neural_step(instruction)])
