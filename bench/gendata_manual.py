#!/usr/bin/env python3
"""Speed of `sao gen-data manual` on one core, against the paper's 5 s per sample.

The clips are real recordings (sound-theme-freedesktop) laid end to end with
short gaps into 10 s scenes at 44.1 kHz stereo, the length of the AudioCaps
clips the paper used. The run is pinned to one CPU core and writes a real
dataset (audio, fsync'd manifest) in a temporary folder, so the figure includes
reading, processing, instruction writing and durable writes. For reference, the
same single-clip edits are timed with SoX (one process per edit, as a shell
pipeline would run them).

Usage: bench/gendata_manual.py [--n 120] [--clip-s 10] [--core 0]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAPER_S_PER_SAMPLE = 5.0
SOUNDS = Path("/usr/share/sounds/freedesktop/stereo")
SR = 44100
SOX_EDITS = {  # the single-clip tasks, as SoX effects
    "PITCH": ["pitch", "300"],
    "SPEED": ["tempo", "1.5"],
    "LOW_PASS": ["sinc", "-8000"],
    "HIGH_PASS": ["sinc", "1000"],
    "LOOP": ["repeat", "2"],
    "SUPER_RES": ["rate", "11025", "rate", "44100"],
}


def make_scenes(folder: Path, count: int, seconds: float, seed: int = 0) -> Path:
    """Real recordings end to end into `seconds`-long clips; returns the captions file."""
    from engine.audio_io import read_audio
    from engine.pipeline import OutputSpec, conform

    rng = np.random.default_rng(seed)
    sounds = []
    for path in sorted(SOUNDS.glob("*.oga")):
        audio = read_audio(path)
        sounds.append((path.stem.replace("-", " "), conform(audio.samples, audio.sample_rate, OutputSpec("", SR, 2))[0]))
    rows = ["file,caption"]
    for i in range(count):
        parts, names, frames = [], [], 0
        while frames < seconds * SR:
            name, x = sounds[int(rng.integers(len(sounds)))]
            gap = np.zeros((2, int(rng.uniform(0.1, 0.6) * SR)), np.float32)
            parts += [x, gap]
            names.append(name)
            frames += x.shape[1] + gap.shape[1]
        clip = np.concatenate(parts, axis=1)[:, : int(seconds * SR)]
        sf.write(str(folder / f"scene{i:02d}.wav"), clip.T, SR, subtype="PCM_16")
        rows.append(f'scene{i:02d}.wav,"A {names[0]} sound, then a {names[-1]} sound"')
    captions = folder / "captions.csv"
    captions.write_text("\n".join(rows) + "\n")
    return captions


def time_sao(clips: Path, captions: Path, out: Path, n: int, clip_s: float) -> tuple[float, float, int, dict]:
    """Wall and CPU seconds for the whole run, samples kept, and CPU seconds per task."""
    from datagen.manual import ManualConfig, ManualJob

    job = ManualJob(ManualConfig(clips, captions, n, out, seed=0, clip_s=clip_s))
    per_task = defaultdict(lambda: [0, 0.0])
    kept = 0
    wall, cpu = time.perf_counter(), time.process_time()
    last = cpu
    try:
        for outcome in job.run():
            now = time.process_time()
            per_task[outcome.task][1] += now - last
            per_task[outcome.task][0] += outcome.kept
            kept += outcome.kept
            last = now
    finally:
        job.close()
    return time.perf_counter() - wall, time.process_time() - cpu, kept, per_task


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_sox(clips: Path, out: Path) -> dict[str, float]:
    """CPU seconds per edit of the SoX processes (start-up included)."""
    files = sorted(clips.glob("*.wav"))
    result = {}
    for task, effect in SOX_EDITS.items():
        started = _children_cpu()
        for f in files:
            subprocess.run(["sox", str(f), str(out / f"{task}.wav"), *effect], check=True, capture_output=True)
        result[task] = (_children_cpu() - started) / len(files)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=120)
    ap.add_argument("--clip-s", type=float, default=10.0)
    ap.add_argument("--scenes", type=int, default=16)
    ap.add_argument("--core", type=int, default=0)
    a = ap.parse_args()
    if not SOUNDS.exists():
        print(f"{SOUNDS} is missing: install sound-theme-freedesktop", file=sys.stderr)
        return 1
    os.sched_setaffinity(0, {a.core})
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        (tmp / "clips").mkdir()
        captions = make_scenes(tmp / "clips", a.scenes, a.clip_s)
        wall, cpu, kept, per_task = time_sao(tmp / "clips", captions, tmp / "dataset", a.n, a.clip_s)
        per_sample = cpu / max(kept, 1)
        print(f"sao gen-data manual, one core (cpu {a.core}), {a.clip_s:g} s clips at {SR} Hz stereo:")
        print(f"  {kept} samples kept in {cpu:.1f} CPU s ({wall:.1f} s wall; they differ when the core is shared)")
        print(f"  {per_sample:.3f} CPU s per sample, {1 / per_sample:.2f} samples/s per core")
        print(f"  paper: {PAPER_S_PER_SAMPLE:.1f} s per sample -> {PAPER_S_PER_SAMPLE / per_sample:.0f}x faster")
        print("  per task (CPU s per kept sample, rejected draws included):")
        for task, (n, s) in sorted(per_task.items()):
            print(f"    {task:10s} {n:4d} kept  {s / max(n, 1):.3f} s")
        if shutil.which("sox"):
            (tmp / "sox").mkdir()
            print("  SoX, one process per edit, same clips (CPU s per edit):")
            for task, s in time_sox(tmp / "clips", tmp / "sox").items():
                sao_s = per_task[task][1] / max(per_task[task][0], 1)
                print(f"    {task:10s} sox {s:.3f} s   sao {sao_s:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
