"""The instruction grammar: varied, well-formed, naming sources; and checked against the planner.

The planner check is the contract between the two: every instruction the grammar
writes for a task that a DSP operation does exactly must plan to that operation
(with the stated parameters when the text states them), and every instruction
for a task only the model can do must plan to neural steps.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from datagen.grammar import instruction_for
from datagen.sources import definite, noun_phrase, short_phrase
from datagen.tasks import TASKS, Edit, Settings, Source
from engine.errors import SaoError

SR = 8000  # the grammar reads parameters, not audio: small, cheap sources
CAPTIONS = [
    "A dog barks in a quiet yard",
    "A church bell rings in the distance",
    "Rain falls on a tin roof",
    "A man speaks while birds chirp",
    "People are talking in a busy cafe",
    "An engine idles and then revs up",
]
SEEDS = range(60)


def sources(seed: int, count: int) -> list[Source]:
    t = np.arange(int(0.6 * SR)) / SR
    x = np.stack([0.3 * np.sin(2 * np.pi * 300 * t)] * 2).astype(np.float32)
    return [Source(f"{i}.wav", CAPTIONS[(seed + i) % len(CAPTIONS)], x * (1 + i) / 3) for i in range(count)]


# PITCH and SPEED run Rubber Band (a costly set-up per call), and the grammar reads only the
# parameters: their edits are built over a grid that covers the tasks' whole range instead.
SPEED_GRID = sorted({0.5, 2.0, *(r for r in np.round(np.exp(np.linspace(-np.log(3), np.log(3), 60)), 2) if abs(r - 1) >= 0.05)})
GRID = {"PITCH": [{"semitones": n} for n in range(-12, 13) if n], "SPEED": [{"ratio": float(r)} for r in SPEED_GRID]}


def make_edit(task: str, seed: int, rng: np.random.Generator) -> Edit:
    src = sources(seed, TASKS[task].inputs)
    if task in GRID:
        params = GRID[task][seed % len(GRID[task])]
        return Edit(task, src[0].samples, src[0].samples, params, {"clip": src[0]}, src[0].caption, src[0].caption)
    return TASKS[task].make(src, Settings(SR), rng)


def draws(task: str):
    """(edit, instruction) for every seed."""
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        edit = make_edit(task, seed, rng)
        yield edit, instruction_for(edit, rng)


@pytest.mark.parametrize("caption,phrase", [
    ("A dog barks twice in a quiet yard.", "a dog barking twice in a quiet yard"),
    ("A man is speaking while birds chirp", "a man speaking while birds chirp"),
    ("Birds chirp loudly and a dog barks", "birds chirping loudly and a dog barking"),
    ("A bus idles then drives away", "a bus idling then driving away"),
    ("Rain on a tin roof", "rain on a tin roof"),
    ("Tree bark cracking", "tree bark cracking"),
])
def test_captions_become_noun_phrases(caption, phrase):
    assert noun_phrase(caption) == phrase


def test_short_and_definite_names():
    assert short_phrase("a dog barking twice in a quiet yard") == "a dog barking twice"
    assert definite("a dog barking") == "the dog barking" and definite("people talking") == "the people talking"


@pytest.mark.parametrize("task", list(TASKS))
def test_instructions_are_varied_and_well_formed(task):
    texts = [ins.text for _, ins in draws(task)]
    assert len(set(texts)) >= 25, f"{task}: only {len(set(texts))} distinct instructions in {len(texts)}"
    for text in texts:
        assert text.strip() == text and "  " not in text and not re.search(r"[{}]|\bNone\b", text), text
        assert 8 <= len(text) <= 200


def test_pitch_is_stated_in_semitones_and_in_intervals():
    ways = {n: set() for n in (3, 7, 12)}
    for seed in range(24 * 20):
        rng = np.random.default_rng(seed)
        edit = make_edit("PITCH", seed, rng)
        if abs(edit.params["semitones"]) in ways:
            ways[abs(edit.params["semitones"])].add(instruction_for(edit, rng).text.lower())
    assert any("3 semitones" in t or "three semitones" in t for t in ways[3]) and any("minor third" in t for t in ways[3])
    assert any("fifth" in t for t in ways[7]) and any("octave" in t for t in ways[12])


@pytest.mark.parametrize("task,role", [("ADD", "added"), ("DROP", "target"), ("REPLACE", "target"), ("REPLACE", "replacement")])
def test_sources_are_named_from_their_captions(task, role):
    named = 0
    for edit, ins in draws(task):
        head = noun_phrase(edit.roles[role].caption).split()
        keywords = [w for w in head[:3] if w not in ("a", "an", "the", "some")][:1]
        named += all(k.lower() in ins.text.lower() for k in keywords)
    assert named == len(SEEDS)


# --- the planner cross-check ---------------------------------------------------------------

DSP = {"PITCH": {"pitch_shift"}, "SPEED": {"time_stretch", "speed"}, "LOW_PASS": {"low_pass"}, "HIGH_PASS": {"high_pass"},
       "LOOP": {"loop"}, "DENOISE": {"denoise"}}
# Vague phrasings ("make it sound thin") may take neighbouring filters, even two; they must still be signal processing.
VAGUE = {"LOW_PASS": {"low_pass", "high_shelf"}, "HIGH_PASS": {"high_pass", "low_shelf", "band_pass", "high_shelf"}}
KEEPS_PITCH = re.compile(r"pitch")


def disagreement(task: str, edit, ins) -> str | None:
    """Why the plan does not match the task, or None."""
    from engine.planner import make_plan

    try:
        plan = make_plan(ins.text)
    except SaoError as e:
        return f"not understood ({e.message[:60]})"
    steps = [(s.op, s.params, s.engine) for s in plan.steps]
    if task not in DSP:
        return None if steps and all(engine == "neural" for _, _, engine in steps) else f"{steps}, wanted neural"
    if not ins.exact and task in VAGUE:
        fits = steps and all(op in VAGUE[task] and engine == "dsp" for op, _, engine in steps)
        return None if fits else f"{steps}, wanted some of {sorted(VAGUE[task])}"
    if len(steps) != 1 or steps[0][0] not in DSP[task] or steps[0][2] != "dsp":
        return f"{steps}, wanted one of {sorted(DSP[task])}"
    op, params, _ = steps[0]
    want = edit.params
    wrong = {
        "PITCH": lambda: params["semitones"] != want["semitones"],
        "SPEED": lambda: (abs(params["ratio"] - want["ratio"]) > 0.005 if ins.exact else (params["ratio"] > 1) != (want["ratio"] > 1))
        or (KEEPS_PITCH.search(ins.text) and op != "time_stretch"),
        "LOOP": lambda: params["count"] != want["count"],
        "LOW_PASS": lambda: params["cutoff_hz"] != want["cutoff_hz"],
        "HIGH_PASS": lambda: params["cutoff_hz"] != want["cutoff_hz"],
        "DENOISE": lambda: False,
    }[task]()
    return f"{steps}, wanted {want}" if wrong else None


@pytest.mark.parametrize("task", list(TASKS))
def test_grammar_instructions_plan_to_the_matching_operation(task):
    misses = {}
    for edit, ins in draws(task):
        why = disagreement(task, edit, ins)
        if why:
            misses[ins.text] = why
    listing = "\n".join(f"  {text!r}: {why}" for text, why in list(misses.items())[:12])
    assert not misses, f"{task}: {len(misses)} of {len(SEEDS)} instructions plan differently:\n{listing}"
