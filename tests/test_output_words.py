"""Format words in the instruction set the output file ("convert to 16 kHz mono 16-bit", "8 kHz mu-law",
"from 8-bit to 16-bit") as --sr/--channels/--bits do, instead of adding processing; a flag wins, with a warning."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from cli_helpers import run
from conftest import SR, tone, write
from engine.errors import UsageError
from engine.measure import dominant_hz, rms_db
from engine.pipeline import EditRequest, OutputSpec, run_edit
from engine.plan import EditPlan, OutputFormat
from engine.planner import make_plan


def plan_of(text: str) -> tuple[list, dict | None]:
    plan = make_plan(text)
    return [(s.op, s.params) for s in plan.steps], plan.to_dict().get("output")


@pytest.mark.parametrize("text,steps,output", [
    ("convert to 16 kHz mono 16-bit", [("mono", {}), ("resample", {"hz": 16000})], {"bits": 16}),
    ("8 kHz mu-law", [("resample", {"hz": 8000})], {"encoding": "ulaw"}),
    ("convert to 8 kHz mono mu-law", [("mono", {}), ("resample", {"hz": 8000})], {"encoding": "ulaw"}),
    ("convert the audio from 8-bit to 16-bit", [], {"bits": 16}),
    ("How do I convert 24-bit 88200Hz to 16-bit 44100Hz?", [("resample", {"hz": 44100})], {"bits": 16}),
    ("save it as 32-bit float", [], {"bits": 32, "encoding": "float"}),
    ("export as 8-bit A-law wav", [], {"bits": 8, "encoding": "alaw"}),
    ("make it 44.1k stereo 16 bit", [("resample", {"hz": 44100})], {"bits": 16, "channels": 2}),
    ("set the bit depth to 24", [], {"bits": 24}),
    ("make it louder, then convert to 24-bit PCM", [("louder", {"db": 6.0})], {"bits": 24, "encoding": "pcm"}),
    ("sixteen bit please", [], {"bits": 16}),
])
def test_format_words_set_the_output_not_a_step(text, steps, output):
    assert plan_of(text) == (steps, output)


@pytest.mark.parametrize("text,op", [
    ("bitcrush it so it sounds crunchy like a 16-bit console", "bitcrush"),  # an effect
    ("crush it to 4 bits", "bitcrush"),
    ("make it sound like an 8-bit video game", "bitcrush"),
    ("convert to 40 kHz", "resample"),  # no depth or encoding: the resample rule's
    ("make it mono", "mono"),
])
def test_effect_words_and_plain_rates_keep_their_rules(text, op):
    steps, output = plan_of(text)
    assert op in [s[0] for s in steps] and output is None


def test_a_depth_that_describes_the_input_is_ignored():
    assert plan_of("I have a 24-bit file, make it louder") == ([("louder", {"db": 6.0})], None)


def test_plan_json_round_trip_and_old_plans_still_load():
    plan = make_plan("convert to 8 kHz mu-law")
    again = EditPlan.from_dict(json.loads(plan.to_json()))
    assert again.output == OutputFormat(encoding="ulaw") and again.to_dict() == plan.to_dict()
    old = {"version": 1, "instruction": "louder", "steps": [{"op": "gain", "params": {"db": 3}, "region": None, "engine": "dsp", "text": "louder"}]}
    assert EditPlan.from_dict(old).output is None and "output" not in EditPlan.from_dict(old).to_dict()
    for bad in ({"bits": 12}, {"encoding": "mp3"}, {"channels": 0}, {"rate": 8000}):
        with pytest.raises(UsageError):
            EditPlan.from_dict({**old, "output": bad})


def test_convert_to_16k_mono_16_bit_writes_that_file(tmp_path):
    src = write(tmp_path / "in.wav", tone(440.0, 1.0, sr=48000), 48000, subtype="PCM_24")
    out = tmp_path / "out.wav"
    r = run("edit", src, "convert to 16 kHz mono 16-bit", "-o", out)
    assert r.exit_code == 0, r.stderr
    info = sf.info(str(out))
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (16000, 1, "PCM_16", 16000)
    y = sf.read(str(out), dtype="float32", always_2d=True)[0].T
    assert dominant_hz(y, 16000) == pytest.approx(440.0, abs=1.0)
    assert rms_db(y) == pytest.approx(rms_db(tone(440.0, 1.0)), abs=0.1)  # a format change, not an effect


@pytest.mark.parametrize("words,subtype", [("8 kHz mu-law", "ULAW"), ("convert to 8 kHz A-law", "ALAW")])
def test_telephone_codecs_are_written_and_decode_close_to_the_input(tmp_path, words, subtype):
    src = write(tmp_path / "in.wav", tone(440.0, 1.0, sr=8000, channels=1), 8000)
    out = tmp_path / "out.wav"
    r = run("edit", src, words, "-o", out)
    assert r.exit_code == 0, r.stderr
    assert sf.info(str(out)).subtype == subtype
    x = sf.read(str(src), dtype="float32")[0]
    y = sf.read(str(out), dtype="float32")[0]
    assert rms_db(y - x) < rms_db(x) - 30  # companding noise: 8-bit log codecs keep about 38 dB of SNR
    assert json.loads((tmp_path / "out.wav.sao.json").read_text())["output"]["encoding"] == subtype.lower()
    again = tmp_path / "again.wav"
    assert run("replay", f"{out}.sao.json", "-o", again).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


def test_from_8_bit_to_16_bit(tmp_path):
    src = write(tmp_path / "in.wav", tone(440.0, 0.5), subtype="PCM_U8")
    out = tmp_path / "out.wav"
    r = run("edit", src, "convert the audio from 8-bit to 16-bit", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert sf.info(str(out)).subtype == "PCM_16"
    np.testing.assert_array_equal(sf.read(str(out), dtype="float32")[0], sf.read(str(src), dtype="float32")[0])  # 8-bit values fit 16 bits exactly


def test_a_flag_wins_over_the_words_with_a_warning(tmp_path):
    src = write(tmp_path / "in.wav", tone(440.0, 0.5))
    out = tmp_path / "out.wav"
    r = run("edit", src, "convert to 16 kHz mu-law", "-o", out, "--bits", "24", "--sr", "22050", "--json")
    assert r.exit_code == 0, r.stderr
    info = sf.info(str(out))
    assert (info.subtype, info.samplerate) == ("PCM_24", 22050)
    warnings = json.loads(r.stdout)["warnings"]
    assert any("--bits 24 wins over the instruction's mu-law" in w for w in warnings)
    assert any("--sr 22050" in w and "16000" in w for w in warnings)
    r = run("edit", src, "make it stereo 16-bit", "-o", tmp_path / "mono.wav", "--channels", "1")
    assert r.exit_code == 0 and sf.info(str(tmp_path / "mono.wav")).channels == 1


def test_the_same_words_as_the_flag_say_nothing(tmp_path):
    src = write(tmp_path / "in.wav", tone(440.0, 0.5))
    r = run("edit", src, "convert to 16-bit", "-o", tmp_path / "o.wav", "--bits", "16", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["warnings"] == []


def test_impossible_formats_are_usage_errors_and_write_nothing(tmp_path):
    src = write(tmp_path / "in.wav", tone(440.0, 0.5))
    r = run("edit", src, "convert to mu-law", "-o", tmp_path / "o.flac")
    assert r.exit_code == 2 and "mu-law needs a .wav or .aiff" in r.stderr
    r = run("edit", src, "convert to 32-bit float", "-o", tmp_path / "o.flac")
    assert r.exit_code == 2 and "FLAC" in r.stderr
    assert not list(tmp_path.glob("o.*"))
    with pytest.raises(UsageError, match="8-bit"):
        run_edit(EditRequest(str(src), [make_plan("convert to 16-bit mu-law")], OutputSpec(str(tmp_path / "o.wav"))))


def test_a_format_on_part_of_a_file_is_refused():
    from engine.errors import Refused

    with pytest.raises(Refused, match="whole file"):
        make_plan("convert the first 2 seconds to 16-bit")


def test_sao_plan_shows_the_output_file():
    r = run("plan", "convert to 8 kHz mono mu-law")
    assert r.exit_code == 0 and "output file: mu-law" in r.stdout
    assert json.loads(run("plan", "save as 24-bit", "--json").stdout)["output"] == {"bits": 24}


def test_a_long_file_converts_streamed_with_the_same_bytes(tmp_path, monkeypatch):
    from engine import stream

    src = write(tmp_path / "in.wav", tone(440.0, 3.0), subtype="PCM_24")
    outs = []
    for threshold in (1.0, float("inf")):
        monkeypatch.setattr(stream, "MIN_STREAM_S", threshold)
        out = tmp_path / f"o{threshold}.wav"
        outcome = run_edit(EditRequest(str(src), [make_plan("make it 3 dB quieter and save it as 16-bit")], OutputSpec(str(out))))
        assert outcome.streamed == (threshold == 1.0)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and sf.info(str(tmp_path / "o1.0.wav")).subtype == "PCM_16"
