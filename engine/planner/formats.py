"""Format words: what the written file is to be ("convert to 16 kHz mono 16-bit", "8 kHz mu-law",
"from 8-bit to 16-bit", "save it as 32-bit float").

A run of format words sets the plan's output format (engine.plan.OutputFormat:
bits, encoding, channels), as --bits and --channels would, instead of adding
processing: "16-bit" is no bitcrush. Its sample rate is a `resample` step and
"mono" the `mono` step, the operations that do those. A run counts when it names
a bit depth or an encoding, so "convert to 40 kHz" stays the resample rule's
and "crunchy like a 16-bit console" the bitcrush effect's. In "from A to B"
only B is the target.

The rule gives a placeholder step (OUTPUT) that `lift_output` moves into the
plan's `output` once the whole instruction is read.
"""

from __future__ import annotations

import re

from ..errors import Refused
from ..plan import EditPlan, OutputFormat, Step
from .clause import Clause
from .rules import rule, step

OUTPUT = "_output"  # the placeholder step's op: never reaches a plan

_RATE = r"(?P<rate>\d+(?:\.\d+)?)\s?(?P<k>khz|k|kilohertz|hz|hertz)\b(?:\s+(?:sample\s+rate|sampling(?:\s+rate)?))?"
_BITS = r"(?P<bits>8|16|24|32)[\s-]?bits?\b(?:\s+(?:depth|resolution))?|\bbit[\s-]?depth\s+(?:of\s+|to\s+|at\s+)?(?P<bits2>8|16|24|32)\b"
_ENCODING = r"(?P<ulaw>(?:mu|µ|μ|u)[\s-]?law|mulaw|ulaw)|(?P<alaw>a[\s-]?law|alaw)|(?P<float>float(?:ing[\s-]point)?)|(?P<pcm>(?:linear\s+)?pcm|integer|int)"
_CHANNELS = r"(?P<mono>mono(?:phonic)?)|(?P<stereo>stereo)"
_TOKEN = rf"(?:{_RATE}|{_BITS}|\b(?:{_ENCODING}|{_CHANNELS})\b|(?:wav|wave)\b)"
_SEP = r"(?:\s*[,/]\s*|\s+)(?:(?:and|at|with|in)\s+)?"
_PLAIN = re.sub(r"\?P<\w+>", "?:", _TOKEN)  # the token without its group names, to repeat in a run
_RUN = re.compile(rf"{_PLAIN}(?:{_SEP}{_PLAIN})*")
_TOKENS = re.compile(_TOKEN)
# a lone run is a target after these ("convert to", "save as", "export it 24-bit"), or at the start of a clause
_CONVERTING = re.compile(r"\b(?:to|as|into|in|at)\s+$|\b(?:convert|export|save|render|encod|output|writ|bounce|make|mak|chang|set|turn|reduc|increas|"
                         r"lower|rais|go|downsampl|upsampl|resampl|need|want|requir|send|should|must|be)\w*\b")
# "crunchy like a 16-bit console", "8-bit video game music": the bitcrush effect's words
_EFFECT = re.compile(r"\b(?:bit[\s-]*crush\w*|crush\w*|crunch\w*|lo-?fi|retro|chiptune|console|video\s+game|game|nintendo|sound(?:s|ing)?\s+like|emulat\w*)\b")


def _is_format(run: str) -> bool:
    return any(m.group("bits") or m.group("bits2") or m.group("ulaw") or m.group("alaw") or m.group("float") or m.group("pcm")
               for m in _TOKENS.finditer(run))


@rule("format", _RUN.pattern)
def output_format(c: Clause, m: re.Match) -> list[Step] | None:
    if not _is_format(m.group(0)) or _EFFECT.search(c.text):
        return None
    runs = [r for r in _RUN.finditer(c.work, m.start()) if _is_format(r.group(0)) or re.search(r"\b(?:to|into)\s+$", c.work[: r.start()])]
    target = runs[-1] if len(runs) > 1 and re.search(r"\b(?:to|into)\b|->", c.work[runs[0].end() : runs[-1].start()]) else runs[0]
    before = c.work[: target.start()]
    if target is runs[0] and (re.search(r"\bfrom\s+$", before) or before.strip() and not _CONVERTING.search(before)):
        c.consume(target.start(), target.end())
        return []  # "from 24-bit" and no target, "a 16-bit file": it describes the input
    steps, output = [], {}
    for t in _TOKENS.finditer(target.group(0)):
        g = t.groupdict()
        if g["rate"]:
            hz = float(g["rate"]) * (1000 if g["k"].startswith("k") else 1)
            steps.append(step("resample", hz=round(hz)))
        elif g["bits"] or g["bits2"]:
            output["bits"] = int(g["bits"] or g["bits2"])
        elif g["mono"]:
            steps.insert(0, step("mono"))
        elif g["stereo"]:
            output["channels"] = 2
        elif any(g[k] for k in ("ulaw", "alaw", "float", "pcm")):
            output["encoding"] = next(k for k in ("ulaw", "alaw", "float", "pcm") if g[k])
    for r in runs:
        c.consume(r.start(), r.end())
    words = c.has(r"\b(?:sample[\s-]?rate|sampling\s+(?:rate|frequency)|bit[\s-]?depth|format|encoding)\b")
    if words:
        c.consume(*words.span())
    return ([Step(OUTPUT, output)] if output else []) + steps


def lift_output(plan: EditPlan) -> EditPlan:
    """Move the format words' placeholder steps into the plan's `output` (a later one wins per key)."""
    said: dict = {}
    for s in plan.steps:
        if s.op == OUTPUT:
            if s.region is not None:
                raise Refused(f'"{s.text}": a file\'s format applies to the whole file, not to a part of it')
            said.update(s.params)
    if not said:
        return plan
    plan.steps = [s for s in plan.steps if s.op != OUTPUT]
    plan.output = OutputFormat.from_dict(said)
    return plan


RULES = [output_format]
