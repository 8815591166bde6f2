"""Speed, stretch, shift and resample, measured: pitch ratio, duration, level, alignment."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, tone
from engine.measure import dominant_hz, rms_db
from engine.ops import get_operation


def run(name, x, sr=SR, **params):
    return get_operation(name).apply(x, sr, params)


def onset_s(y: np.ndarray, sr: int = SR) -> float:
    """Time at which the signal first reaches half its peak."""
    env = np.max(np.abs(y), axis=0)
    return float(np.argmax(env >= 0.5 * env.max()) / sr)


def burst(hz: float = 440.0) -> np.ndarray:
    """0.5 s of silence, then a 1 s tone, then 0.5 s of silence."""
    silence = np.zeros((2, SR // 2), np.float32)
    return np.concatenate([silence, tone(hz, 1.0), silence], axis=1)


@pytest.mark.parametrize("ratio", [1.25, 0.5])
def test_speed_moves_pitch_and_duration_together(ratio):
    x = tone(440.0, 2.0)
    y = run("speed", x, ratio=ratio)
    assert y.shape[1] == round(x.shape[1] / ratio)
    assert dominant_hz(y, SR) / 440.0 == pytest.approx(ratio, rel=0.002)
    assert rms_db(y[:, 2000:-2000]) == pytest.approx(rms_db(x), abs=0.2)


@pytest.mark.parametrize("ratio", [1.25, 0.8])
def test_time_stretch_changes_duration_and_keeps_pitch(ratio):
    x = tone(440.0, 2.0)
    y = run("time_stretch", x, ratio=ratio)
    assert y.shape[1] == round(x.shape[1] / ratio)
    assert dominant_hz(y, SR) == pytest.approx(440.0, rel=0.002)
    assert rms_db(y[:, 4000:-4000]) == pytest.approx(rms_db(x), abs=1.0)


@pytest.mark.parametrize("frames,ratio", [(10, 2.0), (300, 10.0), (50, 0.1)])
def test_time_stretch_of_very_short_audio_keeps_the_promised_length(frames, ratio):
    y = run("time_stretch", tone(440.0, 1.0)[:, :frames], ratio=ratio)
    assert y.shape == (2, round(frames / ratio)) and np.isfinite(y).all()


@pytest.mark.parametrize("semitones", [12.0, -7.0, 3.0])
def test_pitch_shift_moves_pitch_and_keeps_duration_level_and_timing(semitones):
    x = burst()
    y = run("pitch_shift", x, semitones=semitones)
    assert y.shape == x.shape
    assert dominant_hz(y, SR) / 440.0 == pytest.approx(2 ** (semitones / 12), rel=0.003)
    assert rms_db(y) == pytest.approx(rms_db(x), abs=1.0)
    assert onset_s(y) == pytest.approx(onset_s(x), abs=0.01)  # time-aligned, no latency


def test_pitch_shift_of_a_few_samples_keeps_them():
    y = run("pitch_shift", tone(seconds=0.01)[:, :100], semitones=5.0)
    assert y.shape == (2, 100) and np.isfinite(y).all()


@pytest.mark.parametrize("source,target", [(44100, 22050), (48000, 44100), (22050, 96000)])
def test_resample_keeps_pitch_and_duration(source, target):
    x = tone(440.0, 1.5, sr=source)
    op = get_operation("resample")
    y = op.apply(x, source, {"hz": target})
    assert op.output_rate(source, op.validate({"hz": target})) == target
    assert y.shape[1] == round(x.shape[1] * target / source)
    assert dominant_hz(y, target) == pytest.approx(440.0, rel=0.001)
    assert rms_db(y[:, 500:-500]) == pytest.approx(rms_db(x), abs=0.1)


def test_resample_down_removes_what_the_new_rate_cannot_hold():
    x = tone(15000.0, 1.0) + tone(1000.0, 1.0)
    y = run("resample", x, hz=22050)  # new Nyquist 11025 Hz
    assert dominant_hz(y, 22050) == pytest.approx(1000.0, rel=0.001)
    assert rms_db(y) == pytest.approx(rms_db(tone(1000.0, 1.0)), abs=0.2)
