"""Peak memory of `sao edit` on long files, and whether it stays bounded.

    python3 bench/memory_long.py [--minutes 15 60]

A simple chain (gain +3 dB) on 16-bit stereo 44.1 kHz files of each length, with
SoX running the same chain in the same run for reference. Memory is bounded when
the peak does not grow with the length; the MB per minute between the shortest
and the longest file says how far it is from that. For scale, a minute of stereo
44.1 kHz is 21 MB as float32 samples (the form sao edits in).

Needs free memory of about 8x the longest file's float32 size while sao edits in
memory (1 hour: ~1.3 GB of samples).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from sox_chain import machine, measure, sao_command, synth

PLAN = {
    "version": 1,
    "instruction": "make it 3 dB louder",
    "steps": [{"op": "gain", "params": {"db": 3.0}, "region": None, "engine": "dsp", "text": "make it 3 dB louder"}],
}
FLOAT32_MB_PER_MIN = 60 * 44100 * 2 * 4 / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[15.0, 60.0])
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temp folder, removed)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sao-bench-mem-"))
    work.mkdir(parents=True, exist_ok=True)
    peaks = {}
    try:
        for minutes in sorted(args.minutes):
            src = synth(work / f"in-{minutes:g}min.wav", minutes * 60)
            cmd, how = sao_command(src, work / "sao.wav", work, PLAN)
            sao = measure(cmd)
            sox = measure(["sox", "-q", str(src), str(work / "sox.wav"), "gain", "3"])
            peaks[minutes] = sao.peak_rss_mb
            print(f"{minutes:g} min ({minutes * FLOAT32_MB_PER_MIN:.0f} MB as float32): "
                  f"sao peak RSS {sao.peak_rss_mb:.0f} MB in {sao.seconds:.1f} s; "
                  f"sox {sox.peak_rss_mb:.0f} MB in {sox.seconds:.1f} s; sao/sox memory {sao.peak_rss_mb / sox.peak_rss_mb:.1f}x")
            for f in (src, work / "sao.wav", work / "sox.wav"):
                f.unlink(missing_ok=True)
        print(f"sao via {how}; {machine()}")
        if len(peaks) > 1:
            lo, hi = min(peaks), max(peaks)
            slope = (peaks[hi] - peaks[lo]) / (hi - lo)
            print(f"growth: {slope:.1f} MB per minute of audio "
                  f"({slope / FLOAT32_MB_PER_MIN:.1f}x the float32 samples): {'bounded' if slope < 1 else 'NOT bounded'}")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
