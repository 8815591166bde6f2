"""Rules for the stereo image: mono, pan, width, balance, swapping channels."""

from __future__ import annotations

import re

from ..plan import Step
from .clause import Clause
from .rules import rule, step


@rule("swap-channels", r"\b(?:swap|switch|flip|exchange|reverse|invert|mirror|trade)\w*\s+(?:the\s+)?(?:left\s+and\s+right|right\s+and\s+left|l\s+and\s+r|l/r|lr|channels|stereo(?:\s+(?:channels|sides|image|field))?|sides)(?:\s+channels)?\b|\b(?:left\s+and\s+right|channels|sides)(?:\s+channels)?\s+(?:are\s+|is\s+|got\s+|were\s+)?(?:swapped|switched|flipped|reversed|the\s+wrong\s+way\s+round)\b")
def swap_channels(c: Clause, m: re.Match) -> list[Step]:
    return [step("swap_channels")]


@rule("stereo-balance", r"\b(?:stereo\s+)?(?:im)?balance[ds]?\b(?:\s+(?:between\s+)?(?:the\s+)?(?:left\s+and\s+right|channels|stereo))?|\b(?:center|centre)\w*\b")
def balance(c: Clause, m: re.Match) -> list[Step] | None:
    """Pull the sides towards the middle: a lopsided or too-wide image moves to the centre.

    There is no balance meter in the catalog, so this narrows the image (mid/side)
    rather than measuring and correcting the left/right levels.
    """
    if "balance" in m.group(0) and not re.search(r"stereo|left|right|channel", c.text):
        return None  # "balance the EQ" is not about left and right
    return [step("width", ratio=c.amount(0.7, 0.5, 0.2))]


@rule("mono-to-stereo", r"\b(?:from\s+)?mono\s+(?:to|into)\s+stereo\b|\bpseudo[\s-]?stereo\b|\bstereoi[sz]\w*\b")
def mono_to_stereo(c: Clause, m: re.Match) -> list[Step]:
    return [step("width", ratio=c.amount(1.3, 1.6, 2.2))]


@rule("one-sided", r"\b(?:left|right)[\s-]only\b|\bone[\s-]sided\b"
      r"|\b(?:comes?|coming|plays?|playing|heard)\s+(?:only\s+)?(?:out\s+of|in|on|from|through)\s+(?:only\s+)?(?:one|1|the\s+(?:left|right))\s+(?:speaker|channel|side|ear)s?\b"
      r"|\b(?:play|hear|come|comes|coming|playing)\w*\s+(?:out\s+of\s+|in\s+|on\s+|from\s+|through\s+)both\s+(?:speakers|channels|ears|sides)\b"
      r"|\bmov\w*\s+(?:it|this|everything|the\s+\w+)\s+out\s+of\s+the\s+(?:left|right)\s+(?:channel|speaker|side)\b")
def one_sided(c: Clause, m: re.Match) -> list[Step]:
    """Sound in one channel only ("it only comes out of the left speaker", "play the one-sided recording in
    both speakers"): both channels get the mix of the two, so it plays in the middle."""
    return [step("mono")]


@rule("mono", r"\b(?:mono(?:phonic)?|monaural|single[\s-]channel|one\s+channel|downmix\w*|fold\w*\s+(?:it\s+)?down)\b")
def mono(c: Clause, m: re.Match) -> list[Step]:
    return [step("mono")]


@rule("pan", r"\bpan(?:ned|ning|s)?\b(?:\s+(?:it|this|everything))?(?:\s+(?:to|towards?)\s+(?:the\s+)?)?(?:\s*(?P<side>left|right))?|\b(?:move|put|place|shift|send|position|push|nudge|set|route|pan)\w*\s+(?:it\s+|this\s+|everything\s+|the\s+\w+\s+)?(?:over\s+)?(?:more\s+)?(?:to|on|in|into|toward|towards)\s+(?:the\s+)?(?P<side2>left|right)\b|\b(?P<hard>hard|fully|all\s+the\s+way|completely)\s+(?:to\s+the\s+)?(?P<side3>left|right)\b|\b(?P<side4>left|right)(?:\s+(?:side|channel|speaker|ear))\b")
def pan(c: Clause, m: re.Match) -> list[Step] | None:
    side = m.group("side") or m.group("side2") or m.group("side3") or m.group("side4")
    q = c.take(("percent", None), m.start())
    if side is None:
        if q is not None and -1 <= q.value <= 1:
            return [step("pan", position=float(q.value))]
        after = c.has(r"\b(?P<s>left|right|cent(?:er|re)|middle)\b")
        if after is None:
            return None
        side = after.group("s")
        c.consume(*after.span())
        if side not in ("left", "right"):
            return [step("pan", position=0.0)]
    if q is not None:
        amount = abs(q.value) / 100 if q.kind == "percent" or abs(q.value) > 1 else abs(q.value)  # "pan 30 left": 30 of 100
    elif m.group("hard") or (hard := c.has(r"\b(?:hard|fully|all\s+the\s+way|completely|100)\b")):
        if not m.group("hard"):
            c.consume(*hard.span())
        amount = 1.0
    else:
        amount = c.amount(0.25, 0.5, 1.0)
    return [step("pan", position=-amount if side == "left" else amount)]


@rule("width", r"\b(?P<up>widen\w*|wider|wide|width|broaden\w*|broader|spread(?:\s+out)?|stereo(?:\s+(?:image|field|width|spread|effect))?|expand\w*(?=\s+the\s+stereo))\b|\b(?P<down>narrow\w*|less\s+wide)\b|\b(?P<collapse>collaps\w*)(?:\s+the)?(?:\s+stereo(?:\s+image|\s+field)?)?\b")
def width(c: Clause, m: re.Match) -> list[Step] | None:
    if m.group("collapse"):
        return [step("width", ratio=0.0)]  # "collapse the stereo": both sides the same, still two channels
    if m.group(0) == "stereo" and re.search(r"\bmono\b", c.text):
        return None  # "convert my stereo recordings to mono": what it is, not a wider image
    d = c.direction(*m.span()) if m.group("up") and not re.match(r"wid|broad", m.group(0)) else None
    down = bool(m.group("down")) or (d is not None and d.sign < 0)
    q = c.take(("percent", "ratio", "times", None), m.end())
    if q is not None:
        if q.kind == "percent":
            absolute = bool(re.search(rf"\bto\s+{re.escape(c.text[q.start:q.end])}", c.text))
            ratio = q.value / 100 if absolute else 1 + (-1 if down else 1) * q.value / 100
        else:
            ratio = q.value if not down or q.value < 1 else 1 / q.value
    else:
        ratio = c.amount(0.8, 0.6, 0.3) if down else c.amount(1.25, 1.6, 2.2)
    if "mono_compatible" in c.flags and ratio > 1:
        ratio = min(ratio, 1.3)
    return [step("width", ratio=ratio)]
