"""One clause under analysis: its text, region, numbers, and which words are already explained.

Rules read from a Clause and mark what they used ("consume"), so two rules never
claim the same word, and what is left over can be checked for sound sources
("make the dog louder": "dog" is left over after "make ... louder").
Consumed characters become "#", which no rule pattern matches.
"""

from __future__ import annotations

import re

from .intensity import ADJECTIVE_MODIFIER, DIRECTION, Direction, amount, intensity
from .lexicon import is_known
from .numbers import Quantity, find_quantities
from .regions import EDGE_S, Where, find_region
from .text import PREPOSITIONS


class Clause:
    def __init__(self, text: str, flags: frozenset[str] = frozenset(), paths: tuple[str, ...] = ()):
        self.where, self.text = find_region(text)
        self.flags = flags
        self.paths = paths  # clip paths the text refers to as §a, §b, ...
        self.ops: list[str] = []  # operations planned so far for this clause
        self.quantities: list[Quantity] = find_quantities(self.text)
        self.level = intensity(self.text)
        self.region_used = False  # a rule turned the region into its own parameters (trim, fade, pad)
        self._work = self.text

    # --- what is still free -------------------------------------------------
    @property
    def work(self) -> str:
        """The text with consumed characters replaced by '#'."""
        return self._work

    def free(self, start: int, end: int) -> bool:
        return "#" not in self._work[start:end]

    def consume(self, start: int, end: int) -> None:
        self._work = self._work[:start] + re.sub(r"\S", "#", self._work[start:end]) + self._work[end:]

    def has(self, pattern: str | re.Pattern) -> re.Match | None:
        """A match of `pattern` among the words not yet consumed."""
        return re.search(pattern, self._work)

    # --- numbers --------------------------------------------------------------
    def take(self, kinds: tuple[str | None, ...], near: int = 0) -> Quantity | None:
        """The unused quantity of one of `kinds` nearest to position `near`, consumed."""
        free = [q for q in self.quantities if q.kind in kinds and self.free(q.start, q.end)]
        if not free:
            return None
        q = min(free, key=lambda q: abs(q.start - near))
        self.consume(q.start, q.end)
        return q

    def peek(self, kinds: tuple[str | None, ...]) -> bool:
        return any(q.kind in kinds and self.free(q.start, q.end) for q in self.quantities)

    def amount(self, small: float, normal: float, large: float) -> float:
        return amount(self.level, small, normal, large)

    # --- direction ------------------------------------------------------------
    def direction(self, start: int, end: int, adjective: bool = False) -> Direction | None:
        """The nearest word before (else after) [start, end) saying more/less/remove; consumed.

        For an adjective ("less harsh", "too dark") only the modifier right before it counts.
        """
        if adjective:
            before = self._work[:start].rstrip()
            modifiers = list(ADJECTIVE_MODIFIER.finditer(before))
            m = modifiers[-1] if modifiers else None
            if m is None or before[m.end():].strip() not in ("", "a bit", "a little", "much", "way", "slightly", "a lot", "even"):
                return None
            self.consume(m.start(), m.end())
            return Direction(-1 if m.group("down") else 1, False, m.start(), m.end())
        found = list(DIRECTION.finditer(self._work))
        before = [m for m in found if m.end() <= start]
        after = [m for m in found if m.start() >= end]
        if before and self._reaches(before[-1].end(), start):
            best = before[-1]
        elif after and self._reaches(end, after[0].start()):
            best = after[0]  # "turn the bass down"
        else:
            return None
        self.consume(best.start(), best.end())
        sign = 1 if best.group("up") else -1
        return Direction(sign, bool(best.group("remove")), best.start(), best.end())

    def _reaches(self, a: int, b: int) -> bool:
        """No finished noun phrase between a and b: "add a bell with reverb" must not give "add" to the reverb,
        while "tame the annoying esses" gives "tame" to the esses."""
        unknown_seen = False
        for w in re.findall(r"[a-z][a-z'-]*", self._work[a:b]):
            if unknown_seen and w in PREPOSITIONS:
                return False
            unknown_seen = unknown_seen or not is_known(w)
        return True

    # --- region helpers -------------------------------------------------------
    def regions(self) -> list[tuple[float | None, float | None]]:
        """The step regions: none, one, or two for "the first and last second"."""
        if self.where is not None and self.where.kind == "ends":
            head, tail = self.where.ends_s
            return [(0.0, head), (-tail, None)]
        times = self.region_times()
        return [times] if times is not None else []

    def edge_length(self, default: float = EDGE_S) -> float:
        """Length for an edge region ("2 seconds at the end"): a free time quantity, else `default`."""
        q = self.take(("seconds",))
        return abs(q.value) if q else default

    def region_times(self) -> tuple[float | None, float | None] | None:
        """The region as (start_s, end_s) with edge words resolved; None if there is no single region."""
        w: Where | None = self.where
        if w is None or w.whole or w.unsupported or w.anchor == "both":
            return None
        if w.anchor == "start":
            return 0.0, self.edge_length()
        if w.anchor == "end":
            return -self.edge_length(), None
        return w.start_s, w.end_s
