"""Rules for time and pitch: speed or tempo changes, pitch shifts, resampling.

"Faster" keeps the pitch (time_stretch) unless the words say the pitch is to
follow ("like a tape", "let the pitch rise"), which is the `speed` operation.
"""

from __future__ import annotations

import re

from ..plan import Step
from .clause import Clause
from .rules import clamp, rule, signed, step

_FAST = r"faster|quicker|(?<=as\s)fast|speed(?:s|ed|ing)?(?:\s+[a-z']+){0,3}?\s+up|sped(?:\s+[a-z']+){0,3}?\s+up|accelerat\w*|hurr(?:y|ied)|quicken\w*|double[\s-]time|fast[\s-]forward|up[\s-]?tempo|shorter(?=\s+by\b|\s*$|\s+[@#])|compress\w*(?:\s+it)?\s+in\s+time"
_SLOW = r"slower|(?<=as\s)slow|slow(?:s|ed|ing)?(?:\s+[a-z']+){0,3}?\s+down|slow[\s-]?mo(?:tion)?|decelerat\w*|half[\s-]time|longer(?=\s+by\b|\s*$|\s+[@#])|lengthen\w*|stretch\w*(?:\s+(?:it|this))?\s+out"
_TEMPO = r"(?P<long>as\s+long|as\s+short|length|duration)|in\s+(?P<time>half|double|twice|triple)\s+the\s+time|speed|tempo|pace|playback\s+(?:speed|rate)|bpm|time[\s-]?stretch\w*|stretch\w*|varispeed|vari-speed"


@rule("speed", rf"\b(?:(?P<fast>{_FAST})|(?P<slow>{_SLOW})|(?P<tempo>{_TEMPO}))\b")
def speed(c: Clause, m: re.Match) -> list[Step] | None:
    if m.group("long"):  # "half as long": a length factor, the inverse of a speed ratio
        q = c.take(("ratio", "times", None), m.start())
        if q is None or q.value <= 0:
            return None
        factor = 1 / q.value if "short" in m.group("long") else q.value  # "double the length", "half as long"
        return [step("time_stretch", ratio=clamp(1 / factor, 0.1, 10.0))]
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
    lo, hi = (0.05, 20.0) if op == "speed" else (0.1, 10.0)
    return [step(op, ratio=clamp(ratio, lo, hi))]


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


def _ratio(c: Clause, m: re.Match, sign: int, longer: bool, shorter: bool) -> float | None:
    """The tempo ratio (>1 faster) from the clause's numbers, else the intensity default."""
    q = c.take(("percent", "ratio", "times", "bpm", None), m.end())
    if q is None:
        if sign == 0:
            return None  # "the tempo" alone says nothing
        up = c.amount(1.1, 1.25, 1.5)
        return up if sign > 0 else 1 / up
    if q.kind == "bpm":  # "from 100 to 120 bpm"
        other = c.take(("bpm", None), m.end())
        if other is None or other.value <= 0:
            return None
        first, second = sorted([q, other], key=lambda x: x.start)
        return second.value / first.value
    if q.kind == "percent" or (q.kind is None and q.value > 4):  # a bare 20 is a percentage, a bare 1.2 a ratio
        p = q.value / 100
        if re.search(r"\b(?:to|at)\s+$", c.text[: q.start]) or re.match(r"\s*(?:%|percent)?\s*(?:speed|tempo|of\s+the\s+original)", c.text[q.end:]):
            return p  # "to 80%", "at 75% speed"
        if longer:
            return 1 / (1 + p)
        if shorter:
            return 1 / max(1 - p, 0.05)
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
        bare = c.take((None,), m.end())
        q = bare if bare is not None and abs(bare.value) <= 48 else None
    if m.group("neutral") and d is None and q is None:
        return None  # "change the pitch" says neither which way nor how much
    semis = signed(q.value, sign) if q is not None else sign * c.amount(1.0, 3.0, 7.0)
    return [step("pitch_shift", semitones=clamp(semis, -48.0, 48.0))]


@rule("resample", r"\b(?:resampl\w*|re-sampl\w*|sample[\s-]?rate|samplerate|sampling\s+(?:rate|frequency)|downsampl\w*|upsampl\w*|convert\w*(?:\s+(?:it|this))?\s+to)\b")
def resample(c: Clause, m: re.Match) -> list[Step] | None:
    q = c.take(("hz", None), m.end())
    if q is None or not 1000 <= q.value <= 384000:
        if q is not None and 8 <= q.value <= 384 and q.kind is None:
            return [step("resample", hz=round(q.value * 1000))]  # "resample to 48"
        return None
    return [step("resample", hz=round(q.value))]
