"""Where in the file an edit applies: "the first 3 seconds", "from 0:05 to 0:12", "at the end".

Runs on normalised text (numbers in digits, clock times in seconds). The region
phrase is cut out and replaced by "@", so the rules see "make @ quieter" and a
trim rule can ask "is the thing removed a region?". Times follow the plan:
negative = counted from the end, end None = the end of the file.

Pitfalls:
- "the low end", "the top end" are frequency bands, not the end of the file: an
  edge word counts only right after "the" or a preposition.
- A unit given once covers both numbers: "between 1 and 2 s", "from 200 to 500 ms".
- "the middle" and "the second half" need the file's length, which a plan made
  from words alone does not know: they are reported as unsupported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import Refused
from .numbers import NUM

EDGE_S = 2.0  # "at the end" / "at the beginning" without a length: the last / first 2 seconds

_TUNIT = r"(?:milliseconds?|millisecs?|msecs?|ms|minutes?|mins?|hours?|hrs?|seconds?|secs?|s)"
_OTHER_UNIT = r"(?:db|hz|khz|k|%|percent|semitones?|st|octaves?|cents?|bpm|fps|x|lufs|bits?|times)\b"
_TIME = rf"(?:{NUM})(?:\s?{_TUNIT}\b)?(?!\s?{_OTHER_UNIT})"
_SCALE = {"ms": 0.001, "mil": 0.001, "mse": 0.001, "min": 60.0, "hou": 3600.0, "hr": 3600.0, "hrs": 3600.0}


@dataclass
class Where:
    """A region as the planner found it. anchor: start/end/both/at for edge words and "at 3 s"."""

    start_s: float | None = 0.0
    end_s: float | None = None
    anchor: str | None = None  # "start", "end", "both", "at", or None for explicit times
    whole: bool = False  # "the whole clip": explicitly no region
    unsupported: str | None = None  # a phrase we can't turn into times ("the middle")
    explicit: bool = True  # False for edge words without a length ("at the end")
    kind: str = ""  # which phrase: first, last, range, span, off, from, until, at, start, end, both, ends, whole
    ends_s: tuple[float, float] = (0.0, 0.0)  # "the first and last second": (head, tail) lengths


def _seconds(expr: str, shared_unit: str | None = None) -> float:
    """'1.5 s' -> 1.5, '200 ms' -> 0.2; a number without unit takes `shared_unit` (default seconds)."""
    m = re.match(rf"({NUM})\s?({_TUNIT})?", expr.strip())
    unit = m.group(2) or shared_unit or "s"
    return float(m.group(1)) * _SCALE.get(unit[:3], _SCALE.get(unit[:2], 1.0))


def _unit_of(expr: str) -> str | None:
    m = re.search(rf"\d\s?({_TUNIT})\b", expr)
    return m.group(1) if m else None


_WHO = r"(?:only\s+|just\s+)?(?:(?:in|for|during|over|on|across|of|throughout)\s+)?"
_THING = r"(?:(?:part|section|bit|portion|segment|region|audio|stretch|range|area|stuff|piece|sound)\s+)?"
_STAMP = r"(?:(?:the\s+)?(?:time[\s-]?frame|time[\s-]?stamp|time[\s-]?code|position|mark)\s+)?"  # "from timestamp 0:06 to 0:09"
_OF_FILE = r"(?:\s+of\s+(?:the\s+|this\s+|my\s+)?(?:clip|file|track|song|audio|recording|sample|it|sound|piece|music|loop))?"

PATTERNS: list[tuple[str, re.Pattern]] = [
    ("unsupported", re.compile(r"\b(?:(?:in|at|around|through|during|of)\s+)?(?:the\s+)?(?:(?:first|second|last|latter|former|other)\s+half|(?:very\s+)?middle(?![\s-]+(?:frequenc\w*|range|band|mids?|register))|midpoint|halfway(?:\s+point)?|(?:first|last|final|middle)\s+(?:third|quarter))\b(?:\s+of\s+(?:the\s+|this\s+)?\w+)?")),
    ("ends", re.compile(rf"\b(?:(?:in|on|at|from|of)\s+)?(?:the\s+)?first\s+(?:(?P<n1>{NUM})\s?(?:{_TUNIT}\s+)?)?and\s+(?:the\s+)?last\s+(?P<n2>{NUM})?\s?(?P<u>{_TUNIT})\b"
                        rf"|\b(?P<n3>{NUM}\s?{_TUNIT})\s+(?:off|from|at|on)\s+(?:both|each|either)\s+(?:ends?|sides)\b"
                        rf"|\b(?:both|each)\s+ends?\s+by\s+(?P<n4>{NUM}\s?{_TUNIT})\b")),
    ("both", re.compile(r"\b(?:(?:at|from|on)\s+)?(?:both\s+ends|each\s+end|either\s+end|(?:the\s+)?(?:beginning|start|front)\s+and\s+(?:the\s+)?(?:end|back))\b")),
    ("whole", re.compile(r"\b(?:(?:over|to|on|for|across|throughout|of)\s+)?(?:the\s+)?(?:whole|entire|full|complete)\s+(?:thing|clip|file|track|song|audio|recording|sample|piece|length|duration|way|time)\b|\bthroughout\b|\beverywhere\b|\ball\s+of\s+it\b")),
    ("first", re.compile(rf"\b{_WHO}(?:the\s+)?(?:first|opening|initial|starting|leading|beginning|intro)\s+(?P<n>{NUM})?\s?(?P<u>{_TUNIT})\b")),
    ("last", re.compile(rf"\b{_WHO}(?:the\s+)?(?:last|final|closing|ending|trailing|end|concluding|outro)\s+(?P<n>{NUM})?\s?(?P<u>{_TUNIT})\b")),
    ("range", re.compile(rf"\b{_WHO}(?:the\s+)?{_THING}(?:between|from)\s+{_STAMP}(?P<a>{_TIME}|the\s+(?:start|beginning))\s+(?:and|to|until|till|through|thru)\s+{_STAMP}(?P<b>{_TIME}|the\s+end)")),
    ("span", re.compile(rf"\b{_WHO}(?:the\s+)?(?P<a>{NUM})\s?(?:{_TUNIT}\s)?\s*to\s+(?P<b>{NUM}\s?{_TUNIT})\b(?:\s+(?:part|section|bit|portion|segment|mark|region|range))?")),
    ("seconds", re.compile(rf"\b(?:(?:in|for|during|over|on)\s+)?seconds?\s+(?P<a>{NUM})\s+(?:to|through|thru|and|-)\s+(?P<b>{NUM})\b")),
    ("off", re.compile(rf"\b(?P<a>{NUM}\s?{_TUNIT})\s+(?:off|from|of)\s+(?:the\s+)?(?P<side>end|start|beginning|front|back|tail|head)\b{_OF_FILE}")),
    ("from", re.compile(rf"\b(?:(?:everything|anything|all|the\s+part|the\s+rest|the\s+audio)\s+)?(?:from|after|past|starting\s+(?:at|from)|beginning\s+(?:at|from)|onwards?\s+from)\s+(?:the\s+)?(?P<a>{NUM}\s?{_TUNIT}\b|{NUM}(?=\s+(?:on|onwards?|forward)\b))(?:\s+mark)?(?:\s+(?:on|onwards?|forward|to\s+the\s+end|till\s+the\s+end|until\s+the\s+end))?")),
    ("until", re.compile(rf"\b(?:(?:everything|anything|all|the\s+part|the\s+audio)\s+)?(?:until|till|up\s+to|up\s+until|before|prior\s+to)\s+(?:the\s+)?(?P<b>{NUM}\s?{_TUNIT})\b(?:\s+mark)?")),
    ("at", re.compile(rf"\b(?:at|starting\s+at|beginning\s+at)\s+(?:the\s+)?(?P<a>{NUM}\s?{_TUNIT})\b(?:\s+(?:mark|point))?")),
    ("end", re.compile(rf"\b(?:(?:at|near|towards?|toward|in|on|to|by)\s+(?:the\s+)?|the\s+)(?:very\s+)?(?:end|ending|outro|tail|close|finish){_OF_FILE}\b")),
    ("start", re.compile(rf"\b(?:(?:at|near|towards?|toward|in|on|to|by|from)\s+(?:the\s+)?|the\s+)(?:very\s+)?(?:beginning|start|intro|opening|onset|front){_OF_FILE}\b")),
]


_LENGTH_WORDS = re.compile(r"\b(?:shorten\w*|lengthen\w*|length|duration|long|longer|shorter)\b")


def _refuse(m: re.Match, why: str, example: str) -> Refused:
    return Refused(f'"{m.group(0).strip()}" {why}; {example}', hint="a time counts from the start of the file; "
                   '"the last 3 seconds" counts back from its end')


def _where(kind: str, m: re.Match) -> Where | None:
    """The region a phrase names; Refused for one that cannot be (ends before it starts, a length of 0 or less)."""
    g = m.groupdict()
    if kind == "unsupported":
        return Where(None, None, unsupported=m.group(0).strip())
    if kind == "both":
        return Where(None, None, anchor="both", explicit=False)
    if kind == "ends":
        if g["n3"] or g["n4"]:
            head = tail = _seconds(g["n3"] or g["n4"])
        else:
            tail = _seconds(f"{g['n2'] or 1} {g['u']}")
            head = _seconds(f"{g['n1']} {g['u']}") if g["n1"] else tail
        return Where(None, None, anchor="both", ends_s=(head, tail))
    if kind == "whole":
        return Where(None, None, whole=True)
    if kind in ("first", "last"):
        n = float(g["n"]) if g["n"] else 1.0
        length = _seconds(f"{n} {g['u']}")
        if length <= 0:
            raise _refuse(m, "is no length", f'give a length above 0, e.g. "the {kind} 2 seconds"')
        return Where(0.0, length) if kind == "first" else Where(-length, None)
    if kind in ("range", "span", "seconds"):
        a, b = g["a"], g["b"]
        unit = _unit_of(b) or _unit_of(a)
        start = 0.0 if a.startswith("the") else _seconds(a, unit)
        end = None if b.startswith("the") else _seconds(b, unit)
        if start < 0 or end is not None and end < 0:
            raise _refuse(m, "has a time before the start of the file", 'times count from 0, e.g. "from 1 s to 3 s"')
        if end is not None and end <= start:
            if _LENGTH_WORDS.search(m.string):
                return None  # "shorten it from 10 to 5 seconds": two lengths, not a region
            raise _refuse(m, "ends before it starts" if end < start else "is empty",
                          f'give the earlier time first, e.g. "from {min(start, end):g} s to {max(start, end):g} s"' if end < start
                          else 'give two different times, e.g. "from 1 s to 3 s"')
        return Where(start, end)
    if kind == "off":
        length = _seconds(g["a"])
        if length <= 0:
            raise _refuse(m, "is no length", 'give a length above 0, e.g. "2 seconds off the end"')
        return Where(-length, None) if g["side"] in ("end", "back", "tail") else Where(0.0, length)
    if kind in ("from", "until", "at"):
        t = _seconds(g["b"] if kind == "until" else g["a"])
        if t < 0 or kind == "until" and t == 0:
            raise _refuse(m, "is before the start of the file" if t < 0 else "is empty", 'times count from 0, e.g. "from 2 s", "until 3 s"')
        if kind == "until":
            return Where(0.0, t)
        return Where(t, None, anchor="at") if kind == "at" else Where(t, None)
    if kind == "end":
        return Where(-EDGE_S, None, anchor="end", explicit=False)
    return Where(0.0, EDGE_S, anchor="start", explicit=False)


def find_region(text: str) -> tuple[Where | None, str]:
    """The first region phrase in `text` (a normalised clause), and the text with it replaced by '@'.

    "at 3 s" is a place only for a clip being mixed in ("add x.wav at 3 s"); elsewhere
    it is more often a parameter ("echo at 500 ms"), so it is left to the rules.
    """
    for kind, pattern in PATTERNS:
        if kind == "at" and "§" not in text:
            continue
        for m in pattern.finditer(text):
            where = _where(kind, m)
            if where is None:
                continue
            where.kind = kind
            return where, f"{text[: m.start()]} @ {text[m.end():]}".strip()
    return None, text
