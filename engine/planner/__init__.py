"""The instruction planner: free-form English in, an EditPlan out.

    from engine.planner import make_plan
    make_plan("trim the first second, then add a small room reverb")

How it works (docs/planner.md has the full account and the default amounts):
1. Clip paths ("add drums.wav at 3 s") are set aside with their case, and
   constraints ("but keep the pitch", "without clipping") become flags.
2. The request is found (framing.py): the words after "Is there a way to",
   "I'd like to", "How do I" ..., apart from the story around them and the
   explanations after them. The requests are read; the story only when they
   give no step.
3. Each stretch is cut into clauses (split.py); an elided clause borrows the
   previous verb and region ("fade in 1 s and out 2 s").
4. Each clause: numbers to digits, the region phrase out (regions.py), then the
   vocabulary rules in order (vocabulary.py); model-only tasks and sound
   sources (neural.py) turn the clause into one neural step carrying its words.
5. A clause nobody reads is tried together with its neighbours, then offered to
   the `unread` hook; a request naming a signal-processing concept
   (concepts.py) is refused with a suggestion (NotUnderstood, exit code 5),
   anything else is set aside and listed in the plan's `ignored`.

Plain Python and regular expressions only: importing it costs no numpy or torch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..errors import NotUnderstood
from ..plan import EditPlan, Region, Step
from .clause import Clause, leftover
from .concepts import concept_of, explain
from .formats import lift_output
from .framing import Part, active, frame, imperative
from .lexicon import is_known
from .limits import check_ranges
from .neural import sources, task
from .regions import Where
from .split import Piece, split_clauses
from .text import VERBS, find_constraints, lower, normalise, word_set
from .vocabulary import as_request, match

__all__ = ["make_plan"]

EXAMPLES = '"make it louder", "trim the first 2 seconds", "add a small room reverb", "pitch it up 3 semitones"'
_EXT = r"\.(?:wav|flac|mp3|ogg|oga|opus|aiff?|m4a|aac|caf|w64)"
_PATH = re.compile(rf"(?P<q>[\"'])(?P<quoted>[^\"']+{_EXT})(?P=q)|(?<![\w/.~-])(?:[\w~.\\/-]*[\\/])?[\w.~-]+{_EXT}\b", re.IGNORECASE)
_PARTICLES = ("up", "down", "out", "off", "in")
_POINTS_BACK = re.compile(r"\b(?:them|those|these|there|(?:that|this|the\s+same)\s+(?:part|bit|section|portion|region|segment|stretch|passage|area))\b")
_REFERS_BACK = re.compile(r"^(?:fix|correct|sort\s+out|repair|solve|deal\s+with)\s+(?:it|that|this|them)$")


@dataclass
class Parsed:
    piece: Piece
    steps: list[Step] = field(default_factory=list)
    verb: str = ""  # the clause's leading verb phrase, lent to an elided next clause
    remark: bool = False  # no verb of its own: "it's too quiet", "too dark"
    where: Where | None = None
    words: list[str] = field(default_factory=list)
    bare: bool = False  # a noun phrase with no verb of its own: "the rain falling in the distance", "revving up"
    asks: bool = False  # a request's clause (not a remark or a story): unread, it is refused rather than set aside
    leftover: list[tuple[int, str]] = field(default_factory=list)  # words no rule used
    sentence: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.steps)


Unread = Callable[[str], "list[Step] | None"]


def make_plan(instruction: str, unread: Unread | None = None) -> EditPlan:
    """Plan an instruction; raises NotUnderstood (exit 5) when no part of it can be read.

    `unread`, when given, is asked for the steps of each clause the rules cannot read
    (its original words); it returns steps, or None to let the rules decide as usual.
    Deliberate refusals (engine.errors.Refused) never reach it."""
    if not instruction or not instruction.strip():
        raise NotUnderstood(_refusal("an empty instruction"), hint=_HINT)
    paths: list[str] = []

    def hide(m: re.Match) -> str:  # same length, so offsets into `instruction` stay valid
        paths.append(m.group("quoted") or m.group(0))
        return ("§" + chr(ord("a") + len(paths) - 1)).ljust(len(m.group(0)))

    hidden = _PATH.sub(hide, instruction.replace("§", " "))  # "§" marks the paths set aside
    flags, low = find_constraints(lower(hidden))
    # the instruction as written, less the constraints read off it: what `ignored` quotes
    shown = "".join(" " if was != " " and now == " " else o for o, was, now in zip(instruction, lower(hidden), low))
    planner = _Planner(instruction, low, frozenset(flags), tuple(paths), unread, shown)
    steps = planner.run()
    check_ranges(steps)  # a value out of its operation's range is refused, never clamped
    return lift_output(EditPlan(instruction=instruction, steps=steps, ignored=planner.ignored_words()))


_HINT = "`sao plan \"...\"` shows how an instruction is read; docs/planner.md lists the phrasings"


def _refusal(what: str) -> str:
    return f"could not understand {what}; run `sao ops` to see what sao can do, or try e.g. {EXAMPLES}"


class _Planner:
    def __init__(self, original: str, low: str, flags: frozenset[str], paths: tuple[str, ...], unread: Unread | None = None,
                 shown: str | None = None):
        self.original, self.low, self.flags, self.paths, self.unread = original, low, flags, paths, unread
        self.shown = shown if shown is not None and len(shown) == len(original) else original
        self.ignored: list[tuple[int, str]] = []  # (position, words) of what was not used
        self.unclear: list[tuple[int, str]] = []  # (sentence, refusal) for request clauses naming a concept but not read

    def run(self) -> list[Step]:
        """The requests' steps; the context's only when the requests give none (nothing asked, or "how do I do this?").

        A request clause that names a signal-processing concept but could not be read is refused (exit 5)
        when its sentence gave other steps or when nothing at all could be read; in a text of several
        sentences, one that another sentence's request covers is set aside (listed as ignored)."""
        parts = frame(self.low)
        asked = [p for p in parts if p.asks]
        done = self.read(asked) if asked else []
        read = {p.sentence for p in done if p.steps}
        for sentence, message in self.unclear:
            if sentence in read:
                raise NotUnderstood(message, hint=_HINT)
        if not read:
            held, self.ignored, self.unclear = self.unclear, [], []
            asked = [p for p in parts if p.kind != "aside"]
            done = self.read(asked, context=True)
            self.unclear = held + self.unclear
        steps = self.flatten(done)
        if not steps:
            if self.unclear:
                raise NotUnderstood(self.unclear[0][1], hint=_HINT)
            raise NotUnderstood(_refusal(f'"{self.original.strip()}"'), hint=_HINT)
        self.ignored.extend((p.start, self.shown[p.start:p.end]) for p in parts if p not in asked)
        return steps

    def ignored_words(self) -> list[str]:
        """What was not used, in the order of the text, as the user wrote it (trimmed of punctuation)."""
        words = (re.sub(r"\s+", " ", w).strip(" ,;:.!?…-\"'“”‘’()[]*") for _, w in sorted(self.ignored))
        return list(dict.fromkeys(w for w in words if normalise(lower(w))))  # not a bare "please" or "hello"

    def pieces(self, part: Part) -> list[Piece]:
        """The clauses of one part; the first is never joined to what came before."""
        found = [Piece(part.start + p.start, part.start + p.end, p.soft) for p in split_clauses(self.low[part.start:part.end])]
        return [replace(found[0], soft=False), *found[1:]] if found else []

    def read(self, parts: list[Part], context: bool = False) -> list[Parsed]:
        """Every clause read; an unread one is joined to a neighbour, sent to the model, refused or set aside.
        With `context`, the story is being read for want of a request: a description of how it sounds
        now ("her voice sounds like a tiny speaker") or what it is not ("not a tape hiss") asks for nothing."""
        done: list[Parsed] = []
        for part in parts:
            floor = len(done)  # clauses of earlier parts are not joined to this one's
            pending: Parsed | None = None  # an unread clause waiting for the next one
            pieces = self.pieces(part)
            for piece in pieces:
                last = done[-1] if len(done) > floor else None
                if last and last.steps and not _neural_only(last) and _REFERS_BACK.match(normalise(self.low[piece.start:piece.end])):
                    continue  # "it sounds muffled, fix that": the remark already asked for the fix
                p = self.parse(piece, last if piece.soft else None, done[-1] if done else None)
                if p is None:
                    continue
                alternative = re.match(r"[\s(]*or\b", self.low[piece.start:piece.end])  # "(or at least control the volume)"
                p.asks = part.asks and not alternative and ((part.marked and piece is pieces[0]) or imperative(p.words))
                p.sentence = part.sentence
                words = " ".join(p.words)
                story = (context and not part.asks and (_DESCRIBES.search(words) or _NARRATES.match(self.low[piece.start:piece.end].strip()))) \
                    or (not imperative(p.words) and _COMPARES.match(words))
                if _NEGATED.match(" ".join(p.words)) or story:
                    self.ignored.append((piece.start, self.shown[piece.start:piece.end]))
                    continue
                if pending is not None:
                    joined = self.parse(Piece(pending.piece.start, piece.end, pending.piece.soft))
                    to_model = _neural_only(joined) and not context and concept_of(" ".join(pending.words)) is None  # never a DSP request
                    if joined is not None and joined.ok and (_harmless(pending) or to_model or not p.ok):
                        # "Music piece, repeat it", "[have] an engine idling, then revving up instead of the rain",
                        # "keep between 0:05 | and 0:15"
                        joined.sentence = part.sentence
                        done.append(joined)
                        pending = None
                        continue
                    done.append(self.fallback(pending))
                    pending = None
                last = done[-1] if len(done) > floor else None
                if last and _neural_only(last) and p.bare and (_neural_only(p) or not p.ok and not _harmless(p)):
                    # more of the model's words: "play the bell first, then the rain", "swap the dog and the engine idling and then revving up"
                    last.piece = Piece(last.piece.start, piece.end, last.piece.soft)
                    last.steps = [_neural(self.text(last.piece))]
                    continue
                if p.ok:
                    done.append(p)
                    continue
                if last:  # perhaps the split was wrong: "swap left | and right"
                    joined = self.parse(Piece(last.piece.start, piece.end, last.piece.soft))
                    if joined is not None and joined.ok and not _neural_only(joined) and _key(joined) != _key(last) \
                            and set(_ops(last)) <= set(_ops(joined)):  # it reads more, and loses nothing
                        joined.sentence = part.sentence
                        done[-1] = joined
                        continue
                pending = p
            if pending is not None:
                done.append(self.fallback(pending))
        for p in done:
            if p.steps:
                self.ignored.extend(p.leftover)
        return done

    def flatten(self, done: list[Parsed]) -> list[Step]:
        """The steps in order. Soft-joined clauses don't repeat a step ("warm and full-bodied"),
        and soft-joined neural clauses become one model step ("remove the birds and the dog")."""
        steps: list[Step] = []
        previous: Parsed | None = None
        for p in done:
            if not p.steps:
                continue
            if p.piece.soft and previous is not None and _neural_only(p) and _neural_only(previous):
                previous.piece = Piece(previous.piece.start, p.piece.end, previous.piece.soft)
                steps[-1] = _neural(self.text(previous.piece))
                continue
            joined = p.piece.soft and previous is not None
            if joined and previous.remark and _ops(previous) == _ops(p):
                del steps[len(steps) - len(previous.steps):]  # "this is too quiet, boost it by 5 dB": the request says how much
                steps.extend(p.steps)
            else:
                steps.extend(s for s in p.steps if not (joined and any(_same(s, t) for t in previous.steps)))
            previous = p
        return steps

    def text(self, piece: Piece) -> str:
        return self.original[piece.start:piece.end].strip(" ,;.!?\t\n")

    def parse(self, piece: Piece, before: Parsed | None = None, previous: Parsed | None = None) -> Parsed | None:
        """The steps of one clause; None when it holds no words at all. `before` lends its verb and region to
        an elided clause; `previous` lends its region to words that point back at it ("make them brighter")."""
        norm = normalise(self.low[piece.start:piece.end])
        if not norm:
            return None
        norm = active(as_request(norm))
        first = norm.split()[0]
        own_verb = first in VERBS or _unknown_verb(norm.split())
        bare = not own_verb and _bare(norm.split())
        if before is not None and not own_verb and before.verb:
            verb = before.verb
            if first in _PARTICLES:
                verb = verb.split()[0]
            norm = f"{verb} {norm}"
        c = Clause(norm, self.flags, self.paths)
        if c.where is None and before is not None and not own_verb:
            c.where = before.where  # "the first second darker and [the first second] less harsh"
        if c.where is None and previous is not None and previous.where is not None and _POINTS_BACK.search(norm) \
                and "trim" not in _ops(previous):
            c.where = previous.where  # "fade out the last 2 seconds and make them brighter": those 2 seconds
        text = self.text(piece)
        result = Parsed(piece, verb=_leading_verb(norm), where=c.where, words=c.text.split(), remark=not own_verb, bare=bare)
        if task(c.text):
            result.steps = [_neural(text, _one_region(c))]
            return result
        steps = match(c)
        if any(s.engine == "neural" for s in steps) or sources(c):
            result.steps = [_neural(text, _one_region(c))]
            return result
        if steps and c.where is not None and c.where.unsupported:
            raise NotUnderstood(
                f'"{c.where.unsupported}" needs the file\'s length, which a plan does not know; give times instead, '
                'e.g. "from 2 s to 4 s" or "the last 3 seconds"', hint=_HINT)
        regions = [Region(*times) for times in c.regions()] if not c.region_used else []
        for s in steps:
            s.text = text
        if regions:  # one copy of each step per region ("mute the first and last second")
            steps = [replace(s, region=r, params=dict(s.params)) for r in regions for s in steps]
        result.steps = steps
        result.leftover = [(piece.start, w) for w in leftover(c)]
        return result

    def fallback(self, p: Parsed) -> Parsed:
        """An unread clause: the `unread` hook's steps, else a refusal when it asks for a signal-processing
        edit the rules could not read, else it is set aside and listed as ignored."""
        text = self.text(p.piece)
        if self.unread is not None:
            steps = self.unread(text)
            if steps:
                p.steps = steps
                return p
        words = " ".join(p.words)
        concept = concept_of(words)
        if concept is not None and p.asks and not _CONSTRAINT.search(words):
            self.unclear.append((p.sentence, explain(text, words, concept)))
        self.ignored.append((p.piece.start, self.shown[p.piece.start:p.piece.end]))
        return p


