"""The rule for splitting a file into parts: "split into 30-second pieces", "into 3 equal parts",
"cut it in half", "split every 10 minutes", "chunks of 3 minutes".

A split names its parts: a part noun ("pieces", "chunks", "files", "halves"),
"every N", or "in half". Without one the verb means something else: "split out
the guitars" is separation, "cut the first second" a trim.
"""

from __future__ import annotations

import re

from ..plan import Step
from .clause import Clause
from .numbers import NUM
from .rules import rule, step

_UNIT = r"(?P<unit>milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)"
_NOUN = r"(?:parts?|pieces?|chunks?|segments?|sections?|files?|clips?|intervals?|portions?|blocks?|tracks?|bits)"
_HOW = r"(?:equal(?:ly)?(?:[\s-]+(?:sized|long|length))?|even(?:ly)?|same[\s-]+(?:length|size)d?|separate|individual|smaller|shorter|numbered)"
_DURATION = rf"(?P<n>{NUM})\s?-?\s?{_UNIT}\b(?:[\s-]+long)?"
_PARTS = [
    re.compile(rf"\b(?:into|in|to)\s+(?:(?P<count>\d+)\s+)?(?:{_HOW}\s+)*(?:{_DURATION}\s+)?(?:{_HOW}\s+)*(?P<noun>{_NOUN}|halves|thirds|quarters)\b"),
    re.compile(rf"\b(?P<noun>{_NOUN})\s+(?:of|each|every)\s+(?:(?:about|around|roughly)\s+)?{_DURATION}(?:\s+each)?"),
    re.compile(rf"\bevery\s+(?:(?P<one>{_UNIT.replace('?P<unit>', '?P<unit1>')})\b|{_DURATION})"),
    re.compile(r"\b(?:in|into)\s+(?P<half>half|halves|two)\b"),
]
_WORD_COUNTS = {"halves": 2, "half": 2, "two": 2, "thirds": 3, "quarters": 4}
# "cut the volume in half" halves a quantity, not the file
_NOT_A_FILE = re.compile(r"\b(?:volume|level|gain|loudness|bass|treble|highs|lows|mids|speed|tempo|length|duration|time|pitch|noise|hiss|reverb|echo|size)\b")


def _seconds(n: str, unit: str) -> float:
    if unit == "ms" or unit.startswith("milli"):
        return float(n) / 1000
    return float(n) * (3600.0 if unit.startswith("h") else 60.0 if unit.startswith("m") else 1.0)


@rule("split", r"\b(?:split|divide|chop|cut|break|slice|segment|chunk)(?:s|ting|ted|ped|ping|d|ed)?\b(?:\s+(?:it|this|that|them|everything|the\s+[a-z\d-]+(?:\s+[a-z-]+)?|my\s+[a-z\d-]+(?:\s+[a-z-]+)?))?(?:\s+up)?")
def split(c: Clause, m: re.Match) -> list[Step] | None:
    if _NOT_A_FILE.search(m.group(0)):
        return None
    for pattern in _PARTS:
        found = pattern.search(c.work, m.start())
        if found is None or found.start() - m.end() > 40:
            continue
        g = found.groupdict()
        if g.get("half"):
            params: dict = {"parts": 2}
        elif g.get("unit1"):
            params = {"every_s": _seconds("1", g["unit1"])}
        elif g.get("n") is not None:
            params = {"every_s": _seconds(g["n"], g["unit"])}
        elif g.get("count"):
            params = {"parts": int(g["count"])}
        elif g.get("noun") in _WORD_COUNTS:
            params = {"parts": _WORD_COUNTS[g["noun"]]}
        else:
            continue
        if params.get("every_s", 1.0) <= 0 or params.get("parts", 1) < 1:
            return None
        c.consume(m.start(), found.end())  # with the numbers in it
        return [step("split", **params)]
    return None


RULES = [split]
