"""Name a sound source from its caption, so instructions can say what to add or remove.

Captions are usually sentences ("A dog barks twice in a quiet yard"), but an
instruction needs a noun phrase ("remove the dog barking twice"). The first
finite verb of the main clause, and of clauses joined by "and" or a comma, becomes
its -ing form; "is/are" before an -ing verb goes. Verbs are recognised from a
lexicon of the sounds that captions describe, so "tree bark" or "a bell ring
tone" stay nouns. Pitfall: a caption whose verb is not in the lexicon is used
as it is, which reads well when it is already a noun phrase ("Rain on a tin
roof") and a little stiffly otherwise; the LLM path phrases those better.
"""

from __future__ import annotations

import re

import numpy as np

# Base forms of the verbs that sound captions use; -s and -ing forms are derived.
_VERBS = """
accelerate approach bang bark beep blare blow boil bounce breathe bubble buzz call chant chat chatter chime chirp
chop clang clank clap clatter click clink close coo cough crackle crash creak croak crow crumple crunch crinkle cry dribble drip
drive drone drum echo explode fall flap flow flutter fly fade fire fry gallop gasp giggle give go grind growl grunt gurgle gush
hammer hiss hit honk hoot howl hum idle jingle knock land laugh leak make meow moan moo move murmur neigh open pant pass
patter play plop pop pulse pound pour purr quack rattle rev ring rise roar roll rumble run rush rustle saw scrape scratch
scream screech shake shatter shout shriek sing sizzle slam slide slosh snap sneeze sniff snore snort sob sound speak spin splash
spray squawk squeak squeal start step stomp stop strike strum sweep swell swish tap talk thud thump thunder tick ting tinkle
trickle trill tweet twitter type vibrate wail walk warble wash whimper whine whir whisper whistle whoosh yap yell
yelp
""".split()
_DOUBLE = {"chat", "clap", "drip", "drum", "flap", "hum", "plop", "pop", "rev", "run", "sob", "slam", "snap", "step", "stop", "tap", "thud", "whir"}
_DETERMINERS = {"a", "an", "the", "some", "one", "two", "three", "several", "many", "multiple", "few", "someone", "something"}
_PLURAL_SUBJECTS = {"people", "children", "men", "women", "geese", "mice", "sheep", "cattle", "crowd", "kids"}
_ARTICLES = {"a", "an", "one", "some"}
# Words after which a phrase may be cut to its short form ("a dog barking | in a yard").
_CUT_WORDS = {"in", "on", "at", "into", "from", "near", "with", "while", "as", "during", "through", "over", "under",
              "behind", "beside", "outside", "inside", "against", "along", "across", "around", "before", "after",
              "then", "and", "followed", "far", "nearby", "close", "for", "to", "until", "when"}
# Clauses joined like this ("and", ",", "then") have their own finite verb, which also becomes -ing.
_JOINS = re.compile(r"(\s*,\s*(?:and\s+|then\s+)?|\s+and\s+(?:then\s+)?|\s+then\s+)")
_KEEP_FINITE = {"while", "as", "when", "before", "after", "until", "because", "where", "which", "that", "who"}


def _ing(base: str) -> str:
    if base.endswith("ie"):
        return base[:-2] + "ying"
    if base.endswith("e") and not base.endswith(("ee", "oe", "ye")) and base not in ("be",):
        return base[:-1] + "ing"
    if base in _DOUBLE:
        return base + base[-1] + "ing"
    return base + "ing"


def _third_person(base: str) -> str:
    if base.endswith(("s", "sh", "ch", "x", "z", "o")):
        return base + "es"
    if base.endswith("y") and base[-2] not in "aeiou":
        return base[:-1] + "ies"
    return base + "s"


_FINITE = {_third_person(v): _ing(v) for v in _VERBS}
_BASE = {v: _ing(v) for v in _VERBS}
_ING = set(_BASE.values())


def _tidy(caption: str) -> str:
    text = " ".join(caption.strip().split()).rstrip(".!;")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def _gerund_clause(words: list[str], joined: bool) -> list[str]:
    """Turn the clause's first finite sound verb into its -ing form.

    A joined clause may have no subject of its own ("..., then drives away").
    """
    for i, word in enumerate(words):
        w = word.lower()
        if i == 0 and w not in _ING and not (joined and w in _FINITE):
            continue
        if w in _KEEP_FINITE:
            return words
        if w in ("is", "are") and i + 1 < len(words) and words[i + 1].lower() in _ING:
            return words[:i] + words[i + 1 :]
        if w in _FINITE:
            return words[:i] + [_FINITE[w]] + words[i + 1 :]
        prev = words[i - 1].lower() if i else ""
        if w in _BASE and (prev.endswith("s") and not prev.endswith("ss") or prev in _PLURAL_SUBJECTS):
            return words[:i] + [_BASE[w]] + words[i + 1 :]
        if w in _ING:
            return words
    return words


def noun_phrase(caption: str) -> str:
    """An indefinite noun phrase for the caption's sound: "a dog barking twice in a quiet yard"."""
    parts = _JOINS.split(_tidy(caption))
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a separator
            out.append(part)
        elif i == 0 or not part.split() or part.split()[0].lower() not in _KEEP_FINITE:
            out.append(" ".join(_gerund_clause(part.split(), joined=i > 0)))
        else:
            out.append(part)
    return "".join(out)


def short_phrase(phrase: str) -> str:
    """The phrase cut before its first place or time qualifier: "a dog barking twice"."""
    words = phrase.split()
    for i, w in enumerate(words[2:], 2):
        if w.lower() in _CUT_WORDS:
            return " ".join(words[:i])
        if w.endswith(","):
            return " ".join(words[: i + 1]).rstrip(",")
    return phrase


def definite(phrase: str) -> str:
    """Refer to a sound already in the audio: "a dog barking" -> "the dog barking"."""
    words = phrase.split()
    if not words:
        return phrase
    if words[0].lower() in _ARTICLES:
        return " ".join(["the"] + words[1:])
    if words[0].lower() in _DETERMINERS:
        return phrase
    return "the " + phrase


def pick_name(caption: str, rng: np.random.Generator, known: bool) -> str:
    """A varied name for the source: full or short, definite when it is already in the audio."""
    phrase = noun_phrase(caption)
    if rng.random() < 0.5:
        phrase = short_phrase(phrase)
    if known:
        phrase = definite(phrase)
    elif rng.random() < 0.3:
        phrase = "the sound of " + phrase
    return phrase
