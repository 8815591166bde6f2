"""Cold start of `sao --help`, and a 10 s `sao edit`: fresh processes, against a bare Python start and SoX.

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


def edit_10s(entry: list[str], runs: int) -> None:
    """A whole `sao edit` of a 10 s stereo file (+3 dB), process start included, against `sox gain 3`."""
    import tempfile

    import numpy as np
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "ten.wav", Path(tmp) / "out.wav"
        rng = np.random.default_rng(0)
        sf.write(str(src), 0.1 * rng.standard_normal((10 * 44100, 2)), 44100, subtype="PCM_16")
        sao = timed([*entry, "edit", str(src), "make it 3 dB louder", "-o", str(out), "--force", "--no-sidecar"], runs)
        sox = timed(["sox", str(src), str(out), "gain", "3"], runs)
    print(f"{'sao edit, 10 s (+3 dB)':26s} median {statistics.median(sao) * 1000:6.0f} ms; "
          f"sox gain 3 median {statistics.median(sox) * 1000:.0f} ms ({statistics.median(sao) / statistics.median(sox):.1f}x)")


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
    edit_10s(commands.get("sao --help", commands["python -m sao_cli --help"])[:-1], max(3, args.runs // 4))


if __name__ == "__main__":
    main()
