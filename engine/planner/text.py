"""Cleaning an instruction before matching, and the small word lists the planner shares.

`find_constraints` runs on the whole instruction first: phrases such as "but keep
the pitch the same" or "without clipping" do not ask for an edit of their own;
they change how another one is done, so they become flags and are blanked out
(with spaces, so text offsets stay valid for the splitter).
"""

from __future__ import annotations

import re

from .numbers import spell_out

_KEEP = r"(?:keep(?:ing|s)?|preserv(?:e|es|ing)|maintain(?:s|ing)?|retain(?:s|ing)?|hold(?:ing)?|leav(?:e|ing)|lock(?:ing)?)"
_CHANGE = r"(?:chang(?:e|es|ing)|affect(?:s|ing)?|alter(?:s|ing)?|touch(?:es|ing)?|shift(?:s|ing)?|modify(?:ing)?|mess(?:ing)? with)"
_SAME = r"(?:\s+(?:the\s+same|unchanged|intact|as\s+it\s+is|as\s+is|constant|steady|fixed|natural|where\s+it\s+is))?"


_OWNER = r"(?:(?:the\s+)?(?:audio|track|song|file|recording|clip|music|voice|sound|video)(?:'s)?\s+(?:track(?:'s)?\s+)?(?:original\s+)?)?"


def _constraint(objects: str) -> str:
    lead = r"(?:,?\s*(?:but|and|while|whilst|yet)\s+)?"
    own = r"(?:the\s+|its\s+|it'?s\s+|it\s+|original\s+|same\s+)*"
    return (
        rf"{lead}(?:{_KEEP}\s+{own}{_OWNER}(?:{objects}){_SAME}"
        rf"|without\s+(?:{_CHANGE}|raising|lowering|speeding\s+up|slowing\s+down)\s+{own}(?:{objects})"
        rf"|(?:don'?t|do\s+not|does\s*n'?t|not)\s+{_CHANGE}\s+{own}(?:{objects})"
        rf"|(?:with|at)\s+the\s+same\s+(?:{objects}))"
    )


# (flag, pattern): the match is blanked out, or only its "blank" group when it has one
CONSTRAINTS = [
    ("keep_pitch", re.compile(_constraint(r"pitch|key|tuning|tone") + r"|\bpitch[\s-]+(?:preserv\w*|locked|corrected)\b"
                              r"|(?:,?\s*(?:but\s+)?)without\s+(?:the\s+|a\s+|that\s+|any\s+)?(?:chipmunk|helium|mickey\s+mouse)\w*(?:\s+(?:effect|sound|voice))?")),
    ("keep_tempo", re.compile(_constraint(r"tempo|speed|timing|length|duration|rhythm|bpm"))),
    ("pitch_follows", re.compile(
        r"(?:,?\s*(?:and|with)\s+)?(?:let(?:ting)?\s+)?(?:the\s+)?pitch\s+(?:too|as\s+well|also|follows?|following|changes?|changing|rises?|rising|go(?:es)?\s+(?:up|down)|drops?|dropping|with\s+it)\b"
        r"|\b(?:including|and|with|changing)\s+(?:the\s+)?pitch\b|\btape[\s-]+speed\b|\bvari-?speed\b"
    )),
    # "slow it down like a tape": only next to a speed change ("like a vinyl record" alone is a sound)
    ("pitch_follows", re.compile(r"\b(?:slow|speed|sped|fast|faster|slower|tempo)[^.;]*?(?P<blank>\blike\s+(?:a\s+)?(?:tape|record|vinyl|turntable)(?:\s+player)?\b)")),
    ("no_clip", re.compile(
        r"(?:,?\s*(?:but|and|while)\s+)?(?:without\s+(?:any\s+)?(?:clipping|distorting|distortion|peaking|overloading|going\s+over|exceeding\s+0\s*db)(?:\s+(?:it|the\s+signal|the\s+audio|the\s+sound|anything))?"
        r"|(?:,?\s*but\s+)?(?:don'?t|do\s+not|never|avoid|prevent(?:ing)?|no|not)\s+(?:let\s+it\s+)?(?:clip(?:ping)?|distort(?:ing|ion)?|peak(?:ing)?)"
        r"|(?:keep(?:ing)?\s+it\s+)?from\s+clipping)"
    )),
    ("mono_compatible", re.compile(r"(?:,?\s*(?:but|and|while)\s+)?(?:keep(?:ing)?\s+(?:it\s+)?|stay(?:ing)?\s+|(?:make\s+sure\s+)?it'?s\s+)?mono[\s-]*compatib\w*")),
]

# politeness and framing that carry no edit ("can you please", "lol")
_POLITE = re.compile(
    r"\b(?:please|pls|plz|kindly|lol|thanks|thank\s+you|okay|ok|hey|hi|hello|for\s+me|if\s+(?:possible|you\s+can)"
    r"|(?:can|could|would|will)\s+(?:you|we|i)(?:\s+(?:please|maybe|just))?"
    r"|i(?:'d|\s+would)?\s+(?:want|like|need|wish)(?:\s+you)?\s+to(?:\s+(?:use|have|apply))?|i\s+want|i'd\s+like|i\s+need"
    r"|i(?:'d|\s+would)?\s+(?:rather|prefer)(?:\s+(?:you|it\s+if\s+you))?(?:\s+to)?"
    r"|let'?s|let\s+us|why\s+not|is\s+it\s+possible\s+to|would\s+it\s+be\s+possible\s+to|try\s+to|go\s+ahead\s+and|instruction|step\s+\d+)\b"
)
_LEAD = re.compile(r"^(?:\s*(?:(?:and|then|also|next|finally|lastly|firstly|secondly|thirdly|after\s+that|afterwards|plus|but|so|now"
                   r"|potentially|possibly|ideally|basically|maybe|perhaps|probably|optionally|additionally|simply|really|actually)\b|(?:first|second|third)\s*,|\d+[.)](?=\s)|[-*](?=\s))[\s,:]*)+")
