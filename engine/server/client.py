"""Talking to `sao serve`: find a server, send it a job, or run the job in-process.

`run_via_server_or_local` is what `sao edit`, `chain` and `batch` call. With
`--server auto` (the default) a job goes to a running server when that server
runs this same sao version and, for a job that needs the model, serves the
same model; otherwise it runs in-process. Either way the very same `run_edit`
does the work, so the output file is the same, byte for byte.

`--server PATH` insists on the server at PATH: no server there is exit 9, and
one with another model or version is exit 2. `--server off` never connects.
Stdin and stdout (`-`) always run in-process: audio travels by path.

Pitfall: a job that is sent goes on running only while its connection is open;
closing it (Ctrl-C, kill) cancels the job on the server.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path
from collections.abc import Callable, Iterator

from engine import __version__
from engine.errors import NoServer, SaoError, UsageError

from . import paths, protocol
from .jobs import needs_editor

CONNECT_TIMEOUT_S = 2.0
REPLY_TIMEOUT_S = 10.0  # for status and stop; a job's replies may be minutes apart, so it has none


class ServerClient:
    """A running server at `path`, with the status it reported when found."""

    def __init__(self, path: Path, status: dict):
        self.path = path
        self.info = status

    @classmethod
    def find(cls, path: Path) -> "ServerClient":
        """The server at `path`; NoServer (exit 9) when none answers there."""
        return cls(path, _reply(path, {"type": "status"}, "status"))

    def status(self) -> dict:
        self.info = _reply(self.path, {"type": "status"}, "status")
        return self.info

    def stop(self, timeout: float) -> bool:
        """Ask the server to stop; True once it has (its running job stops at its next checkpoint),
        False if it is still finishing after `timeout` seconds."""
        with _connect(self.path) as sock:
            sock.sendall(protocol.encode({"type": "stop"}))
            sock.settimeout(timeout)
            try:
                for reply in _replies(sock):  # the server closes the connection once it has let go of everything
                    if reply["type"] == "error":
                        raise protocol.error_from_message(reply)
            except NoServer:  # no EOF within the time-out
                return False
        return True

    def mismatch(self, model: str | None) -> str | None:
        """Why this server cannot run a job for `model` (None: a job that needs no model), or None."""
        version, proto = self.info.get("sao_version"), self.info.get("protocol")
        if version != __version__ or proto != protocol.PROTOCOL_VERSION:
            return f"the sao server on {self.path} runs sao {version} (protocol {proto}); this is sao {__version__}"
        if model is None:
            return None
        served = (self.info.get("model") or {}).get("path")
        if served is None or os.path.realpath(served) != os.path.realpath(model):
            return f"the sao server on {self.path} serves {served or 'no model'}, not {model}"
        ours = protocol.thread_env()
        if self.info.get("thread_env") != ours:  # torch's CPU results change in the last bits with the thread count
            return (f"the sao server on {self.path} runs with {_describe(self.info.get('thread_env'))}, this shell with "
                    f"{_describe(ours)}: its results would not be byte-identical")
        return None

    def submit(self, request, settings: dict | None = None, model: str | None = None,
               on_progress: Callable[[dict], None] | None = None) -> protocol.ServedOutcome:
        """Run `request` (every path absolute) on the server; raises the SaoError the job failed with.

        NoServer (9) means the server did not run the job (it stopped, or went away
        before accepting it): the caller may run it in-process instead.
        """
        message = {"type": "edit", "request": protocol.request_to_dict(request), "neural": settings, "model": model}
        with _connect(self.path) as sock:
            sock.sendall(protocol.encode(message))
            accepted = False
            for reply in _replies(sock):
                kind = reply["type"]
                if kind == "accepted":
                    accepted = True
                    sock.settimeout(None)
                elif kind == "result":
                    return protocol.outcome_from_dict(reply.get("outcome") or {})
                elif kind == "error":
                    raise protocol.error_from_message(reply)
                if on_progress:
                    on_progress(reply)
        if not accepted:
            raise NoServer(f"the sao server on {self.path} closed the connection before taking the job")
        raise SaoError(f"the sao server on {self.path} stopped answering in the middle of the job",
                       hint="It may have crashed; see its log. Run the edit in-process with --server off.")


def _describe(env: dict | None) -> str:
    return ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in (env or {}).items()) or "an unknown thread setup"


def server_for(server_opt: str, model: str | None = None, notice: Callable[[str], None] | None = None) -> ServerClient | None:
    """The server to send a job to, or None to run it in-process.

    `server_opt`: "auto", "off" or a socket PATH. `model`: the resolved model folder
    the job needs, or None for a job that needs no model (then any server will do).
    `notice(text)` hears why a running server was not used for a job that needs
    the model (with "auto": the job then loads the model in this process).
    """
    if server_opt == "off":
        return None
    explicit = server_opt != "auto"
    path = paths.socket_path(server_opt if explicit else None)
    try:
        client = ServerClient.find(path)
    except NoServer:
        if explicit:
            raise
        return None
    reason = client.mismatch(model)
    if reason and explicit:
        raise UsageError(reason, hint="Run it in-process with --server off.")
    if reason and model is not None and notice:
        notice(f"{reason}: the edit runs in this process (the model loads here)")
    return None if reason else client


def served_model(server_opt: str) -> str | None:
    """The model folder that the running server (the default socket, or `server_opt` as a PATH) serves;
    None when there is no server, it serves no model, or it runs another sao version."""
    if server_opt == "off":
        return None
    try:
        client = ServerClient.find(paths.socket_path(None if server_opt == "auto" else server_opt))
    except SaoError:
        return None
    if client.mismatch(None):
        return None
    return (client.info.get("model") or {}).get("path")


def run_via_server_or_local(request, server_opt: str = "auto", neural=None, *, model: str | None = None,
                            settings=None, on_step: Callable[[int, object], None] | None = None,
                            notice: Callable[[str], None] | None = None):
    """Run one edit on a server when one fits, else in-process; returns EditOutcome or ServedOutcome.

    `neural`: the editor an in-process run uses, or None when no plan needs the model.
    Pass a lazy one (engine.neural.editor.LazyEditor): it loads nothing until its first
    neural step, so a served run never loads the model here. `model` and `settings`
    (the model folder and NeuralSettings) tell the server what the same run needs;
    they default to a LazyEditor's own. The server's diffusion progress goes to
    `neural.progress(done, total)`, and `on_step(i, plan)` is called before each plan,
    as in-process. `notice(text)` hears why a running server did not take a job that needs the model.
    """
    from engine.pipeline import run_edit

    editor_needed = needs_editor(request)
    if editor_needed and neural is not None:
        model = model or getattr(neural, "model", None)
        settings = settings or getattr(neural, "settings", None)
    servable = server_opt != "off" and not _uses_stdio(request) and (not editor_needed or model is not None)
    client = server_for(server_opt, model if editor_needed else None, notice) if servable else None
    if client is not None:
        sent = dataclasses.asdict(settings) if editor_needed and settings is not None else None
        progress = _progress(request, on_step, getattr(neural, "progress", None))
        try:
            return client.submit(absolute_paths(request), sent, model if editor_needed else None, progress)
        except NoServer:  # the server stopped before running it
            if server_opt != "auto":
                raise
    return run_edit(request, neural=neural, on_step=on_step)


def absolute_paths(request):
    """The same request with every path absolute: the server's working folder is not ours."""
    output = dataclasses.replace(request.output, path=os.path.abspath(request.output.path))
    sidecar = os.path.abspath(request.sidecar) if request.sidecar else None
    return dataclasses.replace(request, input=os.path.abspath(request.input), output=output, sidecar=sidecar)


