#!/usr/bin/env python3
"""Render the bundled example scene, examples/kitchen_scene.wav, from scratch.

A short kitchen: room tone, a voice (espeak-ng), two dish clinks and a kettle
that starts to whistle. Everything is synthesised here, so the repo needs no
third-party recordings. Run: python3 examples/make_scene.py
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

SR = 44100
SECONDS = 6.0
HERE = Path(__file__).resolve().parent


def speech(text: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "voice.wav"
        subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(path), text], check=True)
        x, sr = sf.read(str(path), dtype="float32")
    return signal.resample_poly(x, SR, sr).astype(np.float32)


def clink(freqs=(2630.0, 4120.0, 6210.0), seconds=0.6) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return sum(np.sin(2 * np.pi * f * t) * np.exp(-t * (6 + i * 4)) for i, f in enumerate(freqs)).astype(np.float32) / len(freqs)


def kettle(seconds=2.5, seed=1) -> np.ndarray:
    """Rising breathy whistle: band-passed noise plus a tone that swells."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    sos = signal.butter(2, [1800, 2600], btype="bandpass", fs=SR, output="sos")
    hiss = signal.sosfilt(sos, rng.standard_normal(n)) * 0.4
    f = 1900 + 300 * t / seconds
    whistle = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.clip((t - 0.8) / 1.2, 0, 1)
    return ((hiss + 0.5 * whistle) * np.clip(t / 0.5, 0, 1)).astype(np.float32)


def place(track: np.ndarray, sound: np.ndarray, at_s: float, gain: float, pan: float) -> None:
    start = int(at_s * SR)
    seg = sound[: track.shape[1] - start] * gain
    track[0, start : start + len(seg)] += seg * np.sqrt((1 - pan) / 2)
    track[1, start : start + len(seg)] += seg * np.sqrt((1 + pan) / 2)


def main() -> None:
    rng = np.random.default_rng(0)
    n = int(SECONDS * SR)
    room = signal.sosfilt(signal.butter(2, 400, fs=SR, output="sos"), rng.standard_normal((2, n)), axis=1) * 0.02
    scene = room.astype(np.float32)
    scene[:, : int(0.5 * SR)] *= np.linspace(0, 1, int(0.5 * SR))  # a soft start, for trimming
    place(scene, speech("Could you pass me the salt, please? The kettle is almost ready."), 0.6, 0.6, -0.2)
    place(scene, clink(), 1.9, 0.35, 0.5)
    place(scene, clink((3100.0, 4800.0, 7020.0)), 2.4, 0.3, 0.6)
    place(scene, kettle(), 3.3, 0.25, 0.3)
    scene *= 0.8 / np.max(np.abs(scene))
    sf.write(str(HERE / "kitchen_scene.wav"), scene.T, SR, subtype="PCM_16")
    print(f"wrote {HERE / 'kitchen_scene.wav'}")


if __name__ == "__main__":
    main()
