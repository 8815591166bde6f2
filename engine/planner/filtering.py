"""Rules for filters and EQ named by frequency: low/high/band-pass, shelves, peaks,
notches, hum and rumble removal.
"""

from __future__ import annotations

import math
import re

from ..plan import Step
from .clause import Clause
from .numbers import NUM, Quantity
from .rules import NEEDS_MODEL, rule, signed, step, words

_LOW_PASS = words("low pass", "lowpass filter", "lpf", "high cut", "hi cut", "top cut", "treble cut")
_HIGH_PASS = words("high pass", "highpass filter", "hpf", "low cut", "lo cut", "bass cut", "rumble filter")
_BAND_PASS = words("band pass", "bpf", "band limit", "band limited", "bandlimit")


def _cutoff(c: Clause, m: re.Match, default: float) -> float:
    q = c.take(("hz",), m.end()) or c.take((None,), m.end())
    return float(q.value) if q is not None else default  # out of range ("at 0 Hz") is refused, not replaced


@rule("low-pass", _LOW_PASS)
def low_pass(c: Clause, m: re.Match) -> list[Step]:
    return [step("low_pass", cutoff_hz=_cutoff(c, m, c.amount(3000.0, 1000.0, 400.0)))]


@rule("high-pass", _HIGH_PASS)
def high_pass(c: Clause, m: re.Match) -> list[Step]:
    return [step("high_pass", cutoff_hz=_cutoff(c, m, c.amount(100.0, 200.0, 500.0)))]


@rule("band-pass", _BAND_PASS)
def band_pass(c: Clause, m: re.Match) -> list[Step]:
    a = c.take(("hz", None), m.end())
    b = c.take(("hz", None), m.end())
    if a is not None and b is not None:
        lo, hi = sorted([a.value, b.value])
    elif a is not None:
        lo, hi = a.value / 2, a.value * 2  # "band pass around 1 kHz": an octave either side
    else:
        lo, hi = 300.0, 3400.0
    return [step("band_pass", low_hz=float(lo), high_hz=float(hi))]


_LOW_BAND = r"low[\s-]?end|lows|bass|sub[\s-]?bass|subs|rumble|low\s+frequencies|bottom\s+end"
_HIGH_BAND = r"highs|high[\s-]?end|top\s+end|treble|high\s+frequencies"


@rule("cut-above-below", rf"\b(?:(?P<keep>keep|leave|only)\w*\s+)?(?:(?:everything|all|frequencies|anything|content|stuff|sound|the\s+frequencies|the\s+stuff)\s+)?(?P<rel>below|under|beneath|lower\s+than|above|over|higher\s+than)\s+(?={NUM}\s?(?:hz|khz|k|hertz|kilohertz)\b)"
      rf"|\b(?:the\s+)?(?:(?P<low>{_LOW_BAND})|(?P<high>{_HIGH_BAND}))\s+(?P<rel2>below|under|beneath|lower\s+than|above|over|higher\s+than)\s+(?={NUM}(?:\s?(?:hz|khz|k|hertz|kilohertz))?\b)")
def cut_above_below(c: Clause, m: re.Match) -> list[Step] | None:
    """ "cut everything below 80 Hz"; with a band named, a bare number is its frequency: "cut the low end below 80"
    (and "the highs above 8" is 8 kHz: a treble cut-off under 30 Hz is no cut-off)."""
    q = c.take(("hz",), m.end())
    if q is None and m.group("rel2") and (q := c.take((None,), m.end())) is not None and m.group("high") and 0 < q.value < 30:
        q.value *= 1000
    if q is None:
        return None
    below = (m.group("rel") or m.group("rel2")) in ("below", "under", "beneath", "lower than")
    gain = c.take(("db",), m.end())
    d = c.direction(*m.span())
    if gain is not None or (d is not None and not d.remove and re.match(r"boost|rais|increas|add|lift|more|up|bump", c.text[d.start:d.end])):
        sign = d.sign if d else (1 if gain is None or gain.value >= 0 else -1)
        db = signed(gain.value, sign) if gain is not None else sign * c.amount(2.0, 4.0, 8.0)
        return [step("low_shelf" if below else "high_shelf", freq_hz=float(q.value), gain_db=db)]
    if m.group("keep"):
        below = not below
    return [step("high_pass" if below else "low_pass", cutoff_hz=float(q.value))]


@rule("band-keep", rf"\b(?:keep|only|just|leave|pass)\w*(?:\s+[a-z]+){{0,3}}?\s+between\s+(?={NUM}\s?(?:hz|khz|k)?\s+(?:and|to)\s+{NUM}\s?(?:hz|khz|k|hertz)\b)")
def band_keep(c: Clause, m: re.Match) -> list[Step] | None:
    """"only keep frequencies between 300 and 3000 Hz": a band-pass."""
    a, b = c.take(("hz", None), m.end()), c.take(("hz", None), m.end())
    if a is None or b is None:
        return None
    unit = 1000.0 if b.kind == "hz" and b.value >= 1000 and a.kind is None and a.value < 100 else 1.0  # "between 2 and 5 kHz"
    lo, hi = sorted([a.value * unit, b.value])
    return [step("band_pass", low_hz=float(lo), high_hz=float(hi))]


