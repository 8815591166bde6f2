"""The planner reads requests the way people write them (issue 15): the request found inside
questions, wishes and stories; the model only for a change of sound content; a refusal with a
suggestion for a signal-processing request it could not read; and the words it did not use.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from cli_helpers import run
from conftest import SR, tone, write
from engine.errors import ExitCode, NotUnderstood
from engine.measure import band_energy_db, rms_db
from engine.plan import EditPlan, Step
from engine.planner import make_plan


def ops(text: str) -> list[tuple]:
    """(op, params) of each step, "neural" for a model step."""
    return [(s.op, s.params) if s.engine == "dsp" else "neural" for s in make_plan(text).steps]


def read(path) -> np.ndarray:
    x, _ = sf.read(str(path), dtype="float32", always_2d=True)
    return x.T


# --- framing: the request inside a question, a wish, a suggestion ----------------------------------

@pytest.mark.parametrize("text, expected", [
    # modal questions
    ("Is there a way to normalize my mp3s?", [("normalize", {"peak_db": -1.0})]),
    ("Is it possible to reverse it?", [("reverse", {})]),
    ("How can I make it louder?", [("louder", {"db": 6.0})]),
    ("How do I remove the hum?", [("notch", {"freq_hz": 60.0, "q": 10.0, "harmonics": 5})]),
    ("What is the best way to make it mono?", [("mono", {})]),
    ("Can anybody recommend a way to cut everything below 80 Hz?", [("high_pass", {"cutoff_hz": 80.0})]),
    ("Any ideas on how to pan it hard left?", [("pan", {"position": -1.0})]),
    ("I was wondering how to slow it down by 10%.", [("time_stretch", {"ratio": 0.9})]),
    # wishes
    ("I'd like to trim the first 2 seconds", [("trim", {"start_s": 0.0, "end_s": 2.0})]),
    ("I need to fade out the last 3 seconds.", [("fade", {"out_s": 3.0})]),
    ("I'm looking for a way to make the voice deeper", [("pitch_shift", {"semitones": -3.0})]),
    ("In an effort to reduce the sibilance, I tried everything", [("peak_eq", {"freq_hz": 7000.0, "gain_db": -6.0, "q": 2.0})]),
    # suggestions and feature requests
    ("It would be nice to be able to swap the channels.", [("swap_channels", {})]),
    ("Add an option to remove silence from the beginning and end.", [("strip_silence", {"where": "both"})]),
    ("Being able to pitch it up 2 semitones would be great!", [("pitch_shift", {"semitones": 2.0})]),
    ("I would like a feature that allows to cut out the silences", [("strip_silence", {"where": "both"})]),
    # a passive wish made active
    ("It would be great if the fan noise could be eliminated.", [("denoise", {"reduction_db": 12.0})]),
    ("It needs to be slowed to be 2 times slower.", [("time_stretch", {"ratio": 0.5})]),
])
def test_the_request_is_found_inside_its_framing(text, expected):
    assert ops(text) == expected


def test_the_story_around_a_request_is_not_read_and_is_listed():
    plan = make_plan("I recorded this in my car and it sounded like a telephone. Can you make it louder?")
    assert ops(plan.instruction) == [("louder", {"db": 6.0})]  # the telephone of the story is not applied
    assert plan.ignored == ["I recorded this in my car and it sounded like a telephone"]
    plan = make_plan("I have a recording of my band. I want to add a small room reverb.")
    assert [s.op for s in plan.steps] == ["reverb"] and plan.ignored == ["I have a recording of my band"]


def test_an_explanation_after_the_request_is_an_aside():
    plan = make_plan("I want to get rid of the hiss without losing the high end, so that the voice stays clear")
    assert ops(plan.instruction) == [("denoise", {"reduction_db": 12.0})]  # "clear" is not a presence boost
    assert "without losing the high end" in plan.ignored


def test_a_request_that_points_back_at_the_story_reads_the_story():
    assert ops("My recording only comes out of the left speaker. How do I fix that?") == [("mono", {})]
    assert ops("It should sound like it's over a telephone ... I was wondering how to simulate this effect.") == [
        ("band_pass", {"low_hz": 300.0, "high_hz": 3400.0}), ("distortion", {"drive_db": 8.0})]


def test_a_text_that_asks_nothing_is_read_for_the_edits_it_names():
    assert ops("The music is way too quiet.") == [("louder", {"db": 12.0})]
    # narration ("I amplified ...") and a description of the sound now ("sounds like a kettle") ask for nothing
    assert [s.op for s in make_plan("I amplified it but the hiss is really bad. It sounds like a kettle.").steps] == ["denoise"]


# --- knowing when not to guess ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["remove the hiss", "remove the hum", "remove the rumble", "remove the silence", "get rid of the static",
                                  "remove the clicks", "remove the pops", "remove the crackle", "remove the clipping"])
def test_removing_an_artefact_is_signal_processing_never_the_model(text):
    try:
        plan = make_plan(text)
    except NotUnderstood as e:  # no operation for it (yet): a refusal that says so, not a guess
        assert "sao ops" in e.message
        return
    assert plan.steps and not plan.needs_model


@pytest.mark.parametrize("text", ["remove the dog", "remove the cough", "remove the drums", "remove the people talking",
                                  "Is there any way to remove the guitar solo?", "Goal is to create a track without the guitar solo.",
                                  "I want to transfer the music genre to another genre."])
def test_removing_or_changing_a_source_is_the_model_s(text):
    plan = make_plan(text)
    assert [s.engine for s in plan.steps] == ["neural"]


@pytest.mark.parametrize("text, understood, suggestion", [
    ("change the speed", "speed", "speed it up by 10%"),
    ("Is there a way to change the speed but keep the original pitch?", "speed", "speed it up by 10%"),
    ("adjust the EQ", "eq", "cut everything below 100 Hz"),
    ("make it louder and change the sample rate", "sample rate", "resample to 44.1 kHz"),
    ("remove the thumps", "thumps", ""),
])
def test_an_unread_signal_processing_request_is_refused_with_a_suggestion(text, understood, suggestion):
    with pytest.raises(NotUnderstood) as e:
        make_plan(text)
    assert e.value.code == ExitCode.NOT_UNDERSTOOD == 5
    assert f'understood "{understood}"' in e.value.message
    assert (f'did you mean: "{suggestion}"?' in e.value.message) if suggestion else "no operation" in e.value.message


def test_an_unread_signal_processing_clause_never_joins_a_model_step():
    with pytest.raises(NotUnderstood, match='did you mean: "speed it up by 10%"'):
        make_plan("change the speed and remove the dog")


def test_the_cli_refusal_exits_5_with_the_suggestion():
    r = run("plan", "change the speed")
    assert r.exit_code == 5 and 'did you mean: "speed it up by 10%"?' in r.stderr and not r.stdout


def test_an_unread_request_in_another_sentence_is_set_aside_but_not_in_the_same_one():
    with pytest.raises(NotUnderstood, match="speed"):
        make_plan("Make it louder and change the speed.")
    plan = make_plan("Make it louder. I'd also like to change the speed.")
    assert [s.op for s in plan.steps] == ["louder"] and "change the speed" in plan.ignored


def test_a_clause_that_names_no_edit_is_set_aside_and_listed():
    plan = make_plan("louder and flibbertigibbet")
    assert ops(plan.instruction) == [("louder", {"db": 6.0})] and plan.ignored == ["flibbertigibbet"]
    with pytest.raises(NotUnderstood, match="sao ops"):
        make_plan("flibbertigibbet")  # nothing at all to read


def test_a_concept_clause_goes_to_the_unread_hook_first():
    asked = []

    def hook(text):
        asked.append(text)
        return [Step("time_stretch", {"ratio": 1.1}, text=text)] if "speed" in text else None

    plan = make_plan("make it louder and change the speed", unread=hook)
    assert asked == ["change the speed"] and [s.op for s in plan.steps] == ["louder", "time_stretch"]
    with pytest.raises(NotUnderstood, match='did you mean: "cut everything below 100 Hz"'):
        make_plan("adjust the EQ", unread=hook)  # the hook declined: the rules' refusal
    assert asked[-1] == "adjust the EQ"


# --- the words not used ------------------------------------------------------------------------------------

def test_ignored_words_are_in_the_plan_json_and_under_the_table():
    r = run("plan", "make it louder, it's for my podcast about jazz", "--json")
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["ignored"] == ["it's for my podcast about jazz"]
    r = run("plan", "Is there any way I can normalize my mp3s? I tried everything")
    lines = r.stdout.strip().splitlines()
    assert r.exit_code == 0 and lines[-1] == "ignored: 'I tried everything'" and "normalize" in r.stdout
    assert "ignored:" not in run("plan", "make it louder").stdout


def test_plans_written_before_the_ignored_list_still_load_and_replay(tmp_path, wav):
    old = {"version": 1, "instruction": "louder", "steps": [{"op": "gain", "params": {"db": 3.0}, "region": None, "engine": "dsp", "text": "louder"}]}
    assert EditPlan.from_dict(old).ignored == []
    out = tmp_path / "o.wav"
    assert run("edit", wav, "make it 3 dB louder", "-o", out).exit_code == 0
    side = tmp_path / "o.wav.sao.json"
    data = json.loads(side.read_text())
    assert data["steps"][0]["plan"]["ignored"] == []
    del data["steps"][0]["plan"]["ignored"]  # as an older sao wrote it
    side.write_text(json.dumps(data))
    again = tmp_path / "again.wav"
    r = run("replay", side, "-o", again)
    assert r.exit_code == 0, r.stderr
    assert again.read_bytes() == out.read_bytes()


# --- a file named in the text ---------------------------------------------------------------------------

def test_a_file_named_in_the_text_is_context_not_a_clip_to_mix_in(tmp_path, wav):
    out = tmp_path / "o.wav"
    r = run("edit", wav, "make it 6 dB louder, it is the master of MartineBarrat_FINAL.mp3", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert rms_db(read(out)) - rms_db(read(wav)) == pytest.approx(6.0, abs=0.1)
    plan = json.loads((tmp_path / "o.wav.sao.json").read_text())["steps"][0]["plan"]
    assert [s["op"] for s in plan["steps"]] == ["louder"] and any("MartineBarrat_FINAL.mp3" in w for w in plan["ignored"])
    assert "MartineBarrat_FINAL.mp3" in r.stderr  # said on stderr too: "ignored: ..."


def test_only_a_mix_verb_mixes_in_a_file_and_a_missing_one_writes_nothing(tmp_path, wav):
    other = write(tmp_path / "other.wav", tone(1000.0, seconds=0.5, amp=0.2))
    out = tmp_path / "mixed.wav"
    assert run("edit", wav, f"mix in {other} at 1 s", "-o", out).exit_code == 0
    y = read(out)
    before, after = y[:, : SR // 2], y[:, SR + 1000: SR + SR // 2 - 1000]
    assert band_energy_db(after, SR, 900, 1100) - band_energy_db(before, SR, 900, 1100) > 30  # the clip starts at 1 s
    missing = tmp_path / "gone.wav"
    r = run("edit", wav, f"add {tmp_path / 'missing_take.wav'} at 1 s", "-o", missing)
    assert r.exit_code == ExitCode.BAD_AUDIO == 3 and "missing_take.wav" in r.stderr
    assert not list(tmp_path.glob("gone.wav*"))
