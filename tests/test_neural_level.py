"""The level of a neural edit (issue 16): a removal stays a removal, a region's seams match.

The model is replaced at the editor's seam (SaoInstructEditor._run, which takes
the windows in the model's format and returns their edits) by a stub whose
output is known: the input with every 2048-sample block louder than -30 dBFS
zeroed (a perfect removal of a loud event from quiet room tone), times a gain
(a model that also shifts the overall level). Everything after the model (the
windows' join, the way back to the input's format, the level, the splice) is
the editor's own code.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import SR, noise, tone

from engine.measure import lufs, rms_db
from engine.neural import windows
from engine.neural.editor import NeuralSettings, SaoInstructEditor
from engine.plan import Region, neural_step

ROOM_DB = -50.0  # room tone, RMS dBFS
EVENT_DB = -10.0  # the loud event (a 1 kHz tone burst), RMS dBFS
BLOCK = 2048


class RemovingEditor(SaoInstructEditor):
    """The editor with a stub model: loud blocks zeroed, then everything times `gain`."""

    def __init__(self, loudness: str, gain: float = 1.0):
        bundle = SimpleNamespace(sample_rate=SR, hop_length=BLOCK, config={"dit": {"sample_size": 1024}}, name="stub",
                                 sha256="0" * 64, path=Path("stub"), device=SimpleNamespace(type="cpu"))
        super().__init__(bundle, NeuralSettings(steps=1, seed=0, device="cpu", loudness=loudness))
        self.gain = gain

    def _run(self, segments):
        return [remove_loud_blocks(seg.audio) * np.float32(self.gain) for seg in segments]


def remove_loud_blocks(audio: np.ndarray) -> np.ndarray:
    out = audio.copy()
    for start in range(0, audio.shape[1], BLOCK):
        if rms_db(audio[:, start : start + BLOCK]) > -30:
            out[:, start : start + BLOCK] = 0
    return out


def room_with_event(seconds: float, event_s: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(room tone alone, room tone with the event), stereo float32."""
    room = noise(seconds, amp=10 ** (ROOM_DB / 20), seed=3)
    event = tone(1000, seconds, amp=10 ** (EVENT_DB / 20) * np.sqrt(2))
    inside = np.zeros(room.shape[1], dtype=bool)
    inside[int(event_s[0] * SR) : int(event_s[1] * SR)] = True
    return room, (room + event * inside).astype(np.float32)


def test_a_whole_file_removal_stays_at_the_room_tone_level():
    room, x = room_with_event(6.0, (2.5, 3.0))
    step = neural_step("remove the beep")
    out = RemovingEditor("model").edit(x, SR, step)
    assert np.array_equal(out, remove_loud_blocks(x))  # the model's level, untouched
    assert abs(lufs(out, SR) - lufs(room, SR)) < 1.0
    assert abs(rms_db(out) - rms_db(room)) < 1.0
    # What --match-loudness (the behaviour before issue 16) does: the removal brought back up to the event's loudness.
    matched = RemovingEditor("match").edit(x, SR, step)
    assert lufs(matched, SR) - lufs(room, SR) > 20


def level_step(y: np.ndarray, edge: int, skip: int) -> float:
    """dB between 0.25 s just inside a region edge (past its crossfade) and 0.25 s just outside it."""
    span = SR // 4
    if skip > 0:  # a region's start: outside is before it
        return rms_db(y[:, edge + skip : edge + skip + span]) - rms_db(y[:, edge - span : edge])
    return rms_db(y[:, edge + skip - span : edge + skip]) - rms_db(y[:, edge : edge + span])


@pytest.mark.parametrize("gain", [1.0, 0.5, 2.0])
def test_a_region_removal_is_levelled_on_its_context_so_its_seams_match(gain):
    room, x = room_with_event(8.0, (3.5, 4.0))
    region = Region(3.0, 4.5)
    start, end = region.frames(SR, x.shape[1])
    step = neural_step("remove the beep", region)
    out = RemovingEditor("model", gain).edit(x, SR, step)
    outside = np.ones(x.shape[1], dtype=bool)
    outside[start:end] = False
    assert np.array_equal(out[:, outside], x[:, outside])
    fade = int(0.06 * SR)  # past the 50 ms crossfade inside each edge
    for edge, skip in ((start, fade), (end, -fade)):
        assert abs(level_step(out, edge, skip)) < 1.0, (gain, edge)
    kept = out[:, start + fade : int(3.45 * SR)]  # the region's room tone before the (removed) event
    assert abs(rms_db(kept) - rms_db(room[:, start + fade : int(3.45 * SR)])) < 1.0
    assert rms_db(out[:, start:end]) < rms_db(x[:, start:end]) - 20  # the removal stayed a removal
    # The one gain undid the model's level shift: inside the crossfades the region is the stub's removal at gain 1.
    lo = start - int(windows.REGION_CONTEXT_S * SR)  # the span the stub saw starts here
    removed = remove_loud_blocks(x[:, lo:])[:, start + fade - lo : end - fade - lo]
    assert np.abs(out[:, start + fade : end - fade] - removed).max() < 1e-4 * np.abs(x).max()


def test_match_loudness_makes_a_region_removal_step_at_its_seams():
    """What the issue reported: matching the region's loudness to the event's boosts the room tone around it."""
    _, x = room_with_event(8.0, (3.5, 4.0))
    region = Region(3.0, 4.5)
    start, _ = region.frames(SR, x.shape[1])
    out = RemovingEditor("match").edit(x, SR, neural_step("remove the beep", region))
    assert level_step(out, start, int(0.06 * SR)) > 20
