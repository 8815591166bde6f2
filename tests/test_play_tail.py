"""`sao play` plays to the last sample: short chirps arrive whole at a real sound server.

Recorded from a PulseAudio null sink's monitor with parecord, as in test_play.py
(whose fixtures these tests share). The end of playback is where sounds were cut:
PortAudio's stream stopped while the server still held the last 60-90 ms.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import chirp

from conftest import SR, write
from test_play import pulse, read_recording, recording, sao  # noqa: F401 (pulse is a fixture)

pytestmark = [pytest.mark.playback, pytest.mark.timeout(120)]
LOUD = 0.05


def sweep(seconds: float) -> np.ndarray:
    """A 200 Hz -> 2 kHz chirp at half scale, stereo: loud from its first sample to its last."""
    t = np.arange(int(seconds * SR)) / SR
    x = (0.5 * chirp(t, 200.0, seconds, 2000.0, phi=90)).astype(np.float32)
    return np.stack([x, x])


def loud_span_s(x: np.ndarray) -> float:
    """Seconds from the first to the last sample above LOUD."""
    loud = np.flatnonzero(np.abs(x).max(axis=0) > LOUD)
    assert loud.size, "silent"
    return (loud[-1] - loud[0] + 1) / SR


@pytest.mark.parametrize("seconds", [0.1, 0.5])
def test_a_short_chirp_arrives_whole(pulse, tmp_path, seconds):  # noqa: F811
    source = sweep(seconds)
    path = write(tmp_path / "chirp.wav", source)
    with recording(pulse, tmp_path / "rec.raw"):
        result = sao("play", path, env=pulse)
    assert result.returncode == 0, result.stderr
    arrived = loud_span_s(read_recording(tmp_path / "rec.raw"))
    assert arrived == pytest.approx(loud_span_s(source), abs=0.005), f"{arrived:.4f} s of {seconds} s arrived"
