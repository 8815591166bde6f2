"""Signal-processing concepts, for clauses the rules could not fully read.

A clause that names a concept ("normalize", "the volume", "EQ", "the speed", "silence", "sample
rate", "clicks") but that no rule could turn into a step is not sent to the model and not
dropped: the planner refuses it (exit 5) saying what it recognised, what it did not, and an
instruction it would read ("did you mean: normalize to -16 LUFS?"). Guessing would be worse:
the model would regenerate the sound, and a dropped clause would be an edit quietly not done.

Artefacts ("remove the clicks") are concepts too: removing them is signal processing, never a
sound source for the model (see neural.unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# noises and faults a recording has, as opposed to sound sources in it: removing them is DSP
ARTEFACTS = frozenset(
    """
    hiss hissing hum humming buzz buzzing click clicks clicking pop pops popping crackle crackles crackling clipping clipped
    rumble rumbling silence silences noise noises static whine whistle whistles plosive plosives sibilance sibilants
    scratches scratch thumps thump dropouts glitches distortion artefacts artifacts dc offset
    """.split()
)


@dataclass(frozen=True)
class Concept:
    name: str  # what the words were recognised as
    pattern: re.Pattern
    suggestions: tuple[tuple[str, str], ...]  # (pattern in the clause, an instruction sao reads); the last one is the default


def _concept(name: str, pattern: str, *suggestions: tuple[str, str]) -> Concept:
    return Concept(name, re.compile(pattern), suggestions)


CONCEPTS = [
    _concept("a loudness target", r"\b(?:normali[sz]\w*|loudness|lufs|lkfs|r-?128)\b",
             (r"peak", "normalize to -1 dB peak"), (r"", "normalize to -16 LUFS")),
    _concept("removing an artefact", r"\b(?:clicks?|clicking|pops?|popping|crackl\w*|clipp\w*|scratch\w*|thumps?)\b",
             (r"clipp", "repair the clipping"), (r"click|pop|crackl", "remove the clicks"),
             (r"", "")),  # scratches and thumps: no operation yet, the message says so
    _concept("removing noise", r"\b(?:noise|noises|hiss\w*|hum|humming|buzz\w*|rumbl\w*|static|whine|whistl\w*)\b",
             (r"hum|buzz", "remove the 50 Hz hum"), (r"rumbl", "remove the rumble below 80 Hz"), (r"", "remove the background noise")),
    _concept("silence", r"\b(?:silen\w*|pauses?|dead\s+air|gaps?)\b",
             (r"", "trim the silence at the start and end")),
    _concept("the sample format", r"\b(?:sample[\s-]?rate|sampling\s+(?:rate|frequency)|re-?sampl\w*|bit[\s-]?depth|\d+[\s-]?bits?|mu-?law|a-?law|wav|mp3|flac|ogg|format|khz)\b",
             (r"bit", "bitcrush to 8 bits"), (r"", "resample to 44.1 kHz")),
    _concept("the channels", r"\b(?:mono|stereo|channels?|left|right|speakers?|pan\w*|balance)\b",
             (r"pan|left|right", "pan it 30% left"), (r"", "make it mono")),
    _concept("a speed change", r"\b(?:speed\w*|tempo|faster|slower|bpm|pace|slow\w*|accelerat\w*|time[\s-]?stretch\w*)\b",
             (r"slow", "slow it down by 10%"), (r"", "speed it up by 10%")),
    _concept("a pitch change", r"\b(?:pitch\w*|semitones?|key|transpos\w*|tuning|tune|retun\w*|octaves?)\b",
             (r"", "pitch it up 2 semitones")),
    _concept("a level change", r"\b(?:volume|louder|quieter|loud|quiet|gain|amplif\w*|levels?|db|decibels?)\b",
             (r"quiet|lower|reduc|decreas", "make it 6 dB quieter"), (r"", "make it 6 dB louder")),
    _concept("EQ", r"\b(?:eq|equali[sz]\w*|bass(?!\s+(?:voice|guitar|player|singer|drum|line|note|part|clarinet))|treble|highs|lows|mids|frequenc\w*|hz|low[\s-]?end|high[\s-]?end)\b",
             (r"high|treble", "cut everything above 8 kHz"), (r"", "cut everything below 100 Hz")),
    _concept("dynamics", r"\b(?:compress\w*|limit\w*|dynamic\s+range|peaks?|expand\w*)\b",
             (r"limit|peak", "limit to -1 dB"), (r"", "compress it 4:1 at -20 dB")),
    _concept("a cut or a length", r"\b(?:trim\w*|crop\w*|cut|fade\w*|cross-?fade\w*|split\w*|seconds?|minutes?|length|duration|shorten\w*|lengthen\w*|loop\w*)\b",
             (r"fade", "fade out over 3 seconds"), (r"split", "trim the first 2 seconds"), (r"", "trim the first 2 seconds")),
    _concept("reverb or echo", r"\b(?:reverb\w*|echo\w*|delay)\b", (r"", "add a small room reverb")),
]


def concept_of(text: str) -> Concept | None:
    """The first signal-processing concept the words name, or None."""
    return next((c for c in CONCEPTS if c.pattern.search(text)), None)


def explain(text: str, words: str, concept: Concept) -> str:
    """The refusal for a clause (`text` as written, `words` normalised) that names `concept` but could not be read:
    what was understood, what was not, and an instruction sao reads."""
    said = concept.pattern.search(words).group(0)
    suggestion = next(s for p, s in concept.suggestions if re.search(p, words))
    head = f'could not fully read "{text}": understood "{said}" ({concept.name}), but not what to do with it'
    if not suggestion:
        return f"{head}, and sao has no operation for that yet (run `sao ops` to see what it can do)"
    return f'{head}; did you mean: "{suggestion}"?'
