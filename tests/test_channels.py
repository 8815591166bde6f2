"""Edits on one channel ("3 dB louder in the left channel only"): measured per channel, the other
channel bit-identical, in memory and streamed, with regions, and refused where the file lacks the channel."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from cli_helpers import run
from conftest import SR, noise, real_sound, tone, write
from engine import stream
from engine.errors import Refused, UsageError
from engine.measure import band_energy_db, rms_db
from engine.pipeline import EditRequest, OutputSpec, run_edit
from engine.plan import EditPlan, Region, Step
from engine.planner import make_plan
from engine.render import render_plan


def steps_of(text: str) -> list[tuple]:
    return [(s.op, s.params, s.channels) for s in make_plan(text).steps]


@pytest.mark.parametrize("text,expected", [
    ("make it 3 dB louder in the left channel only", [("louder", {"db": 3.0}, [0])]),
    ("turn the right channel down 4 dB", [("gain", {"db": -4.0}, [1])]),
    ("the left channel is too quiet", [("louder", {"db": 6.0}, [0])]),
    ("boost the bass on the right side", [("low_shelf", {"freq_hz": 150.0, "gain_db": 5.0}, [1])]),
    ("high pass the left channel at 100 Hz", [("high_pass", {"cutoff_hz": 100.0}, [0])]),
    ("mute channel 2", [("mute", {}, [1])]),
    ("remove the hum from the right channel", [("notch", {"freq_hz": 60.0, "q": 10.0, "harmonics": 5}, [1])]),
])
def test_planner_reads_channel_phrases(text, expected):
    assert steps_of(text) == expected


@pytest.mark.parametrize("text,op", [
    ("pan it to the left channel", "pan"),
    ("swap the left and right channels", "swap_channels"),
    ("make it louder", "louder"),
])
def test_moving_sound_between_sides_is_left_to_the_stereo_rules(text, op):
    assert [(s.op, s.channels) for s in make_plan(text).steps] == [(op, None)]


def test_plan_json_carries_channels_only_when_used():
    plan = make_plan("make it 3 dB louder in the left channel only")
    d = plan.to_dict()["steps"][0]
    assert d["channels"] == [0] and EditPlan.from_dict(plan.to_dict()).steps[0].channels == [0]
    assert "channels" not in make_plan("make it louder").to_dict()["steps"][0]
    for bad in ([], [-1], [0, 0], "left", [0.5]):
        with pytest.raises(UsageError, match="channels"):
            Step.from_dict({"op": "gain", "params": {}, "channels": bad})


def stereo() -> np.ndarray:
    return np.concatenate([noise(2.0, channels=1, seed=1), noise(2.0, channels=1, seed=2)]) + tone(440.0, 2.0, amp=0.1)


def test_gain_on_the_left_only_measured_per_channel():
    x = stereo()
    y, _ = render_plan(x, SR, make_plan("make it 3 dB louder in the left channel only"))
    assert rms_db(y[0]) - rms_db(x[0]) == pytest.approx(3.0, abs=0.01)
    np.testing.assert_array_equal(y[1], x[1])


def test_eq_on_the_right_only_measured_per_channel():
    x = stereo()
    y, _ = render_plan(x, SR, make_plan("boost the bass by 6 dB on the right channel"))
    assert band_energy_db(y[1:], SR, 40, 80) - band_energy_db(x[1:], SR, 40, 80) == pytest.approx(6.0, abs=0.5)
    assert band_energy_db(y[1:], SR, 4000, 8000) - band_energy_db(x[1:], SR, 4000, 8000) == pytest.approx(0.0, abs=0.3)
    np.testing.assert_array_equal(y[0], x[0])


def test_a_channel_and_a_region_together():
    x = stereo()
    plan = EditPlan("x", [Step("gain", {"db": -12.0}, region=Region(0.5, 1.5), channels=[1])])
    y, _ = render_plan(x, SR, plan)
    np.testing.assert_array_equal(y[0], x[0])
    np.testing.assert_array_equal(y[1, : SR // 2], x[1, : SR // 2])
    inside = slice(int(0.6 * SR), int(1.4 * SR))
    assert rms_db(y[1, inside]) - rms_db(x[1, inside]) == pytest.approx(-12.0, abs=0.01)


def test_a_surround_channel_by_number():
    x = noise(1.0, channels=4)
    y, _ = render_plan(x, SR, EditPlan("x", [Step("gain", {"db": -6.0}, channels=[2])]))
    assert rms_db(y[2]) - rms_db(x[2]) == pytest.approx(-6.0, abs=0.01)
    np.testing.assert_array_equal(y[[0, 1, 3]], x[[0, 1, 3]])


def test_the_left_channel_of_a_mono_file_is_refused():
    with pytest.raises(Refused, match="mono"):
        render_plan(noise(1.0, channels=1), SR, make_plan("make the right channel louder"))


def test_operations_that_change_length_or_channels_cannot_be_limited():
    with pytest.raises(UsageError, match="length"):
        render_plan(stereo(), SR, EditPlan("x", [Step("time_stretch", {"ratio": 1.5}, channels=[0])]))
    with pytest.raises(UsageError, match="channels"):
        render_plan(stereo(), SR, EditPlan("x", [Step("pan", {"position": 0.5}, channels=[0])]))  # one channel in, two out


@pytest.mark.parametrize("text", ["make it 3 dB louder in the left channel only", "compress the right channel and boost its treble by 4 dB",
                                  "normalize the right channel to -3 dB"])
def test_streamed_and_in_memory_give_the_same_file(tmp_path, monkeypatch, text):
    src = write(tmp_path / "in.wav", stereo() * np.float32(0.5))
    outs = []
    for threshold in (1.0, float("inf")):
        monkeypatch.setattr(stream, "MIN_STREAM_S", threshold)
        out = tmp_path / f"o{threshold}.wav"
        run_edit(EditRequest(str(src), [make_plan(text)], OutputSpec(str(out))))
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_sao_edit_left_channel_only_on_a_real_recording(tmp_path):
    x, sr = real_sound("complete")
    src = write(tmp_path / "chime.wav", x, sr)
    out = tmp_path / "out.wav"
    r = run("edit", src, "make it 3 dB louder in the left channel only", "-o", out)
    assert r.exit_code == 0, r.stderr
    a = sf.read(str(src), dtype="float32", always_2d=True)[0].T
    y = sf.read(str(out), dtype="float32", always_2d=True)[0].T
    assert rms_db(y[0]) - rms_db(a[0]) == pytest.approx(3.0, abs=0.05)
    np.testing.assert_array_equal(y[1], a[1])
    side = json.loads((tmp_path / "out.wav.sao.json").read_text())
    assert side["steps"][0]["plan"]["steps"][0]["channels"] == [0]
    r = run("plan", "make it 3 dB louder in the left channel only")
    assert "left channel" in r.stdout
