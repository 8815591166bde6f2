"""Long files in overlapping windows, region edits, and auto routing, with a tiny random SAO-Instruct model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run
from conftest import SR, noise, real_sound, tone, write
from models_helpers import one_thread, tiny_model  # noqa: F401  (fixtures)

from engine.neural import windows
from engine.ops import get_operation, load_all
from engine.plan import EditPlan, Region, neural_step

pytestmark = pytest.mark.usefixtures("one_thread")


def long_signal(seconds: float) -> np.ndarray:
    """A real recording repeated over a quiet tone bed: events, silences and a steady part."""
    x, sr = real_sound("complete")
    assert sr == SR
    frames = int(seconds * SR)
    rec = np.tile(x, (1, -(-frames // x.shape[1])))[:, :frames]
    return (0.6 * rec + tone(220, seconds=seconds, amp=0.05)[:, :frames]).astype(np.float32)


def test_windows_cover_the_audio_with_equal_overlapping_windows():
    for frames, window, fade in ((100_000, 30_000, 4_000), (30_001, 30_000, 4_000), (1_000_003, 88_200, 11_025)):
        starts = windows.window_starts(frames, window, fade)
        assert starts[0] == 0 and starts[-1] + window == frames
        gaps = np.diff(starts)
        assert (window - gaps >= fade).all()  # neighbours overlap by at least the crossfade
        zones = windows.fade_zones(starts, window, fade)
        for z, start, nxt in zip(zones, starts, starts[1:]):
            assert nxt <= z and z + fade <= start + window  # each crossfade lies inside both windows
    assert windows.window_starts(20_000, 30_000, 4_000) == [0]


def test_joining_identical_windows_gives_back_the_signal():
    x = long_signal(5.0)
    window, fade = 2 * SR, SR // 4
    starts = windows.window_starts(x.shape[1], window, fade)
    joined = windows.join([x[:, s : s + window] for s in starts], starts, x.shape[1], fade)
    assert np.abs(joined - x).max() < 1e-6  # the crossfade weights add up to one


def test_seam_metric_sees_a_hard_cut_and_not_a_crossfade():
    """Two takes of the same tone over a noise floor that differ in detail (phase, the noise), as two
    overlapping windows' edits of the same audio do, joined with and without a crossfade."""
    frames, cut, fade = 6 * SR, 3 * SR, SR // 2
    a = tone(440, seconds=6.0) + noise(6.0, amp=0.01, seed=1)
    b = np.roll(tone(440, seconds=6.0), 10, axis=1) + noise(6.0, amp=0.01, seed=2)
    hard = np.concatenate([a[:, :cut], b[:, cut:]], axis=1)
    zone = cut - fade // 2
    smooth = windows.join([a[:, : zone + fade], b[:, zone:]], [0, zone], frames, fade)
    jump, flux = windows.seam_ratios(hard, [(cut, cut + 1)])
    assert jump > 1.5 and flux > 1.5
    assert max(windows.seam_ratios(smooth, [(zone, zone + fade)])) <= 1.5


def test_a_long_input_is_edited_in_windows_without_seams(tiny_model, tmp_path):
    src = write(tmp_path / "long.wav", long_signal(9.0), subtype="FLOAT")
    args = ["--engine", "neural", "--model", tiny_model, "--steps", "8", "--seed", "2"]
    r = run("edit", src, "add a large hall reverb", "-o", tmp_path / "win.wav", "--window", "3", *args)
    assert r.exit_code == 0, r.stderr
    r = run("edit", src, "add a large hall reverb", "-o", tmp_path / "one.wav", *args)
    assert r.exit_code == 0, r.stderr
    y, sr = sf.read(tmp_path / "win.wav", dtype="float32", always_2d=True)
    assert y.shape == (9 * SR, 2) and sr == SR
    one, _ = sf.read(tmp_path / "one.wav", dtype="float32", always_2d=True)
    assert np.abs(y - one).max() > 1e-3  # three windows, not one
    window = 3 * SR
    fade = round(window * windows.OVERLAP_FRACTION)
    zones = windows.fade_zones(windows.window_starts(y.shape[0], window, fade), window, fade)
    assert len(zones) >= 3
    jump, flux = windows.seam_ratios(y.T, [(z, z + fade) for z in zones])
    assert jump <= 1.5 and flux <= 1.5, (jump, flux)
    settings = json.loads((tmp_path / "win.wav.sao.json").read_text())["steps"][0]["settings"]
    assert settings["window_s"] == 3.0


