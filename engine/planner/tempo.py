"""Rules for time and pitch: speed or tempo changes, pitch shifts, resampling.

"Faster" keeps the pitch (time_stretch) unless the words say the pitch is to
follow ("like a tape", "let the pitch rise"), which is the `speed` operation.
"""

from __future__ import annotations

import math
import re

from ..errors import Refused
from ..plan import Step
from .clause import Clause
from .rules import rule, signed, step

_FAST = r"faster|quicker|(?<=as\s)fast|speed(?:s|ed|ing)?(?:\s+[a-z']+){0,3}?\s+up|sped(?:\s+[a-z']+){0,3}?\s+up|accelerat\w*|hurr(?:y|ied)|quicken\w*|double[\s-]time|fast[\s-]forward|up[\s-]?tempo|shorter(?=\s+by\b|\s*$|\s+[@#])|shorten\w*(?=(?:\s+(?:it|this|the\s+[a-z]+))?\s+(?:to|by)\s+[\d.]+\s?(?:%|percent))|compress\w*(?:\s+it)?\s+in\s+time"
_SLOW = r"slower|(?<=as\s)slow|slow(?:s|ed|ing)?(?:\s+[a-z']+){0,3}?\s+down|slow[\s-]?mo(?:tion)?|decelerat\w*|half[\s-]time|longer(?=\s+by\b|\s*$|\s+[@#])|lengthen\w*|stretch\w*(?:\s+(?:it|this))?\s+out"
_TEMPO = r"(?P<long>as\s+long|as\s+short|length|duration)|in\s+(?P<time>half|double|twice|triple)\s+the\s+time|speed|tempo|pace|playback\s+(?:speed|rate)|bpm|fps|frame[\s-]?rate|time[\s-]?stretch\w*|stretch\w*|varispeed|vari-speed"


@rule("speed", rf"\b(?:(?P<fast>{_FAST})|(?P<slow>{_SLOW})|(?P<tempo>{_TEMPO}))\b")
def speed(c: Clause, m: re.Match) -> list[Step] | None:
    if m.group("long"):  # "half as long": a length factor, the inverse of a speed ratio
        q = c.take(("ratio", "times", None), m.start())
        if q is None or q.value <= 0:
            return None
        factor = 1 / q.value if "short" in m.group("long") else q.value  # "double the length", "half as long"
        return [step("time_stretch", ratio=1 / factor)]
    if m.group("time"):  # "in half the time"
        return [step("time_stretch", ratio={"half": 2.0, "double": 0.5, "twice": 0.5, "triple": 1 / 3}[m.group("time")])]
    longer = bool(re.search(r"longer|lengthen|stretch", m.group(0)))
    shorter = bool(re.search(r"shorter|shorten|compress", m.group(0)))
    if (longer or shorter) and (s := c.take(("seconds",), m.start())) is not None:
        n = abs(s.value)  # "2 seconds shorter": cut from the end; "2 seconds longer": silence at the end
        return [step("pad", before_s=0.0, after_s=n)] if longer else [step("trim", start_s=-n, end_s=None)]
    ratio = _ratio(c, m, _sign(c, m), longer, shorter)
    if ratio is None:
        return None
    op = "speed" if "pitch_follows" in c.flags and "keep_pitch" not in c.flags else "time_stretch"
    return [step(op, ratio=ratio)]


def _sign(c: Clause, m: re.Match) -> int:
    """+1 faster, -1 slower, 0 unsaid ("change the tempo")."""
    if m.group("fast"):
        return 1
    if m.group("slow"):
        return -1
    said = c.has(rf"\b(?:(?P<f>{_FAST})|(?P<s>{_SLOW}))\b")  # "make the tempo 10% slower"
    if said is not None:
        c.consume(*said.span())
        return 1 if said.group("f") else -1
    d = c.direction(*m.span())
    return d.sign if d else 0


_OF_LENGTH = re.compile(r"\s*(?:%|percent)?\s*(?:of\s+(?:its|the|it's)\s+(?:original\s+|current\s+)?(?:length|duration)|as\s+long)\b")


