"""Denoise, measured: hiss in the gaps goes down by about the asked reduction, the wanted sound stays."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, noise, real_sound, tone
from engine.measure import band_energy_db, rms_db
from engine.ops import get_operation


def run(name, x, sr=SR, **params):
    return get_operation(name).apply(x, sr, params)


def tone_with_gaps_in_hiss() -> tuple[np.ndarray, np.ndarray]:
    """(hiss + tone, tone): a 1 kHz tone on for 0.5 s in every second, over -40 dB hiss."""
    t = tone(1000.0, 4.0, amp=0.3)
    t[:, (np.arange(t.shape[1]) % SR) >= SR // 2] = 0
    return t + noise(4.0, amp=0.01), t


GAP = slice(int(1.6 * SR), int(1.9 * SR))  # hiss only
ON = slice(int(2.1 * SR), int(2.4 * SR))  # tone and hiss


@pytest.mark.parametrize("reduction", [12.0, 24.0])
def test_denoise_lowers_the_hiss_by_about_the_reduction(reduction):
    x, _ = tone_with_gaps_in_hiss()
    y = run("denoise", x, reduction_db=reduction)
    assert y.shape == x.shape
    assert rms_db(y[:, GAP]) - rms_db(x[:, GAP]) == pytest.approx(-reduction, abs=3.0)


def test_denoise_keeps_the_wanted_sound():
    x, clean = tone_with_gaps_in_hiss()
    y = run("denoise", x, reduction_db=20.0)
    assert band_energy_db(y[:, ON], SR, 950, 1050) == pytest.approx(band_energy_db(clean[:, ON], SR, 950, 1050), abs=0.5)
    # while the tone plays, the hiss away from it is gone too
    assert band_energy_db(y[:, ON], SR, 4000, 16000) < band_energy_db(x[:, ON], SR, 4000, 16000) - 12


def test_denoise_learns_from_the_first_seconds_when_told():
    x = np.concatenate([noise(0.5, amp=0.01), tone(440.0, 1.5, amp=0.2) + noise(1.5, amp=0.01, seed=1)], axis=1)
    y = run("denoise", x, reduction_db=18.0, noise_s=0.5)
    assert band_energy_db(y[:, SR:], SR, 5000, 15000) < band_energy_db(x[:, SR:], SR, 5000, 15000) - 12
    assert band_energy_db(y[:, SR:], SR, 430, 450) == pytest.approx(band_energy_db(x[:, SR:], SR, 430, 450), abs=0.5)


def test_denoise_on_a_real_recording_with_added_hiss():
    sound, sr = real_sound("complete")
    quiet = np.zeros((sound.shape[0], sr // 2), np.float32)
    clean = np.concatenate([quiet, sound, quiet], axis=1)  # half a second of nothing either side
    hiss = noise(clean.shape[1] / sr + 0.1, sr=sr, channels=clean.shape[0], amp=0.003)[:, : clean.shape[1]]
    y = run("denoise", clean + hiss, sr=sr, reduction_db=18.0)
    edges = np.r_[0 : int(0.4 * sr), -int(0.4 * sr) : 0]  # away from the sound
    assert rms_db(y[:, edges]) - rms_db(hiss[:, edges]) == pytest.approx(-18.0, abs=3.0)
    middle = slice(sr // 2, sr // 2 + sound.shape[1])
    assert rms_db(y[:, middle]) == pytest.approx(rms_db(sound), abs=0.3)


def test_denoise_leaves_silence_and_tiny_clips_alone():
    assert not np.any(run("denoise", np.zeros((2, SR), np.float32)))
    short = noise(0.01)
    assert np.array_equal(run("denoise", short), short)
