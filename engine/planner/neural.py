"""Which clauses need the model.

Two kinds of evidence:
- Task words that no DSP operation can honour: dereverberation, removing
  distortion or glitches (clicks and clipping are DSP: restore.py),
  super-resolution, inpainting, reordering, generation, remixing into a style
  or mood, restoring dynamics, voice conversion (`task`).
- A sound source where DSP only sees the whole file (`sources`): a source verb
  whose object is a thing the rules did not explain ("remove the *birds*",
  "add *a bell*", "replace ...", "instead of *the rain*", "I don't want *the
  dog*"), sounds placed in a new order ("play *the bell* first"), a level
  change aimed at one sound ("make *the dog* louder", "slow down *bell*"), or
  "make it sound like *a sunny forest*". A source is any word that is not a
  function word, a whole-file word, an amount or a direction (`unknown`), so no
  list of sounds is needed.

Pitfalls: the object check stops at words a rule consumed, so "remove the
background hiss" is DSP (its head, "hiss", is a denoise target) while "add
distant wind" is neural (its head, "wind", is unknown). A speed change names
the clip ("speed up the dog barking" is the recording of a dog): only level
changes take a named sound as one sound in a mix.
"""

from __future__ import annotations

import itertools
import re

from .clause import Clause
from .intensity import ADJECTIVE_MODIFIER, DIRECTION, LARGE_WORDS, SMALL_WORDS
from .lexicon import is_known
from .concepts import ARTEFACTS
from .text import CONTENT, DETERMINERS, PREPOSITIONS, STOPWORDS, VERBS, WHOLE, singular

