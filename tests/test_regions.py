"""Operations limited to a region: outside stays bit-identical, inside is edited, the joins don't click."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, noise, real_sound, tone
from engine.measure import dominant_hz, rms_db
from engine.ops import get_operation
from engine.plan import Region
from engine.regions import FADE_S, apply_in_region

FADE = int(FADE_S * SR)


def in_region(name, x, region, sr=SR, **params):
    return apply_in_region(get_operation(name), x, sr, params, region)


def max_step(y: np.ndarray) -> float:
    return float(np.max(np.abs(np.diff(y, axis=1))))


def test_gain_in_a_region_changes_only_the_region():
    x = tone(440.0, 3.0)
    y = in_region("gain", x, Region(1.0, 2.0), db=-12.0)
    assert y.shape == x.shape
    assert np.array_equal(y[:, :SR], x[:, :SR]) and np.array_equal(y[:, 2 * SR :], x[:, 2 * SR :])
    inside = slice(SR + FADE, 2 * SR - FADE)
    assert rms_db(y[:, inside]) - rms_db(x[:, inside]) == pytest.approx(-12.0, abs=0.01)
    assert max_step(y) <= max_step(x) * 1.01  # faded in and out over 5 ms: no step at the edges


def test_mute_of_the_last_second_uses_a_negative_region():
    x = noise(3.0)
    y = in_region("mute", x, Region(-1.0, None))
    assert np.array_equal(y[:, : 2 * SR], x[:, : 2 * SR])
    assert not np.any(y[:, 2 * SR + FADE :])  # silent to the very end: no fade back in at the file's end


def test_speed_in_the_first_seconds_splices_the_shorter_result_in():
    x = tone(440.0, 3.0)
    y = in_region("speed", x, Region(0.0, 2.0), ratio=1.25)
    sped = round(2 * SR / 1.25)
    assert y.shape[1] == sped + SR
    assert dominant_hz(y[:, :sped], SR) == pytest.approx(550.0, rel=0.002)
    assert np.array_equal(y[:, sped:], x[:, 2 * SR :])  # the crossfade lies inside the region: the rest is untouched
    assert max_step(y) <= max_step(tone(550.0)) * 1.01  # the join is no steeper than the faster tone


def test_time_stretch_in_the_middle_of_a_real_recording():
    x, sr = real_sound("complete")
    start, end = int(0.3 * sr), int(0.7 * sr)
    y = apply_in_region(get_operation("time_stretch"), x, sr, {"ratio": 0.8}, Region(0.3, 0.7))
    stretched = round((end - start) / 0.8)
    assert y.shape[1] == x.shape[1] + stretched - (end - start)
    assert np.array_equal(y[:, :start], x[:, :start])
    assert np.array_equal(y[:, start + stretched :], x[:, end:])
    assert np.isfinite(y).all()


def test_a_channel_changing_op_in_a_region_keeps_the_file_layout():
    x = np.concatenate([tone(440.0, 2.0, channels=1), noise(2.0, channels=1)])
    y = in_region("mono", x, Region(0.5, 1.5))
    assert y.shape == x.shape
    middle = slice(int(0.6 * SR), int(1.4 * SR))
    np.testing.assert_allclose(y[0, middle], y[1, middle])
    assert np.array_equal(y[:, : SR // 2], x[:, : SR // 2])
