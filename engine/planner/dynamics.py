"""Rules for level targets and dynamics: normalize, loudness (LUFS), limiter,
compressor, gate, and noise reduction.
"""

from __future__ import annotations

import re

from ..plan import Step
from .clause import Clause
from .rules import NEEDS_MODEL, rule, step

_PLATFORMS = {"ebu": -23.0, "r128": -23.0, "r-128": -23.0, "broadcast": -23.0, "tv": -23.0, "spotify": -14.0, "youtube": -14.0,
              "streaming": -14.0, "tidal": -14.0, "apple": -16.0, "podcast": -16.0, "audible": -18.0}


@rule("loudness", r"\bloudness\s+(?:normali[sz]\w*|standard|target|match\w*)|\blufs\b|\blkfs\b|\b(?:ebu|r-?128|broadcast|streaming|spotify|youtube|apple\s+music|podcast|tidal|tv|audible)\s+(?:loudness|level|levels|standards?|specs?|norms?|ready|target)\b|\bas\s+loud\s+as\s+possible\b|\bmaximi[sz]e\s+(?:the\s+)?loudness\b|\b(?:master|maximi[sz]e)\s+(?:it|this)\b")
def loudness(c: Clause, m: re.Match) -> list[Step]:
    q = c.take(("lufs",), m.start())
    platform = next((v for k, v in _PLATFORMS.items() if re.search(rf"\b{k}\b", c.text)), None)
    if q is not None:
        target = -abs(q.value)
    elif platform is not None:
        target = platform
    else:
        target = -10.0 if re.search(r"possible|maximi|master", m.group(0)) else -16.0
    noun = c.has(r"\b(?:loudness|volume|level)\b")
    if noun:
        c.consume(*noun.span())
    params = {"lufs": target}
    word = c.has(r"\b(?:ceiling|true[\s-]?peak|peaks?)\b")
    if word:
        c.consume(*word.span())
    ceiling = c.take(("db",), m.end())
    if ceiling is not None:
        params["ceiling_db"] = -abs(ceiling.value)
    return [step("loudness", **params)]


@rule("normalize", r"\b(?:peak[\s-]+)?normali[sz]\w*(?:\s+(?:it|this|the\s+\w+(?:\s+volume)?))?(?:\s+(?:a\s+)?(?:little|bit|tad|touch)?\s*(?:louder|up|higher))?|\bmaximi[sz]e\s+(?:the\s+)?(?:volume|level|peaks?)\b")
def normalize(c: Clause, m: re.Match) -> list[Step]:
    peaks = c.has(r"\b(?:peaks?|max(?:imum)?\s+(?:volumes?|levels?))\b")
    if peaks and not c.peek(("lufs",)):  # "normalize the loudness so the max volumes are equal": a peak target
        c.consume(*peaks.span())
    elif c.peek(("lufs",)) or c.has(r"\bloudness\b"):
        return loudness.build(c, m)
    q = c.take(("db",), m.end())
    return [step("normalize", peak_db=-abs(q.value) if q else -1.0)]


@rule("limiter", r"\blimit(?:er|ing)?\b(?!\s+(?:it\s+)?to\s+[\d.]+\s?(?:s|sec|seconds?|ms|minutes?)\b)|\bbrick[\s-]?wall\w*\b|\b(?:clip(?:per)?|control|catch|tame|stop|contain|keep|limit)\w*\s+(?:the\s+)?peaks?\b|\bpeaks?\s+(?:under|below|at)\b|\bpeaks?\s+(?:should\s+|must\s+)?(?:not|never|don't)\s+(?:exceed|go\s+(?:over|above|past)|pass)\b|\bpeaks?\s+(?:should\s+|must\s+)?stay\s+(?:under|below)\b|\bceiling\b|\bsoft[\s-]?clip\w*\b")
def limiter(c: Clause, m: re.Match) -> list[Step]:
    q = c.take(("db",), m.end())
    return [step("limiter", ceiling_db=-abs(q.value) if q else -1.0)]