_RESTORE = r"(?:restor|recover|reconstruct|repair|bring\s+back|rebuild|extend|expand)\w*"
_TASKS = [
    ("dereverberation", r"\bde-?reverb\w*|\bdereverberat\w*|\b(?:remove|reduce|cut|kill|get\s+rid\s+of|take\s+out|eliminate|strip|less|lose|fix|lower)\s+(?:the\s+|all\s+(?:the\s+)?|any\s+|some\s+(?:of\s+the\s+)?)?(?:reverb\w*|echo\w*|room\s+(?:sound|tone|reflections?|acoustics|echo)|reflections?|reverberation|\w+\s+effect)\b|\b(?:dry|drier|dryer)\b|\b(?:too|so)\s+(?:much\s+)?(?:reverb\w*|echo\w*|roomy|wet)\b"),
    # clicks, pops, crackle and clipping are artefacts that signal processing removes (concepts.ARTEFACTS); distortion and dropouts are not
    ("restoration", r"\b(?:remove|fix|repair|restore|undo|reduce|get\s+rid\s+of|clean\s+up)\s+(?:the\s+|all\s+(?:the\s+)?|any\s+)?(?:distortion|dropouts?|glitch\w*|artifacts?|artefacts?)\b"),
    ("super-resolution", (r"\bsuper[\s-]?resol\w*|\bbandwidth\s+extension\b|\bupscal\w*|\bupsampl(?:e|es|ed|ing)?\b(?!\s+(?:it\s+|this\s+|the\s+\w+\s+)?to\s+\d)|\b(?:enhance|improve|increase|boost|restore|upgrade|raise|better)\w*\s+(?:the\s+)?(?:overall\s+)?(?:audio\s+|sound\s+)?(?:quality|fidelity|resolution)\b"
     # "restore the high frequencies", "restore this low-quality recording to full bandwidth", "recover the lost high end"
     rf"|\b{_RESTORE}\b(?:\s+[a-z'-]+){{0,5}}?\s+(?:(?:to|the|its|full|original|missing|lost)\s+)*(?:high\s+frequencies|high\s+end|highs|treble|bandwidth|top\s+end|fidelity|(?:full|original|high|higher)\s+(?:quality|resolution)|full\s+(?:frequency\s+)?(?:range|spectrum))\b"
     r"|\bfull[\s-]band(?:width)?\b|\b(?:hi-?fi|high\s+quality|higher\s+quality|hd)\b")),
    ("inpainting", (r"\bin-?paint\w*|\bfill\s+(?:in\s+)?(?:the\s+|an?\s+|some\s+)?(?:gaps?|holes?|missing|dropouts?|silen\w*|silent\s+\w+|blanks?|empty\s+\w+)\b"
     rf"|\b(?:{_RESTORE}|fill\s+in)\s+(?:the\s+|an?\s+|some\s+)?(?:missing|lost|damaged|corrupted|dropped|deleted|silent|muted|blank|empty)\b"
     # "reconstruct the part that dropped out", "restore the bit that was cut"
     rf"|\b(?:{_RESTORE}|fill\s+in)\s+(?:the\s+)?(?:part|bit|section|portion|segment|audio|sound|gap|stretch)s?\s+(?:that|which|where)\b"
     r"|\bre-?generat\w*|\bre-?synthesi[sz]\w*")),
    ("reordering", (r"\b(?:swap|switch|revers\w*|flip|invert|chang\w*|rearrang\w*|shuffl\w*|exchange|mix\s+up)\s+(?:the\s+)?(?:order|sequence|positions?|places)\b"
     r"|\bre-?order\w*|\bin\s+(?:the\s+)?(?:opposite|reverse|other|swapped)\s+order\b")),
    ("generation", r"\bgenerat\w*|\bcompos(?:e|ing)\b|\btext[\s-]to[\s-]speech\b|\btts\b|\bsynthesi[sz]e\s+(?:a|an|some)\b"),
    ("style", r"\b(?:other|different|another)\s+instrument(?:al)?s?\b|\bremix\w*|\bre-?arrang\w*|\bre-?orchestrat\w*|\bgenre\b|\bin\s+the\s+style\s+of\b|\bstyle\s+(?:transfer|of)\b|\bcover\s+version\b|\b(?:jazz|blues|rock|metal|pop|techno|edm|hip[\s-]?hop|classical|country|reggae|orchestral|acoustic|punk|folk|disco|funk|trap|ambient\s+music)\s+(?:version|style|genre|cover|arrangement|song|track)\b|\bmood\b|\b(?:happier|sadder|more\s+(?:relax\w*|happy|sad|upbeat|energetic|calm|melanchol\w*|cheerful|joyful|romantic|scary|tense|peaceful))\b"),
    ("dynamics restoration", r"\bde-?compress\w*|\brestore\s+(?:the\s+)?dynamics\b|\b(?:over-?compress\w*|over-?limit\w*)|\bmore\s+dynamic\b|\bexpand\s+the\s+dynamic\w*|\bupward\s+expan\w*|\bless\s+(?:compressed|squashed|limited)\b"),
    ("voice conversion", r"\b(?:female|male|man|woman|girl|boy|men|women)(?:'s)?\b(?:\s+[a-z]+){0,3}?\s+(?:to|into|sound|sounds|sounding)\s+(?:like\s+)?(?:an?\s+)?(?:male|female|man|woman|girl|boy|masculine|feminine)\b"
     r"|\bclon\w*\s+(?:the\s+|a\s+|my\s+|his\s+|her\s+)?voice|\bvoice\s+conversion\b|\bchange\s+(?:the\s+|his\s+|her\s+|their\s+)?(?:voice|speaker|singer|gender)\b|\b(?:different|another)\s+(?:voice|speaker|singer)\b|\bsound\s+like\s+(?:a\s+)?(?:woman|man|girl|boy|female|male|lady|guy)\b|\bgender\b"),
    ("separation", r"\bkaraoke\b|\ba\s?cappella\b|\bacapella\b|\binstrumental\s+(?:version|only)\b|\bvocals?\s+only\b|\bstems?\b|\bde-?mix\w*|\bunmix\w*"
     r"|\bsplit\s+(?:out|off|apart)\b|\bisolation\s+of\b|\bseparation\s+of\b|\bas\s+separate\s+(?:tracks|stems|files|parts|channels)\b"
     # "get voice only", "just output the background music"
     r"|\b(?:get|keep|extract|output|want|leave|hear|have)\s+(?:just\s+|only\s+)?(?:the\s+)?[a-z]+\s+only\b|\b(?:just|only)\s+(?:output|give\s+me|return|get|hear)\b"),
    ("continuation", r"\bcontinuation\b|\b(?:extend|continue)\s+(?:it|(?:this|that|the|an?|my)(?:\s+[a-z0-9]+){0,3})\s*$"
     r"|\bcontinue\s+(?:the\s+|this\s+)?(?:music|song|melody|track|playing|piece)\b"),
    ("speech editing", r"\b(?:chang|replac|swap|edit|alter|correct|rewrit|substitut)\w*\s+(?:the\s+|a\s+|some\s+|one\s+|those\s+)?(?:[a-z]+\s+)?(?:words?|lyrics?|phrases?|sentences?|syllables?|lines?\s+(?:of|in)\s+the\s+(?:song|speech|dialogue))\b"
     r"|\b(?:numbers?\s+of\s+)?words\s+within\b|\bsay\s+[\"'“]"),
    ("restoration", r"^(?:fix|repair|restore)\s+(?:it|that|this|the\s+(?:audio|recording|sound|file|track|clip))$"
     r"|\b(?:music|audio|sound)\s+recovery\b|\bas\s+(?:if\s+)?it\s+(?:is|was|were)\s+new\b"
     r"|\b(?:restore|repair)\s+(?:the\s+|this\s+|my\s+|an?\s+)?(?:[a-z]+\s+){0,3}?(?:vinyl|record|recording|tape|cassette|disc|audio|file|track|song|album|lp)\b(?!\s+to\b)"
     r"|\bso\s+(?:that\s+)?it\s+sounds\s+(?:like\s+)?(?:new|brand\s+new|clean|pristine)\b"),
]
_TASK_RES = [(name, re.compile(p)) for name, p in _TASKS]