def _uses_stdio(request) -> bool:
    return request.input == "-" or request.output.path == "-"


def _progress(request, on_step, on_diffusion) -> Callable[[dict], None]:
    """Turn the server's progress messages into the in-process callbacks."""

    def on_progress(message: dict) -> None:
        if message["type"] != "progress":
            return
        if "step" in message and on_step:
            on_step(message["step"], request.plans[message["step"] - 1])
        elif "diffusion" in message and on_diffusion:
            on_diffusion(message["diffusion"], message["of"])

    return on_progress


# ---------------------------------------------------------------- the socket


def _connect(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT_S)
    try:
        sock.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError, TimeoutError, NotADirectoryError):
        sock.close()
        raise NoServer(f"no sao server is running on {path}", hint="Start one with `sao serve`.") from None
    except OSError as e:
        sock.close()
        raise NoServer(f"cannot reach a sao server on {path} ({e.strerror})") from None
    sock.settimeout(REPLY_TIMEOUT_S)
    return sock


def _replies(sock: socket.socket) -> Iterator[dict]:
    """Messages until the server closes the connection; a silent server raises NoServer after the time-out."""
    with sock.makefile("rb") as f:
        while True:
            try:
                line = f.readline(protocol.MAX_MESSAGE + 1)
            except TimeoutError:
                raise NoServer("the sao server did not answer in time") from None
            except ConnectionError:
                return
            if not line:
                return
            yield protocol.decode(line)


def _reply(path: Path, message: dict, expected: str) -> dict:
    """Send one short request and return its one reply of type `expected`."""
    with _connect(path) as sock:
        sock.sendall(protocol.encode(message))
        for reply in _replies(sock):
            if reply["type"] == "error":
                raise protocol.error_from_message(reply)
            if reply["type"] == expected:
                return reply
    raise NoServer(f"the process on {path} is not a sao server (no {expected} reply)")
