"""Rules for cutting and arranging in time: trim, keep, pad, strip silence, mute, fade,
loop, reverse, and mixing in a clip.

Cuts and fades take their times from the region phrase as parameters ("trim the
first second" is trim 0..1 with no step region); the others leave the region to
the step ("mute from 1 to 2 s").
"""

from __future__ import annotations

import re

from ..plan import Step
from .clause import Clause
from .numbers import NUM
from .rules import rule, step

_TRIM_VERBS = r"trim(?:med|ming|s)?|edit(?:ed|ing)?\s+out|cut(?:ting|s)?|remov(?:e|es|ed|ing)|delet(?:e|es|ed|ing)|chop(?:ped|ping|s)?|drop|lose|skip|get\s+rid(?:\s+of)?|take\s+(?:out|off|away)|shave|clip|snip|erase|discard|throw\s+away|strip|excise|kill|ditch"
_KEEP_VERBS = r"(?:only\s+)?(?:want|need)|keep(?:ing)?|extract(?:ing)?|crop(?:ped|ping)?|isolate|only\s+keep|just\s+keep|leave\s+only|retain|save|select|use\s+only|give\s+me|export|download|grab|record"
_OBJ = r"(?:\s+(?:off|out|away|it|this|everything|all|of|down|to|the\s+(?:audio|part|section|bit|portion|sound|clip|recording|segment|stretch|piece)|the|audio|sound|part|section|bit|portion|segment|only|just|start|starting))*"


def _time_region(c: Clause) -> tuple[float | None, float | None] | None:
    """The region's times, for a rule that makes them its own parameters (the step then has no region)."""
    times = c.region_times()
    c.region_used = times is not None
    return times


_MIX_VERBS = r"\b(?:add(?:ing)?|mix(?:ing)?(?:\s+in)?|overlay|layer|insert|put|place|drop\s+in|bring\s+in|blend(?:\s+in)?|combine|paste)\b"


@rule("add-clip", r"§(?P<i>[a-z])")
def add_clip(c: Clause, m: re.Match) -> list[Step] | None:
    """A file mixed in: only with a verb that says so ("add drums.wav at 3 s", "mix in rain.flac"). A file
    named otherwise ("the master of take_FINAL.mp3") is context, listed as ignored. Whether it exists is
    checked when the plan runs (a missing file is a bad-audio error, exit 3, and nothing is written)."""
    verb = c.has(_MIX_VERBS)
    if verb is None or verb.start() > m.start():
        return None
    params: dict = {"path": c.paths[ord(m.group("i")) - ord("a")]}
    times = _time_region(c)
    if times is not None:
        params["at_s"] = times[0]
    q = c.take(("db",), m.start())
    if q is not None:
        params["db"] = q.value
    elif c.has(r"\b(?:quiet(?:ly)?|soft(?:ly)?|in\s+the\s+background|underneath|subtl[ey]|faint(?:ly)?)\b"):
        params["db"] = -12.0
    c.consume(*verb.span())
    return [step("add", **params)]


@rule("strip-silence", rf"\b(?:{_TRIM_VERBS}|clean\s+up|truncat\w*|shorten\w*|reduc\w*)\b(?:\s+(?:off|out|away|all|any|the|of|this|these|those|my))*(?P<adj>(?:\s+(?:and\s+|or\s+)?(?:leading|trailing|initial|final|dead|excess|excessive|extra|empty|long|longer|short|shorter|brief|unnecessary|unwanted|awkward|starting|ending|beginning|end))*)\s+(?:silences?|silent\s+(?:parts?|bits?|sections?|stretches|gaps?)|dead\s+air|empty\s+space)(?P<side>\s+(?:before|after|at\s+@|@))?")
def strip_silence(c: Clause, m: re.Match) -> list[Step]:
    words_ = m.group("adj") + " " + (m.group("side") or "")
    where = "both"
    if re.search(r"leading|initial|starting|beginning|before", words_) and re.search(r"trailing|final|ending|end|after", words_):
        where = "both"
    elif re.search(r"leading|initial|starting|beginning|before", words_) or (c.where and c.where.anchor == "start"):
        where = "start"
    elif re.search(r"trailing|final|ending|end|after", words_) or (c.where and c.where.anchor == "end"):
        where = "end"
    if c.where is not None and c.where.anchor in ("start", "end", "both"):
        c.region_used = True
    params = {"where": where}
    q = c.take(("db",), m.start())
    if q is not None:
        params["threshold_db"] = -abs(q.value)
    return [step("strip_silence", **params)]


_PAD_WORDS = r"silence|padding|a\s+gap|gap|blank\s+space|empty\s+space|dead\s+air"


