"""Running `sao` in-process (CliRunner) and as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from sao_cli.app import app


def run(*args: str, input: bytes | None = None):
    """In-process; returns the click Result (exit_code, stdout, stderr)."""
    return CliRunner().invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


def sao(*args: str, input: bytes | None = None, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """As a subprocess: `python -m sao_cli ...`, bytes in and out."""
    full_env = dict(os.environ, HF_HUB_OFFLINE="1", NO_COLOR="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "sao_cli", *map(str, args)], input=input, capture_output=True,
                          env=full_env, timeout=timeout)
