"""Level operations, measured: dB changes, peaks, LUFS, true peak and fade envelopes."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, noise, tone
from engine.errors import BadAudio
from engine.measure import lufs, peak_db, rms_db, true_peak
from engine.ops import get_operation


def run(name, x, sr=SR, **params):
    return get_operation(name).apply(x, sr, params)


@pytest.mark.parametrize("db", [-12.0, 6.0])
def test_gain_changes_the_level_by_that_many_db(db):
    x = tone()
    assert rms_db(run("gain", x, db=db)) - rms_db(x) == pytest.approx(db, abs=0.01)


@pytest.mark.parametrize("target", [-1.0, -12.0])
def test_normalize_puts_the_sample_peak_at_the_target(target):
    y = run("normalize", tone(amp=0.05), peak_db=target)
    assert peak_db(y) == pytest.approx(target, abs=0.01)


def test_normalize_leaves_silence_alone():
    assert not np.any(run("normalize", np.zeros((2, SR), np.float32)))


def test_loudness_reaches_the_target_lufs():
    x = tone(amp=0.02) + noise(amp=0.01)
    y = run("loudness", x, lufs=-20.0, ceiling_db=-1.0)
    assert lufs(y, SR) == pytest.approx(-20.0, abs=0.1)


def test_loudness_keeps_the_true_peak_under_the_ceiling():
    # Noise has a high crest factor: at -8 LUFS its peaks would pass -3 dBTP.
    y = run("loudness", noise(amp=0.1), lufs=-8.0, ceiling_db=-3.0)
    assert true_peak(y, SR) <= -3.0 + 0.01
    assert lufs(y, SR) < -8.5  # turned down to fit, so quieter than asked


def test_loudness_of_silence_is_bad_audio():
    with pytest.raises(BadAudio, match="loudness"):
        run("loudness", np.zeros((2, SR), np.float32))


def _envelope(y: np.ndarray, block: int = 441) -> np.ndarray:
    """RMS per 10 ms block, normalised to a full-level sine."""
    frames = y.shape[1] // block * block
    return np.sqrt(2 * np.mean(np.square(y[0, :frames].reshape(-1, block)), axis=1))


@pytest.mark.parametrize("curve,low,high", [("linear", 0.45, 0.55), ("exp", 0.0, 0.1), ("log", 0.9, 1.0), ("scurve", 0.45, 0.55)])
def test_fade_in_shape_at_its_midpoint(curve, low, high):
    y = run("fade", tone(amp=1.0, seconds=3.0), in_s=2.0, curve=curve)
    env = _envelope(y)
    assert env[0] < 0.05  # starts from silence
    assert low <= env[99] / env[250] <= high  # 1 s into a 2 s fade
    assert env[250] == pytest.approx(1.0, abs=0.01)  # untouched after the fade


def test_fade_out_ends_in_silence_and_leaves_the_start():
    x = tone(seconds=3.0)
    y = run("fade", x, out_s=1.0, curve="linear")
    assert np.array_equal(y[:, : 2 * SR], x[:, : 2 * SR])
    assert rms_db(y[:, -441:]) < rms_db(x) - 30
    assert rms_db(y[:, -SR // 2 :]) < rms_db(x[:, -SR // 2 :]) - 6