_SOURCE_VERBS = re.compile(
    r"\b(?:add|adding|insert|include|incorporate|introduce|mix(?:\s+in)?|layer|overlay|put\s+in|bring\s+in|create|put|place|use|"
    r"remove|removing|delete|drop|erase|eliminate|get\s+rid\s+of|take\s+out|cut\s+out|filter\s+out|strip\s+out|kill|mute|silence|"
    r"suppress|exclude|leave\s+out|lose|ditch|(?:don't|do\s+not)\s+(?:want|need)|replace|swap|switch|substitute|exchange|"
    r"instead\s+of|rather\s+than|in\s+place\s+of|"
    r"isolate|extract|separate|single\s+out|keep\s+only|keep\s+just|leave\s+only|only|just|solo|without|change|turn|transform|convert)\b"
)
_ADDING = ("add", "adding", "insert", "include", "incorporate", "introduce", "mix", "mix in", "layer", "overlay", "put in", "bring in",
           "create", "put", "place", "use")
# "put", "place" and "use" name a new sound only with an indefinite object: "put a dog bark at the end", "use a bell instead";
# "put the guitar in a church" and "use the voice" are about the recording itself
_INDEFINITE_ONLY = ("put", "place", "use")
_TARGET_VERBS = ("change", "turn", "transform", "convert", "switch")  # the thing named after "to"/"into" is the target
_ALWAYS = ("replace", "substitute", "swap", "exchange")
_OWNED = {"#volume", "#level", "#levels", "#gain", "#loudness", "#noise", "#noises", "#hum", "#hiss", "#sound"}  # "the helicopter's volume"
_LEVEL_LIKE = {"gain", "louder", "mute"}  # normalizing and loudness targets are said of the whole file
_TIME_LIKE = {"time_stretch", "speed"}
# placing sounds in time: "play the bell first", "put the dog before the rain", "let the rain come first and the bell after it"
_ORDER_VERBS = {"put", "place", "move", "play", "let", "have"}
_ORDER_WORDS = {"first", "last", "before", "after"}
_SOUND_WORDS = ("sound", "sounds", "noise", "noises")
_TOOL_HEADS = frozenset("filter filters effect effects plugin plug-in plugins pedal processing preset presets setting settings option".split())  # "the sound of ..."
_LIKE = re.compile(
    r"(?:\b(?:sound|sounds|sounding|seem|seems|feel|feels|be|is|are|make\s+(?:it|this|them|everything)|^)\s+(?:more\s+|a\s+bit\s+|just\s+|a\s+little\s+|kind\s+of\s+|exactly\s+)?(?:like|as\s+if|as\s+though)|^like)\b"
)
# adjectives that pick among things or judge them, the places of a stereo image, file formats: never themselves a sound
_MODIFIERS = frozenset("""different other various several many multiple certain specific proper main whole entire original new same
    individual separate both own cool nice good bad better best great weird strange annoying awful terrible horrible occasional
    constant whole overall specific general particular actual real current existing final single
    quiet quieter loud louder soft softer noisy max maximum min minimum peak average
    left right channel channels side sides speaker speakers ear ears center centre middle stereo mono
    mu-law u-law a-law mulaw ulaw alaw pcm wav mp3 flac ogg aiff float kbps bitrate format
    next previous following preceding first last""".split())
_STYLE = re.compile(r"\b(?:in|into)\s+(?:an?|the)\s+(?P<what>(?:[a-z-]+\s+){1,2})(?:style|genre|fashion|manner|version|arrangement)\b")
_PREFER = re.compile(r"\b(?:have|use|hear|get|want)\s+[a-z' -]+?\s+(?:than|over)\s+[a-z' -]+")
_TOKEN = re.compile(r"@|§[a-z]|[a-z][a-z'\-]*|[-+]?\d+(?:\.\d+)?")


def task(text: str) -> str | None:
    """The model-only task a clause names ("dereverb", "super-resolution"), or None."""
    return next((name for name, pattern in _TASK_RES if pattern.search(text)), None)


