"""How much, and which way: "slightly", "a lot", "way too"; "more", "less", "reduce", "get rid of".

The planner turns "a bit louder" into a number with one table per quality
(small, normal, large); this module only says which of the three the words
ask for, and whether a nearby word pushes a quality up or down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SMALL, NORMAL, LARGE = "small", "normal", "large"

SMALL_WORDS = re.compile(
    r"\b(?:slight(?:ly)?|a\s+(?:little\s+)?bit|a\s+little|little|a\s+tad|tad|a\s+touch|touch\s+of|hint\s+of|somewhat|subtle|subtly|"
    r"gentl[ey]|light(?:ly)?|mild(?:ly)?|a\s+hair|marginal(?:ly)?|a\s+smidge|smidgen|kind\s+of|sort\s+of|modest(?:ly)?|"
    r"faint(?:ly)?|a\s+notch|a\s+shade|just\s+a\s+bit|a\s+wee\s+bit|minimal(?:ly)?)\b"
)
LARGE_WORDS = re.compile(
    r"\b(?:much|a\s+lot|lots|way|very|really|significant(?:ly)?|considerabl[ey]|heav(?:y|ily)|drastic(?:ally)?|huge(?:ly)?|"
    r"massive(?:ly)?|super|extreme(?:ly)?|seriously|dramatic(?:ally)?|strong(?:ly)?|tons|greatly|substantial(?:ly)?|"
    r"severe(?:ly)?|intense(?:ly)?|insanely|majorly|loads|hard|a\s+great\s+deal|big\s+time|aggressive(?:ly)?)\b"
)


def intensity(text: str) -> str:
    """small / normal / large, from the first intensity word in `text` ("a bit", "way")."""
    small, large = SMALL_WORDS.search(text), LARGE_WORDS.search(text)
    if small and (not large or small.start() < large.start()):
        return SMALL
    return LARGE if large else NORMAL


def amount(level: str, small: float, normal: float, large: float) -> float:
    return {SMALL: small, NORMAL: normal, LARGE: large}[level]


@dataclass
class Direction:
    sign: int  # +1 more, -1 less
    remove: bool  # "get rid of", "filter out": take it away, not just turn it down
    start: int
    end: int


# phrases first: "clean up" must not read as "up"
_REMOVE = r"get\s+rid\s+of|(?:don'?t|do\s+not)\s+(?:want|need)|filter(?:ing)?\s+out|cut(?:ting)?\s+(?:out|off)|roll(?:ing)?\s+off|take\s+out|strip(?:\s+out)?|remov(?:e|es|ed|ing)|eliminat\w*|kill\w*|eradicat\w*|ditch\w*|lose"
_DOWN = (
    r"clean(?:ing)?\s+up|clear(?:ing)?\s+(?:up|out)|tone\s+down|dial\s+(?:back|down)|pull\s+back|back\s+off|turn\s+down|bring\s+down|knock\s+down|"
    r"less|fewer|reduc\w*|decreas\w*|lower(?:ing|ed)?|cut(?:ting|s)?|tam(?:e|ing)|soften\w*|attenuat\w*|suppress\w*|"
    r"down|off|quieter|softer|weaker|drop(?:ping)?|minus|too|overly|excessive(?:ly)?|scoop\w*|dip(?:ping)?|diminish\w*|lessen\w*|minimi[sz]\w*|"
    r"control\w*|calm\w*|fix\w*|not\s+so|not\s+as|weaken\w*|deemphasi[sz]\w*|de-emphasi[sz]\w*|shave|trim|tighten\w*(?:\s+up)?|duck(?:s|ed|ing)?(?=\s+(?:it|this|that|them|everything|the|down|under|by|[-\d]))"
)
_UP = (
    r"more|not\s+enough|lack\w*|missing|needs?\s+more|higher|deeper|louder|stronger|heavier|fatter|fuller|bigger|increas\w*|boost\w*|rais(?:e|es|ed|ing)|up|add(?:s|ed|ing)?|enhanc\w*|emphasi[sz]\w*|accentuat\w*|bring\s+out|"
    r"pump\w*|crank\w*|amplif\w*|extra|lift\w*|push\w*|plus|heighten\w*|intensif\w*|maximi[sz]\w*|stronger|bigger|"
    r"give|put|apply|applying|mix(?:\s+in)?|overlay|layer|insert|include|incorporate|introduce|bring\s+up|turn\s+up|open\s+up|brighten\w*|restore|bump\w*|juice"
)
DIRECTION = re.compile(rf"\b(?:(?P<remove>{_REMOVE})|(?P<down>{_DOWN})|(?P<up>{_UP}))\b")
ADJECTIVE_MODIFIER = re.compile(r"\b(?:(?P<down>less|too|overly|not\s+so|not\s+as|excessively|way\s+too|far\s+too)|(?P<up>more|extra|even))\b")
