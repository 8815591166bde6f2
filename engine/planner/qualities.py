"""Qualities of a sound that go up or down: bright/dark, warm, bass, mids, mud, harshness,
sibilance, clarity, punch, and level (loud/quiet).

Each quality is named three ways: adjectives that push it up ("brighter"),
adjectives that push it down ("darker"), and nouns that need a direction word
("more treble", "cut the highs", "the bass is too loud"). "less", "too" and
"not so" flip an adjective ("less harsh", "too dark" = brighter). A strong
removal word ("get rid of the low end") asks for a filter instead of an EQ cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..plan import Step
from .clause import Clause
from .dynamics import makeup
from .intensity import DIRECTION
from .numbers import NUM
from .rules import Rule, percent_to_db, signed, step, words

_PRED_UP = {"quiet", "weak", "thin", "soft", "low", "lacking", "missing", "dull", "dark", "buried", "small", "faint"}
_PRED = (
    r"(?P<pred>\s+(?:is|are|feels?|sounds?|seems?|gets?)\s+(?:way\s+|a\s+bit\s+|slightly\s+|much\s+|far\s+|kind\s+of\s+)?(?:too\s+|very\s+|so\s+)?"
    r"(?P<pv>loud|strong|prominent|much|overpowering|heavy|boomy|harsh|bright|high|big|quiet|weak|thin|soft|low|lacking|missing|dull|dark|buried|small|faint))?"
)


@dataclass(frozen=True)
class Quality:
    name: str
    up: tuple[str, ...]  # adjectives/verbs meaning more of it
    down: tuple[str, ...]  # adjectives/verbs meaning less of it
    nouns: tuple[str, ...]  # need a direction word
    build: Callable[[Clause, int, bool], list[Step]]  # (clause, sign, remove) -> steps
    noun_sign: int = 0  # a noun with no direction word at all: +1 a virtue ("warmth"), -1 a fault ("mud"), 0 say nothing
    placement: bool = False  # says where a sound is ("in the distance"), which may be part of a sound's name

    def rule(self) -> Rule:
        parts = [f"(?P<up>{words(*self.up)})" if self.up else None,
                 f"(?P<down>{words(*self.down)})" if self.down else None,
                 f"(?P<noun>{words(*self.nouns)}){_PRED}" if self.nouns else None]
        return Rule(self.name, re.compile("|".join(p for p in parts if p)), self._match)

    def _match(self, c: Clause, m: re.Match) -> list[Step] | None:
        if self.placement and c.after_a_named_sound(m.start()):
            return None  # "speed up the church bell ringing in the distance": the bell's name, not a request
        remove = False
        if m.groupdict().get("noun"):
            if c.names_a_thing(m.end("noun")):
                return None  # "bass guitar", "air conditioner": a thing, not a band
            pv = m.groupdict().get("pv")
            if pv:
                sign = 1 if pv in _PRED_UP else -1
            else:
                d = c.direction(*m.span())
                if d is None and (not self.noun_sign or c.has(DIRECTION)):
                    return None
                sign, remove = (d.sign, d.remove) if d else (self.noun_sign, False)
        else:
            inherent = 1 if m.groupdict().get("up") else -1
            d = c.direction(*m.span(), adjective=True)
            sign = inherent * (d.sign if d else 1)
        return self.build(c, sign, remove)


def _db(c: Clause, sign: int, amounts: tuple[float, float, float]) -> float:
    """An EQ gain: the dB the user gave ("boost the bass by 6 dB"), else the intensity's default."""
    q = c.take(("db",))
    return signed(q.value, sign) if q else sign * c.amount(*amounts)


def _shelf(op: str, freq: float):
    def build(c: Clause, sign: int, remove: bool) -> list[Step]:
        return [step(op, freq_hz=freq, gain_db=_db(c, sign, (2.0, 4.0, 8.0)))]
    return build


