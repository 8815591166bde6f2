"""The shape of a vocabulary rule, and helpers the rule modules share.

A rule is a trigger pattern plus a builder. The builder reads the clause (numbers,
intensity, direction words, region) and returns the steps the words ask for,
`[NEEDS_MODEL]` when they ask for something only the model can do ("less
reverb"), `[]` when the words are explained but add nothing ("an *old*
telephone"), or None to decline (the words meant something else here).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..plan import Step
from .clause import Clause

NEEDS_MODEL = Step("instruct", {}, engine="neural")

Builder = Callable[[Clause, re.Match], "list[Step] | None"]


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern
    build: Builder


def words(*phrases: str) -> str:
    """A regex matching any phrase as whole words; a space also matches a hyphen or nothing ("low pass", "low-pass", "lowpass")."""
    alts = sorted((p.replace(" ", r"[\s-]*") for p in phrases), key=len, reverse=True)
    return r"\b(?:" + "|".join(alts) + r")\b"


def rule(name: str, pattern: str) -> Callable[[Builder], Rule]:
    """Decorator: turn a builder function into a Rule with this trigger pattern."""

    def deco(fn: Builder) -> Rule:
        return Rule(name, re.compile(pattern), fn)

    return deco


def step(op: str, **params) -> Step:
    return Step(op, {k: (round(v, 4) if isinstance(v, float) else v) for k, v in params.items()})


def signed(value: float, sign: int) -> float:
    """An explicit number with a direction word: a written minus wins ("pitch it up -5"), else the direction sets the sign."""
    return value if value < 0 else value * sign


def percent_to_db(percent: float, sign: int, absolute: bool) -> float:
    """'to 50%' -> -6 dB; 'by 50%' louder -> +3.5 dB, quieter -> -6 dB."""
    factor = percent / 100 if absolute else 1 + sign * percent / 100
    return 20 * math.log10(max(factor, 1e-5))
