"""How long `sao show` takes on a long file, and how much memory it needs.

Writes a stereo 44.1 kHz 16-bit WAV of the given length (default 60 minutes,
~635 MB, written in blocks) to a temp folder, then in a fresh process for each:
  - `render_png` (waveform + spectrogram, 1200x800), the PNG path of `sao show -o`;
  - the text preview's analysis (73 columns x 8 bands);
  - SoX's own spectrogram (`sox FILE -n spectrogram`), as a reference.
A short file is measured the same way, so the memory figure shows it does not
grow with the length. Prints seconds and peak resident memory (RSS, MiB).

    python3 bench/show_long.py                # 60 min and 1 min
    python3 bench/show_long.py --minutes 10
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SR = 44100

CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from engine import display
if {png!r}:
    from engine import plot
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
if {png!r}:
    plot.render_png({path!r}, None, {png!r}, view="both", size=(1200, 800))
else:
    display.analyse_files([{path!r}], columns=73, frames=73, bands=8)
print(time.perf_counter() - t, base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def make_file(path: Path, minutes: float) -> None:
    """A tone sweeping 200 Hz to 12.8 kHz each minute, over noise that swells and fades; written a block at a time."""
    rng = np.random.default_rng(0)
    frames, block, k = int(minutes * 60 * SR), SR * 10, 6  # k octaves per 60 s
    with sf.SoundFile(str(path), "w", SR, 2, "PCM_16") as f:
        for start in range(0, frames, block):
            t = (start + np.arange(min(block, frames - start))) / SR
            phase = 2 * np.pi * 200 * 60 / (k * np.log(2)) * (2 ** (k * (t % 60) / 60) - 1)
            swell = 0.1 * (1 + np.sin(2 * np.pi * t / 60)) * rng.standard_normal((2, len(t)))
            f.write((0.2 * np.sin(phase) + swell).T.astype(np.float32))


def measure(path: Path, png: str) -> tuple[float, float, float]:
    code = CHILD.format(root=str(ROOT), path=str(path), png=png)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    seconds, base, peak = map(float, out.split())
    return seconds, base, peak


SOX = """
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def measure_sox(path: Path, png: Path) -> tuple[float, float] | None:
    """SoX's spectrogram of the same file, timed by a small wrapper that reports only SoX's memory."""
    if not shutil.which("sox"):
        return None
    cmd = ["sox", str(path), "-n", "spectrogram", "-x", "1200", "-y", "513", "-o", str(png)]
    out = subprocess.run([sys.executable, "-c", SOX, *cmd], check=True, capture_output=True, text=True).stdout
    seconds, peak = map(float, out.split())
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[60.0, 1.0])
    args = parser.parse_args()
    print("| file | what | seconds | peak RSS (MiB) | RSS after imports (MiB) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            path = Path(tmp) / f"long_{minutes:g}min.wav"
            make_file(path, minutes)
            label = f"{minutes:g} min stereo 44.1 kHz WAV ({path.stat().st_size / 2**20:.0f} MB)"
            s, base, peak = measure(path, str(Path(tmp) / "show.png"))
            print(f"| {label} | sao show -o (PNG 1200x800, both views) | {s:.2f} | {peak:.0f} | {base:.0f} |")
            s, base, peak = measure(path, "")
            print(f"| {label} | text preview analysis (73x8) | {s:.2f} | {peak:.0f} | {base:.0f} |")
            sox = measure_sox(path, Path(tmp) / "sox.png")
            if sox:
                print(f"| {label} | reference: sox spectrogram -x 1200 | {sox[0]:.2f} | {sox[1]:.0f} | |")
            path.unlink()


if __name__ == "__main__":
    main()
