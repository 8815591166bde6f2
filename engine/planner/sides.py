"""Which channels a clause edits: "3 dB louder in the left channel only", "boost the bass on the
right side", "the left channel is too quiet", "mute channel 2".

The channel phrase is read first and taken out of the clause, so the other rules
see "3 dB louder" and plan a gain; `limit_to_channels` then gives the clause's
steps `"channels": [0]` (0 is the left, 1 the right). Words that move the sound
between the sides ("pan it to the left channel", "it only comes out of the left
speaker, put it in the centre", "swap the channels") are the stereo rules'
(stereo.py), so the phrase is left to them there.
"""

from __future__ import annotations

import re

from ..plan import Step
from .clause import Clause
from .rules import rule, step

CHANNELS = "_channels"  # the placeholder step's op: never reaches a plan
_SIDE = r"(?P<side>left|right)(?:[\s-]+hand)?[\s-]+(?:channel|side|speaker|ear|track)s?"
_NUMBER = r"(?:channel|ch)\s*(?P<n>[1-9])"
_PHRASE = rf"\b(?:(?:only|just)\s+)?(?:(?:in|on|for|of|to|at|from|with)\s+)?(?:(?:only|just)\s+)?(?:the\s+)?(?:{_SIDE}|{_NUMBER})\b(?:\s+only)?"
# moving sound between the sides is panning, swapping, mono or balance, not an edit of one side
_MOVING = re.compile(r"\b(?:pan\w*|move\w*|put|place\w*|send|route\w*|position\w*|shift\w*|push\w*|nudge\w*|swap\w*|switch\w*|flip\w*|"
                     r"revers\w*|mono|stereo|balance\w*|cent(?:er|re)\w*|middle|both|copy|cop(?:ies|ied)|duplicat\w*|mirror\w*|"
                     r"comes?|coming|plays?|playing|hear\w*|only\s+(?:in|on|out|from)|one[\s-]sided)\b")


@rule("channel", _PHRASE)
def channel(c: Clause, m: re.Match) -> list[Step] | None:
    if _MOVING.search(c.text):
        return None
    index = (0 if m.group("side") == "left" else 1) if m.group("side") else int(m.group("n")) - 1
    chosen = [step(CHANNELS, channels=[index])]
    verb = re.search(r"\b(?:mute|silence)\s+$", c.work[: m.start()])
    if verb:  # "mute the left channel": the mute rule wants an object, and the phrase was it
        c.consume(*verb.span())
        chosen.append(step("mute"))
    return chosen


def limit_to_channels(steps: list[Step]) -> list[Step]:
    """A clause's steps with its channel phrase applied; none when the phrase was all it said."""
    chosen = [s.params["channels"] for s in steps if s.op == CHANNELS]
    if not chosen:
        return steps
    edits = [s for s in steps if s.op != CHANNELS]
    for s in edits:
        if s.engine == "dsp" and not s.op.startswith("_"):
            s.channels = sorted({c for ch in chosen for c in ch})
    return edits


RULES = [channel]
