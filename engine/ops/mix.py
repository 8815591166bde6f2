"""Mix: bring another recording in (the paper's ADD task, done exactly)."""

from __future__ import annotations

import numpy as np

from ..audio_io import read_audio
from ..plan import resolve_time
from ..regions import match_channels
from .pitch import resample_to
from .registry import Param, operation


@operation(
    "add",
    category="mix",
    params=(
        Param("path", str, None, "the audio file to mix in"),
        Param("at_s", float, 0.0, "where it starts, in seconds (negative: from the end)", file_time=True),
        Param("db", float, 0.0, "its level change before mixing, in dB", -96.0, 24.0),
    ),
    changes_length=True,
)
def add(samples: np.ndarray, sample_rate: int, path: str, at_s: float, db: float) -> np.ndarray:
    """Mix another audio file in, starting at `at_s` ("add birdsong at 2 s").

    The clip is converted to this file's sample rate and channels; if it runs past
    the end, the result is extended to hold it. Nothing is turned down to make
    room, so loud clips can push peaks over 0 dBFS (the writer then limits).
    A missing or unreadable file is a bad-audio error (exit 3).
    """
    other = read_audio(path)
    clip = match_channels(resample_to(other.samples, other.sample_rate, sample_rate), samples.shape[0])
    clip = clip * np.float32(10 ** (db / 20))
    start = round(resolve_time(at_s, samples.shape[1] / sample_rate, 0.0) * sample_rate)
    out = np.pad(samples, ((0, 0), (0, max(0, start + clip.shape[1] - samples.shape[1]))))
    out[:, start : start + clip.shape[1]] += clip
    return out
