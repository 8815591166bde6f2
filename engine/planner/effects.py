"""Rules for added effects: reverb (and the rooms that name one), echo, distortion,
bitcrush, chorus-family modulation, phaser, tremolo.

Asking for less of an effect that is already in the recording ("remove the
echo", "less reverb", "get rid of the distortion") cannot be done by adding
processing: those return NEEDS_MODEL.
"""

from __future__ import annotations

import re

from ..plan import Step
from .clause import Clause
from .rules import NEEDS_MODEL, rule, step

_SIZES_BIG = r"big|bigger|large|larger|huge|vast|massive|giant|enormous|grand|cavernous|long|longer|deep|epic|spacious"
_SIZES_SMALL = r"small|smaller|tiny|compact|cozy|cosy|short|shorter|tight"
SPACES = {
    "cathedral": r"cathedral|church|basilica|chapel|abbey|temple|mosque|minster|monastery",
    "hall": r"concert\s+hall|hall|auditorium|theat(?:er|re)|opera\s+house|ballroom|arena|stadium|gym(?:nasium)?|warehouse|hangar|atrium|parking\s+garage|garage|mall|airport|church\s+hall|big\s+room|large\s+room|huge\s+room",
    "cave": r"cave|cavern|tunnel|dungeon|sewer|underground|crypt|catacombs?",
    "small_room": r"small\s+room|tiny\s+room|little\s+room|bathroom|shower|closet|vocal\s+booth|booth|bedroom|kitchen|office|living\s+room|car|elevator|cupboard|small\s+space",
    "chamber": r"wine\s+cellar|cellar|basement|bunker|vault|chamber|hallway|corridor|stairwell|staircase|stairs|lobby|foyer",
    "studio": r"recording\s+studio|studio|live\s+room",
    "room": r"room|club|pub|classroom",
}
_SPACE = "|".join(f"(?P<{k}>{v})" for k, v in SPACES.items())
_SPACE_RE = re.compile(rf"\b(?:{_SPACE})\b")


def _wet(c: Clause, near: int) -> float:
    q = c.take(("percent",), near)
    if q is not None:
        return abs(q.value) / 100
    if c.has(r"\b(?:drench\w*|soak\w*|swimming|wash\w*|drown\w*|tons|loads|lots|huge|massive|big|heavy|plenty)\b"):
        return 0.5
    return c.amount(0.15, 0.25, 0.5)


def _removing(c: Clause, m: re.Match) -> bool:
    """'less reverb', 'remove the echo': the request is to take an effect away."""
    d = c.direction(*m.span())
    return d is not None and (d.sign < 0 or d.remove)


def _reverb(c: Clause, m: re.Match, preset: str | None) -> list[Step]:
    size_word = c.has(rf"\b(?:(?P<big>{_SIZES_BIG})|(?P<small>{_SIZES_SMALL}))\b")
    size = None
    if size_word:
        c.consume(*size_word.span())
        size = 0.9 if size_word.group("big") else 0.3
    if preset is None:
        found = _SPACE_RE.search(c.work)
        if found:
            c.consume(*found.span())
            preset = found.lastgroup
        else:
            preset = "hall" if size == 0.9 else "small_room" if size == 0.3 else "room"
            size = None
    word = c.has(r"\b(?:reverb\w*|reverberat\w*|verb)\b")
    if word:
        c.consume(*word.span())
    params: dict = {"preset": preset, "wet": _wet(c, m.end())}
    if size is not None and not (preset == "small_room" and size < 0.5):
        params["size"] = size
    return [step("reverb", **params)]