def _ratio(c: Clause, m: re.Match, sign: int, longer: bool, shorter: bool) -> float | None:
    """The tempo ratio (>1 faster) from the clause's numbers, else the intensity default."""
    q = c.take(("bpm", "fps"), m.end()) or c.take(("percent", "ratio", "times", None), m.end())
    if q is None:
        if sign == 0:
            return None  # "the tempo" alone says nothing
        up = c.amount(1.1, 1.25, 1.5)
        return up if sign > 0 else 1 / up
    if q.kind in ("bpm", "fps"):  # "from 100 to 120 bpm", "from 24 fps to 25 fps": the new rate over the old
        other = c.take((q.kind, None), m.end())
        if other is None or other.value <= 0 or q.value <= 0:
            return None
        first, second = sorted([q, other], key=lambda x: x.start)
        return second.value / first.value
    if q.kind == "percent" or (q.kind is None and q.value > 4):  # a bare 20 is a percentage, a bare 1.2 a ratio
        p = q.value / 100
        if _OF_LENGTH.match(c.text[q.end:]) or (longer or shorter) and re.search(r"\bto\s+$", c.text[: q.start]):
            return 1 / p if p > 0 else None  # "to 150% of its length", "stretch it to 150%": a length, the inverse of a tempo
        if re.search(r"\b(?:to|at)\s+$", c.text[: q.start]) or re.match(r"\s*(?:%|percent)?\s*(?:speed|tempo|of\s+the\s+original)", c.text[q.end:]):
            return p  # "to 80%", "at 75% speed"
        if longer:
            return 1 / (1 + p)
        if shorter:
            if p >= 1:
                raise Refused(f'"{c.text}": {q.value:g}% shorter leaves no length; say e.g. "50% shorter" or "twice as fast"')
            return 1 / (1 - p)
        if sign < 0 and p >= 1:
            return 1 / p if p > 1 else 0.5  # "800% slower" is 8 times as long (a speed cannot drop by more than 100%)
        return 1 + (sign or 1) * p
    r = abs(q.value)
    if r <= 0:
        return None
    if longer or (sign < 0 and r > 1):  # "stretch to twice its length", "2x slower"
        return 1 / r if r > 1 else r
    return r


_PITCH_WORDS = r"pitch(?:ed|ing)?(?:[\s-]*shift\w*)?|transpos\w*|tun(?:e|ed|ing)(?=\s+(?:it\s+)?(?:up|down))|detun\w*|(?<!off\s)(?<!off-)key|semitones?"


@rule("pitch", rf"\b(?P<neutral>{_PITCH_WORDS})\b|\b(?P<up>higher|lower)[\s-]+(?:pitch(?:ed)?|key|register|notes?|voice)\b|\b(?P<deep>deeper|deep)\b(?![\s-]+(?:bass|lows?|low[\s-]end|sub))|\b(?P<high>higher|high[\s-]pitched)\b(?![\s-]+(?:frequenc\w*|freqs?|end|mids?|treble|shelf|noise|whine))")
def pitch(c: Clause, m: re.Match) -> list[Step] | None:
    if m.group("deep"):
        sign = -1
    elif m.group("up"):
        sign = 1 if m.group("up") == "higher" else -1
    elif m.group("high"):
        if c.peek(("db",)) and not c.peek(("semitones",)):
            return None
        sign = 1
    else:
        d = c.direction(*m.span())
        sign = d.sign if d else 1
    q = c.take(("semitones",), m.end())
    if q is None:
        q = c.take((None,), m.end())  # "pitch it up 400": refused as out of range, not replaced by the default
    if m.group("neutral") and d is None and q is None:
        return None  # "change the pitch" says neither which way nor how much
    semis = signed(q.value, sign) if q is not None else sign * c.amount(1.0, 3.0, 7.0)
    return [step("pitch_shift", semitones=semis)]


@rule("retune", r"\b(?:re-?tun\w*|tun(?:e|ed|ing)|tuning|concert\s+pitch|reference\s+pitch)\b|\ba4?\s?(?:=|@)")
def retune(c: Clause, m: re.Match) -> list[Step] | None:
    """ "retune from A=435 Hz to A=440 Hz": a pitch shift of 12·log2(440/435) = 0.198 semitones."""
    found = [q for q in c.quantities if q.kind in ("reference_hz", "hz") and c.free(q.start, q.end)]
    refs = [q for q in found if q.kind == "reference_hz"]
    pair = refs if len(refs) == 2 else found if len(found) == 2 else None
    if pair is None or min(q.value for q in pair) <= 0:
        return None
    for q in pair:
        c.consume(q.start, q.end)
    return [step("pitch_shift", semitones=12 * math.log2(pair[1].value / pair[0].value))]


@rule("resample", r"\b(?:resampl\w*|re-sampl\w*|sample[\s-]?rate|samplerate|sampling\s+(?:rate|frequency)|downsampl\w*|upsampl\w*|convert\w*(?:\s+(?:it|this))?\s+to)\b")
def resample(c: Clause, m: re.Match) -> list[Step] | None:
    q = c.take(("hz", None), m.end())
    if q is None:
        return None
    if q.kind is None and 8 <= q.value <= 384:
        return [step("resample", hz=round(q.value * 1000))]  # "resample to 48"
    if q.kind is None and q.value < 1000:
        return None
    return [step("resample", hz=round(q.value))]  # a rate out of range ("to 500 Hz") is refused
