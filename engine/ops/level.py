"""Level: gain, peak normalisation, loudness normalisation, fades."""

from __future__ import annotations

import numpy as np

from .registry import Param, operation


@operation("gain", category="level", params=(Param("db", float, 6.0, "change in level, in dB", -96.0, 48.0),))
def gain(samples: np.ndarray, sample_rate: int, db: float) -> np.ndarray:
    """Change the level by a number of decibels.

    Pitfall: a large positive gain can push peaks past 0 dBFS; the file writer then
    limits the result to -0.1 dBFS true peak and warns (see `--clip`).
    """
    return samples * np.float32(10 ** (db / 20))