@pytest.mark.parametrize("region", [Region(1.0, 2.0), Region(0.0, 0.7), Region(-0.8, None)])
def test_a_region_edit_leaves_the_rest_untouched(tiny_model, tmp_path, region):
    from engine.neural.editor import NeuralSettings, load_editor
    from engine.pipeline import EditRequest, OutputSpec, run_edit

    x = long_signal(3.0)
    src = write(tmp_path / "in.wav", x, subtype="FLOAT")
    plan = EditPlan("remove the chime", [neural_step("remove the chime", region)])
    out = str(tmp_path / "o.wav")
    editor = load_editor(str(tiny_model), NeuralSettings(steps=8, seed=4))
    run_edit(EditRequest(str(src), [plan], OutputSpec(out), engine="neural", sidecar=out + ".sao.json"), neural=editor)
    y, _ = sf.read(out, dtype="float32", always_2d=True)
    start, end = region.frames(SR, x.shape[1])
    inside = np.zeros(x.shape[1], dtype=bool)
    inside[start:end] = True
    assert np.array_equal(y.T[:, ~inside], x[:, ~inside])  # bit for bit
    changed = np.abs(y.T[:, inside] - x[:, inside]).max(axis=0)
    assert (changed[len(changed) // 4 : 3 * len(changed) // 4] > 0).mean() > 0.9  # the region itself was edited
    step = json.loads((tmp_path / "o.wav.sao.json").read_text())["steps"][0]
    assert step["plan"]["steps"][0]["region"] == {"start_s": region.start_s, "end_s": region.end_s}
    assert step["seed"] == 4


def test_auto_routing_runs_dsp_steps_exactly(tiny_model, tmp_path):
    """trim (DSP) then a neural step equals: a DSP-only trim, then that neural step alone."""
    load_all()
    x, _ = real_sound("complete")
    src = write(tmp_path / "in.wav", np.concatenate([tone(500, seconds=1.0, amp=0.2), x], axis=1))
    args = ["--model", tiny_model, "--steps", "8", "--seed", "5", "--bits", "32"]  # float out: no dither
    r = run("edit", src, "trim the first second, then remove the dog barking", "-o", tmp_path / "auto.wav", *args)
    assert r.exit_code == 0, r.stderr
    steps = json.loads((tmp_path / "auto.wav.sao.json").read_text())["steps"][0]["plan"]["steps"]
    assert [(s["op"], s["engine"]) for s in steps] == [("trim", "dsp"), ("instruct", "neural")]
    assert run("edit", src, "trim the first second", "-o", tmp_path / "trimmed.wav", "--bits", "32").exit_code == 0
    trimmed, _ = sf.read(tmp_path / "trimmed.wav", dtype="float32", always_2d=True)
    source, _ = sf.read(src, dtype="float32", always_2d=True)
    assert np.array_equal(trimmed.T, get_operation("trim").apply(source.T, SR, steps[0]["params"]))  # the op itself
    r = run("edit", tmp_path / "trimmed.wav", "remove the dog barking", "--engine", "neural", "-o", tmp_path / "neural.wav", *args)
    assert r.exit_code == 0, r.stderr
    auto, neural = (sf.read(tmp_path / f"{name}.wav", dtype="float32")[0] for name in ("auto", "neural"))
    assert np.array_equal(auto, neural)  # bit for bit (float files: libsndfile stamps their PEAK chunk with the time)


def test_a_region_in_the_words_limits_the_model_step(tiny_model, tmp_path):
    """`sao edit "add birdsong in the last second"`: the planner gives the neural step that region, so only it changes."""
    x = long_signal(3.0)
    src = write(tmp_path / "in.wav", x, subtype="FLOAT")
    out = tmp_path / "o.wav"
    r = run("edit", src, "add birdsong in the last second", "-o", out, "--model", tiny_model, "--steps", "8", "--seed", "4")
    assert r.exit_code == 0, r.stderr
    y, _ = sf.read(str(out), dtype="float32", always_2d=True)
    edge = x.shape[1] - SR
    assert np.array_equal(y.T[:, :edge], x[:, :edge])  # the first two seconds, bit for bit
    assert np.abs(y.T[:, edge + SR // 4 : -SR // 4] - x[:, edge + SR // 4 : -SR // 4]).max() > 1e-3  # the last one edited
    step = json.loads((tmp_path / "o.wav.sao.json").read_text())["steps"][0]["plan"]["steps"][0]
    assert (step["engine"], step["region"]) == ("neural", {"start_s": -1.0, "end_s": None})