# a clause that says what the sound is not, or (in a story) how it sounds now: neither asks for an edit
_NEGATED = re.compile(r"^(?:it'?s\s+|it\s+is\s+|this\s+is\s+)?not\s+(?:a|an|the|just|only)\b")
_DESCRIBES = re.compile(r"^(?:[a-z']+\s+){0,4}?(?:is|was|are|were)\s+(?:\w+\s+)?(?:like|as\s+if|as\s+though)\b"
                        r"|\b(?:sounds?|sounded|sounding|seems?|seemed)\s+(?:\w+\s+)?(?:like|as\s+if|as\s+though)\b")
# "the left channel is much louder than the right": which side to fix is not said
_COMPARES = re.compile(r"^(?:[a-z'#]+\s+){0,4}?(?:is|was|are|were)\s+(?:much\s+|way\s+|a\s+lot\s+|far\s+|slightly\s+|about\s+|a\s+bit\s+)?\w+er\s+than\b")
# what someone did: "I amplified the volume to normal levels", "we recorded it outside"
_NARRATES = re.compile(r"^\W*(?:i|we|they|he|she)\s+(?:\w+\s+)?(?:\w+ed|got|had|did|made|took|put|went|came|found|saw|heard|bought|ran|set|sent|gave|wrote|left|kept)\b")
# keeping something, or not doing something, constrains another edit rather than asking for one
_CONSTRAINT = re.compile(r"\b(?:keep\w*|preserv\w*|retain\w*|leav(?:e|ing)|maintain\w*|protect\w*|avoid\w*|without|not|never|don't|doesn't)\b")