@rule("pad", rf"\bpad(?:ded|ding|s)?\b(?=\s+(?:it|this|the|with|out|by|everything|@|\d)|\s*$)|\b(?P<edge>start|begin|open|end|finish)\w*\s+with\b[^#]{{0,30}}?\b(?:{_PAD_WORDS})\b|\b(?:add|insert|put|prepend|append|leave|include|extend\w*|tack\s+on|give)\b[^#]{{0,40}}?\b(?:{_PAD_WORDS})\b|\bdelay(?:\s+(?:it|this|everything|the\s+(?:start|audio|sound|beginning|clip|track)))?\s+by\b")
def pad(c: Clause, m: re.Match) -> list[Step] | None:
    if m.group(0).startswith("delay") or (m.group("edge") or "").startswith(("start", "begin", "open")):
        side = "before"
    elif m.group("edge"):
        side = "after"
    else:
        side = "after"
        around = c.text[max(0, m.start() - 20): m.end() + 30]
        if c.where is not None and c.where.anchor == "both" or re.search(r"\bboth\s+(?:ends|sides)\b|\beach\s+(?:end|side)\b", around):
            side = "both"
        elif (c.where is not None and c.where.anchor == "start") or re.search(r"\b(?:before|prepend|front|start|beginning)\b", around):
            side = "before"
    if c.where is not None and c.where.anchor in ("start", "end", "both"):
        c.region_used = True
    q = c.take(("seconds",), m.start())
    length = abs(q.value) if q else 1.0
    filler = c.has(rf"\b(?:of\s+)?(?:{_PAD_WORDS})\b")
    if filler:
        c.consume(*filler.span())
    before = length if side in ("before", "both") else 0.0
    after = length if side in ("after", "both") else 0.0
    return [step("pad", before_s=before, after_s=after)]


_MODAL = r"(?:should|must|needs?\s+to|has\s+to|have\s+to|can|could|is\s+to|are\s+to)"
_GONE = (rf"(?:{_MODAL}\s+(?:be\s+)?|(?:is|are)\s+)?(?:removed|deleted|trimmed|dropped|chopped(?:\s+off)?|taken\s+out|gone)"
         rf"|{_MODAL}\s+(?:be\s+)?(?:cut(?:\s+off|\s+out)?|go)")  # a bare "cut" after a region is a verb: "up to 2 s, cut the bass"
_WANTED = r"(?:is|are)\s+(?:all\s+)?(?:(?:i|we)\s+)?(?:need|needed|want|wanted)"


@rule("trim-region", rf"\b(?P<verb>{_TRIM_VERBS}|{_KEEP_VERBS})\b{_OBJ}(?:\s+(?:data|material|content|footage|video))?\s*@|\bonly\s+(?P<good>good|usable|useful|needed|relevant|important|interesting|wanted|ok|okay|fine|worth\s+keeping)\b[^#@]{{0,30}}@|(?P<only>\b(?:only|just)\s+(?:keep\s+)?(?:the\s+)?@|@\s+only)|@\s+(?P<gone>{_GONE})\b|@\s+(?P<wanted>{_WANTED})\b")
def trim_region(c: Clause, m: re.Match) -> list[Step] | None:
    w = c.where
    if w is None or w.whole or w.unsupported:
        return None
    verb = m.group("verb") or ("trim" if m.group("gone") else "keep")  # "the first 2 s should be removed"; "only good at 1-2 s"
    if w.kind == "ends":  # "remove the first and last second": the start, then the end of what is left
        if re.match(_KEEP_VERBS, verb):
            return None
        c.region_used = True
        head, tail = w.ends_s
        return [step("trim", start_s=0.0, end_s=head), step("trim", start_s=-tail, end_s=None)]
    if not w.explicit and not c.peek(("seconds",)) and re.match(r"trim|cut|chop|clip|shave|strip", verb):
        c.region_used = True  # "trim the end": the silence there, since no length was given
        return [step("strip_silence", where=w.anchor if w.anchor in ("start", "end") else "both")]
    if re.match(r"(?:only\s+)?(?:want|need)", verb) and re.search(r"@\s*[a-z]", c.work):
        return None  # "I want the first 10 s to be louder": the region of another edit, not a cut
    times = _time_region(c)
    if times is None:
        return None
    start, end = times
    keep = (bool(re.match(_KEEP_VERBS, verb)) or (verb.startswith("trim") and w.kind in ("range", "span"))
            or bool(re.search(r"\bto\s*@", m.group(0))))  # "cut it down to the first 5 seconds"
    return [step("keep" if keep else "trim", start_s=start, end_s=end)]


@rule("keep-length", rf"\b(?:shorten|truncate|cut|trim|crop|chop|limit|reduce)\w*(?:\s+(?:it|this|the\s+\w+))?(?:\s+down)?\s+(?:to|at)\s+(?=(?:the\s+first\s+)?{NUM}\s?(?:s|sec|secs|seconds?|ms|minutes?)\b)|\bmake\s+(?:it|this)\s+(?:only\s+)?(?={NUM}\s?(?:s|sec|secs|seconds?|ms|minutes?)\s+long\b)")
def keep_length(c: Clause, m: re.Match) -> list[Step] | None:
    q = c.take(("seconds",), m.end())
    if q is None or q.value <= 0:
        return None
    long_ = c.has(r"\blong\b")
    if long_:
        c.consume(*long_.span())
    return [step("keep", start_s=0.0, end_s=q.value)]


