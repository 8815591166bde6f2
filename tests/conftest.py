"""Shared fixtures: synthetic signals, real recordings, and a no-hub environment."""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: the 2 cores are shared by test processes
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_COLOR", "1")

FREEDESKTOP = Path("/usr/share/sounds/freedesktop/stereo")
SR = 44100


def tone(hz: float = 440.0, seconds: float = 2.0, sr: int = SR, channels: int = 2, amp: float = 0.3) -> np.ndarray:
    """A sine as float32 (channels, frames)."""
    t = np.arange(int(seconds * sr)) / sr
    x = (amp * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.repeat(x[None, :], channels, axis=0)


def noise(seconds: float = 2.0, sr: int = SR, channels: int = 2, amp: float = 0.1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (amp * rng.standard_normal((channels, int(seconds * sr)))).astype(np.float32)


def real_sound(name: str = "bell") -> tuple[np.ndarray, int]:
    """A real recording from sound-theme-freedesktop as float32 (channels, frames)."""
    path = FREEDESKTOP / f"{name}.oga"
    if not path.exists():
        pytest.skip(f"{path} missing: install sound-theme-freedesktop")
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(x.T), sr


def write(path: Path, samples: np.ndarray, sr: int = SR, subtype: str = "PCM_16") -> Path:
    sf.write(str(path), samples.T, sr, subtype=subtype)
    return path


@pytest.fixture
def wav(tmp_path):
    """A 2 s stereo 440 Hz tone as a 16-bit WAV file."""
    return write(tmp_path / "tone.wav", tone())
