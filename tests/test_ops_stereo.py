"""Stereo operations, measured: channel levels, correlation between channels, the mono sum."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, noise, tone
from engine.measure import correlation, rms_db
from engine.ops import get_operation


def run(name, x, sr=SR, **params):
    return get_operation(name).apply(x, sr, params)


def left_right() -> np.ndarray:
    """Different sounds left (440 Hz) and right (noise), as in a real stereo mix."""
    return np.concatenate([tone(440.0, channels=1), noise(channels=1)])


def test_mono_is_the_mean_of_the_channels():
    x = left_right()
    y = run("mono", x)
    assert y.shape == (1, x.shape[1])
    np.testing.assert_allclose(y[0], (x[0] + x[1]) / 2, atol=1e-7)


def level_ratio(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(y, dtype=np.float64)) / np.mean(np.square(x, dtype=np.float64))))


@pytest.mark.parametrize("position,left,right", [(-1.0, 1.0, 0.0), (0.0, 0.7071, 0.7071), (1.0, 0.0, 1.0), (0.5, 0.3827, 0.9239)])
def test_pan_places_mono_with_constant_power(position, left, right):
    x = tone(channels=1)
    y = run("pan", x, position=position)
    assert y.shape[0] == 2
    assert level_ratio(y[0], x) == pytest.approx(left, abs=1e-3)
    assert level_ratio(y[1], x) == pytest.approx(right, abs=1e-3)
    assert level_ratio(y[0], x) ** 2 + level_ratio(y[1], x) ** 2 == pytest.approx(1.0, abs=1e-3)  # same power anywhere


def test_pan_balances_stereo_and_leaves_the_centre_alone():
    x = left_right()
    assert np.array_equal(run("pan", x, position=0.0), x)
    y = run("pan", x, position=0.5)
    assert np.array_equal(y[1], x[1])  # the near side stays
    assert level_ratio(y[0], x[0]) == pytest.approx(0.3827 / 0.7071, abs=1e-3)  # the far side, relative to the centre


def test_swap_channels_swaps_and_keeps_extra_channels():
    x = np.concatenate([left_right(), tone(1000.0, channels=1)])
    y = run("swap_channels", x)
    assert np.array_equal(y[0], x[1]) and np.array_equal(y[1], x[0]) and np.array_equal(y[2], x[2])
    mono = tone(channels=1)
    assert np.array_equal(run("swap_channels", mono), mono)


def stereo_image() -> np.ndarray:
    """A partly correlated pair: a shared noise plus a little of each side's own."""
    shared, own = noise(seed=1, channels=1), noise(seed=2, amp=0.05)
    return shared + own


def side_db(y: np.ndarray) -> float:
    return rms_db((y[0] - y[1]) / 2)


@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_width_scales_the_side_and_keeps_the_mid(ratio):
    x = stereo_image()
    y = run("width", x, ratio=ratio)
    assert side_db(y) - side_db(x) == pytest.approx(20 * np.log10(ratio), abs=0.01)
    np.testing.assert_allclose(y.mean(axis=0), x.mean(axis=0), atol=1e-6)
    assert (correlation(y[0], y[1]) < correlation(x[0], x[1])) == (ratio > 1)


def test_width_zero_is_mono():
    y = run("width", stereo_image(), ratio=0.0)
    assert correlation(y[0], y[1]) == pytest.approx(1.0)


def test_width_makes_mono_into_decorrelated_stereo_with_the_same_mono_sum():
    x = noise(channels=1)
    y = run("width", x, ratio=2.0)
    assert y.shape[0] == 2
    assert correlation(y[0], y[1]) < 0.7
    np.testing.assert_allclose(y.mean(axis=0), x[0], atol=1e-6)
    assert correlation(*run("width", x, ratio=0.0)) == pytest.approx(1.0)
