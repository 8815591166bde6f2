"""`sao batch` over 100 short files with --jobs 1 and --jobs 2.

    python3 bench/batch_jobs.py [--files 100] [--seconds 5]

Every run edits the same folder of 16-bit stereo files with the chain of
bench/sox_chain.py; SoX running that chain file by file, one process each, is the
reference in the same run. Runs alternate (--jobs 1, --jobs 2, ...) and the
best of each counts. The speed-up of --jobs 2 over --jobs 1 is bounded by
the free cores (printed); each sao worker also pays its own start-up once.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from sox_chain import INSTRUCTION, SAO, SOX_CHAIN, machine, measure, synth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temp folder, removed)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sao-bench-batch-"))
    src = work / "in"
    src.mkdir(parents=True, exist_ok=True)
    try:
        files = [synth(src / f"take{i:03d}.wav", args.seconds, seed=i) for i in range(args.files)]
        print(f"{args.files} files of {args.seconds:g} s stereo; {machine()}; \"{INSTRUCTION}\"")
        sox_out = work / "sox"
        sox_out.mkdir(exist_ok=True)
        sox_s = sum(measure(["sox", "-q", str(f), str(sox_out / f.name), *SOX_CHAIN]).seconds for f in files)
        print(f"sox, one process per file: {sox_s:.2f} s")
        runs = {1: [], 2: []}
        for r in range(args.repeat):  # alternating, so warm caches favour neither
            for jobs in runs:
                out = work / f"jobs{jobs}-{r}"
                runs[jobs].append(measure([*SAO, "batch", str(src), INSTRUCTION, "-o", str(out), "--jobs", str(jobs)]))
                written = len(list(out.glob("*.wav")))
                if written != args.files:
                    raise SystemExit(f"--jobs {jobs} wrote {written} of {args.files} files")
                shutil.rmtree(out)
        best = {jobs: min(r.seconds for r in rs) for jobs, rs in runs.items()}
        for jobs, seconds in best.items():
            each = ", ".join(f"{r.seconds:.1f}" for r in runs[jobs])
            print(f"sao batch --jobs {jobs}: best {seconds:.1f} s of {each} ({args.files / seconds:.1f} files/s, {seconds / sox_s:.2f}x sox), "
                  f"peak RSS {max(r.peak_rss_mb for r in runs[jobs]):.0f} MB (largest process)")
        print(f"speed-up of --jobs 2 over --jobs 1: {best[1] / best[2]:.2f}x")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
