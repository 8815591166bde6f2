"""Colour effects, measured: harmonics, quantisation grid, level modulation."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, tone
from engine.measure import band_energy_db, dominant_hz, rms_db
from engine.ops import get_operation


def run(name, x, sr=SR, **params):
    return get_operation(name).apply(x, sr, params)


def envelope_db(y: np.ndarray, block: int = 441) -> np.ndarray:
    """Level per 10 ms block, in dB, skipping the first 100 ms (effects settle)."""
    frames = y.shape[1] // block * block
    power = np.mean(np.square(y[0, :frames].reshape(-1, block), dtype=np.float64), axis=1)
    return 10 * np.log10(power[10:] + 1e-20)


def swing_db(y: np.ndarray) -> float:
    env = envelope_db(y)
    return float(env.max() - env.min())


def test_distortion_adds_harmonics_at_the_same_level():
    x = tone(440.0)
    y = run("distortion", x, drive_db=20.0)
    assert band_energy_db(y, SR, 1300, 1340) > band_energy_db(x, SR, 1300, 1340) + 60  # 3rd harmonic
    assert rms_db(y) == pytest.approx(rms_db(x), abs=0.1)
    mild = run("distortion", x, drive_db=3.0)
    assert band_energy_db(mild, SR, 1300, 1340) < band_energy_db(y, SR, 1300, 1340) - 10


def test_bitcrush_quantises_to_the_bit_grid():
    x = tone(440.0)
    y = run("bitcrush", x, bits=4.0)
    steps = y * 2**4
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-4)
    error_db = rms_db(y - x) - rms_db(x)
    assert -25 < error_db < -17  # 4-bit noise on a -13 dB RMS tone: about -21 dB


def test_bitcrush_downsampling_holds_samples_and_aliases():
    x = tone(440.0)
    y = run("bitcrush", x, bits=24.0, downsample_ratio=4.0)
    assert np.mean(y[0, 1:] == y[0, :-1]) == pytest.approx(0.75, abs=0.01)  # 3 of every 4 samples repeat
    assert band_energy_db(y, SR, 10000, 20000) > band_energy_db(x, SR, 10000, 20000) + 40  # images of the tone


@pytest.mark.parametrize("name", ["chorus", "phaser"])
def test_sweeping_effects_modulate_a_steady_tone(name):
    x = tone(1000.0)  # whole cycles per 10 ms block: a flat envelope
    assert swing_db(x) < 0.01
    assert swing_db(run(name, x, rate_hz=1.0, mix=0.5)) > 10  # the wet copy beats against the dry one
    assert swing_db(run(name, x, rate_hz=1.0, mix=0.0)) < 0.5


def test_phaser_without_depth_does_not_sweep():
    x = tone(1000.0)
    assert swing_db(run("phaser", x, depth=0.0)) < 1.0
    assert swing_db(run("phaser", x, depth=1.0)) > 10


def test_tremolo_dips_by_its_depth_at_its_rate():
    x = tone(1000.0, 3.0)
    y = run("tremolo", x, rate_hz=4.0, depth=0.5)
    assert swing_db(y) == pytest.approx(20 * np.log10(1 / 0.5), abs=0.5)
    env = 10 ** (envelope_db(y) / 20)
    assert dominant_hz(env - env.mean(), 100) == pytest.approx(4.0, rel=0.02)  # 100 blocks per second
    assert rms_db(y[:, :441]) == pytest.approx(rms_db(x[:, :441]), abs=0.1)  # starts at full level