@rule("shelf", words("low shelf", "bass shelf", "high shelf", "treble shelf", "shelving"))
def shelf(c: Clause, m: re.Match) -> list[Step]:
    low = bool(re.match(r"low|bass", m.group(0)))
    d = c.direction(*m.span())
    sign = d.sign if d else 1
    f = c.take(("hz",), m.end())
    g = c.take(("db",), m.end())
    db = signed(g.value, sign) if g else sign * c.amount(2.0, 4.0, 8.0)
    return [step("low_shelf" if low else "high_shelf", freq_hz=float(f.value) if f else (200.0 if low else 4000.0), gain_db=db)]


@rule("notch", r"(?<!\ba )\bnotch(?:ed|ing)?\b(?:\s+(?:out|filter))?|\bnotch[\s-]+filter\b")
def notch(c: Clause, m: re.Match) -> list[Step]:
    f = c.take(("hz",), m.end())
    return [step("notch", freq_hz=float(f.value) if f else 1000.0, q=_q(c, 10.0), harmonics=1)]


def _q(c: Clause, default: float) -> float:
    m = c.has(rf"\bq\s*(?:of|=|:)?\s*(?P<v>{NUM})")
    if m:
        c.consume(*m.span())
        return float(m.group("v"))
    if c.has(r"\b(?:narrow|tight|surgical)\w*\b"):
        return default * 3
    if c.has(r"\b(?:wide|broad|gentle)\w*\b"):
        return default / 3
    return default


@rule("hum", r"\b(?:(?:mains|electrical|electric|power[\s-]?line|ground[\s-]?loop|ac|low)\s+)?(?:hum|humming|buzz|buzzing)\b")
def hum(c: Clause, m: re.Match) -> list[Step]:
    d = c.direction(*m.span())
    if d is not None and d.sign > 0:
        return [NEEDS_MODEL]  # adding a hum is generating a sound
    f = c.take(("hz",), m.start())
    freq = float(f.value) if f else (50.0 if c.has(r"\b(?:uk|europe\w*|50)\b") else 60.0)
    return [step("notch", freq_hz=freq, q=10.0, harmonics=10 if "buzz" in m.group(0) else 5)]


@rule("high-noise", r"\b(?:high[\s-]*(?:pitched|frequency|freq)\s+(?:noise|whine|whistle|squeal|ringing|tone|hiss)|whin(?:e|ing|y)|squeal\w*)\b")
def high_noise(c: Clause, m: re.Match) -> list[Step]:
    d = c.direction(*m.span())
    if d is not None and d.sign > 0:
        return [NEEDS_MODEL]
    return [step("low_pass", cutoff_hz=8000.0)]


@rule("rumble", r"\b(?:(?:low[\s-]*(?:end|frequency)\s+)?(?:rumble|rumbling)|sub[\s-]?sonic\w*|plosives?|(?:mic\s+)?handling\s+noise|dc\s+offset)\b")
def rumble(c: Clause, m: re.Match) -> list[Step]:
    d = c.direction(*m.span())
    if d is not None and d.sign > 0:
        return [NEEDS_MODEL]
    f = c.take(("hz",), m.start())
    default = 120.0 if "plosive" in m.group(0) else 20.0 if "dc" in m.group(0) else 80.0
    return [step("high_pass", cutoff_hz=float(f.value) if f else default)]


@rule("eq-at", rf"(?P<hz>{NUM})\s?(?:khz|k|hz|hertz|kilohertz)\b")
def eq_at(c: Clause, m: re.Match) -> list[Step] | None:
    d = c.direction(*m.span())
    g = c.take(("db",), m.end())
    if d is None and g is None:
        return None
    if d is not None and d.remove and g is None:
        return [step("notch", freq_hz=float(c.take(("hz",), m.start()).value), q=_q(c, 10.0), harmonics=1)]
    freq = c.take(("hz",), m.start())
    sign = d.sign if d else 1
    db = signed(g.value, sign) if g else sign * c.amount(2.0, 4.0, 8.0)
    band = _band(c, freq)
    if band is not None:  # "boost 2 to 5 kHz": a bell over the band, centred on it (geometric mean)
        low, high = band
        centre = math.sqrt(low * high)
        return [step("peak_eq", freq_hz=centre, gain_db=db, q=centre / (high - low))]
    return [step("peak_eq", freq_hz=float(freq.value), gain_db=db, q=_q(c, 1.0))]


_TO = r"\s+(?:to|and|-)\s+"


def _band(c: Clause, q: Quantity) -> tuple[float, float] | None:
    """A band written "A to B Hz", "between A and B kHz", "300 Hz to 3 kHz" around the frequency `q`, as (low, high)
    in Hz with the other edge consumed; a bare edge takes the unit of the other ("2 and 5 kHz")."""
    after = re.match(rf"{_TO}(?P<n>{NUM})", c.text[q.end:])
    before = re.search(rf"(?<![\w.])(?P<n>{NUM})\s?(?:hz|khz|k)?{_TO}$", c.text[: q.start])
    where = q.end + after.start("n") if after else before.start("n") if before else -1
    other = next((o for o in c.quantities if o.start == where and o.kind in ("hz", None) and c.free(o.start, o.end)), None)
    if other is None:
        return None
    low, high = sorted([other, q], key=lambda x: x.start)
    value = low.value * 1000 if low.kind is None and high.value >= 1000 and 0 < low.value * 1000 < high.value else low.value
    if high.kind != "hz" or not 0 < value < high.value:
        return None
    c.consume(other.start, other.end)
    return value, high.value
