"""Finding the request inside what people write: questions, wishes, feature requests and stories.

People rarely type an imperative. They ask ("Is there a way to normalize my mp3s?"), wish ("I'd
like to split my podcasts into chunks"), suggest a feature ("It would be nice to be able to pan
left/right") or tell a story first ("I recorded a call ... Is there some way I can ..."). `frame`
cuts the text into sentences and gives each stretch a kind (`Part`):

- request: the text after a *marker* (a modal question "is there a way to", "how do I", "can you";
  a wish "I'd like to", "I'm trying to", "in an effort to"; a suggestion "it would be nice if ...
  could", "add an option to", "being able to"), or a sentence with an imperative clause, a wish
  said of the sound ("should be louder") or no sign of a story ("The bass is too loud.");
- context: a sentence that tells (a person or "there" as subject, "has", "was", a question, "For
  example ...") and the words before a marker in its sentence;
- aside: an explanation after the request ("so that ...", "because ...", "without losing ..."), a
  parenthesis that asks nothing, and a request that only points back at the story ("how do I do
  this?"). Never read.

Markers chain ("I think it would be nice to have a way to normalize" -> "normalize"). The planner
reads the requests first and the context only when they give no step. Offsets into the text are
kept throughout, so each step quotes the user's own words.

Pitfalls: a marker counts at the start of a sentence, after a comma or a discourse word, or (wishes,
"the possibility to") after its story; "do I need to design a filter?" asks about the method. A
marker for "I want" + a noun phrase keeps the verb: "we only want the part between 1 and 2 s" is a
keep, "I want the first 10 s to be louder" the region of a gain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .text import VERBS

_SUBJ = r"(?:i|we|you|u|one|someone|anyone|somebody|anybody|sao|it|this|they|people|users?)"
_MODAL = r"(?:can|could|would|will|should|may|might|do|does|did|must|shall)"
_WAY = (r"(?:ways?|chance|options?|settings?|possibilit(?:y|ies)|methods?|means|functions?|features?|tools?|tricks?|plugins?|plug-ins?"
        r"|filters?|effects?|commands?|scripts?|programs?|apps?|solutions?|approach(?:es)?|modes?|techniques?|procedures?|abilit(?:y|ies)|capabilit(?:y|ies))")
_FIX = r"(?:nice|great|good|cool|useful|helpful|awesome|handy|amazing|ideal|better|neat|lovely|fantastic|wonderful|perfect|beneficial|appreciated)"
_ADV = r"(?:(?:really|very|so|super|also|just|still|actually|probably|definitely|maybe|perhaps|please|simply|somehow|easily|\(?\"?easily\"?\)?)\s+)*"
_PLAIN = r"(?:(?:new|simple|easy|easier|quick|good|proper|better|built-in|builtin|dedicated|separate|automatic|automated|single|global|optional|native|other|specific|reliable|free|cheap)\s+)?"
_TAIL = rf"(?:(?:{_SUBJ}\s+)?(?:{_MODAL}\s+)?(?:be\s+able\s+to\s+|(?:possibly|just|also)\s+)*)"

# Each marker ends where the request begins. Tried at the start of the body again after a match,
# so chains unwind: "I think it would be nice to have a way to normalize ..." -> "normalize ...".
_MARKERS = [
    # modal questions
    rf"(?:is|are)\s+there\s+(?:a|an|any|some)\s+{_PLAIN}{_WAY}\s+(?:(?:to|for|of|in\s+which|that|which|whereby)\s+|(?:that\s+)?{_SUBJ}\s+(?:{_MODAL}\s+)?)?",
    rf"(?:is|would|will|was)\s+it\s+(?:be\s+)?(?:at\s+all\s+)?(?:\w+\s+)?(?:possible|feasible|easy|hard|difficult|doable|realistic|an?\s+option)\s+(?:for\s+(?:me|us|you|sao)\s+)?(?:to\s+)?",
    rf"(?:is|are)\s+(?:this|it|the\s+\w+|sao|there\s+anything)\s+(?:able|applicable|usable|capable|suitable|meant)\s+(?:to|of|for)\s+",
    rf"how\s+(?:{_MODAL}\s+)?{_SUBJ}\s+(?:{_MODAL}\s+)?(?:go\s+about\s+|best\s+|easily\s+|actually\s+)?(?:\w+ing\s+)?",
    r"how\s+to\s+",
    r"(?:to\s+)?know\s+(?:how|if|whether)\s+(?:to\s+|(?:i|we|you|one)\s+(?:can|could)\s+)?",
    r"(?:is|are)\s+(?=[a-z-]+(?:\s+[a-z-]+)?\s+(?:possible|doable|feasible|supported|available)\b)",  # "is dereverberation possible?"
    rf"(?:what|which)(?:'s|\s+is|\s+are|\s+would\s+be)\s+(?:the\s+|a\s+)?(?:best|easiest|simplest|quickest|right|correct|proper|recommended|fastest|cleanest|good|standard|usual)\s+(?:\w+\s+)?(?:ways?|methods?|approach|tools?|filters?|plugins?|settings?|options?|practice|procedure)\s+(?:to|for|of)\s+",
    rf"(?:what|which)\s+(?:\w+\s+){{0,3}}?(?:\(if\s+any\)\s+)?(?:{_MODAL})\s+(?:{_SUBJ}\s+)?(?:use|be\s+(?:helpful|used|useful|needed))\s+(?:to|for)\s+",
    rf"(?:can|could|would|will)\s+(?:you|u|anyone|anybody|someone|somebody|sao|it|this|we|i|one)\s+{_ADV}(?:(?:help|show|tell|teach|explain|advise|point)\s+(?:me\s+|us\s+)?(?:how\s+to\s+|to\s+|with\s+|on\s+how\s+to\s+)?|recommend\s+(?:(?:a|some)\s+way\s+to\s+|how\s+to\s+)?|suggest\s+(?:(?:a|some)\s+way\s+to\s+|how\s+to\s+)?)?",
    rf"(?:can|could)\s+(?:anybody|anyone|someone|somebody|you)\s+(?:please\s+)?(?:advise|recommend|suggest|tell|show)\s+(?:me\s+|us\s+)?(?:how\s+to\s+|a\s+way\s+to\s+)?",
    r"any\s+(?:ideas?|tips?|suggestions?|advice|recommendations?|help|pointers?|thoughts?|hints?)\s+(?:(?:on|about|for|regarding|as\s+to|to)\s+)?(?:how\s+(?:to|i\s+can|we\s+can|i\s+could)\s+)?",
    rf"(?:(?:i|we)\s+(?:was|were|am|are)\s+|i'm\s+|we're\s+|was\s+|am\s+)?wondering\s+(?:if|how|whether|what)\s+(?:to\s+)?(?:{_SUBJ}(?:'d|'ll)?\s+(?:{_MODAL}\s+)?)?(?:ever\s+)?",
    rf"(?:do|does)\s+(?:we|you|it|sao|this|anyone|anybody)\s+(?:have|know|support|offer)\s+(?:of\s+)?(?:any|a|some)\s+{_PLAIN}{_WAY}\s+(?:to|for|of)\s+",
    rf"(?:do|does)\s+(?:anyone|anybody|someone|somebody)\s+know\s+(?:how\s+to|if|whether|a\s+way\s+to)\s+(?:(?:i|we|you)\s+(?:can|could)\s+)?",
    # wishes
    rf"(?:(?:i|we)(?:'d|\s+would)?|would)(?:\s+(?:really|just|also|simply|only|still|actually))*\s+(?:like|love|want|need|wish|prefer|hope)\s+(?:you\s+|it\s+|sao\s+|someone\s+|[a-z0-9]{1,12}\s+)?to\s+",
    # "I want the part between 1 and 2 s": the verb stays, it says what to keep
    r"(?:i|we)\s+(?:only\s+|just\s+|really\s+|also\s+)?(?=(?:want|need)\s+(?:a|an|some|the|it|this|my|all|every|only|just)\b)",
    rf"(?:i'm|i\s+am|we're|we\s+are|i've\s+been|we've\s+been)\s+{_ADV}(?:trying|looking|hoping|wanting|attempting|planning|struggling|aiming)\s+(?:to|for\s+(?:a|an|some)\s+(?:\w+\s+)?{_WAY}\s+(?:to|that|for))\s+",
    rf"(?:looking|searching)\s+for\s+(?:a|an|some)\s+(?:\w+\s+)?{_WAY}\s+(?:to|that|for)\s+",
    r"(?:i|we)\s+(?:have|need|got)\s+to\s+",
    r"(?:i|we)\s+(?:tried|try|attempted|wanted|needed|wished|hoped)\s+to\s+",
    r"(?:in\s+an?\s+(?:effort|attempt|bid))\s+to\s+",
    r"(?:i|we)(?:'d|\s+would|'m|\s+am|\s+are|'re)?\s+(?:be\s+)?(?:very\s+|really\s+)?interested\s+in\s+(?:(?:build|creat|mak|writ|design|develop|find|get|hav)\w*\s+)?",
    r"(?:something|anything|a\s+way|a\s+tool|a\s+plugin)\s+(?:that|which)\s+(?:(?:will|would|can|could|should|might)\s+)?(?:both\s+|also\s+)?(?:(?:lets?|allows?|helps?|enables?)\s+(?:(?:me|us|you|users?)\s+)?)?(?:to\s+)?",
    r"(?:what|how)\s+about\s+",
    r"that\s+(?:we|i|you|sao|it|one)\s+(?:can|could|would|might)\s+",
    r"(?:i|we)\s+(?:still\s+)?(?:cannot|can't|can\s+not|couldn't|could\s+not)\s+(?:manage\s+to|figure\s+out\s+how\s+to|seem\s+to|find\s+(?:a|the|any)\s+way\s+to|work\s+out\s+how\s+to)\s+",
    r"(?:cant|can't|cannot|can\s+not)\s+find\s+(?:a|the|any)\s+(?:\w+\s+)?way\s+to\s+",
    r"(?:my|our|the)?\s*(?:goal|idea|aim|plan|point|objective|intention|task)\s+(?:is|was|would\s+be)\s+to\s+",
    # suggestions and feature requests
    rf"it(?:\s+would|\s+will|'d|\s+might|\s+could)\s+(?:also\s+)?be\s+{_ADV}{_FIX}\s+(?:to\s+have\s+(?:a|an|the|some)\s+(?:\w+\s+)?{_WAY}\s+(?:to|for)\s+|to\s+|if\s+{_TAIL})?",
    rf"(?:please\s+)?(?:add|provide|implement|give\s+(?:us|me)|include|create|offer|consider|support|get|have)\s+(?:an?\s+|the\s+|some\s+)?{_PLAIN}{_WAY}\s+(?:to|for|that|which|where)\s+(?:(?:allows?|lets?|can|will|would|could)\s+(?:(?:you|me|users?|us|one)\s+)?(?:to\s+)?)?",
    rf"(?:a|an|the|some)\s+{_PLAIN}(?:{_WAY}|argument|flag|parameter|switch|button)\s+(?:that|which|where|to)\s+(?:(?:\w+\s+){{0,3}}?(?:allows?|lets?|tells?|would|will|can|could|helps?)\s+(?:(?:you|me|users?|us|one)\s+)?(?:\w+\s+){{0,3}}?(?:to\s+)?)?(?=\w)",
    r"(?:being\s+|be\s+)?able\s+to\s+",
    r"(?:the\s+|an?\s+)?(?:ability|possibility|capability|option|chance)\s+to\s+",
    r"(?:i|we)\s+(?:would\s+)?(?:like\s+to\s+)?(?:suggest|propose|recommend)(?:ing)?\s+",
    r"there\s+(?:should|could|must)\s+be\s+",
    r"(?:please|pls|plz)\s+help\s+(?:me\s+|us\s+)?(?:to\s+|with\s+|on\s+)?",
    r"(?:allow|enable)(?:s|ing)?\s+(?:(?:me|us|you|users?|the\s+user)\s+)?(?:to\s+)?(?=\w)",
    r"(?:so|and)\s+(?:i|we)\s+can\s+",
]
_MARKER = re.compile(r"\b(?:" + "|".join(f"(?:{m})" for m in _MARKERS) + ")")

# a wish said of the sound itself: "the birds should be louder", "it needs to be slowed"
_SHOULD = re.compile(r"\b(?:should|must|needs?\s+to|has\s+to|have\s+to|ought\s+to)\s+(?:be|sound|get|become)\b")
# explanations after the request: not read, listed as ignored
_SUBORDINATE = re.compile(
    r"[\s,]*\b(?:so\s+that|so\s+(?:it|they|i|we|you|she|he)\s+(?:doesn't|don't|won't|isn't|aren't|does\s+not|do\s+not|can|could|will|would)\b|because|since\s+(?:it|the|i|we|they)|as\s+(?:it|the|i|we|they)\s+(?:is|are|was|were)"
    r"|in\s+order\s+to|to\s+match|to\s+give\s+the\s+sense|for\s+(?:example|instance)|e\.g\.?|such\s+as|without\s+\w+ing|(?:at\s+least\s+)?without\s+having|instead\s+of\s+having|rather\s+than\s+having"
    r"|which\s+(?:is|are|was|were|has|have|will|would|seems?|sounds?|makes?|gives?)|(?:that|who)\s+(?:is|are|was|were|i|we)\s|when\s+(?:i|we|you|recording|listening|using|playing)"
    r"|whenever|on\s+the\s+fly|(?:if|when)\s+(?:possible|needed|necessary)|(?:would|will)\s+be\s+" + _ADV + _FIX + r"|(?:is|are)\s+(?:very\s+)?welcome|thanks?\b|thx|thk)\b"
)
# in a story, only the explanations that never carry the request
_ASIDE = re.compile(r"[\s,]*\b(?:(?:at\s+least\s+)?without\s+\w+ing|instead\s+of\s+having|rather\s+than\s+having|so\s+that"
                    r"|so\s+(?:it|they|i|we|you|she|he)\s+(?:doesn't|don't|won't|isn't|aren't|does\s+not|do\s+not)|because)\b")
_BREAK = re.compile(r",|;|\s(?:and|but|then)\s|\(|\)")
# what may stand before an imperative verb at the start of a clause
_LEAD = re.compile(r"^(?:\s|[\"'“”(\[*>#-]|\d+[.)]|\b(?:and|then|also|just|simply|basically|ideally|please|so|now|first|next|finally|but|or|maybe|perhaps|quickly|easily|only)\b)*")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|approx|cf|ca|nr|no|min|sec|mr|mrs|ms|dr|st)\.", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:[.!?…]+[\"'”’)\]]*|[:;])(?=\s|$)|\n")
_REFERS_BACK = re.compile(
    r"^be\s+(?:done|achieved|possible|accomplished)\b|^(?:\w+\s+){0,2}?(?:do|doing|done|achieve|achieving|accomplish\w*|replicat\w*|recreat\w*|simulat\w*|emulat\w*|reproduc\w*|apply|applying|fix|fixing|"
    r"solve|solving|handle|deal\s+with|implement\w*|minimi[sz]e|eliminate|remove|reduce|get\s+rid\s+of|avoid|prevent|stop|correct)\s+"
    r"(?:it|this|that|these|those|them|the\s+same|(?:this|that|these|such\s+an?)\s+(?:\w+\s+)?(?:effect|sound|thing|trick|kind|type|one|filter|problem|issue|annoyance|nuisance|mess))"
    r"(?=[\s,.?!\"'”’)]*$|\s+(?:to|with|in|on|for|quick\w*|easil\w*|cheap\w*|using|via|by|without|automatically|at|from|please|\w+ly)\b)"
)


@dataclass(frozen=True)
class Part:
    """A stretch of the instruction. kind: "request" (read first), "context" (the story: read only when
    the requests give no step) or "aside" (an explanation, or a request that points back at the story,
    "do this quick and cheap": never read)."""

    start: int
    end: int
    kind: str
    marked: bool = False  # the request follows a marker ("is there a way to ..."), so its first clause asks
    sentence: int = 0

    @property
    def asks(self) -> bool:
        return self.kind == "request"


def sentences(low: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence, the closing punctuation included; "e.g." and decimals don't end one."""
    guarded = _ABBREVIATION.sub(lambda m: m.group(0).replace(".", "\0"), low)
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(guarded):
        if low[start:m.end()].strip(" \n\t.!?…:;\"'”’)]"):
            spans.append((start, m.end()))
            start = m.end()
    if low[start:].strip(" \n\t.!?…:;\"'”’)]"):
        spans.append((start, len(low)))
    return spans