def _peak(freq: float, q: float = 1.0, amounts: tuple[float, float, float] = (2.0, 4.0, 8.0)):
    def build(c: Clause, sign: int, remove: bool) -> list[Step]:
        big = (amounts[2],) * 3
        return [step("peak_eq", freq_hz=freq, gain_db=_db(c, sign, big if remove else amounts), q=q)]
    return build


def _bright(c: Clause, sign: int, remove: bool) -> list[Step]:
    if remove:
        return [step("low_pass", cutoff_hz=c.amount(10000.0, 8000.0, 5000.0))]
    return [step("high_shelf", freq_hz=4000.0, gain_db=_db(c, sign, (2.0, 4.0, 8.0)))]


def _bass(c: Clause, sign: int, remove: bool) -> list[Step]:
    if remove:
        return [step("high_pass", cutoff_hz=c.amount(60.0, 120.0, 250.0))]
    return [step("low_shelf", freq_hz=150.0, gain_db=_db(c, sign, (2.0, 5.0, 9.0)))]


def _warm(c: Clause, sign: int, remove: bool) -> list[Step]:
    low = _db(c, sign, (1.5, 3.0, 6.0))
    return [step("low_shelf", freq_hz=250.0, gain_db=low), step("high_shelf", freq_hz=6000.0, gain_db=-round(low * 2 / 3, 2))]


def _punch(c: Clause, sign: int, remove: bool) -> list[Step]:
    if sign < 0:  # softer transients: a fast compressor catches them
        ratio = c.amount(2.0, 4.0, 8.0)
        return [step("compressor", threshold_db=-24.0, ratio=ratio, attack_s=0.001, release_s=0.1, makeup_db=makeup(-24.0, ratio))]
    ratio = c.amount(2.0, 4.0, 6.0)
    return [step("compressor", threshold_db=-24.0, ratio=ratio, attack_s=0.03, release_s=0.15, makeup_db=makeup(-24.0, ratio))]


def _mids(c: Clause, sign: int, remove: bool) -> list[Step]:
    m = c.has(r"(?P<lo>low|lower)[\s-]*mid|(?P<hi>high|upper)[\s-]*mid|(?P<voc>vocal)") or c.text
    freq = 1000.0
    if isinstance(m, re.Match):
        freq = 400.0 if m.group("lo") else 2500.0 if m.group("hi") else 2000.0
    return _peak(freq)(c, sign, remove)