def unknown(word: str, content_is_source: bool = False) -> bool:
    """A word that may name a sound: not a function word, a whole-file word, an amount or a direction.

    Stricter than lexicon.is_known on purpose: "background" appears in a rule
    ("in the background") yet "the background" is a sound of its own. With
    `content_is_source`, "voice" or "music" count too: added or removed, they
    are one sound among others.
    """
    one = singular(word) if word != "vocals" else word  # "the vocals" is a stem in a mix; "the voices", "the songs" are the files
    if content_is_source and one in CONTENT:
        return True
    if word in _MODIFIERS or (len(word) > 5 and word.endswith("ly") and not word.endswith(("fly", "ily", "bly"))):
        return False  # "different voices", "a cool filter", "automatically": the noun says what the thing is
    if not word[0].isalpha() or word in STOPWORDS or one in WHOLE or word in DETERMINERS or word in PREPOSITIONS or word in ARTEFACTS or one in ARTEFACTS:
        return False
    return not any(p.fullmatch(word) for p in (SMALL_WORDS, LARGE_WORDS, DIRECTION, ADJECTIVE_MODIFIER))


def _object_is_source(tokens: list[str], i: int, head_rule: bool = True, adding: bool = False, whole_phrase: bool = False) -> bool:
    """Do the tokens from i on name an unknown thing (before a function word, a consumed word or the end)?

    With `head_rule`, a phrase ending in a consumed word is that word's modifier
    ("the background [hiss]"), not a source. With `adding`, "the sound of X"
    names a sound to add whatever X is: "add the sound of a radio playing" is a
    radio, not a radio effect. With `whole_phrase`, framing words ("quality",
    "effect") don't end the phrase, so its head is found: "add studio quality [compression]".
    """
    while i < len(tokens) and (tokens[i] in DETERMINERS or tokens[i].startswith("#") and tokens[i] != "#@" or tokens[i] in ("of", "more", "some", "any")):
        i += 1  # "#@": the object was a region ("extract [1-5 s] of the first audio")
    chunk: list[str] = []
    while i < len(tokens):
        t = tokens[i]
        if t in _SOUND_WORDS and i + 1 < len(tokens) and tokens[i + 1] in ("of", "#of"):
            if adding:
                return _names_anything(tokens, i + 2)
            if tokens[i + 1] == "of":
                return _object_is_source(tokens, i + 2, head_rule)  # "the sound of a barking dog"
        if t.startswith("#") and head_rule and t[1:] not in PREPOSITIONS and t[1:] not in STOPWORDS:
            return False  # the head was explained by a rule: "the background [hiss]"
        if whole_phrase and t in STOPWORDS and t not in PREPOSITIONS:
            i += 1
            continue
        if t in _TOOL_HEADS and not chunk[-1:] == ["sound"]:
            return False  # "add a cool audio filter": the head names a tool, not a sound
        if t.startswith(("#", "§")) or t == "@" or t in PREPOSITIONS or t in STOPWORDS or _SOURCE_VERBS.fullmatch(t):
            break  # the phrase ends: "use a limiter | instead of a compressor"
        chunk.append(t)
        i += 1
    return any(unknown(t, content_is_source=head_rule) for t in chunk)


def _names_anything(tokens: list[str], i: int) -> bool:
    """Does the noun phrase from i on name anything at all, explained by a rule or not ("a [church] bell", "a [radio])?"""
    words_ = [t.lstrip("#") for t in itertools.takewhile(lambda t: t != "@" and t not in PREPOSITIONS, tokens[i:])]
    return any(unknown(w) or (is_known(w) and w not in STOPWORDS and w not in WHOLE) for w in words_)


def _verb_source(tokens: list[str], planned: bool) -> bool:
    """A source verb whose object is an unknown thing ("remove the birds").

    The verb may have been taken as a rule's direction ("add an echoing voice": "add" is the echo's
    direction too), so consumed verbs count. "drop" with a planned step lowers something ("drop
    the dog barking down a minor sixth") rather than removing it.
    """
    for i, token in enumerate(tokens):
        t = token.lstrip("#")
        if not _SOURCE_VERBS.fullmatch(t) or (t == "drop" and planned):
            continue
        if t in _ALWAYS and t == token:  # a consumed "swap" was a rule's: "swap the channels"
            return True
        if t in _TARGET_VERBS and t == token:
            rest = tokens[i + 1:]
            to = next((j for j, x in enumerate(rest) if x in ("to", "into", "with", "for")), None)
            if to is not None and _object_is_source(rest, to + 1, adding=True):
                return True
            continue
        if t == "use" and "to" in tokens[i + 2:i + 7]:
            continue  # "use ffmpeg-normalize to normalize ...": a tool, not a sound to add
        if t in ("only", "just") and i > 0 and tokens[i - 1] not in ("keep", "leave"):
            continue  # "just a little louder": only a leading "only"/"just" names a source to keep
        if t in _INDEFINITE_ONLY and i + 1 < len(tokens) and tokens[i + 1] in DETERMINERS - {"a", "an", "some", "any"} \
                and tokens[i + 2: i + 3] != ["sound"]:
            continue
        if _object_is_source(tokens, i + 1, adding=t in _ADDING, whole_phrase=token.startswith("#")):
            return True
    return False


