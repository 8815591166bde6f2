"""Where output goes: data on stdout, messages and progress on stderr.

Rich honours NO_COLOR by itself; `--quiet` silences messages and warnings (not data or errors).
"""

from __future__ import annotations

import json
import sys

from rich.console import Console

out = Console(soft_wrap=True)  # data
err = Console(stderr=True, soft_wrap=True)  # messages, progress, errors
state = {"quiet": False, "verbose": False}


def info(message: str) -> None:
    if not state["quiet"]:
        err.print(message, highlight=False)


def warn(message: str) -> None:
    """A warning that is not an error: silenced by --quiet, like any message."""
    if state["quiet"]:
        return
    err.print(f"[yellow]sao: warning:[/yellow] {message}", highlight=False)


def error(message: str, hint: str | None = None) -> None:
    err.print(f"[red]sao: error:[/red] {message}", highlight=False, markup=True)
    if hint:
        err.print(hint, highlight=False, markup=False)


def print_json(data: object) -> None:
    """JSON for machines: plain, no colour, one document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()
