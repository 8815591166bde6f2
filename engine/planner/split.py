"""Cutting an instruction into clauses, in the order given.

Hard breaks ("then", "after that", a full stop, a semicolon) separate edits
that stand alone. Soft breaks ("and", "but", a comma) may separate an elided
clause that borrows the previous one's verb and region: "fade in 1 s and out
2 s", "make the first second darker and less harsh".

Pitfalls: "between 1 and 2 s", "one and a half", "left and right" and "the
beginning and end" are one phrase, not two clauses; a decimal point is not a
full stop. The pieces keep their offsets into the original text, so each step
can quote the user's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = r"(?:\d+(?:\.\d+)?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)"
_PROTECT = re.compile(
    rf"\bbetween\s+(?:the\s+)?(?:\d+(?::\d+)+|{_NUMBER})\s*[a-z:]*\s+and\s+(?:\d+(?::\d+)+|{_NUMBER})"
    rf"|\b{_NUMBER}\s+and\s+a\s+half\b"
    r"|\b(?:left|right|l)\s+and\s+(?:right|left|r)\b"
    r"|\b(?:beginning|start|front)\s+and\s+(?:the\s+)?(?:end|back)\b"
    r"|\b(?:leading|trailing|initial|final|starting|ending)\s+and\s+(?:leading|trailing|initial|final|starting|ending)\b"
    r"|\b(?:loud|louder|loudest|quiet|quieter|quietest|soft|softer|softest|high|highest|low|lowest)\s+and\s+(?:the\s+)?(?:loud|quiet|soft|high|low)\w*\b"
    r"|\bbetween\s+(?:the\s+)?[a-z]+(?:\s+[a-z]+)?\s+and\s+(?:the\s+)?[a-z]+\b"
    rf"|\bfirst\s+(?:{_NUMBER}\s*[a-z]*\s+)?and\s+(?:the\s+)?last\b"
    r"|\b(?:over\s+and\s+over|back\s+and\s+forth|wow\s+and\s+flutter|rock\s+and\s+roll|drum\s+and\s+bass|rhythm\s+and\s+blues)\b"
    r"|\d,\d{3}\b"
    r"|\b(?:e\.g|i\.e|etc|vs|approx)\."
    r"|\s*,\s*(?=(?:as\s+if|as\s+though|like|as\s+in)\b)"  # "muffled, as if behind a wall" qualifies, not a new edit
)
_BREAK = re.compile(
    r"(?P<hard>[.!?;]+(?=\s|$)|\s*,?\s*\b(?:and\s+)?(?:then|after\s+that|afterwards|after\s+which|followed\s+by|finally|lastly)\b[\s,]*)"
    r"|(?P<soft>\s*,\s*(?:and\s+|but\s+|plus\s+)?|\s+(?:and|but|plus|as\s+well\s+as|&)\s+|\s*[()]\s*)"
)


@dataclass(frozen=True)
class Piece:
    start: int
    end: int
    soft: bool  # joined to the previous piece by "and"/"," rather than "then"/"."


def split_clauses(low: str) -> list[Piece]:
    """Pieces of `low` (the lower-cased instruction) between clause breaks, empty ones dropped."""
    protected = [m.span() for m in _PROTECT.finditer(low)]
    pieces: list[Piece] = []
    start, soft = 0, False
    for m in _BREAK.finditer(low):
        if any(a <= m.start() < b for a, b in protected):
            continue
        if low[start:m.start()].strip(" ,"):
            pieces.append(Piece(start, m.start(), soft))
            soft = m.group("soft") is not None
        elif m.group("hard") is not None:
            soft = False
        start = m.end()
    if low[start:].strip(" ,.!?;"):
        pieces.append(Piece(start, len(low), soft))
    return pieces