@rule("space", rf"(?:\b(?P<pre>in|inside|within|into|from|like|through|throughout|down|of|at|across)\s+(?:(?:the|a|an|some|this|my|our|your|that|one\s+of\s+those)\s+)?(?P<adj>(?:[a-z-]+\s+){{0,2}}?)|\b)(?:{_SPACE})\b(?P<post>(?=[\s-]+(?:reverb|verb|acoustics?|ambience|ambiance|reverberation|preset|setting|environment|atmosphere|space)\b|-like\b))?")
def space(c: Clause, m: re.Match) -> list[Step] | None:
    if m.group("pre") is None and m.group("post") is None:
        return None  # "car horn", "studio quality": a room word that names no room
    if m.group("post") is None and c.names_a_thing(m.end()):
        return None  # "the sound of a church bell", "like a church organ": the room word names a thing
    if c.after_a_named_sound(m.start()):
        return None  # "pitch the people talking in a kitchen up 2 semitones": where the sound was, part of its name
    if m.group("pre") == "of" and not re.search(r"(?:reverb|verb|sound|acoustics|ambience|echo|effect)\s+$", c.text[: m.start()]):
        return None  # "get rid of the car horn": "of" places a room only after "a reverb of"
    if _removing(c, m):
        return [NEEDS_MODEL]  # "remove the church effect": dereverberation
    preset = next(k for k in SPACES if m.group(k))
    adj = m.groupdict().get("adj") or ""
    if re.search(rf"\b(?:{_SIZES_BIG})\b", adj) and preset in ("room", "small_room"):
        preset = "hall"
    return _reverb(c, m, preset)


@rule("reverb", r"\b(?:reverb\w*|re-verb|reverberat\w*|verb|wet(?:ter)?|reflections?|ambien(?:ce|t)|ambiance|room\s+sound|(?:some|more|less|a\s+bit\s+of|a\s+touch\s+of|a\s+little)\s+room)\b")
def reverb(c: Clause, m: re.Match) -> list[Step]:
    if _removing(c, m):
        return [NEEDS_MODEL]
    plate = c.has(r"\b(?:plate|spring)\b")
    if plate:
        c.consume(*plate.span())
    return _reverb(c, m, "plate" if plate else None)


@rule("echo", r"\b(?:echo(?:es|ed|ing|ey|y)?|delay(?:ed|s)?|slap[\s-]?back|ping[\s-]?pong)\b")
def echo(c: Clause, m: re.Match) -> list[Step]:
    if _removing(c, m):
        return [NEEDS_MODEL]
    q = c.take(("seconds",), m.end())
    kind = c.has(r"\b(?P<k>slap[\s-]?back|ping[\s-]?pong|long|short|quick|tight)\b")
    delay = 0.3
    if q is not None:
        delay = abs(q.value)
    elif re.match(r"slap", m.group(0)) or (kind and kind.group("k").startswith("slap")):
        delay = 0.09
    elif kind:
        delay = {"long": 0.6, "short": 0.12, "quick": 0.12, "tight": 0.12}.get(kind.group("k"), 0.25)
    if kind:
        c.consume(*kind.span())
    fb = c.take(("percent",), m.end())
    feedback = fb.value / 100 if fb else c.amount(0.2, 0.35, 0.6)
    return [step("echo", delay_s=delay, feedback=feedback, mix=c.amount(0.2, 0.3, 0.45))]


@rule("distortion", r"\b(?P<sat>satura\w*|tape\s+warmth|warm\s+drive|tube\s+warmth|valve)\b|\b(?:distort(?:ed|ion|ing)?|overdriv\w*|overdrive|drive|driven|fuzz\w*|crunch\w*|grit\w*|dirt(?:y|ier)|grung\w*|gnarly|raspy|raspier|rough(?:er)?|edgy|edgier|crackly|clipped|broken\s+speaker|blown\s+(?:out\s+)?speaker)\b")
def distortion(c: Clause, m: re.Match) -> list[Step]:
    if _removing(c, m):
        return [NEEDS_MODEL]  # removing distortion or clipping is restoration
    q = c.take(("db",), m.end())
    if q is not None:
        drive = abs(q.value)
    else:
        drive = c.amount(3.0, 6.0, 12.0) if m.group("sat") else c.amount(8.0, 18.0, 32.0)
    return [step("distortion", drive_db=drive)]


