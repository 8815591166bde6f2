"""Numbers and their units: "five semitones", "-3dB", "250 ms", "0:05", "2x", "twice".

Two passes. `spell_out` rewrites the text so every number is in digits and
every clock time is in seconds ("one and a half" -> "1.5", "1:30" -> "90 s",
"3-5s" -> "3 to 5s"); the clause splitter and the region finder then only
meet digits. `find_quantities` lists each number with its unit converted to one
base unit per kind (seconds, semitones, Hz, dB, percent, ...), with its place
in the text, so a rule can take the number nearest to its trigger word.

Pitfall: "second" is both a unit and an ordinal. Ordinals are never turned into
digits; "the second half" stays words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
_WORD = "|".join(sorted([*_UNITS, *_TENS, "hundred", "thousand"], key=len, reverse=True))
# a run of number words: "twenty five", "one hundred and twenty", "two point five"
_RUN = re.compile(rf"\b(?:{_WORD})(?:(?:[\s-]+|\s+and\s+)(?:{_WORD})\b|\s+point\s+(?:{_WORD})\b)*\b")
_HALF = re.compile(r"\b(\d+(?:\.\d+)?)\s+and\s+a\s+half\b|\b(?:a\s+|one\s+)?half\s+an?\b|\ba\s+half\b(?![\s-]+(?:steps?|tones?)\b)|\bhalf(?=\s+(?:ms|milliseconds?|s|secs?|seconds?|minutes?|octaves?|semitones?|db)\b)")
_QUARTER = re.compile(r"\b(?:a\s+)?quarter(?:\s+of)?(?:\s+an?)?(?=\s+(?:ms|milliseconds?|s|secs?|seconds?|minutes?)\b)")
_FEW = re.compile(r"\ba\s+couple(?:\s+of)?\b|\ba\s+pair\s+of\b")
_FRACTION = re.compile(r"(?<![\d./])(\d{1,2})/([1-9]\d?)(?![\d./])")  # "3/4 speed"
# "1:30", "105:40", "1:02:03", "1;15" (a slip of the shift key), "00:009" (a zero too many)
_CLOCK = re.compile(r"(?<![\d.:;])(?:(\d+)[:;])?(\d{1,3})[:;](\d{2}(?:\.\d+)?|0\d\d)(?![\d:;])")
# "from second 20 to second 28", "at second 5": the ordinal word used as a time stamp
_SECOND_N = re.compile(r"\b(?P<p>from|at|to|till|until|after|before|and|between|through|thru|since|only)\s+(?:the\s+)?second\s+(?P<n>\d+(?:\.\d+)?)\b"
                       r"(?!\s*(?:ms|s|secs?|seconds?|mins?|minutes?|%|percent|db|hz|khz|times|x)\b)")
# a unit given once covers both ends of a rate change: "from 100 to 120 bpm" is "100 bpm to 120 bpm"
_SHARED_UNIT = re.compile(r"(?<![\w.])(?P<a>\d+(?:\.\d+)?)(?P<sep>\s+(?:to|and|-)\s+)(?P<b>\d+(?:\.\d+)?)\s?(?P<u>bpm|fps|hz|hertz)\b")
_MIN_SEC = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:m|mins?|minutes?)\s*(?:and\s+)?(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)\b")
_RANGE = re.compile(r"(\d(?:\.\d+)?\s?(?:ms|s|sec|hz|khz|k|db)?)\s?[-\u2013\u2014]\s?(?=\.?\d)")

# "from F to D#", "from the key of Eb major to G": a transposition between note names, in semitones
_NOTE = r"[a-g](?:#|\u266f|b|\u266d|[\s-]sharp|[\s-]flat)?"
_KEY_CHANGE = re.compile(
    rf"\b(?:from\s+)?(?:(?:the\s+)?key\s+of\s+)?(?P<a>{_NOTE})(?P<qa>\s*(?:major|minor|maj|min))?\s+(?:to|into|->)\s+"
    rf"(?:(?:the\s+)?key\s+of\s+)?(?P<b>{_NOTE})(?P<qb>\s*(?:major|minor|maj|min))?(?![\w#\u266f\u266d])")
_PITCH_CONTEXT = re.compile(r"\b(?:transpos\w*|keys?|pitch\w*|re-?tun\w*|tun(?:e|ed|ing)|semitones?|shift\w*|scale)\b")
_DIRECTION_UP = re.compile(r"\b(?:up|higher|raise|rais(?:e|ing)|sharpen)\b")
_DIRECTION_DOWN = re.compile(r"\b(?:down|lower|drop)\b")
_PITCH_CLASS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def _words_value(run: str) -> str:
    """'twenty five' -> '25', 'one hundred and twenty' -> '120', 'two point five' -> '2.5'."""
    whole, _, frac = run.partition(" point ")
    total = current = 0
    for w in re.split(r"[\s-]+", whole):
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total += max(current, 1) * 1000
            current = 0
    value = str(total + current)
    if frac:
        value += "." + "".join(str(_UNITS.get(w, 0)) for w in frac.split())
    return value


def _pitch_class(note: str) -> int:
    accidental = note[1:].strip(" -")
    return _PITCH_CLASS[note[0]] + (1 if accidental in ("#", "\u266f", "sharp") else -1 if accidental in ("b", "\u266d", "flat") else 0)


def _key_change(m: re.Match, text: str) -> str:
    """"from f to d#" -> "-2 semitones": the nearer way round unless "up" or "down" is said.

    Letters are notes only where the words are about pitch (an accidental, "major", "key",
    "transpose"...): "from a to b" alone may be anything."""
    a, b = m.group("a"), m.group("b")
    if not (len(a) > 1 or len(b) > 1 or m.group("qa") or m.group("qb") or _PITCH_CONTEXT.search(text)):
        return m.group(0)
    up = (_pitch_class(b) - _pitch_class(a)) % 12
    if up == 0:
        return m.group(0)  # "from c major to c minor" is a change of mode, not a transposition
    before = text[: m.start()]
    if _DIRECTION_UP.search(before):
        semitones = up
    elif _DIRECTION_DOWN.search(before):
        semitones = up - 12
    else:
        semitones = up if up <= 6 else up - 12
    return f"{semitones} semitones"


def spell_out(text: str) -> str:
    """Rewrite number words, halves, clock times and ranges as plain digits (text is lower case)."""
    text = text.replace("\u2212", "-")
    text = _FEW.sub("2", text)
    text = _FRACTION.sub(lambda m: f"{int(m.group(1)) / int(m.group(2)):g}", text)
    text = _RUN.sub(lambda m: _words_value(m.group(0)), text)
    text = _HALF.sub(lambda m: f"{float(m.group(1)) + 0.5:g}" if m.group(1) else "0.5", text)
    text = _QUARTER.sub("0.25", text)
    text = _CLOCK.sub(lambda m: f"{int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3)):g} s", text)
    text = _MIN_SEC.sub(lambda m: f"{float(m.group(1)) * 60 + float(m.group(2)):g} s", text)
    text = _SECOND_N.sub(r"\g<p> \g<n> s", text)
    text = _SHARED_UNIT.sub(r"\g<a> \g<u>\g<sep>\g<b> \g<u>", text)
    text = _KEY_CHANGE.sub(lambda m: _key_change(m, text), text)
    return _RANGE.sub(r"\1 to ", text)


@dataclass
class Quantity:
    """A number in base units. kind: seconds, semitones, hz, db, lufs, percent, ratio, times, bits, bpm, fps,
    reference_hz (a tuning reference, "A=440 Hz"), or None (bare)."""

    value: float
    kind: str | None
    start: int
    end: int


# a decade is not a time: "the 1940s", "the '40s", "the 80s" (but "after the 30s mark" is)
_DECADE = r"(?<!')(?!(?:1\d|20)\d0s\b|(?<=\bthe\s)[2-9]0s\b(?!\s+mark))"
NUM = rf"{_DECADE}[-+]?(?:\d+(?:\.\d+)?|\.\d+)"
# unit -> (kind, factor); longest spellings first so "semitones" never reads as "s"
_UNIT_TABLE = [
    (r"milliseconds?|millisecs?|msecs?|ms", "seconds", 0.001),
    (r"fps|frames?\s+(?:per|a)\s+second", "fps", 1.0),
    (r"minutes?|mins?", "seconds", 60.0),
    (r"hours?|hrs?", "seconds", 3600.0),
    (r"seconds?|secs?|s", "seconds", 1.0),
    (r"dbfs|dbtp|decibels?|db", "db", 1.0),
    (r"lufs|lkfs|lu", "lufs", 1.0),
    (r"percent|per\s+cent|%", "percent", 1.0),
    (r"semi-?tones?|semis?|half[\s-]?steps?|half[\s-]?tones?|notes?|keys?|frets?|st", "semitones", 1.0),
    (r"whole[\s-]?(?:steps?|tones?)|tones?|steps?", "semitones", 2.0),
    (r"octaves?", "semitones", 12.0),
    (r"cents?", "semitones", 0.01),
    (r"kilohertz|khz|k", "hz", 1000.0),
    (r"hertz|hz", "hz", 1.0),
    (r"bpm", "bpm", 1.0),
    (r"bits?", "bits", 1.0),
    (r"times", "times", 1.0),
    (r"x", "ratio", 1.0),
    (r":\s?1", "ratio", 1.0),
]
_UNIT_RE = "|".join(f"(?P<u{i}>{pat})" for i, (pat, _, _) in enumerate(_UNIT_TABLE))
QUANTITY = re.compile(rf"(?<![\w.])(?:(?P<num>{NUM})\s?-?\s?|(?P<word>an?|one)\s+)(?:(?:whole|full|entire)\s+)?(?:{_UNIT_RE})(?![\w])|(?<![\w.])(?P<bare>{NUM})(?!\w|\.\d)")
# intervals in semitones, major or perfect; "minor" and "diminished" take one off, "augmented" adds one.
# A bare "second" is a time ("a second"), so it counts only with its quality: "a major second".
_INTERVALS = {"second": 2, "third": 4, "fourth": 5, "tritone": 6, "fifth": 7, "sixth": 9, "seventh": 11, "octave": 12}
_QUALITY = {None: 0, "perfect": 0, "major": 0, "minor": -1, "diminished": -1, "augmented": 1}
_INTERVAL = re.compile(
    r"\b(?:an?|one|by|up|down)\s+(?P<iv>(?:(?P<q>perfect|major|minor|diminished|augmented)\s+)?"
    r"(?P<n>octave|tritone|fifth|fourth|sixth|seventh|third|second))\b"
)
_WORD_QUANTITIES = {
    "twice": ("times", 2.0), "thrice": ("times", 3.0), "once": ("times", 1.0),
    "double": ("ratio", 2.0), "triple": ("ratio", 3.0), "quadruple": ("ratio", 4.0), "half": ("ratio", 0.5), "halve": ("ratio", 0.5),
}
_WORDQ = re.compile(r"\b(twice|thrice|once|double|triple|quadruple|half|halve)\b(?!\s+(?:a|an|the)?\s*(?:second|ms|minute)s?\b)")
_FACTOR = re.compile(rf"\bby\s+a\s+factor\s+of\s+(?P<num>{NUM})")
_X_PREFIX = re.compile(rf"(?<![\w.])x\s?(?P<num>{NUM})\b")
_REFERENCE = re.compile(rf"\ba4?\s?(?:=|@)\s?(?P<num>{NUM})\s?(?:hz|hertz)?\b")  # a tuning reference: "a=440 hz", "a4 = 432"


def find_quantities(text: str) -> list[Quantity]:
    """Every number in `text` with its unit, in order of appearance."""
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []

    def add(value: float, kind: str | None, start: int, end: int) -> None:
        if not any(s < end and start < e for s, e in taken):
            found.append(Quantity(value, kind, start, end))
            taken.append((start, end))

    for m in _FACTOR.finditer(text):
        add(float(m.group("num")), "ratio", m.start(), m.end())
    for m in _X_PREFIX.finditer(text):
        add(float(m.group("num")), "ratio", m.start(), m.end())
    for m in _REFERENCE.finditer(text):
        add(float(m.group("num")), "reference_hz", m.start(), m.end())
    for m in _INTERVAL.finditer(text):
        if m.group("n") != "second" or m.group("q") in ("major", "minor"):
            add(float(_INTERVALS[m.group("n")] + _QUALITY[m.group("q")]), "semitones", m.start("iv"), m.end())
    for m in QUANTITY.finditer(text):
        if m.group("bare") is not None:
            add(float(m.group("bare")), None, m.start(), m.end())
            continue
        num = m.group("num") or m.group("word")
        i = next(i for i in range(len(_UNIT_TABLE)) if m.group(f"u{i}") is not None)
        _, kind, factor = _UNIT_TABLE[i]
        if num in ("a", "an", "one") and kind not in ("seconds", "semitones", "db"):
            continue  # "a bit louder" is not one bit
        value = 1.0 if num in ("a", "an", "one") else float(num)
        add(value * factor, kind, m.start(), m.end())
    for m in _WORDQ.finditer(text):
        kind, value = _WORD_QUANTITIES[m.group(1)]
        add(value, kind, m.start(), m.end())
    return sorted(found, key=lambda q: q.start)
