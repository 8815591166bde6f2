"""`sao serve`: one process keeps the model loaded and runs every client's edits.

An asyncio loop in the main thread talks to clients (one request per
connection, see protocol.py); one worker thread runs the jobs (jobs.py). A
client's connection stays open while its job runs: progress flows back on it,
and its closing (Ctrl-C, kill) cancels the job.

Only one server may own a socket. The server holds an exclusive lock
(`sao.sock.lock`) for its lifetime, which the kernel releases even on kill -9;
so a socket file whose lock is free was left by a crashed server and is
replaced, and a held lock means a live server, and the new one refuses to start.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import itertools
import logging
import os
import signal
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from engine import __version__
from engine.errors import ExitCode, SaoError, UsageError

from . import paths, protocol
from .jobs import Job, Worker, internal_error, needs_editor
from .warm import WarmEditor

log = logging.getLogger("sao.serve")

REQUEST_TIMEOUT_S = 10.0  # a client must send its request this soon after connecting
STOP_GRACE_S = 5.0  # after the worker ends, how long connections get to take their last message


@dataclass
class ServeOptions:
    socket: Path
    model: str | None = None  # a resolved model folder; None serves DSP-only edits
    device: str = "auto"
    precision: str = "fp32"
    idle_timeout_s: float | None = None  # stop after this long without a job; None: never


def claim_socket(sock: Path) -> int:
    """Take the server lock and clear a stale socket; returns the lock's fd, held until exit.

    UsageError when another server holds the lock (or, without one, still answers
    on the socket), or when something that is not a socket sits at the path.
    """
    paths.prepare_folder(sock)
    fd = os.open(paths.lock_path(sock), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise UsageError(f"a sao server (pid {pid}) is already running on {sock}",
                         hint="Stop it with `sao serve --stop`, or give this one another --socket PATH.") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    try:
        _remove_stale(sock)
    except SaoError:
        os.close(fd)
        raise
    return fd


def _remove_stale(sock: Path) -> None:
    try:
        mode = sock.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise UsageError(f"{sock} exists and is not a socket; remove it or choose another --socket PATH")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(sock))
    except OSError as e:
        if e.errno not in (errno.ECONNREFUSED, errno.ENOENT):
            raise UsageError(f"{sock}: cannot check the old socket ({e.strerror})") from None
    else:
        raise UsageError(f"another process is listening on {sock}; choose another --socket PATH")
    finally:
        probe.close()
    sock.unlink()
    log.info(f"replaced a stale socket left by a server that did not shut down: {sock}")


def bind(sock: Path) -> socket.socket:
    """Listen on `sock`, created 0600 from the start (umask), so no other user ever gets a window to connect."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(str(sock))
    finally:
        os.umask(old)
    os.chmod(sock, 0o600)
    listener.listen(64)
    return listener


def serve(options: ServeOptions) -> int:
    """Run a server in the foreground until stopped; returns the exit code (130 after Ctrl-C)."""
    lock = claim_socket(options.socket)
    try:
        listener = bind(options.socket)
    except OSError as e:
        os.close(lock)
        raise UsageError(f"{options.socket}: cannot listen there ({e.strerror})") from None
    return asyncio.run(Server(options, listener, lock).run())


