"""Compressor, limiter and gate, measured: gain reduction in dB, peak ceiling, untouched quiet parts."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, noise, tone
from engine.measure import band_energy_db, peak_db, rms_db
from engine.ops import get_operation


def run(name, x, sr=SR, **params):
    return get_operation(name).apply(x, sr, params)


def steady(y: np.ndarray) -> np.ndarray:
    """The second half, after attack and release have settled."""
    return y[:, y.shape[1] // 2 :]


def test_compressor_reduces_what_is_over_the_threshold_by_the_ratio():
    loud = tone(1000.0, amp=0.5)  # -6 dBFS peak, 14 dB over a -20 dB threshold
    y = run("compressor", loud, threshold_db=-20.0, ratio=4.0)
    assert rms_db(steady(y)) - rms_db(steady(loud)) == pytest.approx(-14 * (1 - 1 / 4), abs=1.5)
    quiet = tone(1000.0, amp=0.01)  # -40 dBFS: below the threshold
    assert rms_db(run("compressor", quiet, threshold_db=-20.0, ratio=4.0)) == pytest.approx(rms_db(quiet), abs=0.1)
    made_up = run("compressor", loud, threshold_db=-20.0, ratio=4.0, makeup_db=6.0)
    assert rms_db(made_up) - rms_db(y) == pytest.approx(6.0, abs=0.01)


def test_limiter_holds_every_sample_under_the_ceiling():
    x = noise(2.0, amp=0.5)  # peaks around +6 dBFS
    y = run("limiter", x, ceiling_db=-3.0)
    assert peak_db(y) <= -3.0
    assert peak_db(y) > -3.2  # limited, not just turned down


def test_limiter_leaves_quiet_parts_alone_and_recovers():
    quiet = tone(1000.0, 1.0, amp=0.1)
    x = np.concatenate([quiet, tone(1000.0, 0.5, amp=1.0), quiet], axis=1)
    y = run("limiter", x, ceiling_db=-6.0, release_s=0.05)
    assert np.array_equal(y[:, : SR - 300], x[:, : SR - 300])  # more than the 5 ms look-ahead before the loud part
    assert peak_db(y) <= -6.0
    assert rms_db(y[:, -SR // 2 :]) == pytest.approx(rms_db(quiet), abs=0.01)  # recovered 0.5 s later


def test_limiter_turns_down_rather_than_clips():
    x = tone(1000.0, 2.0, amp=0.9)
    y = run("limiter", x, ceiling_db=-12.0)
    assert peak_db(steady(y)) == pytest.approx(-12.0, abs=0.1)
    # Hard clipping at -12 dB would make a strong 3rd harmonic; a smooth gain does not.
    assert band_energy_db(steady(y), SR, 2950, 3050) < band_energy_db(steady(y), SR, 950, 1050) - 60


def test_gate_turns_down_the_gaps_and_keeps_the_sound():
    hiss = noise(3.0, amp=0.001)  # -60 dBFS
    sound = np.zeros_like(hiss)
    sound[:, SR : 2 * SR] = tone(1000.0, 1.0, amp=0.3)
    y = run("gate", hiss + sound, threshold_db=-40.0, ratio=10.0)
    gap = slice(int(2.5 * SR), 3 * SR)
    assert rms_db(y[:, gap]) < rms_db(hiss[:, gap]) - 15
    held = slice(int(1.2 * SR), int(1.8 * SR))
    assert rms_db(y[:, held]) == pytest.approx(rms_db((hiss + sound)[:, held]), abs=0.2)