@rule("bitcrush", r"\b(?:bit[\s-]*crush\w*|crush(?:ed|ing)?|(?P<n>\d+)[\s-]?bits?|chiptune|grainy|decimat\w*|digital\s+distortion|aliasing|retro\s+(?:game|video\s+game)|video\s+game|nintendo|game\s*boy|(?:lower|reduce|drop)\w*\s+(?:the\s+)?bit[\s-]?depth|bit[\s-]?depth)\b")
def bitcrush(c: Clause, m: re.Match) -> list[Step]:
    bits = float(m.group("n")) if m.group("n") else None
    if bits is None:
        q = c.take(("bits", None), m.end())
        bits = q.value if q is not None else c.amount(12.0, 8.0, 5.0)
    return [step("bitcrush", bits=bits)]


def _rate(c: Clause, near: int, default: float) -> float:
    q = c.take(("hz",), near)
    if q is None:
        per = c.has(r"(?P<n>\d+(?:\.\d+)?)\s+times\s+(?:a|per)\s+second")
        if per:
            c.consume(*per.span())
            return float(per.group("n"))
        return default
    return q.value


@rule("chorus", r"\b(?:chorus\w*|doubl(?:er|ing)\s+effect|ensemble\s+effect)\b")
def chorus(c: Clause, m: re.Match) -> list[Step]:
    if _removing(c, m):
        return [NEEDS_MODEL]
    return [step("chorus", rate_hz=_rate(c, m.end(), 1.0), depth=c.amount(0.15, 0.25, 0.5), mix=0.5)]


@rule("flanger", r"\b(?:flang\w*|jet\s+(?:plane\s+)?(?:effect|sound))\b")
def flanger(c: Clause, m: re.Match) -> list[Step]:
    """No flanger in the catalog: a slow, deep chorus is the closest sweep."""
    if _removing(c, m):
        return [NEEDS_MODEL]
    return [step("chorus", rate_hz=_rate(c, m.end(), 0.25), depth=c.amount(0.5, 0.8, 1.0), mix=0.5)]


@rule("vibrato", r"\b(?:vibrato|warbl\w*|wobbly|pitch\s+wobble|wow(?:\s+and\s+flutter)?|flutter\w*|seasick|drunk(?:en)?|tape\s+wobble)\b")
def vibrato(c: Clause, m: re.Match) -> list[Step]:
    """Pitch wobble: a fully wet chorus is pure vibrato."""
    if _removing(c, m):
        return [NEEDS_MODEL]
    return [step("chorus", rate_hz=_rate(c, m.end(), 5.5), depth=c.amount(0.3, 0.5, 0.8), mix=1.0)]


@rule("phaser", r"\b(?:phas(?:er|ing|ed)|phase\s+shift\w*|swirl\w*|swoosh\w*)\b")
def phaser(c: Clause, m: re.Match) -> list[Step]:
    if _removing(c, m):
        return [NEEDS_MODEL]
    return [step("phaser", rate_hz=_rate(c, m.end(), 1.0), depth=c.amount(0.3, 0.5, 0.8), mix=0.5)]


@rule("tremolo", r"\b(?:tremolo|trem|pulsing|pulsat\w*|throbb?\w*|wobbl(?:e|ing)|amplitude\s+modulation|helicopter\s+effect|choppy|stutter\w*|flicker\w*)\b")
def tremolo(c: Clause, m: re.Match) -> list[Step]:
    if _removing(c, m):
        return [NEEDS_MODEL]
    return [step("tremolo", rate_hz=_rate(c, m.end(), 5.0), depth=c.amount(0.3, 0.5, 0.9))]


EFFECTS = [space, reverb, echo, distortion, bitcrush, chorus, flanger, vibrato, phaser, tremolo]
