"""Time operations, measured: lengths, what is kept where, clean joins."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SR, noise, tone
from engine.measure import correlation, rms_db
from engine.ops import get_operation


def run(name, x, sr=SR, **params):
    return get_operation(name).apply(x, sr, params)


def ramp(seconds: float = 4.0) -> np.ndarray:
    """A stereo signal whose value tells its own time: sample n holds n / SR / 100."""
    t = (np.arange(int(seconds * SR)) / SR / 100).astype(np.float32)
    return np.stack([t, -t])


def max_step(y: np.ndarray) -> float:
    return float(np.max(np.abs(np.diff(y, axis=1))))


def test_trim_cuts_the_range_out_and_splices_without_a_click():
    x = tone(seconds=4.0)
    end = 2.5 + 1 / 1760  # a quarter period on: butt-joined, the tone would jump from 0 to its peak
    y = run("trim", x, start_s=1.0, end_s=end)
    cut = round(end * SR) - SR
    assert y.shape[1] == x.shape[1] - cut
    assert np.array_equal(y[:, :SR], x[:, :SR])  # before the cut: untouched
    assert np.array_equal(y[:, SR + 300 :], x[:, SR + cut + 300 :])  # after the 5 ms crossfade: the rest
    butt_joined = np.concatenate([x[:, :SR], x[:, SR + cut :]], axis=1)
    assert max_step(butt_joined) > 5 * max_step(x)
    assert max_step(y) <= max_step(x) * 1.01  # the crossfaded join is no steeper than the tone itself


@pytest.mark.parametrize(
    "start,end,kept",
    [(0.0, 1.0, (1.0, 4.0)), (-1.0, None, (0.0, 3.0)), (3.0, None, (0.0, 3.0))],
)
def test_trim_at_the_ends_fades_the_new_edge(start, end, kept):
    x = ramp()
    y = run("trim", x, start_s=start, end_s=end)
    lo, hi = (int(t * SR) for t in kept)
    assert y.shape[1] == hi - lo
    assert np.array_equal(y[:, 300:-300], x[:, lo + 300 : hi - 300])
    new_edge = y[:, 0] if lo > 0 else y[:, -1]
    assert np.all(np.abs(new_edge) < 1e-3 * np.max(np.abs(x)))


def test_keep_keeps_only_the_range_with_faded_edges():
    x = ramp()
    y = run("keep", x, start_s=1.0, end_s=-1.0)
    assert y.shape[1] == 2 * SR
    assert np.array_equal(y[:, 300:-300], x[:, SR + 300 : 3 * SR - 300])
    assert abs(y[0, 0]) < 1e-6 and abs(y[0, -1]) < 1e-4


def test_pad_adds_exact_silence():
    x = tone(seconds=1.0)
    y = run("pad", x, before_s=0.5, after_s=0.25)
    assert y.shape[1] == x.shape[1] + SR // 2 + SR // 4
    assert not np.any(y[:, : SR // 2]) and not np.any(y[:, -SR // 4 :])
    assert np.array_equal(y[:, SR // 2 : SR // 2 + SR], x)


@pytest.mark.parametrize("where,length", [("both", 1.0), ("start", 1.75), ("end", 1.5)])
def test_strip_silence_removes_quiet_ends(where, length):
    x = np.concatenate([noise(0.5, amp=0.0005), tone(seconds=1.0), noise(0.75, amp=0.0005)], axis=1)  # -66 dB hiss around
    y = run("strip_silence", x, threshold_db=-50.0, where=where)
    assert y.shape[1] == pytest.approx(length * SR, abs=0.002 * SR)
    assert rms_db(y) > rms_db(x)


def test_mute_silences_and_keeps_length():
    y = run("mute", tone())
    assert y.shape == tone().shape and not np.any(y)


def test_loop_plays_it_count_times():
    x = noise(0.5)
    y = run("loop", x, count=3)
    assert y.shape[1] == 3 * x.shape[1]
    for k in range(3):
        assert correlation(y[:, k * x.shape[1] : (k + 1) * x.shape[1]], x) == pytest.approx(1.0)


def test_reverse_plays_backwards():
    x = ramp(1.0)
    y = run("reverse", x)
    assert np.array_equal(y, x[:, ::-1])
    assert correlation(run("reverse", y), x) == pytest.approx(1.0)
