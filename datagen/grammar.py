"""Offline instructions for the manual tasks: a small template grammar.

For each task it picks a phrasing, states the parameters one of several ways
("up 3 semitones", "a minor third higher", "at 150% speed"), names sources from
their captions ("remove the dog barking"), and frames the request the way people
type it ("could you ...?"). Every choice comes from the sample's random
generator, so the same seed gives the same words.

`Instruction.exact` says whether the text states every parameter, so that the
edit follows from the words alone ("low-pass it at 8 kHz") rather than from the
task's convention ("make it sound muffled"); the planner cross-check
(tests/test_gendata_grammar.py) compares parameters only for exact ones.

Pitfall: LOOP counts are total plays ("repeat it 3 times" plays it three times),
the convention `sao plan` uses too; SPEED keeps the pitch (time-stretch), which
the paper's SPEED does, so "without changing the pitch" is sometimes added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .sources import definite, noun_phrase, pick_name, short_phrase
from .tasks import Edit

INTERVALS = {
    1: ["a semitone", "a half step"],
    2: ["a whole tone", "a whole step"],
    3: ["a minor third"],
    4: ["a major third"],
    5: ["a perfect fourth", "a fourth"],
    6: ["a tritone"],
    7: ["a perfect fifth", "a fifth"],
    8: ["a minor sixth"],
    9: ["a major sixth"],
    10: ["a minor seventh"],
    11: ["a major seventh"],
    12: ["an octave", "one octave"],
}
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
COUNTS = re.compile(r"\d|\b(once|twice|thrice|times|" + "|".join(NUMBER_WORDS) + r")\b", re.I)
OBJECTS = ["it", "this", "the audio", "the clip", "the recording", "this recording"]
FRAMES = ["{}", "{}", "{}", "{}", "please {}", "can you {}?", "could you {}?", "{}, please", "I'd like you to {}", "I want you to {}"]


@dataclass
class Instruction:
    text: str
    exact: bool  # the text states every parameter of the edit


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _number(n: int, rng: np.random.Generator) -> str:
    return NUMBER_WORDS[n] if n < len(NUMBER_WORDS) and rng.random() < 0.4 else str(n)


def _object(edit: Edit, rng: np.random.Generator, named: bool = True) -> str:
    """What single-clip edits act on: usually "it", sometimes the source by its short name.

    A name that holds a count ("the dog barking twice") would muddle the edit's
    own numbers ("repeat the dog barking twice 6 times"), so those are not used.
    """
    if named and rng.random() < 0.2:
        name = definite(short_phrase(noun_phrase(edit.roles["clip"].caption)))
        if not COUNTS.search(name):
            return name
    return _pick(rng, OBJECTS)


def _phrasal(verb: str, particle: str, obj: str) -> str:
    """"speed it up", "slow the clip down"; but "speed up the dog barking": a source's name goes after the particle."""
    return f"{verb} {obj} {particle}" if obj in OBJECTS else f"{verb} {particle} {obj}"


def _frame(core: str, rng: np.random.Generator) -> str:
    """Wrap a verb-first core in a request; "I don't want ..." and "instead of ..." stand alone."""
    text = core if core.startswith(("I ", "instead ")) else _pick(rng, FRAMES).format(core)
    if rng.random() < 0.6:
        text = text[0].upper() + text[1:]
    if not text.endswith("?") and rng.random() < 0.4:
        text += "."
    return text