QUALITIES = [
    Quality("sibilance", up=("sibilant", "essy"), down=("de ess", "de esser", "deess", "de essing"),
            nouns=("sibilance", "esses", "ess sounds", "s sounds", "ess", "sibilants", "s's"), build=_peak(7000.0, 2.0, (3.0, 6.0, 10.0)), noun_sign=-1),
    Quality("muddy", up=("muddy", "muddier", "murky", "murkier", "cloudy", "woolly", "wooly"), down=(),
            nouns=("mud", "muddiness", "murkiness", "murk"), build=_peak(300.0), noun_sign=-1),
    Quality("boxy", up=("boxy", "boxier", "honky", "nasal", "nasally"), down=(), nouns=("boxiness", "nasality", "honk"), build=_peak(600.0), noun_sign=-1),
    Quality("harsh", up=("harsh", "harsher", "shrill", "shriller", "piercing", "strident", "abrasive", "grating", "fatiguing", "sharp", "sharper"),
            down=(), nouns=("harshness", "shrillness", "sharpness", "bite", "edge", "edginess"), build=_peak(3500.0), noun_sign=-1),
    Quality("boomy", up=("boomy", "boomier"), down=(), nouns=("boominess", "boom"), build=_peak(120.0), noun_sign=-1),
    Quality("mids", up=(), down=(), nouns=(
        "low mids", "low mid", "low mid frequencies", "low midrange", "lower mids", "lower midrange", "lower mid frequencies",
        "high mids", "high mid", "upper mids", "upper midrange", "high mid frequencies", "upper mid frequencies",
        "mids", "midrange", "mid range", "mid frequencies", "middle frequencies", "middle range", "vocal frequencies", "vocal range",
        "mid frequencies specific for vocals"), build=_mids),
    Quality("clarity", up=("clear", "clearer", "defined", "articulate", "intelligible", "crystal clear", "cut through", "present", "more present"), down=("blurry", "blurred", "unclear"),
            nouns=("clarity", "definition", "presence", "intelligibility", "articulation", "crispness"), build=_peak(3000.0, 0.8, (2.0, 3.0, 6.0)), noun_sign=1),
    Quality("air", up=("airy", "airier", "sparkly", "sparklier", "silky"), down=(), nouns=("air", "sparkle", "sheen", "shimmer"), build=_shelf("high_shelf", 10000.0), noun_sign=1),
    Quality("bright", up=("brighter", "bright", "brighten", "brightened", "crisp", "crisper", "crispy", "crispier", "shiny", "shinier", "brilliant", "sizzle", "sizzling"),
            down=("darker", "dark", "darken", "darkened", "dull", "duller", "mellow", "mellower", "smooth", "smoother", "softer highs"),
            nouns=("treble", "highs", "high end", "top end", "high frequencies", "higher frequencies", "high freqs", "high frequency", "upper frequencies",
                   "upper range", "brightness", "upper end", "hi end", "high register", "trebles"), build=_bright),
    Quality("bass", up=("bassier", "bassy"), down=(),
            nouns=("bass", "lows", "low end", "low frequencies", "lower frequencies", "low freqs", "low frequency", "bottom end", "sub bass",
                   "subs", "sub", "lower end", "low register", "bass frequencies", "bass response", "low tones"), build=_bass),
    Quality("warm", up=("warmer", "warm", "warmed", "cozy", "cosy", "cozier", "full bodied", "fuller", "full", "rich", "richer", "thick", "thicker",
                        "round", "rounder", "lush", "lusher", "velvety", "thicken", "fatten", "fill out", "beef"),
            down=("colder", "cold", "thin", "thinner", "sterile", "clinical"),
            nouns=("warmth", "body", "fullness", "richness", "thickness"), build=_warm, noun_sign=1),
    Quality("punch", up=("punchy", "punchier", "impactful", "snappy", "snappier", "hit harder", "hits harder", "hard hitting", "slam", "slamming",
                         "thump", "thumpy", "bold", "bolder", "powerful", "more powerful", "fat", "fatter", "beefy", "beefier", "aggressive"),
            down=(), nouns=("punch", "punchiness", "impact", "transients", "attack"), build=_punch, noun_sign=1),
]


_LOUD_UP = r"louder|(?:can\s*not|can't|cannot|barely|hardly|can\s+hardly|can\s+barely)\s+hear|hard\s+to\s+hear|inaudible|crank(?:\s+it)?(?!\s+down)|blast\s+it|loud(?=\s*$|\s+(?:and|but|or|enough|please|again|as|at|in|for|by|then|so|now|overall|compared|relative|next|against|when|while|because|since)\b|\s+@)|amplif(?:y|ied|ying)|hotter|more\s+audible|audible"
_LOUD_DOWN = r"quieter|softer|(?:quiet|soft)(?=\s*$|\s+(?:and|but|or|enough|please|again|as|at|in|for|by|then|so|now|overall|compared|relative|next|against|when|while|because|since)\b|\s+@)|fainter|attenuat\w*|hush\w*|less\s+loud"
_TURN = r"(?:turn|bring|crank|pump|dial|knock|ramp|jack|take|move|tone|amp)(?:\s+(?:it|this|that|everything|the\s+(?:volume|level|gain|sound|audio|track|music|whole\s+thing|clip|recording|song)|@|[a-z]+'s\s+[a-z]+))?\s+(?P<turn>up|down|back)\b"
_LEVEL_NOUNS = r"volume|level|levels|gain|loudness|amplitude|output\s+level"
_WHOLE_OBJECT = (r"(?:it|this|that|everything|(?:the|this|my|these|all\s+the)\s+(?:(?:quiet|soft|loud|low|whole|entire)\s+)?"
                 r"(?:signal|audio|sound|tracks?|clips?|recordings?|songs?|files?|whole\s+thing|mix|audiobooks?|podcasts?|videos?|voices?))")