class Server:
    def __init__(self, options: ServeOptions, listener: socket.socket, lock: int):
        self.options = options
        self.listener = listener
        self.lock = lock
        self.editors = WarmEditor(options.model, options.device, options.precision)
        self.worker = Worker(self.editors.for_job, self.editors.warm_up)
        self.started = time.monotonic()
        self.exit_code = int(ExitCode.OK)
        self._ids = itertools.count(1)
        self._handlers: set[asyncio.Task] = set()
        self._stop: asyncio.Event | None = None
        self._finished: asyncio.Event | None = None  # set once the lock is free: `stop` replies end then

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._stop, self._finished = asyncio.Event(), asyncio.Event()
        for sig, code in ((signal.SIGTERM, ExitCode.OK), (signal.SIGINT, ExitCode.INTERRUPTED)):
            loop.add_signal_handler(sig, self.request_stop, int(code))
        server = await asyncio.start_unix_server(self._handle, sock=self.listener, limit=protocol.MAX_MESSAGE + 1)
        self.worker.start()
        watchdog = asyncio.create_task(self._idle_watch())
        model = self.options.model or "none (DSP edits only)"
        log.info(f"serving on {self.options.socket} (pid {os.getpid()}, model {model}, device {self.options.device})")
        try:
            await self._stop.wait()
        finally:
            watchdog.cancel()
            server.close()
            self.options.socket.unlink(missing_ok=True)  # from now on clients find no server and run in-process
            self.worker.stop()
            await loop.run_in_executor(None, self.worker.thread.join)
            os.close(self.lock)  # a new server may start now; the lock file itself stays, so two never lock different files
            self._finished.set()
            if self._handlers:
                await asyncio.wait(list(self._handlers), timeout=STOP_GRACE_S)
        log.info("stopped")
        return self.exit_code

    def request_stop(self, code: int = int(ExitCode.OK)) -> None:
        if self._stop is not None and not self._stop.is_set():
            self.exit_code = code
            self._stop.set()

    def status(self) -> dict:
        return {
            "type": "status",
            "protocol": protocol.PROTOCOL_VERSION,
            "sao_version": __version__,
            "pid": os.getpid(),
            "socket": str(self.options.socket),
            "model": self.editors.describe(),
            "device": self.editors.device,
            "precision": self.editors.precision,
            "thread_env": protocol.thread_env(),
            "memory": memory_use(),
            "queue": self.worker.queued,
            "running": self.worker.running_ids(),
            "jobs": {"done": self.worker.done, "failed": self.worker.failed, "cancelled": self.worker.cancelled},
            "uptime_s": round(time.monotonic() - self.started, 3),
            "idle_timeout_s": self.options.idle_timeout_s,
        }

    # ------------------------------------------------------------ connections

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._handlers.add(task)
        try:
            line = await self._read_request(reader)
            if not line:
                return  # connected and closed: a liveness probe
            message = protocol.decode_request(line)
            if message["type"] == "status":
                await _send(writer, self.status())
            elif message["type"] == "stop":
                log.info("stop requested by a client")
                await _send(writer, {"type": "stopping", "pid": os.getpid()})
                self.request_stop()
                await self._finished.wait()  # the connection ends when the server has let go of everything
            else:
                await self._edit(message, reader, writer)
        except SaoError as e:
            await self._refuse(writer, e)
        except (ConnectionError, BrokenPipeError):
            pass
        except Exception as e:  # a bug: this connection fails, the server goes on
            log.exception("internal error while handling a request")
            await self._refuse(writer, internal_error(e))
        finally:
            writer.close()
            self._handlers.discard(task)

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> bytes:
        try:
            return await asyncio.wait_for(reader.readline(), REQUEST_TIMEOUT_S)
        except ValueError:  # StreamReader: no newline within the limit
            raise protocol.BadMessage(f"message too large (the limit is {protocol.MAX_MESSAGE} bytes)") from None
        except asyncio.TimeoutError:
            raise protocol.BadMessage(f"no request within {REQUEST_TIMEOUT_S:.0f} s of connecting") from None

    async def _refuse(self, writer: asyncio.StreamWriter, error: SaoError) -> None:
        log.info(f"refused a request: {error.message}")
        try:
            await _send(writer, protocol.error_message(error))
        except (ConnectionError, BrokenPipeError):
            pass

    async def _edit(self, message: dict, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Queue the job, stream its messages back, and cancel it if the client goes away first."""
        request = protocol.request_from_dict(message.get("request"))
        settings = protocol.settings_from_message(message)
        if needs_editor(request):
            self.editors.check_model(protocol.model_from_message(message))
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[dict] = asyncio.Queue()
        job = Job(next(self._ids), request, settings, lambda m: loop.call_soon_threadsafe(events.put_nowait, m))
        ahead = self.worker.submit(job)
        log.info(f"job {job.id}: queued ({ahead} ahead): {request.input}")
        gone = asyncio.ensure_future(reader.read(1))  # EOF (or any stray byte) means the client is done with us
        try:
            await _send(writer, {"type": "accepted", "job": job.id, "ahead": ahead})
            while True:
                event = asyncio.ensure_future(events.get())
                await asyncio.wait({event, gone}, return_when=asyncio.FIRST_COMPLETED)
                if not event.done():
                    event.cancel()
                    log.info(f"job {job.id}: the client went away; cancelling")
                    self.worker.cancel(job)
                    return
                await _send(writer, event.result())
                if event.result()["type"] in ("result", "error"):
                    return
        except (ConnectionError, BrokenPipeError):
            self.worker.cancel(job)
        finally:
            gone.cancel()

    async def _idle_watch(self) -> None:
        idle = self.options.idle_timeout_s
        if not idle:
            return
        while True:
            await asyncio.sleep(min(1.0, idle / 4))
            quiet_for = time.monotonic() - self.worker.last_active
            if not self.worker.busy and quiet_for >= idle:
                log.info(f"no job for {idle:g} s: stopping")
                self.request_stop()
                return


async def _send(writer: asyncio.StreamWriter, message: dict) -> None:
    writer.write(protocol.encode(message))
    await writer.drain()


def memory_use() -> dict:
    """This process's resident memory, and the device memory torch holds once a model is loaded on a GPU."""
    import sys

    try:
        rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # the peak, where /proc is missing
    torch = sys.modules.get("torch")  # never import torch just to report on it
    device = torch.cuda.memory_allocated() if torch is not None and torch.cuda.is_initialized() else None
    return {"rss_bytes": rss, "device_bytes": device}