_PUNCT = re.compile(r"[\"“”«»()\[\]{}!?;,]|(?<!\d):|:(?!\d)|(?<!\d)\.(?!\d)|\.$")


def lower(text: str) -> str:
    """Lower case with typographic quotes and dashes made plain; same length as the input."""
    table = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2013": "-", "\u2014": "-", "\u2212": "-"})
    low = text.translate(table).lower()
    return low if len(low) == len(text) else text.translate(table)


def find_constraints(low: str) -> tuple[set[str], str]:
    """Flags for phrases like "but keep the pitch the same", and the text with them blanked out."""
    flags: set[str] = set()
    for name, pattern in CONSTRAINTS:
        if pattern.search(low):
            flags.add(name)
            low = pattern.sub(_blank, low)
    return flags, low


def _blank(m: re.Match) -> str:
    """The match with its "blank" group (or all of it) turned into spaces."""
    if "blank" not in m.re.groupindex:
        return " " * len(m.group(0))
    s, e = m.start("blank") - m.start(), m.end("blank") - m.start()
    return m.group(0)[:s] + " " * (e - s) + m.group(0)[e:]


def normalise(piece: str) -> str:
    """One clause, ready for matching: digits for numbers, no politeness, single spaces."""
    text = spell_out(re.sub(r"(?<=[a-z])/(?=[a-z])", " or ", piece))  # "left/right", "compression/volume boost"
    text = _LEAD.sub("", _POLITE.sub(" ", text).strip())
    text = _PUNCT.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _LEAD.sub("", text).strip()


def word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# what a recording is made of: the whole file when its level or colour changes ("make the voice louder"),
# but one sound among others when it is added or taken away ("remove the voice")
CONTENT = word_set("music speech podcast narration beat tune melody voice vocal")

# words that refer to the whole file rather than one sound inside it
WHOLE = CONTENT | word_set(
    """
    it its it's this that these those everything all whole entire thing things stuff audio clip clips track tracks
    file recording song sound sounds mix mixture sample piece take loop signal overall output master length duration
    volume level levels loudness gain tempo speed pace playback pitch tone timbre one 1 part parts section sections
    bit bits portion rest me us everybody they they're he's she's we're you're
    video footage audiobook book lecture episode mp3 wav flac ogg aiff m4a stream
    """
)


def singular(word: str) -> str:
    """'songs' -> 'song', 'voices' -> 'voice', 'mp3s' -> 'mp3': enough to find a word list's plurals."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word

# function words, fillers and framing that name no sound
STOPWORDS = word_set(
    """
    a an the of to in into on onto at by for from with without as than then so such very really just only also too is
    are was were be been being am do does did done have has had having get gets got getting make makes made making let
    lets can could would should will shall may might must need needs want wants like please some any much more less
    most least lot lots bit little tad touch way quite rather pretty somewhat slightly bunch up down out off over
    under about around approximately roughly nearly almost exactly and or but if while whilst when where which who
    what how i you we he she they my your our his her their me them us there here now again still even yet already
    effect effects sound sounding sounds feel feeling vibe style tone quality overall kind sort type coming come comes
    playing played heard hear recorded placed located happening set it's that's there's what's one's sure
    okay ok yes no not don't doesn't isn't use using apply applying put give giving add adding db dbfs hz khz k ms s
    sec secs st x lufs bpm original normal current usual default peak peaks frequency frequencies freqs band bands
    range enough instead anymore whole currently notch filter filters plugin plug-in pedal processing
    theyre its im dont doesnt cant thats whats youre ive id wont isnt arent etc e.g i.e
    came went goes going gone mode modes version versions setting settings option options feature features thing
    second seconds minute minutes hour hours
    """
)

DETERMINERS = {"the", "a", "an", "all", "those", "these", "that", "this", "some", "any", "each", "every",
               "his", "her", "their", "my", "our", "your", "its"}
PREPOSITIONS = {"of", "to", "from", "in", "into", "at", "on", "onto", "with", "for", "by", "while", "so", "that",
                "because", "then", "and", "but", "or", "during", "within", "inside", "until", "till", "after",
                "before", "over", "under", "through", "throughout", "as", "like", "without", "across", "behind"}

# imperative verbs an edit starts with; an elided clause ("and out 2 s") borrows the previous one's
VERBS = word_set(
    """
    add apply make turn put give remove cut trim fade boost reduce increase decrease raise lower drop lift pitch
    transpose shift speed slow play reverse loop repeat normalize normalise compress limit gate pan widen narrow
    collapse convert resample filter eq equalize equalise tame take bring crank pump set change keep extract mute
    silence insert mix layer emphasize emphasise enhance brighten darken warm soften sharpen clean denoise stretch
    shorten lengthen extend pad crop chop delete erase get swap switch flip center centre sum double halve amplify
    attenuate saturate distort bitcrush crush smooth roll notch isolate separate replace dial knock push tighten
    thicken fatten open lose kill strip duplicate echo delay detune tune scoop dip accentuate bump clip truncate high
    low band de-ess deess fix restore cancel suppress eliminate drown bury move place send overlay incorporate include
    introduce generate create transform let use have simulate emulate imitate mimic duck retune
    edit save export download grab record truncate minimize minimise lessen adjust tweak modify alter correct improve
    """
)