def frame(low: str) -> list[Part]:
    """The instruction's parts in order, markers left out."""
    parts: list[Part] = []
    for i, (s, e) in enumerate(sentences(low)):
        parts.extend(replace(p, sentence=i) for p in _sentence(low, s, e))
    return [p for p in parts if low[p.start:p.end].strip(" \n\t.,!?…:;\"'”’)]")]


def _sentence(low: str, s: int, e: int) -> list[Part]:
    """A sentence's parts; a parenthesis is an aside ("(attached sample)", "(if any)")."""
    parens = list(re.finditer(r"\([^()]*\)?", low[s:e]))
    if not parens:
        return _clauses(low, s, e)
    masked = low[:s] + re.sub(r"\([^()]*\)?", lambda m: " " * len(m.group(0)), low[s:e]) + low[e:]
    parts: list[Part] = []
    for p in _clauses(masked, s, e):  # the sentence read around its parentheses ...
        at = p.start
        for m in parens:
            a, b = s + m.start(), s + m.end()
            if p.start <= a < p.end:
                parts.append(replace(p, start=at, end=a))
                at = b
        parts.append(replace(p, start=at, end=p.end))
    for m in parens:  # ... and each parenthesis an aside, unless it asks: "(speed up by 4/3)"
        asks = any(imperative(c.split()) for c in _CLAUSE.split(m.group(0).strip("()")))
        parts.append(Part(s + m.start(), s + m.end(), "request" if asks else "aside"))
    return sorted((p for p in parts if low[p.start:p.end].strip(" \n\t.,!?…:;\"'”’)")), key=lambda p: p.start)


