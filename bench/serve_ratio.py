"""What `sao serve` saves: N sequential `sao edit` calls with and without a server.

    python3 bench/serve_ratio.py [--size tiny|full|both] [--calls 20] [--steps 2] [--device cpu] [--threads N]

Each call is a fresh `sao edit clip.wav "make it brighter" --engine neural
--steps 2` on a 2 s clip, as a shell loop would run it. Without a server
(`--server off`) every call starts Python and loads the model; with one, the
call starts Python, plans, and sends the job to the warm model. The ratio is
time without / time with. The server's start and its first job (which loads
the model) are shown apart and not counted in the loop.

Models are random (`sao models init-random --size tiny|full`), written once
into a temp folder: their outputs mean nothing, only their costs do. The full
size takes several GB of disk and memory and minutes per uncached call on a CPU;
--calls 5 gives a usable figure there. Every served output is checked to be
byte-identical to the in-process output of the same call.

--threads N sets OMP_NUM_THREADS for the server and every call alike (results
depend on torch's thread count, and on a CPU shared with other work one thread
can be many times faster than several fighting over it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from sox_chain import machine

REPO = Path(__file__).resolve().parents[1]
INSTRUCTION = "make it brighter"


def sao(*args, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sao_cli", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, check=check)


def require_flags(env: dict) -> None:
    """This bench needs `sao edit --server` and `--steps` (the server and the neural editing issues)."""
    help_text = sao("edit", "--help", env=env).stdout
    missing = [flag for flag in ("--server", "--steps", "--model") if flag not in help_text]
    if missing:
        sys.exit(f"sao edit has no {', '.join(missing)} yet; this bench needs them")


def clip(folder: Path) -> Path:
    t = np.arange(2 * 44100) / 44100
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.random.default_rng(0).standard_normal(t.size)
    path = folder / "clip.wav"
    sf.write(path, np.stack([x, x]).T.astype(np.float32), 44100, subtype="PCM_16")
    return path


def edit_loop(src: Path, out: Path, model: Path, args, env: dict, server: str) -> list[float]:
    """`args.calls` sequential edits; returns each call's wall time."""
    times = []
    for i in range(args.calls):
        start = time.perf_counter()
        sao("edit", src, INSTRUCTION, "--engine", "neural", "--model", model, "--steps", args.steps, "--seed", 1,
            "--device", args.device, "--server", server, "-o", out / f"{server}{i}.wav", "--force", env=env)
        times.append(time.perf_counter() - start)
    return times


def start_server(model: Path, args, env: dict) -> tuple[subprocess.Popen, float]:
    """`sao serve` in the background; returns it and the seconds until it answers."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "sao_cli", "serve", "--model", str(model), "--device", args.device],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while sao("serve", "--status", env=env, check=False).returncode != 0:
        if proc.poll() is not None:
            sys.exit(f"sao serve exited with {proc.returncode}")
        time.sleep(0.1)
    return proc, time.perf_counter() - start


def run_size(size: str, work: Path, args, env: dict) -> None:
    model = work / f"model-{size}"
    if not model.exists():
        start = time.perf_counter()
        sao("models", "init-random", model, "--size", size, env=env)
        print(f"[{size}] wrote a random model in {time.perf_counter() - start:.1f} s")
    src, out = clip(work), work / f"out-{size}"
    out.mkdir(exist_ok=True)
    local = edit_loop(src, out, model, args, env, "off")
    server, ready_s = start_server(model, args, env)
    try:
        start = time.perf_counter()
        sao("edit", src, INSTRUCTION, "--engine", "neural", "--model", model, "--steps", args.steps, "--seed", 1,
            "--device", args.device, "-o", out / "warmup.wav", "--force", env=env)
        first_s = time.perf_counter() - start
        served = edit_loop(src, out, model, args, env, "auto")
        served_jobs = json.loads(sao("serve", "--status", "--json", env=env).stdout)["jobs"]["done"]
    finally:
        sao("serve", "--stop", env=env, check=False)
        server.wait(60)
    same = all((out / f"off{i}.wav").read_bytes() == (out / f"auto{i}.wav").read_bytes() for i in range(args.calls))
    total_local, total_served = sum(local), sum(served)
    print(f"[{size}] {args.calls} calls, {args.steps} steps, {args.device}, OMP_NUM_THREADS={env.get('OMP_NUM_THREADS', '(unset)')}:")
    print(f"  in-process   {total_local:7.1f} s  ({statistics.median(local):.2f} s per call, median)")
    print(f"  via server   {total_served:7.1f} s  ({statistics.median(served):.2f} s per call, median)")
    print(f"  ratio        {total_local / total_served:7.1f}x faster with the server")
    print(f"  server start {ready_s:.1f} s to answer; first job (loads the model) {first_s:.1f} s")
    print(f"  outputs byte-identical: {same}; jobs the server ran: {served_jobs} (of {args.calls + 1} sent)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=("tiny", "full", "both"), default="both")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, help="OMP_NUM_THREADS for the server and every call (default: unset).")
    parser.add_argument("--work", type=Path, help="Keep models and outputs here (default: a temp folder).")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="sao-serve-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        runtime = Path(tmp) / "run"
        runtime.mkdir(mode=0o700)
        env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), HF_HUB_OFFLINE="1", NO_COLOR="1")
        if args.threads:
            env["OMP_NUM_THREADS"] = str(args.threads)
        require_flags(env)
        for size in (("tiny", "full") if args.size == "both" else (args.size,)):
            run_size(size, work, args, env)


if __name__ == "__main__":
    main()
