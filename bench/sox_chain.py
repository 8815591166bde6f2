"""An effect chain on a long stereo file: `sao edit` against SoX running the same chain.

    python3 bench/sox_chain.py [--minutes 10] [--repeat 3] [--profile]

Chain: gain +3 dB, high-pass 80 Hz, small room reverb, peak normalize to -1 dBFS.
SoX runs `gain 3 highpass 80 highpass 80 reverb 30 60 25 gain -n -1`: two 2-pole
high-passes give sao's 24 dB/octave slope; SoX's reverb (Freeverb, like sao's) is
set to a small room. Both read and write 16-bit WAV. The runs alternate (SoX, sao,
SoX, ...) so a busy machine slows both alike; the best time of each is compared,
and the CPU time (user + system) of each is printed too, which a busy machine
moves less. Target: sao no slower than SoX (ratio <= 1).

sao runs through its CLI when the planner maps the instruction to this chain; if
it does not (yet), the same plan goes through engine.pipeline and the output says so.
`--profile` runs sao once more under cProfile (streaming in one thread, so the
profile sees all the work) and prints where the time goes.

This module also holds what the other benches share: `synth` (a long test file,
written in blocks) and `measure` (wall time and peak memory of one command).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
SAO = [sys.executable, "-m", "sao_cli"]
INSTRUCTION = "gain +3 dB, high-pass at 80 Hz, add a small room reverb, then normalize to -1 dBFS"
PLAN = {
    "version": 1,
    "instruction": INSTRUCTION,
    "steps": [
        {"op": "gain", "params": {"db": 3.0}, "region": None, "engine": "dsp", "text": "gain +3 dB"},
        {"op": "high_pass", "params": {"cutoff_hz": 80.0}, "region": None, "engine": "dsp", "text": "high-pass at 80 Hz"},
        {"op": "reverb", "params": {"preset": "small_room"}, "region": None, "engine": "dsp", "text": "add a small room reverb"},
        {"op": "normalize", "params": {"peak_db": -1.0}, "region": None, "engine": "dsp", "text": "normalize to -1 dBFS"},
    ],
}
SOX_CHAIN = ["gain", "3", "highpass", "80", "highpass", "80", "reverb", "30", "60", "25", "gain", "-n", "-1"]
# Run a plan JSON through the pipeline, for when the planner cannot make it.
RUN_PLAN = """
import json, sys
sys.path.insert(0, "%s")
from engine.pipeline import EditRequest, OutputSpec, run_edit
from engine.plan import EditPlan
src, plan, out = sys.argv[1:4]
run_edit(EditRequest(src, [EditPlan.from_dict(json.load(open(plan)))], OutputSpec(out), force=True))
""" % REPO


def synth(path: Path, seconds: float, sample_rate: int = 44100, channels: int = 2, seed: int = 0) -> Path:
    """A deterministic music-like test file (chords, noise bursts, rumble), 16-bit, written a minute at a time."""
    rng = np.random.default_rng(seed)
    block = 60 * sample_rate
    total = int(seconds * sample_rate)
    with sf.SoundFile(str(path), "w", sample_rate, channels, "PCM_16") as f:
        for start in range(0, total, block):
            n = min(block, total - start)
            t = (start + np.arange(n)) / sample_rate
            chord = sum(np.sin(2 * np.pi * hz * t) for hz in (220.0, 277.2, 329.6)) / 3
            envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t) ** 2
            rumble = 0.2 * np.sin(2 * np.pi * 30.0 * t)
            x = 0.3 * chord * envelope + rumble
            f.write(np.stack([x + 0.05 * rng.standard_normal(n) for _ in range(channels)], axis=1))
    return path


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float = 0.0  # user + system, the command's own (and its children's)


GNU_TIME = "/usr/bin/time"


def measure(cmd: list[str], env: dict | None = None) -> Measured:
    """Run `cmd` (output discarded, failure raises) and return its wall time and peak RSS.

    The peak comes from GNU time (`/usr/bin/time -f %M`) where it is installed. The
    ru_maxrss that wait4 reports for a child of this script would also count this
    script's own memory at the spawn (Linux keeps the parent's image's peak across
    the exec), which made SoX look like it took 260 MB.
    """
    with tempfile.NamedTemporaryFile("r") as rss:
        gnu_time = [GNU_TIME, "-f", "%M", "-o", rss.name] if os.path.exists(GNU_TIME) else []
        start = time.perf_counter()
        proc = subprocess.Popen([*gnu_time, *cmd], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace")
        if proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
        peak_kb = int(rss.read().split()[-1]) if gnu_time else usage.ru_maxrss
    return Measured(seconds, peak_kb / 1024, usage.ru_utime + usage.ru_stime)


def machine() -> str:
    """Cores and load, to read the figures by: on a busy machine both sides slow down."""
    return f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.1f}"


def sao_command(src: Path, out: Path, work: Path, plan: dict = PLAN) -> tuple[list[str], str]:
    """`sao edit` if the planner makes `plan` from its instruction, else the plan through engine.pipeline."""
    instruction = plan["instruction"]
    planned = subprocess.run([*SAO, "plan", "--json", instruction], cwd=REPO, capture_output=True, text=True)
    if planned.returncode == 0:
        steps = json.loads(planned.stdout)["steps"]
        made = [(s["op"], {k: v for k, v in s["params"].items() if k in e["params"]}) for s, e in zip(steps, plan["steps"])]
        if len(steps) == len(plan["steps"]) and made == [(e["op"], e["params"]) for e in plan["steps"]]:
            return [*SAO, "edit", str(src), instruction, "-o", str(out), "--force", "--no-sidecar"], "sao edit (CLI, planner)"
        reason = f"the planner made {[s['op'] for s in steps]}"
    else:
        reason = f"the planner failed: {(planned.stderr.strip().splitlines() or [planned.returncode])[0]}"
    plan_file, script = work / "plan.json", work / "run_plan.py"
    plan_file.write_text(json.dumps(plan))
    script.write_text(RUN_PLAN)
    return [sys.executable, str(script), str(src), str(plan_file), str(out)], f"engine.pipeline with the plan JSON ({reason})"


# cProfile sees one thread only, so the profiled run streams in one thread (engine.stream.THREADED).
PROFILE = """
import cProfile, runpy, sys
sys.path.insert(0, %r)
import engine.stream
engine.stream.THREADED = False
stats, target, *args = sys.argv[1:]
sys.argv = [target, *args]
cProfile.run("runpy.run_module(target, run_name='__main__') if target == 'sao_cli' else runpy.run_path(target, run_name='__main__')", stats)
"""


def profile(cmd: list[str], work: Path, top: int = 15) -> None:
    import pstats

    stats_file, script = work / "sao.prof", work / "run_profiled.py"  # not profile.py: that would shadow the stdlib module
    script.write_text(PROFILE % str(REPO))
    target = ["sao_cli", *cmd[3:]] if cmd[:3] == SAO else cmd[1:]
    measure([sys.executable, str(script), str(stats_file), *target])
    stats = pstats.Stats(str(stats_file))
    print(f"\nwhere sao's time goes (cProfile, one thread): sao's own functions by cumulative time, then the top {top} by own time")
    stats.sort_stats("cumulative").print_stats(r"engine[/\\]", top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also profile one sao run")
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temp folder, removed)")
    args = parser.parse_args()
    if shutil.which("sox") is None:
        raise SystemExit("sox is not installed")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sao-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        src = synth(work / "in.wav", args.minutes * 60)
        sao_out, sox_out = work / "sao.wav", work / "sox.wav"
        cmd, how = sao_command(src, sao_out, work)
        sox_cmd = ["sox", "-q", str(src), str(sox_out), *SOX_CHAIN]
        print(f"{args.minutes:g} min stereo 44.1 kHz 16-bit; sao via {how}; {machine()}")
        runs = {"sox": [], "sao": []}
        for _ in range(args.repeat):
            runs["sox"].append(measure(sox_cmd))
            runs["sao"].append(measure(cmd))
        for name, out in (("sox", sox_out), ("sao", sao_out)):
            secs = [r.seconds for r in runs[name]]
            peak = 20 * np.log10(max(np.max(np.abs(block)) for block in sf.blocks(str(out), 1 << 20)))
            print(f"{name}: best {min(secs):.2f} s, median {statistics.median(secs):.2f} s, "
                  f"CPU best {min(r.cpu_seconds for r in runs[name]):.2f} s, "
                  f"peak RSS {max(r.peak_rss_mb for r in runs[name]):.0f} MB, output peak {peak:.2f} dBFS")
        ratio = min(r.seconds for r in runs["sao"]) / min(r.seconds for r in runs["sox"])
        cpu_ratio = min(r.cpu_seconds for r in runs["sao"]) / min(r.cpu_seconds for r in runs["sox"])
        print(f"ratio sao/sox (best times): {ratio:.2f} ({'meets' if ratio <= 1 else 'misses'} the target <= 1); "
              f"CPU time {cpu_ratio:.2f}; {machine()}")
        if args.profile:
            profile(cmd, work)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
