"""Peak memory of `sao edit` on long files, and whether it stays bounded.

    python3 bench/memory_long.py [--minutes 15 60] [--chain]

A simple edit (gain +3 dB) on 16-bit stereo 44.1 kHz files of each length, with
SoX running the same edit in the same run for reference; `--chain` runs the
chain of bench/sox_chain.py instead (its peak normalisation takes two passes, the
first spooled to a temp file). Memory is bounded when the peak does not grow with
the length; the MB per minute between the shortest and the longest file says how
far it is from that. For scale, a minute of stereo 44.1 kHz is 21 MB as float32
samples (the form sao edits in).

Files over a minute stream (engine.stream), so sao needs little memory; needs
disk for the files (1 hour: 635 MB, twice) and, with --chain, a float32 spool
(1.2 GB) beside the output.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from sox_chain import PLAN as CHAIN_PLAN
from sox_chain import SOX_CHAIN, machine, measure, sao_command, synth

PLAN = {
    "version": 1,
    "instruction": "make it 3 dB louder",
    "steps": [{"op": "gain", "params": {"db": 3.0}, "region": None, "engine": "dsp", "text": "make it 3 dB louder"}],
}
FLOAT32_MB_PER_MIN = 60 * 44100 * 2 * 4 / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[15.0, 60.0])
    parser.add_argument("--chain", action="store_true", help="the sox_chain.py chain instead of gain +3 dB")
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temp folder, removed)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sao-bench-mem-"))
    work.mkdir(parents=True, exist_ok=True)
    peaks = {}
    try:
        for minutes in sorted(args.minutes):
            src = synth(work / f"in-{minutes:g}min.wav", minutes * 60)
            cmd, how = sao_command(src, work / "sao.wav", work, CHAIN_PLAN if args.chain else PLAN)
            sao = measure(cmd)
            sox = measure(["sox", "-q", str(src), str(work / "sox.wav"), *(SOX_CHAIN if args.chain else ["gain", "3"])])
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
