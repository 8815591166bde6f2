"""Every operation on real recordings (sound-theme-freedesktop): a stereo chime and mono speech.

Each case gives parameters that do something audible, the length the result must
have, and a measurement showing the change happened.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

from conftest import FREEDESKTOP, real_sound
from engine.measure import band_energy_db, correlation, dominant_hz, lufs, peak_db, rms_db
from engine.ops import all_operations, get_operation

RECORDINGS = ["complete", "audio-channel-front-left"]  # 44.1 kHz stereo chime; 48 kHz mono speech
CLIP = FREEDESKTOP / "bell.oga"


def same(n: int, sr: int) -> int:
    return n


def band_change(x, y, sr, lo, hi) -> float:
    return band_energy_db(y, sr, lo, hi) - band_energy_db(x, sr, lo, hi)


def seconds(t: float, sr: int) -> int:
    return round(t * sr)


def add_check(x, y, sr):
    bell, bell_sr = real_sound("bell")
    start = seconds(0.2, sr)
    mixed_in = (y - np.pad(x, ((0, 0), (0, y.shape[1] - x.shape[1]))))[:, start : start + round(bell.shape[1] * sr / bell_sr)]
    return rms_db(mixed_in) == pytest.approx(rms_db(bell), abs=1.0)


def notch_check(x, y, sr):
    f = dominant_hz(x, sr)
    return band_change(x, y, sr, f - 3, f + 3) < -5 and band_change(x, y, sr, 1.3 * f, 3 * f) == pytest.approx(0.0, abs=0.1)


def width_check(x, y, sr):
    """The mid stays; the side doubles (a mono input gets one, so its channels differ)."""
    mid_kept = np.allclose(y.mean(axis=0), x.mean(axis=0), atol=1e-6)
    if x.shape[0] == 1:
        return mid_kept and correlation(y[0], y[1]) < 0.99
    return mid_kept and np.allclose(y[0] - y[1], 2 * (x[0] - x[1]), atol=1e-6)


Check = Callable[[np.ndarray, np.ndarray, int], bool]
# name: (params, or a function of (samples, rate) giving them; expected frames from (frames, rate), or None; check)
CASES: dict[str, tuple[dict | Callable, Callable[[int, int], int] | None, Check]] = {
    "gain": ({"db": -6.0}, same, lambda x, y, sr: rms_db(y) - rms_db(x) == pytest.approx(-6.0, abs=0.01)),
    "normalize": ({"peak_db": -1.0}, same, lambda x, y, sr: peak_db(y) == pytest.approx(-1.0, abs=0.01)),
    "loudness": ({"lufs": -30.0}, same, lambda x, y, sr: lufs(y, sr) == pytest.approx(-30.0, abs=0.2)),
    "fade": (
        {"in_s": 0.3, "curve": "linear"},
        same,
        lambda x, y, sr: band_change(x[:, : sr // 10], y[:, : sr // 10], sr, 20, 20000) < -10 and np.array_equal(y[:, sr // 3 :], x[:, sr // 3 :]),
    ),
    "trim": (
        {"start_s": 0.2, "end_s": 0.5},
        lambda n, sr: n - seconds(0.3, sr),
        lambda x, y, sr: np.array_equal(y[:, : seconds(0.2, sr)], x[:, : seconds(0.2, sr)]),
    ),
    "keep": (
        {"start_s": 0.2, "end_s": 0.5},
        lambda n, sr: seconds(0.3, sr),
        lambda x, y, sr: np.array_equal(y[:, 300:-300], x[:, seconds(0.2, sr) + 300 : seconds(0.5, sr) - 300]),
    ),
    "pad": (
        {"before_s": 0.1, "after_s": 0.2},
        lambda n, sr: n + seconds(0.3, sr),
        lambda x, y, sr: not np.any(y[:, : seconds(0.1, sr)]) and rms_db(y) < rms_db(x),
    ),
    "strip_silence": ({"threshold_db": -40.0}, None, lambda x, y, sr: 0 < y.shape[1] < x.shape[1] and peak_db(y[:, :1]) > -40.0 and peak_db(y[:, -1:]) > -40.0),
    "mute": ({}, same, lambda x, y, sr: not np.any(y)),
    "loop": ({"count": 3}, lambda n, sr: 3 * n, lambda x, y, sr: np.array_equal(y[:, -x.shape[1] :], x)),
    "reverse": ({}, same, lambda x, y, sr: np.array_equal(y[:, ::-1], x)),
    "speed": ({"ratio": 1.25}, lambda n, sr: round(n / 1.25), lambda x, y, sr: dominant_hz(y, sr) / dominant_hz(x, sr) == pytest.approx(1.25, rel=0.01)),
    "time_stretch": ({"ratio": 1.25}, lambda n, sr: round(n / 1.25), lambda x, y, sr: dominant_hz(y, sr) == pytest.approx(dominant_hz(x, sr), rel=0.01)),
    "pitch_shift": ({"semitones": 12.0}, same, lambda x, y, sr: dominant_hz(y, sr) / dominant_hz(x, sr) == pytest.approx(2.0, rel=0.01)),
    "resample": ({"hz": 16000}, lambda n, sr: round(n * 16000 / sr), lambda x, y, sr: dominant_hz(y, 16000) == pytest.approx(dominant_hz(x, sr), rel=0.01)),
    "low_pass": ({"cutoff_hz": 1000.0}, same, lambda x, y, sr: band_change(x, y, sr, 4000, 8000) < -30),
    "high_pass": ({"cutoff_hz": 1000.0}, same, lambda x, y, sr: band_change(x, y, sr, 100, 250) < -30),
    "band_pass": (
        {"low_hz": 300.0, "high_hz": 3400.0},
        same,
        lambda x, y, sr: band_change(x, y, sr, 8000, 16000) < -20 and band_change(x, y, sr, 1000, 2000) > -1,
    ),
    "low_shelf": ({"freq_hz": 400.0, "gain_db": 6.0}, same, lambda x, y, sr: band_change(x, y, sr, 50, 150) == pytest.approx(6.0, abs=1.0)),
    "high_shelf": ({"freq_hz": 3000.0, "gain_db": -6.0}, same, lambda x, y, sr: band_change(x, y, sr, 8000, 16000) == pytest.approx(-6.0, abs=1.0)),
    "peak_eq": ({"gain_db": 9.0, "freq_hz": 1500.0, "q": 2.0}, same, lambda x, y, sr: band_change(x, y, sr, 1450, 1550) == pytest.approx(9.0, abs=1.0)),
    "notch": (lambda x, sr: {"freq_hz": dominant_hz(x, sr), "q": 30.0}, same, notch_check),
    "reverb": ({"preset": "hall", "wet": 0.5}, same, lambda x, y, sr: correlation(x, y) < 0.95),
    "echo": ({"delay_s": 0.1, "feedback": 0.3, "mix": 0.4}, same, lambda x, y, sr: correlation(x, y) < 0.95),
    "distortion": ({"drive_db": 30.0}, same, lambda x, y, sr: correlation(x, y) < 0.95 and rms_db(y) == pytest.approx(rms_db(x), abs=0.1)),
    "bitcrush": ({"bits": 4.0}, same, lambda x, y, sr: np.allclose(y * 16, np.round(y * 16), atol=1e-4) and correlation(x, y) < 0.999),
    "chorus": ({"mix": 0.5}, same, lambda x, y, sr: correlation(x, y) < 0.99),
    "phaser": ({"mix": 0.5}, same, lambda x, y, sr: correlation(x, y) < 0.99),
    "tremolo": ({"rate_hz": 10.0, "depth": 1.0}, same, lambda x, y, sr: -7.0 < rms_db(y) - rms_db(x) < -2.0),
    "compressor": ({"threshold_db": -30.0, "ratio": 8.0}, same, lambda x, y, sr: rms_db(y) < rms_db(x) - 6),
    "limiter": ({"ceiling_db": -12.0}, same, lambda x, y, sr: -12.1 < peak_db(y) <= -12.0),
    "gate": ({"threshold_db": -35.0}, same, lambda x, y, sr: rms_db(y) == pytest.approx(rms_db(x), abs=1.0) and rms_db(y - x) > -60),
    # a clean recording has nothing to remove, and comes back as it was (noisy ones: test_denoise.py)
    "denoise": ({"reduction_db": 12.0}, same, lambda x, y, sr: abs(rms_db(y) - rms_db(x)) < 0.1 and rms_db(y - x) < rms_db(x) - 50),
    "louder": ({"db": 6.0}, same, lambda x, y, sr: lufs(y, sr) - lufs(x, sr) == pytest.approx(6.0, abs=1.0)),
    "downmix": ({"channels": 1}, same, lambda x, y, sr: y.shape[0] == 1 and np.allclose(y[0], x.mean(axis=0), atol=1e-6)),
    "mono": ({}, same, lambda x, y, sr: y.shape[0] == 1 and np.allclose(y[0], x.mean(axis=0), atol=1e-7)),
    "pan": ({"position": 1.0}, same, lambda x, y, sr: y.shape[0] == 2 and not np.any(y[0]) and rms_db(y[1]) > -40),
    "swap_channels": ({}, same, lambda x, y, sr: np.array_equal(y, x[::-1])),
    "width": ({"ratio": 2.0}, same, width_check),
    "add": ({"path": str(CLIP), "at_s": 0.2}, None, add_check),
    # a clean recording has nothing to repair: (almost) every sample stays (tests/test_ops_restore.py adds the damage)
    "declick": ({}, same, lambda x, y, sr: rms_db(y) == pytest.approx(rms_db(x), abs=0.5) and np.count_nonzero(y != x) < 0.01 * x.size),
    "declip": ({}, same, lambda x, y, sr: np.array_equal(y, x)),
    "split": ({"parts": 3, "part": 2}, lambda n, sr: 2 * n // 3 - n // 3, lambda x, y, sr: np.array_equal(y, x[:, x.shape[1] // 3 : 2 * x.shape[1] // 3])),
}


def test_every_operation_has_a_real_recording_case():
    assert set(CASES) == {op.name for op in all_operations()}


@pytest.mark.parametrize("recording", RECORDINGS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_operation_on_a_real_recording(name, recording):
    x, sr = real_sound(recording)
    params, frames, check = CASES[name]
    params = params(x, sr) if callable(params) else params
    op = get_operation(name)
    y = op.apply(x, sr, params)
    out_sr = op.output_rate(sr, op.validate(params))
    assert y.dtype == np.float32 and y.flags.c_contiguous and np.isfinite(y).all()
    if frames is not None:
        assert y.shape[1] == frames(x.shape[1], sr)
    assert check(x, y, out_sr if name != "resample" else sr), f"{name} on {recording}: the measured change is missing"