def _neural(text: str, region: Region | None = None) -> Step:
    return Step("instruct", {"instruction": text}, region=region, engine="neural", text=text)


def _one_region(c: Clause) -> Region | None:
    """The region a model step is limited to ("add birdsong in the last 5 seconds"): the
    editor then edits a window around it and leaves the rest of the file bit-identical."""
    found = c.regions()
    return Region(*found[0]) if len(found) == 1 else None


def _leading_verb(norm: str) -> str:
    words = norm.split()
    if not words or words[0] not in VERBS:
        return ""
    return " ".join(words[:2]) if len(words) > 1 and words[1] in _PARTICLES else words[0]


def _unknown_verb(words: list[str]) -> bool:
    """A word the planner doesn't know, then its object: "join the rest", "oomph it up". Its own verb, so
    the clause doesn't borrow the previous one's ("cut out 0:06 to 0:09 and join the rest")."""
    return len(words) > 1 and words[1] in _OBJECTS and words[0].isalpha() and not is_known(words[0])


def _harmless(p: Parsed) -> bool:
    """All words known: context ("music piece", "the volume is low"), not an unknown request."""
    return all(is_known(w) or not w[0].isalpha() for w in p.words)


def _bare(words: list[str]) -> bool:
    """A noun phrase: "the rain falling in the distance", "revving up"; not "the birds should be louder"
    (a predicate) or "upsample the mix" (a verb the planner doesn't list, then its object)."""
    if len(words) > 1 and words[1] in _OBJECTS:
        return False
    return not any(w in _PREDICATES or w.endswith("'s") for w in words)


_PREDICATES = word_set("is are was were be should must need needs has have had sounds sound seems feels gets can could will would")
_OBJECTS = word_set("the a an this that these those it them everything all my his her their")


def _ops(p: Parsed) -> list[str]:
    return [s.op for s in p.steps]


def _neural_only(p: Parsed) -> bool:
    return len(p.steps) == 1 and p.steps[0].engine == "neural"


def _same(a: Step, b: Step) -> bool:
    return (a.op, a.params, a.region, a.engine) == (b.op, b.params, b.region, b.engine)


def _key(p: Parsed) -> list:
    return [(s.op, s.params, s.region) for s in p.steps]
