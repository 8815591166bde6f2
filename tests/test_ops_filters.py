"""Filters and EQ, measured as band energy on noise and tones."""

from __future__ import annotations

import pytest

from conftest import SR, noise, tone
from engine.errors import Refused, UsageError
from engine.measure import band_energy_db, rms_db
from engine.ops import get_operation


def run(name, x, sr=SR, **params):
    return get_operation(name).apply(x, sr, params)


def change_db(x, y, lo, hi, sr=SR):
    return band_energy_db(y, sr, lo, hi) - band_energy_db(x, sr, lo, hi)


def test_low_pass_removes_the_highs_at_24_db_per_octave():
    x = noise()
    y = run("low_pass", x, cutoff_hz=1000.0)
    assert change_db(x, y, 100, 500) == pytest.approx(0.0, abs=0.5)
    assert change_db(x, y, 980, 1020) == pytest.approx(-3.0, abs=0.5)  # the cutoff is the -3 dB point
    assert change_db(x, y, 1900, 2100) == pytest.approx(-24.0, abs=2.0)  # one octave up
    assert change_db(x, y, 3800, 4200) == pytest.approx(-48.0, abs=3.0)  # two octaves up


def test_high_pass_removes_the_lows():
    x = noise()
    y = run("high_pass", x, cutoff_hz=1000.0)
    assert change_db(x, y, 4000, 10000) == pytest.approx(0.0, abs=0.5)
    assert change_db(x, y, 100, 300) < -35


def test_band_pass_keeps_only_the_band():
    x = noise()
    y = run("band_pass", x, low_hz=300.0, high_hz=3400.0)
    assert change_db(x, y, 800, 1500) == pytest.approx(0.0, abs=0.5)
    assert change_db(x, y, 20, 80) < -30 and change_db(x, y, 10000, 20000) < -30


def test_pass_filters_near_and_above_nyquist():
    x = noise(sr=8000)
    assert rms_db(run("low_pass", x, sr=8000, cutoff_hz=6000.0)) == pytest.approx(rms_db(x), abs=1e-6)  # nothing above 4 kHz to remove
    assert rms_db(run("band_pass", x, sr=8000, low_hz=1000.0, high_hz=6000.0)) < rms_db(x) - 1  # a high-pass at 1 kHz
    with pytest.raises(Refused, match="high_pass") as e:  # it would remove everything: refused, exit 5 (issue 15)
        run("high_pass", x, sr=8000, cutoff_hz=5000.0)
    assert e.value.code == 5
    with pytest.raises(UsageError, match="below"):
        run("band_pass", x, low_hz=3000.0, high_hz=300.0)


@pytest.mark.parametrize("gain", [6.0, -6.0])
def test_low_shelf_moves_only_the_lows(gain):
    x = noise()
    y = run("low_shelf", x, freq_hz=200.0, gain_db=gain)
    assert change_db(x, y, 20, 60) == pytest.approx(gain, abs=0.7)
    assert change_db(x, y, 3000, 10000) == pytest.approx(0.0, abs=0.3)


@pytest.mark.parametrize("gain", [6.0, -6.0])
def test_high_shelf_moves_only_the_highs(gain):
    x = noise()
    y = run("high_shelf", x, freq_hz=4000.0, gain_db=gain)
    assert change_db(x, y, 12000, 20000) == pytest.approx(gain, abs=0.7)
    assert change_db(x, y, 50, 500) == pytest.approx(0.0, abs=0.3)


def test_peak_eq_boosts_a_band_around_its_frequency():
    x = noise()
    y = run("peak_eq", x, freq_hz=1000.0, gain_db=9.0, q=2.0)
    assert change_db(x, y, 980, 1020) == pytest.approx(9.0, abs=0.5)
    assert change_db(x, y, 50, 200) == pytest.approx(0.0, abs=0.3)
    assert change_db(x, y, 8000, 16000) == pytest.approx(0.0, abs=0.3)


def test_notch_removes_hum_and_its_harmonics_but_not_the_music():
    hum = tone(60.0, amp=0.1) + tone(120.0, amp=0.05) + tone(180.0, amp=0.03)
    music = tone(440.0, amp=0.2)
    y = run("notch", hum + music, freq_hz=60.0, q=10.0, harmonics=3)
    for f in (60, 120, 180):
        assert band_energy_db(y[:, SR:], SR, f - 3, f + 3) < band_energy_db(hum, SR, f - 3, f + 3) - 25
    assert band_energy_db(y[:, SR:], SR, 430, 450) == pytest.approx(band_energy_db(music, SR, 430, 450), abs=0.5)