def _clauses(low: str, s: int, e: int) -> list[Part]:
    """The parts of a sentence (or of what is left of it around parentheses)."""
    text = low[s:e]
    if not text.strip(" \n\t.,!?…:;\"'”’)"):
        return []
    m = _first_marker(text)
    if m is None:
        if _STORY.search(text) and not (_SHOULD.search(text) or any(imperative(c.split()) for c in _CLAUSE.split(text))):
            sub = _ASIDE.search(text)
            cut = s + sub.start() if sub and sub.start() > 0 else e
            return [Part(s, cut, "context")] + ([Part(cut, e, "aside")] if cut < e else [])
        body, parts = 0, []
    else:
        body = m.end()
        while (again := _MARKER.match(text, body)) and again.end() > body:  # chains: "it would be nice to have a way to ..."
            body = again.end()
        parts = [Part(s, s + m.start(), "context")] if m.start() > 0 else []
    at = body
    while (sub := _SUBORDINATE.search(text, at)) and sub.end() > at:
        stop = _BREAK.search(text, sub.end())
        stop_at = stop.start() if stop else len(text)
        if sub.start() > at:
            parts.append(Part(s + at, s + sub.start(), "request", marked=m is not None and at == body))
        parts.append(Part(s + sub.start(), s + stop_at, "aside"))
        at = stop_at
    parts.append(Part(s + at, e, "request", marked=m is not None and at == body))
    first = next(p for p in parts if p.kind == "request")
    if refers_back(low[first.start:first.end]):
        parts[parts.index(first)] = replace(first, kind="aside")
    return [p for p in parts if p.end > p.start]


