"""Which words the planner knows: stop words, whole-file words, and every word a rule pattern names.

Used where a known word and an unknown one must be told apart: "bass" followed
by "guitar" names an instrument, not a band; "add a bell with reverb" must not
lend "add" to the reverb across "bell"; a clause of known words only ("the
volume is low") is context beside a real edit. The set is built from the rule
patterns themselves, so a new rule never needs a second list kept in step.
(neural.unknown is the stricter test for sound sources.)
"""

from __future__ import annotations

import functools
import re

from .text import STOPWORDS, WHOLE


@functools.cache
def known_words() -> frozenset[str]:
    # late imports: the rules import this module
    from . import intensity, numbers, regions, text
    from .vocabulary import RULES

    patterns = [r.pattern for r in RULES] + [p for _, p in regions.PATTERNS] + [p for _, p in text.CONSTRAINTS]
    patterns += [intensity.SMALL_WORDS, intensity.LARGE_WORDS, intensity.DIRECTION, intensity.ADJECTIVE_MODIFIER, numbers.QUANTITY]
    found: set[str] = set()
    for p in patterns:
        found.update(re.findall(r"[a-z]{3,}", re.sub(r"\\[a-zA-Z]|\(\?P<\w+>", " ", p.pattern)))
    return frozenset(found | STOPWORDS | WHOLE)


def is_known(word: str) -> bool:
    """True for a word the planner understands or that names no sound ("the", "it", "reverb", "harshness")."""
    w = word.strip("'-").removesuffix("'s")
    known = known_words()
    return w in known or any(w.endswith(end) and w[: -len(end)] in known for end in ("s", "es", "ness", "ing", "ed", "er", "ly", "y"))
