"""Ctrl-C during `sao batch --jobs 2`: how long until sao exits, and what it leaves.

    python3 bench/batch_interrupt.py [--files 24] [--seconds 3] [--repeat 3]

A terminal's Ctrl-C is SIGINT to the whole process group; the bench sends that
once the first output exists, then times the exit. Target: exit 130 within 2 s,
no file started after the key, no temp file left. The reference, measured in the
same run, is one file's edit alone: what waiting for the files in flight (the old
behaviour) would have added.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

INSTRUCTION = "add a big hall reverb"
TARGET_S = 2.0


def synth(path: Path, seconds: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    x = (0.1 * rng.standard_normal((int(seconds * 44100), 2))).astype(np.float32)
    sf.write(str(path), x, 44100, subtype="PCM_16")
    return path


def sao(*args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, NO_COLOR="1", HF_HUB_OFFLINE="1")
    return subprocess.Popen([sys.executable, "-m", "sao_cli", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, **kwargs)


def interrupted_run(src: Path, out: Path) -> tuple[float, int, int, int]:
    """(seconds from Ctrl-C to exit, exit code, files finished after the key, temp files left)."""
    proc = sao("batch", str(src), INSTRUCTION, "-o", str(out), "--jobs", "2", start_new_session=True)
    while not list(out.glob("*.wav")):
        if proc.poll() is not None:
            raise SystemExit(f"sao batch ended before the first file: {proc.stderr.read().decode()}")
        time.sleep(0.01)
    before = len(list(out.glob("*.wav")))
    start = time.perf_counter()
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=120)
    seconds = time.perf_counter() - start
    return seconds, proc.returncode, len(list(out.glob("*.wav"))) - before, len(list(out.rglob("*.part")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sao-bench-interrupt-") as tmp:
        work = Path(tmp)
        src = work / "in"
        src.mkdir()
        files = [synth(src / f"take{i:03d}.wav", args.seconds, i) for i in range(args.files)]
        start = time.perf_counter()
        one = sao("edit", str(files[0]), INSTRUCTION, "-o", str(work / "one.wav"))
        one.communicate()
        one_s = time.perf_counter() - start
        print(f"{args.files} files of {args.seconds:g} s stereo, \"{INSTRUCTION}\", --jobs 2; {os.cpu_count()} cores")
        print(f"reference: one file's edit alone, start-up included: {one_s:.2f} s")
        worst = 0.0
        for r in range(args.repeat):
            seconds, code, after, parts = interrupted_run(src, work / f"out{r}")
            worst = max(worst, seconds)
            print(f"run {r + 1}: Ctrl-C to exit {seconds:.2f} s, exit {code}, {after} file(s) finished after the key, "
                  f"{parts} temp file(s) left")
        verdict = "meets" if worst <= TARGET_S else "misses"
        print(f"worst {worst:.2f} s: {verdict} the {TARGET_S:g} s target ({worst / one_s:.2f}x one file's edit)")


if __name__ == "__main__":
    main()