def _first_marker(text: str) -> re.Match | None:
    """The first marker that starts the sentence or follows a comma, a dash or a word that ends a preamble."""
    for m in _MARKER.finditer(text):
        before = text[: m.start()].rstrip()
        if m.end() >= len(text.rstrip(" .!?…\"'”’)")):
            continue  # nothing after it: "... is what I want"
        if re.search(r"\b(?:do|does|did|should|shall|will)\s*$", before) and m.group(0).startswith(("i ", "we ")):
            continue  # "do I need to design a filter?" asks about the method
        if not before or before[-1] in ",-(–—:\"“'" or re.search(r"\b(?:and|but|so|basically|ideally|honestly|then|or|just|now|also|still|really|actually|wonder)$", before):
            return m
        if m.group(0).startswith(("i ", "we ", "i'", "we'", "is ", "it ", "how ", "any ", "being ", "the ", "a ", "an ", "looking", "in an", "in a ", "please", "was ", "wondering")):
            return m  # a wish or a question may follow its story: "..., I want to ...", "a filter that would ..."
    return None


# a sentence that tells rather than asks: a person or "there" as its subject, a question, a story opener.
# Without these a sentence with no marker is read as a request: "Then, a bit more reverb.", "The bass is too loud."
_STORY = re.compile(
    r"\b(?:i|we|i'm|i've|i'd|i'll|we're|we've|my|our|you|your|he|she|they|his|her|their|there|there's|someone|somebody|people|users?"
    r"|has|have|had|was|were|did|does|got|sounded|seemed|seems\s+like|sounds\s+like|looks\s+like)\b|\?"
    r"|^\W*(?:for\s+(?:example|instance)|e\.g|say|assume|suppose|imagine|usually|sometimes|often|when|while|whenever|if|because|since|although"
    r"|though|however|unfortunately|apparently|currently|recently|originally|specifically|the\s+problem|the\s+issue|the\s+reason|example)\b"
)
_CLAUSE = re.compile(r"[,;]|\b(?:and|then|but)\b")