_VERB_UP = rf"(?:boost|raise|lift|bump|increase|pump)\w*\s+{_WHOLE_OBJECT}(?:\s+up)?"
_VERB_DOWN = rf"(?:lower|reduce|decrease|attenuate|drop|soften|duck)\w*\s+{_WHOLE_OBJECT}(?:\s+down)?"


def _level(c: Clause, m: re.Match) -> list[Step] | None:
    g = m.groupdict()
    if g["noun"]:
        if any(op in c.ops for op in ("low_shelf", "high_shelf", "peak_eq", "low_pass", "high_pass", "band_pass", "notch", "compressor")):
            return None  # "raise the level of the mids": an EQ, already planned
        d = c.direction(*m.span())
        if d is None and not c.peek(("db", "percent", "ratio")) and not re.match(rf"\s*:?\s*{NUM}\b", c.work[m.end():]):
            return None  # "the volume is low": a remark, not yet a request
        sign = d.sign if d else 1  # "set the volume to 50%", "volume -3 dB"
    elif g["turn"] or g["vup"] or g["vdown"]:
        if c.peek(("semitones",)) or re.search(r"\b(?:pitch|key|octave|semitones?)\b", c.work[: m.start()] + c.work[m.end():]):
            return None  # "drop it an octave", "raise it 2 semitones": pitch, not level
        sign = 1 if g["turn"] == "up" or g["vup"] else -1
    else:
        if "pan" in c.ops:
            return None  # "make the left channel louder": said of one side, the pan did it
        inherent = 1 if g["up"] else -1
        d = c.direction(*m.span(), adjective=True)
        sign = inherent * (d.sign if d else 1)
    q = c.take(("db",), m.end())
    if q is None and g["noun"] and (bare := re.match(rf"\s*:?\s*(?={NUM}\b)", c.work[m.end():])):
        q = c.take((None,), m.end() + bare.end())  # "gain -3": decibels
    if q is not None and re.search(r"\b(?:to|at)\s+$", c.text[: q.start]) and q.value <= 0 and g["noun"] != "gain":
        return [step("normalize", peak_db=q.value)]  # "turn it down to -6 dB": a peak target
    if q is not None:
        db = signed(q.value, sign)
    elif (p := c.take(("percent",), m.end())) is not None:
        db = percent_to_db(p.value, sign, absolute=bool(re.search(r"\bto\s+$", c.text[: p.start])))
    elif (r := c.take(("ratio", "times"), m.end())) is not None and r.value > 0:
        factor = r.value if sign > 0 or r.value < 1 else 1 / r.value
        db = percent_to_db(factor * 100, 1, absolute=True)
    else:
        db = sign * c.amount(2.0, 6.0, 12.0)
    says_gain = (g["noun"] or "").lower() == "gain"  # "gain +20 dB": a plain gain, clipping warned of, as asked
    steps = [step("louder" if db > 0 and not says_gain else "gain", db=db)]  # louder ends louder, even near full scale
    if "no_clip" in c.flags and db > 0:
        steps.append(step("limiter", ceiling_db=-1.0))
    return steps


LEVEL = Rule("level", re.compile(rf"\b(?:(?P<up>{_LOUD_UP})|(?P<down>{_LOUD_DOWN})|{_TURN}|(?P<vup>{_VERB_UP})|(?P<vdown>{_VERB_DOWN})|(?P<noun>{_LEVEL_NOUNS}))\b"), _level)