def _level_source(tokens: list[str], named: bool = True) -> bool:
    """A level (or speed) change aimed at a named sound: "make the dog louder", "volume of child speech", "slow down bell".

    Without `named`, a sound named with a determiner is taken as the whole clip: "speed up the dog barking"
    is said of a recording of a dog barking, while "slow down bell" picks one event out of a scene.
    """
    for i, t in enumerate(tokens):
        if t in DETERMINERS or t == "of":
            if named and _object_is_source(tokens, i + 1, head_rule=False):
                return True
        elif t in ("#up", "#down") and i + 1 < len(tokens) and unknown(tokens[i + 1]):
            return True  # "slow down [bell]", "turn up [guitar]"
        elif i == 0 and unknown(t) and len(tokens) > 1 and tokens[1] in ("should", "must", "needs", "need", "is", "are", "has", "have"):
            return True  # "birds should be louder"
    return False


def _reorders(tokens: list[str]) -> bool:
    """Sounds placed in a new order: "play the bell first", "put the dog before the rain"."""
    return (any(t in _ORDER_VERBS for t in tokens) and any(t in _ORDER_WORDS for t in tokens)
            and any(unknown(t) and t not in VERBS and t not in _ORDER_WORDS for t in tokens))


def _tokens(c: Clause) -> list[str]:
    """Words of the clause, '#word' for each consumed one; multi-word verbs ("get rid of") as one token,
    consumed ("#get rid of") when a rule took their first word as its direction."""
    out: list[str] = []
    for m in re.finditer(r"#+|[^\s#]+", c.work):
        if m.group(0).startswith("#"):
            out.append("#" + c.text[m.start():m.end()])
        else:
            out.extend(_TOKEN.findall(m.group(0)))
    joined: list[str] = []
    i = 0
    while i < len(out):
        plain = [t.lstrip("#") for t in out[i:i + 3]]
        n = next((len(p) for p in _PHRASES if plain[:len(p)] == p), 1)
        prefix = "#" if out[i].startswith("#") else ""
        joined.append(prefix + " ".join(plain[:n]) if n > 1 else out[i])
        i += n
    return joined


_PHRASES = [p.split() for p in (
    "get rid of", "take out", "cut out", "filter out", "strip out", "leave out", "single out", "keep only", "keep just", "leave only",
    "mix in", "put in", "bring in", "instead of", "rather than", "in place of", "don't want", "do not want", "don't need", "do not need")]


def sources(c: Clause) -> str | None:
    """Why this clause needs the model because of a sound source, or None."""
    tokens = _tokens(c)
    if any(t.endswith("'s") and unknown(t[:-2]) and nxt in _OWNED for t, nxt in itertools.pairwise(tokens)):
        return "changes one sound inside the mix"  # "the turkey's [noise]", "the helicopter's [volume]"
    if _verb_source(tokens, planned=bool(c.ops)):
        return "adds, removes or replaces a sound"
    if _reorders(tokens):
        return "puts sounds in a new order"
    level, time = any(op in _LEVEL_LIKE for op in c.ops), any(op in _TIME_LIKE for op in c.ops)
    if (level or time) and _level_source(tokens, named=level):
        return "changes one sound inside the mix"
    prefer = _PREFER.search(c.work)
    if prefer and any(unknown(t) for t in _TOKEN.findall(prefer.group(0))):
        return "replaces a sound"  # "[I'd rather] have rain than the engine idling"
    style = _STYLE.search(c.work)
    if style and any(unknown(t) for t in style.group("what").split()):
        return "plays it in another style"  # "in a calypso style"
    like = _LIKE.search(c.work)
    if like and re.match(r"\s*(?:i|you|we|he|she|they)\b", c.work[like.end():]):
        like = None  # "like you said": a turn of phrase, not a sound
    if like and any(unknown(t) and not is_known(t) for t in _TOKEN.findall(c.work[like.end():])):  # "a *cheap* radio" is a rule's word
        return "asks for a sound only the model can make"
    return None
