"""All rules in the order they are tried, and matching a clause against them.

Order matters because a rule consumes the words it explains: specific before
general ("remove the bass rumble" is a rumble filter before it is bass; "the
volume of the mids" is an EQ, so the level rule comes after the bands). A
number whose unit alone names an operation ("+3 dB", "an octave up") is read
last, when no word claimed it.
"""

from __future__ import annotations

import re

from ..plan import Step
from . import formats, parts, restore, sides
from .channels import downmix_stereo
from .clause import Clause
from .cutting import (
    add_clip,
    fade,
    keep_length,
    loop,
    mute,
    pad,
    reverse,
    strip_silence,
    trim_region,
)
from .dynamics import compressor, denoise, gate, limiter, loudness, normalize
from .effects import EFFECTS
from .filtering import (
    band_keep,
    band_pass,
    cut_above_below,
    eq_at,
    high_noise,
    high_pass,
    hum,
    low_pass,
    notch,
    rumble,
    shelf,
)
from .numbers import NUM
from .qualities import LEVEL, QUALITIES
from .rules import Rule, rule, signed, step
from .scenes import DISTANCE, MUFFLED, SCENES
from .stereo import balance, mono, mono_to_stereo, one_sided, pan, swap_channels, width
from .tempo import pitch, resample, retune, speed

_GENERIC_SCENES = {"ghostly", "dramatic", "vintage", "spacious"}


@rule("semitones", rf"(?<![\w.])(?:{NUM}|an?|one)\s?(?:semi-?tones?|semis?|st|half[\s-]?steps?|whole[\s-]?(?:steps?|tones?)|tones?|steps?|octaves?|cents?)\b|\b(?:octave|tritone|fifth|fourth|third|sixth|seventh|(?:major|minor)\s+second)\b")
def by_semitones(c: Clause, m: re.Match) -> list[Step] | None:
    q = c.take(("semitones",), m.start())
    if q is None:
        return None
    d = c.direction(*m.span())
    return [step("pitch_shift", semitones=signed(q.value, d.sign if d else 1))]


@rule("decibels", rf"(?<![\w.]){NUM}\s?(?:db|decibels?)\b")
def by_decibels(c: Clause, m: re.Match) -> list[Step] | None:
    q = c.take(("db",), m.start())
    if q is None:
        return None
    d = c.direction(*m.span())
    return [step("gain", db=signed(q.value, d.sign if d else 1))]


RULES: list[Rule] = [
    # which channels, then splits, file formats and repairs (topic modules: their words are unambiguous)
    *sides.RULES, *parts.RULES, *formats.RULES, *restore.RULES,
    # named operations, cuts first: they read the region phrase themselves
    add_clip, strip_silence, pad, trim_region, keep_length, fade, loop,
    swap_channels, reverse,  # "reverse the channels" is a swap
    one_sided, balance, mono_to_stereo, downmix_stereo, mono, pan, width, resample, retune,
    normalize, loudness, limiter, compressor, gate, speed,
    high_noise, rumble, hum, denoise,  # "remove the bass rumble" is a filter before it is bass
    low_pass, high_pass, band_pass, band_keep, cut_above_below, shelf, notch,
    # recipes with a name, then added effects and rooms
    *[s for s in SCENES if s.name not in _GENERIC_SCENES],
    *EFFECTS,
    # qualities with a direction, then the vaguer recipes
    *[q.rule() for q in QUALITIES],
    DISTANCE.rule(),
    MUFFLED.rule(),
    *[s for s in SCENES if s.name in _GENERIC_SCENES],
    # level after the bands ("the level of the mids" is an EQ), pitch after level ("drop it 3 dB")
    LEVEL,
    pitch,
    mute,  # after pad and strip_silence, which say "silence" too
    eq_at,
    by_semitones,
    by_decibels,
]


# adjectives that say how the sound is; in a remark ("it sounds harsh") they name a fault
_ADJECTIVES = {w for q in (*QUALITIES, DISTANCE, MUFFLED) for w in q.up + q.down} | {"loud", "quiet", "soft", "noisy", "distorted", "hissy"}
_REMARK = re.compile(
    r"^(?:it|this|that|everything|(?:the|my|our|your|this)\s+[a-z]+(?:\s+[a-z]+)?)\s*(?:'s|\s+is|\s+sounds|\s+feels|\s+seems|\s+gets|\s+are)\s+"
    r"(?:(?:a\s+bit|a\s+little|a\s+tad|kind\s+of|sort\s+of|very|quite|so|really|way|pretty|rather|slightly|overly|extremely|much|still|even|now|always|often|also|just|generally|usually|all|far)\s+)*(?=(?P<adj>[a-z-]+))"
)


# "why does my audio sound so muffled": a complaint, as "it sounds muffled"
_WHY = re.compile(r"^(?:why|how\s+come)\s+(?:does|do|is|are)\s+(?:it|this|that|(?:the|my|our|this)\s+[a-z]+(?:\s+[a-z]+)?)\s+(?:sound|seem|feel|get)?\s*"
                  r"(?:so|this|that|too|always)?\s*(?=(?P<adj>[a-z-]+))")


def as_request(text: str) -> str:
    """A remark about the sound asks for less of what it names: "it sounds harsh" reads as "... too harsh"."""
    m = _REMARK.match(text) or _WHY.match(text)
    if m and m.group("adj") in _ADJECTIVES:
        return f"{text[: m.end()]}too {text[m.end():]}"
    return text


def match(c: Clause) -> list[Step]:
    """The steps the clause's words ask for, in the order the words come.

    One step per operation: when two rules plan the same operation ("a booming
    voice in a vast cathedral": both want a reverb), the earlier, more specific
    rule's step is kept.
    """
    found: list[tuple[int, int, int, Step]] = []  # (rule rank, position, order, step)
    for rank, r in enumerate(RULES):
        for m in r.pattern.finditer(c.work):
            if not c.free(*m.span()):
                continue
            steps = r.build(c, m)
            if steps is None:
                continue
            c.consume(*m.span())
            c.ops.extend(s.op for s in steps)
            found.extend((rank, m.start(), i, s) for i, s in enumerate(steps))
    winner: dict[str, tuple[int, int]] = {}  # op -> (rank, position) of the match that planned it first
    for rank, position, _, s in sorted(found, key=lambda f: (f[0], f[1])):
        winner.setdefault(s.op, (rank, position))
    kept = [f for f in found if winner[f[3].op] == (f[0], f[1])]
    return sides.limit_to_channels([f[3] for f in sorted(kept, key=lambda f: (f[1], f[2]))])
