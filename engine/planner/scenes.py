"""Everyday descriptions made from several operations: "like a telephone", "underwater",
"behind a wall", "far away", "a robot", "a monster", "lo-fi", "spacious", "dramatic".

These are recipes, not measurements of a real phone or room: a telephone is the
300-3400 Hz band of the old network plus a little grit; far away is quieter,
duller and wetter. docs/planner.md lists each recipe.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..plan import Step
from .clause import Clause
from .qualities import Quality
from .rules import Rule, step, words


def _scene(name: str, pattern: str, make: Callable[[Clause], list[Step]], thing: bool = False) -> Rule:
    """A recipe. With `thing`, its name is also an object that may be a sound in the recording ("loop the phone
    ringing", "denoise the radio broadcast"): then it declines. Any recipe declines when it only continues the
    name of the sound the verb acts on ("pitch the man speaking on the phone up 2 semitones")."""

    def build(c: Clause, m: re.Match) -> list[Step] | None:
        if (thing and c.names_an_object(*m.span())) or c.after_a_named_sound(m.start()):
            return None
        return make(c)

    return Rule(name, re.compile(pattern), build)


def _adjective_scene(name: str, pattern: str, make: Callable[[Clause], list[Step]]) -> Rule:
    """A scene named by an adjective that may only qualify another recipe: "an *old* telephone" is a telephone."""

    def build(c: Clause, m: re.Match) -> list[Step] | None:
        if c.after_a_named_sound(m.start()):
            return None
        if re.search(r"\b(?:from|of|on|off|in)\s+(?:the|this|that|my|our|an?)\s+$", c.text[: m.start()]) and c.names_a_thing(m.end()):
            return None  # "the hiss from the cassette transfer", "clicks on the vinyl recording": the recording, not a wish
        return [] if re.match(r"[\s,]+#", c.work[m.end():]) else make(c)  # [] : the word is explained, and adds nothing

    return Rule(name, re.compile(pattern), build)


SCENES = [
    _scene("telephone", words("telephone", "phone", "phone call", "landline", "cellphone", "cell phone", "mobile phone", "over the phone",
                              "voicemail", "conference call", "zoom call", "speakerphone", "phone line", "hands free", "headset", "earpiece"),
           lambda c: [step("band_pass", low_hz=300.0, high_hz=3400.0), step("distortion", drive_db=c.amount(4.0, 8.0, 14.0))], thing=True),
    _scene("radio", words("walkie talkie", "two way radio", "cb radio", "police radio", "intercom", "radio", "transistor radio", "am radio", "shortwave radio",
                          "shortwave", "short wave radio", "ham radio", "ionosphere",
                          "pilot", "cockpit", "dispatcher", "radio transmission", "ham radio", "military radio"),
           lambda c: [step("band_pass", low_hz=500.0, high_hz=3000.0), step("distortion", drive_db=c.amount(10.0, 15.0, 25.0))], thing=True),
    _scene("megaphone", words("megaphone", "bullhorn", "loudspeaker", "pa system", "public address", "tannoy", "loud hailer"),
           lambda c: [step("band_pass", low_hz=600.0, high_hz=4000.0), step("distortion", drive_db=c.amount(15.0, 25.0, 35.0))], thing=True),
    _scene("small-speaker", words("small speaker", "tiny speaker", "laptop speaker", "laptop speakers", "phone speaker", "cheap speaker",
                                  "cheap speakers", "tinny", "tin can", "toy speaker", "earbud", "earbuds", "laptop", "smartphone", "tablet"),
           lambda c: [step("band_pass", low_hz=600.0, high_hz=6000.0)], thing=True),
    _scene("gramophone", words("gramophone", "phonograph", "old record", "78 rpm", "victrola", "wax cylinder", "old timey", "1920s", "1930s", "1940s"),
           lambda c: [step("band_pass", low_hz=300.0, high_hz=4000.0), step("distortion", drive_db=c.amount(3.0, 6.0, 10.0))], thing=True),
    _scene("lo-fi", words("lo fi", "lofi", "low fi", "low fidelity", "lo fidelity"),
           lambda c: [step("bitcrush", bits=c.amount(12.0, 10.0, 6.0)), step("low_pass", cutoff_hz=c.amount(8000.0, 5000.0, 3000.0))]),
    _scene("underwater", words("underwater", "under water", "submerged", "in a pool", "beneath the surface", "under the sea", "in a fish tank", "below the surface"),
           lambda c: [step("low_pass", cutoff_hz=c.amount(800.0, 500.0, 300.0)), step("reverb", preset="room", wet=0.3)]),
    _scene("behind-a-wall", r"\b(?:behind|through)\s+(?:a|the)\s+(?:wall|door|closed\s+door|floor|ceiling)\b|\b(?:in|from)\s+(?:the|a|an)\s+(?:next|other|another|adjacent)\s+room\b|\b(?:another|the\s+next|the\s+other)\s+room\b|\bnext\s+door\b|\b(?:up|down)stairs\b|\boutside\s+(?:the|a)\s+(?:club|room|building|house)\b|\bunder\s+(?:a|the)\s+(?:blanket|pillow)\b|\bin\s+(?:a|the)\s+(?:car\s+)?trunk\b|\binside\s+a\s+box\b",
           lambda c: [step("low_pass", cutoff_hz=c.amount(1200.0, 700.0, 400.0)), step("gain", db=-c.amount(2.0, 4.0, 8.0))]),
    _scene("robot", words("robot", "robotic", "robots", "metallic", "cyborg", "android", "dalek", "vocoder", "machine voice", "computer voice", "synthetic voice", "droid", "automaton"),
           lambda c: [step("echo", delay_s=0.012, feedback=c.amount(0.4, 0.6, 0.8), mix=0.5), step("peak_eq", freq_hz=1500.0, gain_db=3.0, q=1.0)], thing=True),
    _scene("monster", words("monster", "monstrous", "demon", "demonic", "ogre", "troll", "beast", "evil", "villain", "darth vader", "possessed"),
           lambda c: [step("pitch_shift", semitones=-c.amount(4.0, 7.0, 12.0)), step("distortion", drive_db=8.0), step("low_shelf", freq_hz=150.0, gain_db=3.0)], thing=True),
    _scene("chipmunk", words("chipmunk", "chipmunks", "helium", "squeaky", "cartoon", "cartoonish", "alvin", "mickey mouse"),
           lambda c: [step("pitch_shift", semitones=c.amount(4.0, 7.0, 12.0))], thing=True),
    _scene("child", r"\b(?:child|kid|baby|little\s+girl|little\s+boy)(?:'s)?\s+voice\b|\blike\s+a\s+(?:child|kid)\b|\bchild[\s-]?like\b",
           lambda c: [step("pitch_shift", semitones=c.amount(2.0, 4.0, 6.0))]),
    _scene("hollow", words("hollow", "hollower", "tubby", "through a tube", "in a tube", "through a pipe"),
           lambda c: [step("peak_eq", freq_hz=500.0, gain_db=-c.amount(3.0, 6.0, 9.0), q=1.0), step("echo", delay_s=0.008, feedback=0.5, mix=0.3)]),
    _scene("canyon", words("canyon", "mountains", "mountain", "valley", "cliff", "cliffs", "gorge", "across a lake", "yodel", "yodeling"),
           lambda c: [step("echo", delay_s=c.amount(0.3, 0.45, 0.7), feedback=0.35, mix=0.35)]),
    _scene("ghostly", words("ghost", "ghostly", "ghostlike", "eerie", "haunting", "haunted", "spooky", "ethereal", "otherworldly", "dreamy",
                            "dreamlike", "heavenly", "angelic", "lonely", "lonesome", "spectral", "ghoulish", "mystical", "mysterious"),
           lambda c: [step("reverb", preset="cathedral", wet=c.amount(0.3, 0.45, 0.6))]),
    _scene("dramatic", words("dramatic", "epic", "cinematic", "grandiose", "larger than life", "booming", "thunderous", "majestic", "anthemic",
                             "big sound", "huge sound", "massive sound", "bigger sound",
                             "big", "bigger", "larger", "huge", "huger", "massive", "enormous"),
           lambda c: [step("low_shelf", freq_hz=150.0, gain_db=c.amount(2.0, 4.0, 6.0)), step("reverb", preset="hall", wet=c.amount(0.2, 0.3, 0.4))]),
    _adjective_scene("vintage", words("vintage", "retro", "old school", "old", "analog", "analogue", "tape", "cassette", "vhs", "aged", "nostalgic", "antique",
                            "vinyl", "vinyl record", "record player", "turntable", "1950s", "1960s", "fifties", "sixties"),
           lambda c: [step("low_pass", cutoff_hz=c.amount(10000.0, 7000.0, 4000.0)), step("distortion", drive_db=c.amount(3.0, 6.0, 10.0))]),
    _scene("spacious", words("spacious", "spaciousness", "roomy", "more space", "sense of space", "open", "opened up", "airy space", "space"),
           lambda c: [step("width", ratio=c.amount(1.2, 1.4, 1.8)), step("reverb", preset="room", wet=c.amount(0.12, 0.2, 0.35))]),
]


def _distance(c: Clause, sign: int, remove: bool) -> list[Step]:
    if sign > 0:  # further away: quieter, duller, wetter
        return [step("gain", db=-c.amount(3.0, 6.0, 12.0)), step("low_pass", cutoff_hz=c.amount(8000.0, 5000.0, 2500.0)),
                step("reverb", preset="hall", wet=c.amount(0.2, 0.35, 0.5))]
    return [step("gain", db=c.amount(1.5, 3.0, 6.0)), step("peak_eq", freq_hz=3000.0, gain_db=2.0, q=0.8),
            step("low_shelf", freq_hz=150.0, gain_db=c.amount(1.0, 2.0, 4.0))]


def _muffled(c: Clause, sign: int, remove: bool) -> list[Step]:
    if sign > 0:
        return [step("low_pass", cutoff_hz=c.amount(1500.0, 800.0, 400.0))]
    return [step("high_shelf", freq_hz=4000.0, gain_db=c.amount(2.0, 4.0, 8.0))]


DISTANCE = Quality(
    "distance",
    up=("far away", "far off", "faraway", "distant", "in the distance", "from afar", "from a distance", "far back", "further away", "farther away",
        "further back", "farther back", "way back", "in the background", "from across the room", "from across the street", "from far away", "remote"),
    down=("closer", "close up", "up close", "nearer", "near", "intimate", "upfront", "up front", "in your face", "right in front", "in my ear",
          "close to the mic", "next to me", "close"),
    nouns=(), build=_distance, placement=True,
)
MUFFLED = Quality("muffled", up=("muffled", "muffle", "muffling", "dampened", "damped", "smothered", "covered"), down=("unmuffle", "unmuffled"),
                  nouns=(), build=_muffled)