def imperative(words: list[str]) -> bool:
    """Does a clause start with an imperative verb ("trim the start", "make it louder"), not a noun ("cut is ...")?"""
    text = _LEAD.sub("", " ".join(words)).split()
    return bool(text) and text[0] in VERBS and (len(text) == 1 or text[1] not in ("is", "are", "was", "were", "of", "'s", "has"))


_PASSIVE = re.compile(r"^(?P<obj>.+?)\s+(?:could|can|should|would|will|must|might|may|needs?\s+to|has\s+to|have\s+to|is\s+to|are\s+to)\s+"
                      r"(?:(?!not\b|never\b)\w+\s+)?be\s+(?P<pp>[a-z]+(?:ed|en|t))\b(?P<rest>.*)$")


def active(norm: str) -> str:
    """A passive request made active, so the rules see the verb first: "the fan noise could be eliminated" ->
    "eliminate the fan noise", "it needs to be slowed to half speed" -> "slow it to half speed"."""
    m = _PASSIVE.match(norm)
    if m is None:
        return norm
    pp = m.group("pp")
    verb = next((v for v in (pp[:-1], pp[:-2], pp[:-3], pp[:-3] + "y", pp) if v in VERBS), None)
    return f"{verb} {m.group('obj')}{m.group('rest')}" if verb else norm


def refers_back(body: str) -> bool:
    """A request that points at the story instead of naming an edit: "do this", "simulate this effect", "fix that"."""
    return bool(_REFERS_BACK.match(body.strip()))
