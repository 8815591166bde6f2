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
from .text import DETERMINERS, PREPOSITIONS, STOPWORDS, VERBS, WHOLE, singular, word_set

# after a recipe's name, words that make it the sound wanted: "robot voice", "telephone effect", "a monster speaking"
_WANTED = re.compile(r"voices?|vocals?|speech|(?:speak|talk|sing|shout|whisper|narrat|announc|yell|scream|chant)\w*|effects?|filters?|sounds?"
                     r"|sounding|quality|style|tone|version|feel|vibe|speakers?|processing|like")
# before it, words that put the sound there: "like a telephone", "through a megaphone", "on the radio", "sound old"
_PLACING = word_set("like as through thru over on onto into in inside via behind sound sounds sounding be is are feel feels seem seems")
_SOUND_OF = word_set("sound sounds effect quality style tone kind type feel out")  # "the sound of an old radio", "out of a laptop"
_COPULAS = word_set("make get have let keep set leave render")  # "make the bell ringing far away" asks for the placement
# a verb, then its object named with a determiner: "pitch the church bell ringing "
_VERB_OBJECT = re.compile(r"(?P<verb>[a-z'-]+)(?:\s+(?:up|down|out|off))?\s+(?:the|a|an|this|that|my|our|your|some)\s+(?P<np>(?:[a-z'-]+\s+){1,5})$")
_PLACE_WORDS = re.compile(r"\b(?:in|on|at|inside|through|over|near|by|from|under|behind|into)\s+(?:(?:the|a|an|some|my)\s+)?(?:[a-z'-]+\s+)?$")


# "picks up", "ends up": a phrasal verb, not "up" as a direction ("my mic picks up a fan noise")
_PHRASAL = re.compile(r"\b(?:picks?|picked|picking|ends?|ended|ending|shows?|showed|showing|came|comes?|coming|wakes?|woke|backs?|backed|looks?|looked)\s+$")


def _is_verb(word: str) -> bool:
    """An imperative verb, hyphenated ones too: "low-pass", "high-pass"."""
    return word in VERBS or word.split("-")[0] in VERBS


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
        found = [m for m in DIRECTION.finditer(self._work) if not (m.group(0) == "up" and _PHRASAL.search(self._work[: m.start()]))]
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

    def names_a_thing(self, end: int) -> bool:
        """Is the word right after `end` an unknown noun, making the words before it part of a name?
        "bass guitar", "air conditioner", "church bell", "car horn": things, not a band or a room."""
        nxt = re.match(r"[\s-]+([a-z][a-z'-]*)", self._work[end:])
        return bool(nxt) and nxt.group(1) not in STOPWORDS and not is_known(nxt.group(1))

    def names_an_object(self, start: int, end: int) -> bool:
        """Do the words [start, end), the name of a recipe ("telephone", "radio", "robot"), name an object in
        the recording rather than the sound wanted? "loop the phone ringing", "denoise the radio broadcast",
        "remove the hiss from the phone" name objects (a verb's); "like a telephone", "robot voice", "through
        a megaphone", "an old radio", "coming from a radio" describe the sound wanted."""
        nxt = re.match(r"[\s-]+([a-z][a-z'-]*)", self.text[end:])
        after = nxt.group(1) if nxt else ""
        if _WANTED.fullmatch(after):
            return False
        before = self.text[:start].split()
        i = len(before) - 1
        while i >= 0 and (before[i] in DETERMINERS or not (
                _is_verb(before[i]) or before[i] in PREPOSITIONS or before[i] in _PLACING or before[i] in WHOLE or before[i] == "@")):
            i -= 1  # over "the", "an old", "a cheap"
        t, previous = (before[i] if i >= 0 else ""), (before[i - 1] if i > 0 else "")
        determined = any(w in DETERMINERS for w in before[i + 1:])
        if t in _PLACING or (t in ("from", "of") and (previous in _SOUND_OF or previous.endswith("ing"))):
            return False  # "coming from an old radio", "playing out of a smartphone", "the sound of a telephone"
        if t in _COPULAS and not determined:
            return False  # "make [it] lo-fi radio"
        if _is_verb(t) or t in ("of", "from"):
            return True  # the verb's object: "denoise the radio", "remove the hiss from the phone"
        return after.endswith("ing")  # "a phone ringing"

    def after_a_named_sound(self, start: int) -> bool:
        """Do the words at `start` continue the name of a sound that the verb acts on? In "pitch [the church bell
        ringing] in the distance up 3 semitones" the place is part of the name, as in a caption; "make the
        bell sound far away" and "A monster speaking inside a cave" (no verb) ask for the placement."""
        head = _PLACE_WORDS.sub("", self.text[:start])  # "pitch the man speaking [on the] phone up"
        m = _VERB_OBJECT.match(head)
        if not m or m.group("verb") in _COPULAS or not _is_verb(m.group("verb")):
            return False
        name = m.group("np").split()
        return name[-1].endswith(("ing", "ed")) and any(w not in STOPWORDS and not is_known(w) for w in name[:-1])

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


_FILLER = STOPWORDS | WHOLE | DETERMINERS | PREPOSITIONS | VERBS


def leftover(c: Clause) -> list[str]:
    """The runs of words no rule used that name something (a number, a word the planner doesn't know):
    "make it louder from the 1940s" leaves "from the 1940s". Said back to the user as ignored."""
    runs: list[list[str]] = [[]]
    for token in c.work.split():
        if "#" in token or token == "@":
            runs.append([])
        else:
            runs[-1].append(token)
    found = []
    for run in runs:
        run = [c.paths[ord(w[1]) - ord("a")] if w.startswith("§") and len(w) == 2 else w for w in run]  # a file named as context
        while run and (run[0] in ("and", "or", "but", "then", "so", "it", "this", "that") or run[0] in VERBS):
            run.pop(0)
        while run and not _names_something(run[-1]):
            run.pop()
        if any(_names_something(w) for w in run):
            found.append(" ".join(run))
    return found


def _names_something(word: str) -> bool:
    """A number ("1940s", "80") or a word that is not a function word, a verb or a whole-file word ("mp3s")."""
    return singular(word) not in _FILLER and (any(ch.isdigit() for ch in word) or len(word) > 2)
