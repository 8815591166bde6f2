"""`add` (mix another file in), measured: where it lands, its level, rate and channel conversion."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FREEDESKTOP, SR, real_sound, tone, write
from engine.errors import BadAudio
from engine.measure import band_energy_db, correlation, dominant_hz, rms_db
from engine.ops import get_operation


def run(name, x, sr=SR, **params):
    return get_operation(name).apply(x, sr, params)


def test_add_mixes_a_clip_in_at_a_time_and_level(tmp_path):
    # A mono 22.05 kHz clip into a stereo 44.1 kHz file: converted on the way in.
    clip = write(tmp_path / "beep.wav", tone(2000.0, 0.5, sr=22050, channels=1, amp=0.5), sr=22050, subtype="FLOAT")
    x = tone(440.0, 2.0)
    y = run("add", x, path=str(clip), at_s=1.0, db=-6.0)
    assert y.shape == x.shape
    assert np.array_equal(y[:, :SR], x[:, :SR]) and np.array_equal(y[:, int(1.5 * SR) + 50 :], x[:, int(1.5 * SR) + 50 :])
    added = y[:, SR + 100 : int(1.5 * SR) - 100] - x[:, SR + 100 : int(1.5 * SR) - 100]
    assert dominant_hz(added, SR) == pytest.approx(2000.0, rel=0.001)
    assert rms_db(added) == pytest.approx(rms_db(tone(2000.0, 0.5, amp=0.5)) - 6.0, abs=0.1)
    assert correlation(added[0], added[1]) == pytest.approx(1.0)


def test_add_extends_the_file_when_the_clip_runs_past_the_end(tmp_path):
    clip = write(tmp_path / "long.wav", tone(1000.0, 1.0), subtype="FLOAT")
    x = tone(440.0, 2.0)
    y = run("add", x, path=str(clip), at_s=-0.5)  # half a second before the end
    assert y.shape[1] == int(2.5 * SR)
    tail = y[:, 2 * SR :]
    assert band_energy_db(tail, SR, 990, 1010) > band_energy_db(tail, SR, 430, 450) + 40  # only the clip is left


def test_add_a_real_recording():
    sound, sr = real_sound("bell")
    x = tone(220.0, 1.0, sr=sr)
    y = run("add", x, sr=sr, path=str(FREEDESKTOP / "bell.oga"), at_s=0.25, db=0.0)
    start = sr // 4
    np.testing.assert_allclose(y[:, start : start + sound.shape[1]] - x[:, start : start + sound.shape[1]], sound, atol=1e-6)


def test_add_a_missing_file_is_bad_audio(tmp_path):
    with pytest.raises(BadAudio, match="no such file"):
        run("add", tone(), path=str(tmp_path / "nothing.wav"))