@rule("compressor", r"\b(?:compress(?:or|ion|ed|ing)?(?!(?:\s+it)?\s+in\s+time)|squash\w*|glue|even\s+(?:(?:it|them|things|everything|the\s+\w+)\s+)?out|level\s+(?:(?:it|them|things|everything)\s+)?out|smooth\w*\s+out\s+(?:the\s+)?(?:dynamics|volume|levels?)|(?:reduc|lower|decreas|narrow|shrink|minimi[sz])\w*\s+(?:the\s+)?(?:dynamic\s+range|(?:volume\s+|level\s+|loudness\s+)?differences?\s+between)|more\s+(?:consistent|even|controlled)|controlled|consistent|even\s+levels?|tighter|tight|squeez\w*|(?:the\s+)?quiet(?:er|est)?\s+(?:parts|bits|sections|moments|passages)\s+(?:louder|up|more\s+audible|audible|stand\s+out)|(?:the\s+)?loud\s+(?:parts|bits|sections|moments|passages)\s+(?:quieter|softer|down))\b")
def compressor(c: Clause, m: re.Match) -> list[Step] | None:
    d = c.direction(m.start(), m.end()) if re.match(r"compress", m.group(0)) else None
    if d is not None and (d.sign < 0 or d.remove):
        return [NEEDS_MODEL]  # "less compressed": restoring dynamics needs the model
    params: dict = {"threshold_db": c.amount(-16.0, -20.0, -28.0), "ratio": c.amount(2.0, 4.0, 8.0)}
    if re.search(r"quiet\w*\s+(?:parts|bits|sections|moments|passages)", m.group(0)):
        params.update(threshold_db=-30.0, ratio=3.0)
    r = c.take(("ratio",), m.end())
    if r is not None:
        params["ratio"] = r.value
    t = c.take(("db",), m.end())
    if t is not None:
        params["threshold_db"] = -abs(t.value)
    for name in ("attack", "release"):
        near = c.has(rf"\b{name}\b")
        if near:
            s = c.take(("seconds",), near.end())
            if s is not None:
                params[f"{name}_s"] = abs(s.value)
    params["makeup_db"] = makeup(params["threshold_db"], params["ratio"])
    return [step("compressor", **params)]


def makeup(threshold_db: float, ratio: float) -> float:
    """Make-up gain for a compressor asked for in words: a third of the reduction a full-scale peak gets.

    Without it "compress it" or "more controlled" would mostly make the sound quieter.
    """
    return round(-threshold_db * (1 - 1 / ratio) / 3, 1)


@rule("gate", r"\b(?:noise[\s-]*)?gat(?:e|ed|ing)\b|\bexpander\b")
def gate(c: Clause, m: re.Match) -> list[Step]:
    t = c.take(("db",), m.end())
    return [step("gate", threshold_db=-abs(t.value) if t else -40.0)]


@rule("denoise", r"\b(?:de[\s-]?nois\w*|noise[\s-]*(?:reduction|removal|suppression|cleanup)|(?:(?:background|ambient|room|fan|air[\s-]?con\w*|ac|static|white|pink|tape|broadband|constant|steady|electrical|hissing|computer|hvac|traffic)\s+)*(?:noise|noises|hiss|hissing|hissy|static|noise\s+floor|noisy)|clean\s+(?:it\s+|this\s+|the\s+(?:audio|recording|sound|track|clip)\s+)?up(?!\s+the))\b")
def denoise(c: Clause, m: re.Match) -> list[Step]:
    if not re.search(r"reduc|remov|suppress|de[\s-]?nois|clean", m.group(0)):
        d = c.direction(*m.span())
        if d is not None and d.sign > 0:
            return [NEEDS_MODEL]  # adding noise is generating a sound
    q = c.take(("db",), m.end())
    return [step("denoise", reduction_db=abs(q.value) if q else c.amount(6.0, 12.0, 24.0))]
