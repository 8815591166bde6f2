"""Rules for repairs: clicks, pops, crackle and scratches (declick), clipping (declip).

These name damage, so the words alone ask for the repair: "remove the clicks",
"there are pops everywhere", "it's clipping", "declip". Asking for more of them
is not a repair: "add vinyl crackle" is a sound for the model to make, and
"add clipping distortion" the distortion effect's (effects.py).
"""

from __future__ import annotations

import re

from ..plan import Step
from .clause import Clause
from .intensity import DIRECTION
from .rules import NEEDS_MODEL, rule, step

_MUSIC = r"song|songs|music|genre|star|singer|track|tracks|version|style|vocals?|band|art|culture|up|filter"  # "pop music", "pop-up", "pop filter"
_CLICK = rf"de-?click\w*|de-?crackl\w*|de-?pop\w*|clicks|click(?!\s+track)|clicking|clicky|pops|pop(?!\s*-?\s*(?:{_MUSIC})\b)|popping|crackl\w*|ticks|ticking|scratch(?:es|y)|snaps"
# where the damage came from, and what it is like: part of the request, not an effect ("vinyl" alone is a recipe)
_CARRIER = r"(?:vinyl|records?|lps?|discs?|78s?|shellac|tapes?|cassettes?|turntable)"
_KIND = rf"(?:(?:{_CARRIER}|mouth|lip|digital|random|occasional|constant|loud|little|small|tiny|harsh|annoying|nasty|bad|audible|sharp)\s+)*"
_SOURCE = rf"(?:\s+(?:\w+\s+){{0,2}}?(?:from|on|in|of|off|over|across|throughout)\s+(?:(?:the|an?|my|this|that|these|those|old|an\s+old)\s+)*{_CARRIER}(?:\s+(?:recording|rip|transfer|record))?s?\b)?"


def _adding(c: Clause, m: re.Match) -> bool:
    """Do the words ask for more of it ("add crackle", "amplifying/clipping")? Read without taking the
    direction word, which stays for the rule that plans the addition."""
    before = list(DIRECTION.finditer(c.work[: m.start()]))
    d = before[-1] if before else DIRECTION.search(c.work, m.end())
    return d is not None and d.group("up") is not None


def _repair(c: Clause, m: re.Match, s: Step) -> list[Step]:
    c.direction(*m.span())  # "remove", "get rid of": explained
    return [s]


@rule("declick", rf"\b{_KIND}(?:{_CLICK})\b{_SOURCE}")
def declick(c: Clause, m: re.Match) -> list[Step] | None:
    word = re.search(_CLICK, m.group(0)).group(0)
    if not word.startswith("de") and _adding(c, m):
        return [NEEDS_MODEL]  # "add some vinyl crackle": a sound to make
    if re.match(r"(?:de-?)?(?:crackl|scratch)", word):  # dense and small: look harder, at shorter clicks
        return _repair(c, m, step("declick", threshold_db=c.amount(18.0, 14.0, 10.0), max_click_s=0.003))
    return _repair(c, m, step("declick", threshold_db=c.amount(26.0, 20.0, 14.0), max_click_s=0.005))


@rule("declip", r"\bde-?clip\w*|\bun-?clip\w*|\bclipp(?:ing|ed)\b|\b(?:it|this|that|which)\s+clips\b")
def declip(c: Clause, m: re.Match) -> list[Step] | None:
    if not re.match(r"de|un", m.group(0)) and _adding(c, m):
        return None  # "add some clipping": the distortion effect
    return _repair(c, m, step("declip"))


RULES = [declick, declip]