def _pitch(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    n = edit.params["semitones"]
    size = abs(n)
    unit = "semitone" if size == 1 else "semitones"
    amount = _pick(rng, [f"{_number(size, rng)} {unit}", f"{_number(size, rng)} {unit}", *INTERVALS[size]])
    obj = _object(edit, rng)
    if n > 0:
        forms = [f"{_phrasal('pitch', 'up', obj)} {amount}", f"raise the pitch by {amount}", f"shift the pitch up by {amount}",
                 f"{_phrasal('transpose', 'up', obj)} {amount}", f"make {obj} {amount} higher", f"move the pitch up {amount}",
                 f"pitch-shift {obj} by +{size} {unit}"]
    else:
        forms = [f"{_phrasal('pitch', 'down', obj)} {amount}", f"lower the pitch by {amount}", f"shift the pitch down by {amount}",
                 f"{_phrasal('transpose', 'down', obj)} {amount}", f"make {obj} {amount} lower", f"drop the pitch {amount}",
                 f"make {obj} sound deeper by {amount}", f"pitch-shift {obj} by -{size} {unit}"]
    return _pick(rng, forms), True


def _speed(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    r = edit.params["ratio"]
    obj = _object(edit, rng)
    change = round(abs(r - 1) * 100)
    if r > 1:
        forms = [f"play {obj} at {r:g}x speed", f"play {obj} {r:g} times as fast", f"{_phrasal('speed', 'up', obj)} to {r:g}x"]
        if r < 2:
            forms += [f"{_phrasal('speed', 'up', obj)} by {change}%", f"make {obj} {change} percent faster", f"increase the tempo by {change}%"]
        if r == 2:
            forms += [f"play {obj} twice as fast", "double the speed"]
        vague = [_phrasal("speed", "up", obj), f"make {obj} faster", "play it faster"]
    else:
        forms = [f"play {obj} at {r:g}x speed", f"{_phrasal('slow', 'down', obj)} by {change}%", f"make {obj} {change} percent slower",
                 f"play {obj} at {round(r * 100)}% of the original speed", f"{_phrasal('slow', 'down', obj)} to {round(r * 100)}% speed",
                 f"reduce the tempo by {change}%"]
        if r == 0.5:
            forms += [f"play {obj} at half speed", "halve the speed"]
        vague = [_phrasal("slow", "down", obj), f"make {obj} slower", "play it slower"]
    exact = rng.random() < 0.85
    text = _pick(rng, forms if exact else vague)
    if rng.random() < 0.5:
        text += _pick(rng, [" without changing the pitch", ", keeping the pitch", " but keep the pitch the same", " and keep the pitch"])
    return text, exact


def _cutoff(hz: float, rng: np.random.Generator) -> str:
    k = hz / 1000
    return _pick(rng, [f"{k:g} kHz", f"{k:g}kHz", f"{hz:.0f} Hz", f"{k:g}k"])


def _low_pass(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    f = _cutoff(edit.params["cutoff_hz"], rng)
    obj = _object(edit, rng)
    if rng.random() < 0.75:
        return _pick(rng, [f"apply a low-pass filter at {f}", f"low-pass {obj} at {f}", f"put a low-pass filter on {obj} at {f}",
                           f"cut everything above {f}", f"remove the frequencies above {f}", f"filter out everything above {f}",
                           f"roll off the highs above {f}", f"add a lowpass at {f}"]), True
    return _pick(rng, [f"make {obj} sound muffled", f"muffle {obj}", f"make {obj} sound duller", "take the brightness off",
                       "low-pass it"]), False


def _high_pass(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    f = _cutoff(edit.params["cutoff_hz"], rng)
    obj = _object(edit, rng)
    if rng.random() < 0.75:
        return _pick(rng, [f"apply a high-pass filter at {f}", f"high-pass {obj} at {f}", f"put a high-pass filter on {obj} at {f}",
                           f"cut everything below {f}", f"remove the frequencies below {f}", f"filter out the low end below {f}",
                           f"roll off the lows under {f}", f"add a highpass at {f}"]), True
    return _pick(rng, [f"make {obj} sound thin", "remove the bass", "get rid of the low end", f"make {obj} sound tinny",
                       "cut the lows", "high-pass it"]), False


def _loop(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    n = edit.params["count"]
    times = _pick(rng, ["twice", "2 times"]) if n == 2 else f"{_number(n, rng)} times"
    obj = _object(edit, rng)
    return _pick(rng, [f"loop {obj} {times}", f"repeat {obj} {times}", f"play {obj} {times} in a row", f"make {obj} play {times}",
                       f"loop {obj} so it plays {times}", f"repeat {obj} so it plays {times} back to back"]), True


def _inpaint(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    a, b = edit.params["start_s"], edit.params["end_s"]
    if rng.random() < 0.6:
        d = next((d for d in (1, 2, 3) if f"{a:.{d}f}" != f"{b:.{d}f}"), 4)  # a short gap needs more digits: "0.4 to 0.4" is no gap
        a, b = f"{a:.{d}f}", f"{b:.{d}f}"
        return _pick(rng, [f"fill in the gap from {a} to {b} seconds", f"restore the missing audio between {a} s and {b} s",
                           f"inpaint the silent part from {a}s to {b}s", f"fill in the silence between {a} and {b} seconds",
                           f"reconstruct the missing section from {a} s to {b} s"]), True
    return _pick(rng, ["fill in the missing audio", "restore the missing part", "inpaint the gap", "fill in the silent gap",
                       "reconstruct the part that dropped out", "fill the hole in the audio"]), False


def _super_res(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    obj = _object(edit, rng)
    clip = _pick(rng, ["this clip", "the recording", "this audio"])
    return _pick(rng, ["restore the high frequencies", "bring back the missing treble", f"enhance the quality of {clip}",
                       "restore this low-quality recording to full bandwidth", "recover the lost high end",
                       f"super-resolve {obj}", "improve the audio quality", "turn this lo-fi recording into high fidelity"]), False


def _denoise(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    obj = _object(edit, rng, named=False)  # "denoise the dog barking" would read as one source in a mix
    return _pick(rng, ["remove the background hiss", "get rid of the hiss", f"denoise {obj}", "clean up the noise",
                       "remove the static", "reduce the background noise", f"take the hiss out of {obj}", "remove the white noise"]), False


def _add(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    added = pick_name(edit.roles["added"].caption, rng, known=False)
    at = edit.params["at_s"]
    where = {
        "start": ["at the start", "at the beginning", "right at the start"],
        "middle": ["in the middle", "halfway through"],
        "end": ["at the end", "towards the end", "near the end"],
        "any": [f"at {at:.1f} seconds", f"{at:.1f} s in", "somewhere in the clip", ""],
    }[edit.params["position"]]
    place = _pick(rng, where)
    if rng.random() < 0.3:
        base = pick_name(edit.roles["base"].caption, rng, known=True)
        core = _pick(rng, [f"add {added} to {base}", f"mix {added} into {base}", f"layer {added} over {base}"])
    else:
        core = _pick(rng, [f"add {added}", f"mix in {added}", f"put {added}", f"overlay {added}", f"bring in {added}", f"insert {added}"])
    return f"{core} {place}".strip(), True


def _replace(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    target = pick_name(edit.roles["target"].caption, rng, known=True)
    new = pick_name(edit.roles["replacement"].caption, rng, known=False)
    return _pick(rng, [f"replace {target} with {new}", f"swap {target} for {new}", f"change {target} to {new}",
                       f"turn {target} into {new}", f"instead of {target}, use {new}", f"have {new} instead of {target}"]), True


def _drop(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    target = pick_name(edit.roles["target"].caption, rng, known=True)
    forms = [f"remove {target}", f"take out {target}", f"get rid of {target}", f"delete {target}", f"cut out {target}",
             f"drop {target}", f"eliminate {target}", f"I don't want {target}"]
    if rng.random() < 0.2:
        return f"remove {target} but keep {pick_name(edit.roles['base'].caption, rng, known=True)}", True
    return _pick(rng, forms), True


def _swap(edit: Edit, rng: np.random.Generator) -> tuple[str, bool]:
    a = pick_name(edit.roles["first"].caption, rng, known=True)
    b = pick_name(edit.roles["second"].caption, rng, known=True)
    return _pick(rng, [f"swap {a} and {b}", f"switch the order of {a} and {b}", f"play {b} first, then {a}",
                       f"put {b} before {a}", "reverse the order of the two sounds", "swap the two parts around",
                       f"let {b} come first and {a} after it"]), True


PHRASERS: dict[str, Callable[[Edit, np.random.Generator], tuple[str, bool]]] = {
    "ADD": _add, "REPLACE": _replace, "DROP": _drop, "SWAP": _swap, "LOOP": _loop, "PITCH": _pitch, "SPEED": _speed,
    "LOW_PASS": _low_pass, "HIGH_PASS": _high_pass, "INPAINT": _inpaint, "SUPER_RES": _super_res, "DENOISE": _denoise,
}


def instruction_for(edit: Edit, rng: np.random.Generator) -> Instruction:
    core, exact = PHRASERS[edit.task](edit, rng)
    return Instruction(_frame(core, rng), exact)
