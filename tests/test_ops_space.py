"""Reverb and echo, measured: tails, decay by preset, echo time and level, length kept."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, noise
from engine.measure import rms_db
from engine.ops import get_operation


def run(name, x, sr=SR, **params):
    return get_operation(name).apply(x, sr, params)


def burst_then_silence() -> np.ndarray:
    """0.3 s of noise, then 2.7 s of digital silence."""
    return np.concatenate([noise(0.3, amp=0.2), np.zeros((2, int(2.7 * SR)), np.float32)], axis=1)


def tail_db(y: np.ndarray, start_s: float, end_s: float) -> float:
    return rms_db(y[:, int(start_s * SR) : int(end_s * SR)])


def test_reverb_adds_a_tail_and_keeps_length_and_level():
    x = burst_then_silence()
    y = run("reverb", x, preset="room", wet=0.25)
    assert y.shape == x.shape
    assert tail_db(y, 0.35, 0.45) > -60  # sound where the input is silent
    assert rms_db(y[:, : int(0.3 * SR)]) == pytest.approx(rms_db(x[:, : int(0.3 * SR)]), abs=1.5)


def test_bigger_spaces_ring_longer():
    x = burst_then_silence()
    order = ("small_room", "room", "hall", "cathedral")
    late = [tail_db(run("reverb", x, preset=p, wet=0.5), 1.0, 1.2) for p in order]  # 0.7 s after the burst
    assert all(smaller < bigger - 5 for smaller, bigger in zip(late, late[1:])), dict(zip(order, late))
    room = late[1]
    assert tail_db(run("reverb", x, preset="room", size=0.95, wet=0.5), 1.0, 1.2) > room + 20  # size overrides the preset


def test_dry_reverb_is_the_input():
    x = noise(0.5)
    np.testing.assert_allclose(run("reverb", x, wet=0.0), x, atol=1e-6)


def test_echo_repeats_after_the_delay_and_decays_by_the_feedback():
    x = np.zeros((2, 2 * SR), np.float32)
    x[:, 100] = 1.0
    y = run("echo", x, delay_s=0.25, feedback=0.5, mix=0.5)
    assert y.shape == x.shape
    d = int(0.25 * SR)
    assert abs(y[0, 100]) == pytest.approx(0.5, abs=0.01)  # dry part, (1 - mix)
    first, second = abs(y[0, 100 + d]), abs(y[0, 100 + 2 * d])
    assert first == pytest.approx(0.5, abs=0.02)  # the first echo, mix
    assert second / first == pytest.approx(0.5, abs=0.02)  # each repeat feedback times the last
    between = np.abs(y[0, 200 : 100 + d - 100])
    assert between.max() < 1e-3  # nothing before the first repeat
