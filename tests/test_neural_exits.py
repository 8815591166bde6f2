"""Errors and Ctrl-C during a neural edit exit with their documented codes (issue 16).

Noise version 1 draws on a helper thread; before issue 16 an error while it
ran aborted the process (exit 134, "terminate called without an active
exception") instead of exiting 1, and so did Ctrl-C and some normal runs. Each
case runs as a real `sao` process, repeatedly: a simulated out-of-memory error
in the VAE encoder (exit 1), a failure in the DiT (exit 1), SIGINT sent to the
process during sampling (exit 130), and a normal run (exit 0). Version 1 runs
through `sao replay` of a sidecar made with it, version 2 through `sao edit`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from models_helpers import tiny_model  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "neural_v1"
RUNS = 10

# Runs `sao ARGS` after making the model fail (or Ctrl-C itself) the way argv[1] says.
DRIVER = """
import os, signal, sys
import torch
from engine.neural import loader

mode = sys.argv[1]
predict, calls = loader.ModelBundle.predict, []

def encode_oom(self, *args, **kwargs):
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB (simulated)")

def predict_then(self, *args, **kwargs):
    calls.append(1)
    if len(calls) == 3:
        if mode == "dit":
            raise RuntimeError("simulated failure in the DiT")
        os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, mid-sampling
    return predict(self, *args, **kwargs)

if mode == "encode":
    loader.ModelBundle.vae_encode = encode_oom
elif mode in ("dit", "sigint"):
    loader.ModelBundle.predict = predict_then
from sao_cli.app import main
sys.argv = ["sao", *sys.argv[2:]]
main()
"""

EXPECTED = {"encode": (1, "ran out of memory"), "dit": (1, "simulated failure in the DiT"), "sigint": (130, "interrupted"),
            "none": (0, "wrote")}


def run_sao(mode: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", NO_COLOR="1", SAO_MODEL="")
    return subprocess.run([sys.executable, "-c", DRIVER, mode, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("noise, runs", [(1, RUNS), (2, 2)])
@pytest.mark.parametrize("mode", ["encode", "dit", "sigint", "none"])
def test_every_error_path_exits_with_its_code(tiny_model, tmp_path, mode, noise, runs):
    out = tmp_path / "out.wav"
    if noise == 1:
        args = ["replay", str(DATA / "whole.wav.sao.json"), "--input", str(DATA / "input.wav"), "--model", str(tiny_model),
                "-o", str(out), "--force"]
    else:
        args = ["edit", str(DATA / "input.wav"), "add a large hall reverb", "--engine", "neural", "--model", str(tiny_model),
                "--steps", "6", "--seed", "7", "--server", "off", "-o", str(out), "--force"]
    code, words = EXPECTED[mode]
    for i in range(runs):
        out.unlink(missing_ok=True)
        r = run_sao(mode, args, tmp_path)
        assert r.returncode == code, f"run {i + 1}: exit {r.returncode}\n{r.stderr}"
        assert words in r.stderr and "Traceback" not in r.stderr and "terminate called" not in r.stderr, r.stderr
        assert out.exists() == (mode == "none")  # nothing half-written
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left
