"""Issue 15, point 4: each request that used to exit 0 and do something else now does what was
asked, measured on the output of `sao edit`, or exits 5 saying why, with nothing written."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from cli_helpers import run
from conftest import SR, noise, tone, write
from engine.measure import band_energy_db, dominant_hz, rms_db

DUR = 5.0


@pytest.fixture
def five(tmp_path):
    """A 5 s stereo 440 Hz tone, 16-bit."""
    return write(tmp_path / "five.wav", tone(440.0, DUR))


@pytest.fixture
def hiss(tmp_path):
    """5 s of white noise (every band has energy), 24-bit."""
    return write(tmp_path / "hiss.wav", noise(DUR, amp=0.05), subtype="PCM_24")


def read(path):
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return x.T, sr


def refused(src, text, tmp_path, *words):
    """`sao edit` exits 5 with `words` in its message and writes neither the output nor a sidecar."""
    out = tmp_path / "out.wav"
    r = run("edit", src, text, "-o", out)
    assert r.exit_code == 5, (r.exit_code, r.stderr)
    assert all(w in r.stderr for w in words), r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]
    return r.stderr


def edited(src, text, tmp_path):
    out = tmp_path / "out.wav"
    r = run("edit", src, text, "-o", out)
    assert r.exit_code == 0, r.stderr
    return read(src)[0], read(out)[0]


# --- regions outside the file ----------------------------------------------------------------------

@pytest.mark.parametrize("text", ["make it quieter between 10 and 12 seconds", "mute from 0:06 to 0:08",
                                  "keep 10 to 12 s", "remove 10 s to 12 s"])
def test_a_region_past_the_end_is_refused_when_the_file_is_known(five, tmp_path, text):
    refused(five, text, tmp_path, "lies outside the audio", "5.00 s long")


def test_a_clip_placed_past_the_end_is_refused(five, tmp_path):
    clip = write(tmp_path / "clip.wav", tone(880.0, 0.5))
    out = tmp_path / "out.wav"
    r = run("edit", five, "add clip.wav at 10 s", "-o", out)
    assert r.exit_code == 5 and "outside the audio" in r.stderr and not out.exists()
    assert clip.exists()


def test_a_region_running_past_the_end_stops_at_the_end(five, tmp_path):
    x, y = edited(five, "make it quieter from 3 to 12 seconds", tmp_path)
    assert rms_db(y[:, 4 * SR:]) - rms_db(x[:, 4 * SR:]) == pytest.approx(-6.0, abs=0.1)
    assert np.array_equal(y[:, : 2 * SR], x[:, : 2 * SR])


def test_a_decade_is_not_read_as_a_time(hiss, tmp_path):
    """"from the 1940s" once became a region starting at 1940 s: the output was the input."""
    x, y = edited(hiss, "make it sound like a radio from the 1940s", tmp_path)
    for a, b in ((0, SR), (4 * SR, 5 * SR)):  # the band-pass acts on the whole file, first second and last
        assert band_energy_db(y[:, a:b], SR, 50, 200) - band_energy_db(x[:, a:b], SR, 50, 200) < -20


# --- impossible regions and values: refused at plan time -------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ("make it quieter between 4 and 2 seconds", ["ends before it starts"]),
    ("make the last -2 seconds quieter", ["no length"]),
    ("make it 900 dB louder", ["0 to 48 dB"]),
    ("pitch it up 400 semitones", ["-48 to 48 semitones"]),
    ("loop it 100000 times", ["1 to 1000"]),
    ("low pass at 0 Hz", ["10 to 40000 Hz"]),
    ("high pass at 96 kHz", ["10 to 40000 Hz"]),
])
def test_impossible_requests_exit_5_and_write_nothing(five, tmp_path, text, words):
    refused(five, text, tmp_path, *words)


@pytest.mark.parametrize("text", ["high pass at 30 kHz", "boost 30 kHz by 6 dB"])
def test_a_frequency_above_the_file_s_nyquist_is_refused_when_it_runs(five, tmp_path, text):
    refused(five, text, tmp_path, "above this file's highest frequency (22050 Hz)")


def test_sao_plan_refuses_too(tmp_path):
    r = run("plan", "loop it 100000 times", "--json")
    assert r.exit_code == 5 and r.stdout == "" and "1 to 1000" in r.stderr


# --- requests that did something else: measured --------------------------------------------------------

def test_duck_turns_it_down(five, tmp_path):
    x, y = edited(five, "duck it by 6 dB", tmp_path)
    assert rms_db(y) - rms_db(x) == pytest.approx(-6.0, abs=0.05)


def test_a_tempo_change_in_bpm_is_the_ratio_of_the_rates(five, tmp_path):
    x, y = edited(five, "change the tempo from 100 to 120 bpm", tmp_path)
    assert y.shape[1] / SR == pytest.approx(DUR / 1.2, abs=0.02)
    assert dominant_hz(y, SR) == pytest.approx(440.0, rel=0.01)  # tempo, not pitch


def test_stretch_to_150_percent_of_its_length_makes_it_longer(five, tmp_path):
    x, y = edited(five, "stretch it to 150 % of its length", tmp_path)
    assert y.shape[1] / x.shape[1] == pytest.approx(1.5, abs=0.01)


def test_tighten_up_the_low_end_cuts_it(hiss, tmp_path):
    x, y = edited(hiss, "tighten up the low end", tmp_path)
    assert band_energy_db(y, SR, 40, 100) - band_energy_db(x, SR, 40, 100) < -3
    assert band_energy_db(y, SR, 2000, 8000) - band_energy_db(x, SR, 2000, 8000) == pytest.approx(0.0, abs=0.3)


def test_cut_the_low_end_below_80_uses_80_hz(hiss, tmp_path):
    """A 4th-order high-pass at 80 Hz: far below it is gone, 100-120 Hz barely touched (a default 120 Hz
    cut-off would take about 5 dB there)."""
    x, y = edited(hiss, "cut the low end below 80", tmp_path)
    assert band_energy_db(y, SR, 15, 35) - band_energy_db(x, SR, 15, 35) < -20
    assert band_energy_db(y, SR, 100, 120) - band_energy_db(x, SR, 100, 120) > -1.5


def test_them_limits_the_second_edit_to_the_region(hiss, tmp_path):
    """"fade out the last 2 seconds and make them brighter": the first 3 s are untouched, the last 2 s brighter
    (the high band rises against the low band, which the fade lowers alike)."""
    x, y = edited(hiss, "fade out the last 2 seconds and make them brighter", tmp_path)
    head = slice(0, int(2.9 * SR))
    assert np.max(np.abs(y[:, head] - x[:, head])) < 1e-6
    tail = slice(int(3.2 * SR), int(4.5 * SR))

    def tilt(z):
        return band_energy_db(z[:, tail], SR, 8000, 16000) - band_energy_db(z[:, tail], SR, 200, 1000)

    assert tilt(y) - tilt(x) > 2.5