@rule("mute", r"\b(?:(?P<verb>mute|silence|zero\s+out|blank\s+out)(?P<obj>\s+(?:it|this|everything|all|the\s+(?:audio|sound|clip|track|recording|whole\s+thing)))?|(?P<state>muted|silenced|silent))\b")
def mute(c: Clause, m: re.Match) -> list[Step] | None:
    if m.group("verb") and not m.group("obj") and c.where is None:
        return None  # "mute the dog" names a source; "start with a second of silence" is padding
    if re.search(r"\b(?:is|are|was|were)\s+(?:just\s+|only\s+|all\s+|pure\s+|complete\s+)?$", c.text[: m.start()]):
        return None  # "the first 30 seconds is just silence" says what is there, not what to do
    return [step("mute")]


@rule("fade", r"\b(?:fade|fades|faded|fading)(?:\s+(?:it|this|that|everything|them))?(?:[\s-]*(?P<dir>in|out|up|down|away|off|to\s+(?:silence|black|nothing|zero)))?\b|\b(?:ramp|swell)\s+(?P<up>up|in)\b")
def fade(c: Clause, m: re.Match) -> list[Step]:
    d = m.group("dir") or ("in" if m.group("up") else None)
    w = c.where
    if d is None:
        if w is not None and (w.anchor == "start" or (w.kind == "first")):
            d = "in"
        else:
            d = "out"
    into = d in ("in", "up")
    q = c.take(("seconds",), m.end()) or c.take((None,), m.end())  # "fade out for 2": seconds
    pace = c.has(r"\b(?:(?P<short>quick|short|fast|brief|sharp|abrupt)|(?P<long>slow|long|gradual|gentle|lengthy))\w*\b")
    if pace:
        c.consume(*pace.span())
    if w is not None and w.kind == "ends":  # "fade the first and last second"
        c.region_used = True
        return [step("fade", in_s=w.ends_s[0], out_s=w.ends_s[1])]
    if q is not None:
        length = abs(q.value)
    elif w is not None and w.kind in ("first", "last"):
        start, end = c.region_times()
        length = (end - start) if end is not None else -start
        c.region_used = into == (w.kind == "first")  # "fade out the first 2 s" keeps its region
    elif w is not None and (w.whole or w.kind in ("from", "range", "span", "until")):
        c.region_used = w.whole
        length = 3600.0  # over the whole file, or the whole region ("fade out from 3 s")
    else:
        length = 0.3 if pace and pace.group("short") else 3.0 if pace else c.amount(0.3, 1.0, 3.0)
        if w is not None and w.anchor in ("start", "end"):
            c.region_used = True  # "fade in at the start": the fade itself says where
    params: dict = {"in_s" if into else "out_s": length}
    curve = c.has(r"\b(?P<c>linear|linearly|exponential\w*|exp|logarithmic\w*|log|s[\s-]?curve|smooth)\b")
    if curve:
        name = curve.group("c")
        params["curve"] = "linear" if name.startswith("linear") else "exp" if name.startswith("exp") else "log" if name.startswith("log") else "scurve"
    return [step("fade", **params)]


_COUNT = r"(?:twice|thrice|\d+\s+times|again)\b(?!\s+(?:as|faster|slower|louder|quieter|higher|lower|more|less)\b)"


@rule("loop", rf"(?<!\bthe )(?<!\bthis )(?<!\ba )(?<!music )(?<!drum )(?<!\bmy )\b(?:loop(?:ed|ing|s)?|repeat(?:ed|ing|s)?|over\s+and\s+over|back\s+to\s+back|duplicate)\b"
      rf"|\b(?:make|let|have)\s+(?:[a-z'-]+\s+){{1,8}}?play\s+(?={_COUNT})|\bplay(?:s|ed)?\s+(?:(?:[a-z'-]+|@)\s+){{0,8}}?(?={_COUNT})")
def loop(c: Clause, m: re.Match) -> list[Step]:
    """ "play it 3 times", "play the recording 3 times in a row", "make the clip play twice": the whole clip,
    whatever it is called. The words naming it are part of the match, so no other rule reads them
    ("play the bell ringing in the distance twice" is not a distance recipe). A count before "as fast"
    or "louder" is a ratio, not plays."""
    q = c.take(("times", "ratio", None), m.end())
    in_a_row = c.has(r"\b(?:in\s+a\s+row|one\s+after\s+(?:the\s+)?(?:another|other)|consecutively|in\s+succession)\b")
    if in_a_row:
        c.consume(*in_a_row.span())
    count = round(q.value) if q else 2
    more = c.has(r"\b(?:more|additional|extra|again)\s+times?\b|\b(?:more|additional|extra)\b")
    if q and more:
        count += 1
    return [step("loop", count=int(count))]


@rule("reverse", r"\b(?:revers(?:e|ed|ing)|backwards?|back\s+to\s+front|in\s+reverse|rewind\w*)\b")
def reverse(c: Clause, m: re.Match) -> list[Step]:
    return [step("reverse")]
