"""`sao serve`: keep the model loaded in one process that every `sao` call can use."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import console, options
from ..errors import handle_errors

DEVICES = ("auto", "cuda", "mps", "cpu")
PRECISIONS = ("fp32", "fp16", "bf16")
STOP_WAIT_S = 60.0


@handle_errors
def serve(
    model: Optional[str] = typer.Option(None, "--model", help="Model folder or name to serve (default: $SAO_MODEL, else sao-instruct if present; without one, DSP edits only)."),
    device: str = typer.Option("auto", "--device", help="Where the model runs: auto, cuda, mps or cpu. Jobs asking for 'auto' run here."),
    precision: str = typer.Option("fp32", "--precision", help="The precision the model loads in first: fp32, fp16 or bf16."),
    idle_timeout: Optional[float] = typer.Option(None, "--idle-timeout", min=0.0, help="Stop after this many seconds without a job (default: never)."),
    socket_opt: Optional[Path] = typer.Option(None, "--socket", help="Socket path (default: $XDG_RUNTIME_DIR/sao/sao.sock, else /tmp/sao-$UID/sao.sock)."),
    status: bool = typer.Option(False, "--status", help="Report on the running server (model, device, memory, queue, uptime); exit 9 if none runs."),
    stop: bool = typer.Option(False, "--stop", help="Stop the running server; exit 9 if none runs."),
    as_json: bool = options.JSON,
) -> None:
    """Run the sao engine in the foreground: the model loads once, and `sao edit`, `chain` and `batch` send it their jobs."""
    from engine.errors import UsageError
    from engine.server.paths import socket_path

    if status and stop:
        raise UsageError("give --status or --stop, not both")
    sock = socket_path(socket_opt)
    if status:
        _status(sock, as_json)
    elif stop:
        _stop(sock)
    else:
        for name, value, allowed in (("--device", device, DEVICES), ("--precision", precision, PRECISIONS)):
            if value not in allowed:
                raise UsageError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
        code = _serve(sock, model, device, precision, idle_timeout or None)
        if code:
            raise typer.Exit(code)


def _serve(sock: Path, model: str | None, device: str, precision: str, idle_timeout: float | None) -> int:
    import logging
    import sys

    from engine.errors import NeedsModel
    from engine.neural.sources import resolve_model
    from engine.server.server import ServeOptions, serve

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("sao serve: %(message)s"))
    log = logging.getLogger("sao.serve")
    log.addHandler(handler)
    log.setLevel(logging.WARNING if console.state["quiet"] else logging.INFO)
    try:
        folder = str(resolve_model(model))
    except NeedsModel as e:
        if model:
            raise
        console.warn(f"{e.message}: serving DSP edits only")
        folder = None
    return serve(ServeOptions(sock, folder, device, precision, idle_timeout))


def _status(sock: Path, as_json: bool) -> None:
    from engine.server.client import ServerClient

    info = ServerClient.find(sock).status()
    if as_json:
        console.print_json(info)
        return
    model = info["model"]
    if model is None:
        model_line = "none (DSP edits only)"
    else:
        loaded = f"loaded: {model['name']}, sha256 {str(model['sha256'])[:12]}" if model["loaded"] else "not loaded yet"
        model_line = f"{model['path']} ({loaded})"
    memory = info["memory"]
    on_device = f"; {_size(memory['device_bytes'])} on the device" if memory["device_bytes"] is not None else ""
    running = f", running job {', '.join(map(str, info['running']))}" if info["running"] else ""
    jobs = info["jobs"]
    idle = f"; stops after {info['idle_timeout_s']:g} s idle" if info["idle_timeout_s"] else ""
    for label, value in (
        ("server", f"{info['socket']} (pid {info['pid']}, sao {info['sao_version']})"),
        ("model", model_line),
        ("device", f"{info['device']} ({info['precision']})"),
        ("memory", f"{_size(memory['rss_bytes'])} resident{on_device}"),
        ("queue", f"{info['queue']} waiting{running}"),
        ("jobs", f"{jobs['done']} done, {jobs['failed']} failed, {jobs['cancelled']} cancelled"),
        ("uptime", f"{info['uptime_s']:.0f} s{idle}"),
    ):
        console.out.print(f"{label:<8}{value}", highlight=False, markup=False)


def _stop(sock: Path) -> None:
    from engine.server.client import ServerClient

    server = ServerClient.find(sock)
    pid = server.info["pid"]
    if server.stop(STOP_WAIT_S):
        console.info(f"stopped the sao server (pid {pid})")
    else:
        console.warn(f"the sao server (pid {pid}) is still finishing its running job; it stops at the job's next step")


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
