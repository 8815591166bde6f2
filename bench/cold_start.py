"""Cold start of `sao --help`: a fresh process each time, against a bare Python start.

    python3 bench/cold_start.py [--runs 20]

"Cold" here means a new interpreter, not an empty page cache (dropping caches
needs root and disturbs the machine). The first run is shown apart: it may pay
for reading files from disk. Budget: 0.3 s (sao_cli/app.py). The bare
`python -c pass` start in the same run is the floor no Python CLI can beat.
Also checks that `--help` imports neither numpy nor torch.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sox_chain import machine

REPO = Path(__file__).resolve().parents[1]
BUDGET_S = 0.3


def timed(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


def heavy_imports() -> list[str]:
    """Top-level packages among numpy, scipy, torch that `sao --help` imports."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "sao_cli", "--help"], cwd=REPO, capture_output=True, text=True)
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if line.startswith("import time:")}
    return sorted(loaded & {"numpy", "scipy", "torch"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    entry = Path(sys.executable).parent / "sao"  # the installed console script, without a shell shim in front
    commands = {"python -c pass": [sys.executable, "-c", "pass"], "python -m sao_cli --help": [sys.executable, "-m", "sao_cli", "--help"]}
    if entry.exists():
        commands["sao --help"] = [str(entry), "--help"]
    print(machine())
    results = {name: timed(cmd, args.runs + 1) for name, cmd in commands.items()}
    floor = statistics.median(results["python -c pass"][1:])
    for name, times in results.items():
        median = statistics.median(times[1:])
        print(f"{name:26s} first {times[0] * 1000:6.0f} ms, median {median * 1000:6.0f} ms "
              f"(min {min(times[1:]) * 1000:.0f} ms), {median / floor:.1f}x bare python")
    sao = statistics.median(results.get("sao --help", results["python -m sao_cli --help"])[1:])
    print(f"budget {BUDGET_S * 1000:.0f} ms: {'met' if sao <= BUDGET_S else 'MISSED'}; "
          f"heavy imports on --help: {', '.join(heavy_imports()) or 'none'}")


if __name__ == "__main__":
    main()
