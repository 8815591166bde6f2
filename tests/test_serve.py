"""`sao serve`: a real server process per test, in a private XDG_RUNTIME_DIR.

Every result that comes through the server is compared byte for byte with the
same edit run in-process, and measured, so a server that returned the input (or
ran nothing) fails. No test leaves a server running: the fixture's finalizer
terminates it, then kills it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cli_helpers import run
from conftest import noise, real_sound, tone, write
from engine.errors import BadAudio, NoServer, OutputRefused, UsageError
from engine.measure import dominant_hz, rms_db
from engine.pipeline import EditRequest, OutputSpec, run_edit
from engine.planner import make_plan
from engine.server import protocol
from engine.server.client import ServerClient, run_via_server_or_local
from engine.server.protocol import ServedOutcome

ROOT = Path(__file__).resolve().parents[1]


class Server:
    """A `sao serve` process on its own socket; `stop()` is safe to call twice."""

    def __init__(self, runtime: Path, *args: str):
        self.runtime = runtime
        self.socket = runtime / "sao" / "sao.sock"
        self.env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), HF_HUB_OFFLINE="1", NO_COLOR="1", SAO_MODEL="", SAO_CACHE=str(runtime.parent / "cache"))
        self.log = runtime.parent / f"serve-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "sao_cli", "serve", *args], cwd=ROOT, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 20.0) -> ServerClient:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"sao serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                return ServerClient.find(self.socket)
            except NoServer:
                time.sleep(0.05)
        pytest.fail(f"sao serve did not answer within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def private_runtime(path: Path) -> Path:
    """A private XDG_RUNTIME_DIR (0700, as systemd makes it), short enough for a socket path."""
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def runtime(tmp_path):
    return private_runtime(tmp_path / "run")


@pytest.fixture
def start(runtime):
    servers = []

    def start_server(*args: str, wait: bool = True):
        server = Server(runtime, *args)
        servers.append(server)
        if wait:
            server.client = server.wait_ready()
        return server

    yield start_server
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One server for the tests that leave it running; they compare job counts before and after."""
    server = Server(private_runtime(tmp_path_factory.mktemp("shared") / "run"))
    try:
        server.client = server.wait_ready()
        yield server
    finally:
        server.stop()


def jobs_since(server: Server, before: dict) -> dict:
    now = server.client.status()["jobs"]
    return {k: now[k] - before[k] for k in now}


def request(src: Path, instruction: str | list[str], out: Path, **kw) -> EditRequest:
    texts = [instruction] if isinstance(instruction, str) else instruction
    return EditRequest(str(src), [make_plan(t) for t in texts], OutputSpec(str(out)), sidecar=f"{out}.sao.json", **kw)


def read(path) -> tuple[np.ndarray, int]:
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return x.T, sr


# ---------------------------------------------------------------- results


def test_eight_concurrent_clients_get_the_in_process_results(shared, tmp_path):
    server, before = shared, shared.client.status()["jobs"]
    bell, bell_sr = real_sound("bell")
    inputs = {"tone": write(tmp_path / "tone.wav", tone()), "bell": write(tmp_path / "bell.wav", bell, bell_sr),
              "noise": write(tmp_path / "noise.flac", noise(), subtype="PCM_24")}
    x_tone, _ = read(inputs["tone"])
    jobs = [  # (input, instruction, output suffix, a measurement of the result)
        ("tone", "make it 6 dB quieter", ".wav", lambda y, sr: rms_db(y) - rms_db(x_tone) == pytest.approx(-6, abs=0.1)),
        ("tone", "trim the first half second", ".flac", lambda y, sr: y.shape[1] / sr == pytest.approx(1.5, abs=0.001)),
        ("tone", "pitch it up an octave", ".wav", lambda y, sr: dominant_hz(y, sr) == pytest.approx(880, rel=0.01)),
        ("tone", ["trim the first half second", "make it 6 dB quieter"], ".wav",
         lambda y, sr: y.shape[1] / sr == pytest.approx(1.5, abs=0.001) and rms_db(y) == pytest.approx(rms_db(x_tone) - 6, abs=0.1)),
        ("bell", "add a small room reverb", ".wav", lambda y, sr: y.shape[1] == bell.shape[1]),
        ("bell", "reverse it", ".flac", lambda y, sr: np.allclose(y, bell[:, ::-1], atol=2e-4)),
        ("noise", "cut everything above 2 kHz", ".flac", lambda y, sr: rms_db(y) < rms_db(read(inputs["noise"])[0]) - 3),
        ("noise", "make it mono", ".wav", lambda y, sr: y.shape[0] == 1),
    ]
    served, errors = [None] * len(jobs), []

    def client(i: int, src: str, instruction, suffix: str) -> None:
        try:
            req = request(inputs[src], instruction, tmp_path / f"served{i}{suffix}")
            served[i] = run_via_server_or_local(req, str(server.socket))  # an explicit socket: no silent local run
        except Exception as e:  # reported below, with the job
            errors.append((i, e))

    threads = [threading.Thread(target=client, args=(i, src, text, suffix)) for i, (src, text, suffix, _) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert all(isinstance(o, ServedOutcome) for o in served)
    assert jobs_since(server, before) == {"done": 8, "failed": 0, "cancelled": 0}
    for i, (src, text, suffix, check) in enumerate(jobs):
        local = run_edit(request(inputs[src], text, tmp_path / f"local{i}{suffix}"))
        remote_file, local_file = tmp_path / f"served{i}{suffix}", tmp_path / f"local{i}{suffix}"
        assert remote_file.read_bytes() == local_file.read_bytes(), text
        assert served[i].output_sha256 == local.output_sha256
        assert (served[i].frames, served[i].channels, served[i].sample_rate) == (local.samples.shape[1], local.samples.shape[0], local.sample_rate)
        assert check(*read(remote_file)), text
        sidecar = json.loads(Path(f"{remote_file}.sao.json").read_text())
        assert sidecar["steps"] == json.loads(Path(f"{local_file}.sao.json").read_text())["steps"]
        assert sidecar["input"]["path"] == str(inputs[src]) and sidecar["output"]["sha256"] == local.output_sha256


def test_edit_chain_and_batch_go_through_the_server_with_server_option(shared, tmp_path):
    """`--server PATH` on the real commands: the server runs the jobs, the files equal `--server off` runs."""
    server, before = shared, shared.client.status()["jobs"]
    (tmp_path / "in").mkdir()
    src = write(tmp_path / "in" / "tone.wav", tone())
    sock = str(server.socket)
    for kind, args in (("edit", ["edit", src, "make it 6 dB quieter"]),
                       ("chain", ["chain", src, "trim the first half second", "pitch it up an octave"])):
        for where in (sock, "off"):
            r = run(*args, "-o", tmp_path / f"{kind}-{where == 'off'}.wav", "--server", where)
            assert r.exit_code == 0, r.stderr
        assert (tmp_path / f"{kind}-True.wav").read_bytes() == (tmp_path / f"{kind}-False.wav").read_bytes()
    y, sr = read(tmp_path / "chain-False.wav")
    assert y.shape[1] / sr == pytest.approx(1.5, abs=0.001) and dominant_hz(y, sr) == pytest.approx(880, rel=0.01)
    r = run("batch", tmp_path / "in", "make it 6 dB quieter", "-o", tmp_path / "out", "--server", sock)
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "out" / "tone.wav").read_bytes() == (tmp_path / "edit-True.wav").read_bytes()
    assert jobs_since(server, before) == {"done": 3, "failed": 0, "cancelled": 0}
    r = run("edit", src, "louder", "-o", tmp_path / "x.wav", "--server", tmp_path / "no.sock")
    assert r.exit_code == 9 and not (tmp_path / "x.wav").exists()


def test_relative_paths_and_a_failed_job(shared, tmp_path, monkeypatch):
    server, before = shared, shared.client.status()["jobs"]
    monkeypatch.chdir(tmp_path)  # the server's working folder is elsewhere: the client must send absolute paths
    write(tmp_path / "tone.wav", tone())
    out = run_via_server_or_local(request(Path("tone.wav"), "make it 6 dB quieter", Path("quiet.wav")), str(server.socket))
    assert isinstance(out, ServedOutcome)
    assert rms_db(read(tmp_path / "quiet.wav")[0]) == pytest.approx(rms_db(tone()) - 6, abs=0.1)
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    with pytest.raises(BadAudio, match="corrupt.wav"):
        run_via_server_or_local(request(Path("corrupt.wav"), "make it 6 dB quieter", Path("x.wav")), str(server.socket))
    with pytest.raises(OutputRefused, match="already exists"):  # no --force: refused as in-process (exit 4)
        run_via_server_or_local(request(Path("tone.wav"), "reverse it", Path("quiet.wav")), str(server.socket))
    assert not (tmp_path / "x.wav").exists() and not list(tmp_path.glob(".*.part"))
    assert jobs_since(server, before) == {"done": 1, "failed": 2, "cancelled": 0}


# ---------------------------------------------------------------- robustness


CLIENT = """
import sys
from engine.pipeline import EditRequest, OutputSpec
from engine.planner import make_plan
from engine.server.client import ServerClient
src, out, sock = sys.argv[1:4]
plans = [make_plan("add a large hall reverb") for _ in range(12)]
req = EditRequest(src, plans, OutputSpec(out), sidecar=out + ".sao.json")
ServerClient.find(sock).submit(req, on_progress=lambda m: print(m["type"], m.get("step"), flush=True))
"""


def test_a_client_killed_mid_job_leaves_the_server_healthy(shared, tmp_path):
    server, before = shared, shared.client.status()["jobs"]
    src = write(tmp_path / "long.wav", noise(seconds=8.0))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    client = subprocess.Popen([sys.executable, "-c", CLIENT, str(src), str(out_dir / "slow.wav"), str(server.socket)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert client.stdout.readline().split() == ["accepted", "None"]
        assert client.stdout.readline().split() == ["progress", "1"]  # the job is running on the server
        client.send_signal(signal.SIGKILL)
        client.wait(10)
    finally:
        client.kill()
    deadline = time.monotonic() + 15
    while (status := server.client.status())["running"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status["running"] == [] and jobs_since(server, before) == {"done": 0, "failed": 0, "cancelled": 1}
    assert list(out_dir.iterdir()) == []  # no output, no sidecar, no temp file
    assert "cancelled; nothing was written" in server.output()
    ok = run_via_server_or_local(request(src, "make it 6 dB quieter", out_dir / "after.wav"), str(server.socket))
    assert isinstance(ok, ServedOutcome)
    assert rms_db(read(out_dir / "after.wav")[0]) == pytest.approx(rms_db(read(src)[0]) - 6, abs=0.1)


def raw_exchange(sock_path: Path, data: bytes) -> list[dict]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(sock_path))
        s.sendall(data)
        replies = b""
        while chunk := s.recv(65536):
            replies += chunk
    return [json.loads(line) for line in replies.splitlines()]


@pytest.mark.parametrize("data, message", [
    (bytes(range(256)) * 4 + b"\n", "malformed message"),
    (b"\xff\xfe{not json\n", "malformed message"),
    (b"[1, 2, 3]\n", 'JSON object with a "type"'),
    (b'{"type": "format_disk"}\n', "unknown request type 'format_disk'"),
    (b'{"type": "edit", "request": {"input": "in.wav", "plans": [], "output": {"path": "/tmp/o.wav"}}}\n', "at least one plan"),
    (b'{"type": "edit", "request": {"input": "in.wav", "plans": [{"steps": []}], "output": {"path": "/tmp/o.wav"}}}\n', "absolute path"),
    (b'{"type": "edit", "request": {"input": "/a.wav", "plans": [{"steps": []}], "output": {"path": "/o.wav", "bits": true}}}\n', "'bits' has the wrong type"),
    (b'{"type": "edit", "request": {"input": "/a.wav", "plans": [{"steps": ["gain"]}], "output": {"path": "/o.wav"}}}\n', "not valid plan JSON"),
    (b'{"type": "edit", "request": {"input": "/a.wav", "plans": [{"steps": [{"op": "gain"}]}], "output": {"path": "/o.wav"}, "engine": "quantum"}}\n', "request.engine"),
    (b"x" * (protocol.MAX_MESSAGE + 10), "message too large"),
], ids=["bytes", "not-utf8", "not-object", "unknown-type", "no-plans", "relative-path", "bool-bits", "bad-step", "bad-engine", "oversized"])
def test_garbage_on_the_socket_is_refused(shared, data, message):
    before = shared.client.status()["jobs"]
    replies = raw_exchange(shared.socket, data)
    assert len(replies) == 1 and replies[0]["type"] == "error" and replies[0]["code"] == 2
    assert message in replies[0]["message"]
    assert jobs_since(shared, before) == {"done": 0, "failed": 0, "cancelled": 0}  # no job ran, and it still answers


def test_socket_and_folder_are_private(shared):
    assert stat.S_ISSOCK(shared.socket.lstat().st_mode)
    assert stat.S_IMODE(shared.socket.lstat().st_mode) == 0o600
    assert stat.S_IMODE(shared.socket.parent.stat().st_mode) == 0o700


def test_status_and_stop(start, tmp_path, monkeypatch):
    server = start("--idle-timeout", "300")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(server.runtime))  # the CLI runs in-process here
    r = run("serve", "--status")
    assert r.exit_code == 0, r.stderr
    assert f"pid {server.proc.pid}" in r.stdout and "none (DSP edits only)" in r.stdout and "0 waiting" in r.stdout
    info = json.loads(run("serve", "--status", "--json").stdout)
    assert info["pid"] == server.proc.pid and info["queue"] == 0 and info["idle_timeout_s"] == 300
    assert info["memory"]["rss_bytes"] > 10 << 20 and info["uptime_s"] > 0
    r = run("serve", "--stop")
    assert r.exit_code == 0 and f"stopped the sao server (pid {server.proc.pid})" in r.stderr
    assert not server.socket.exists()  # --stop returns once the server has let go of its socket and lock
    assert server.proc.wait(10) == 0
    for args in (("serve", "--status"), ("serve", "--stop")):
        r = run(*args)
        assert r.exit_code == 9 and "no sao server is running" in r.stderr
    write(tmp_path / "tone.wav", tone())  # with no server, auto runs in-process and explicit PATH is exit 9
    local = run_via_server_or_local(request(tmp_path / "tone.wav", "reverse it", tmp_path / "r.wav"), "auto")
    assert not isinstance(local, ServedOutcome) and (tmp_path / "r.wav").exists()
    with pytest.raises(NoServer):
        run_via_server_or_local(request(tmp_path / "tone.wav", "reverse it", tmp_path / "r2.wav"), str(server.socket))


def test_idle_timeout_stops_the_server(start):
    server = start("--idle-timeout", "1")
    assert server.proc.wait(10) == 0
    assert "no job for 1 s: stopping" in server.output() and not server.socket.exists()


def test_a_stale_socket_is_replaced_and_a_live_one_refused(start, runtime):
    sock = runtime / "sao" / "sao.sock"
    sock.parent.mkdir(mode=0o700)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # a server that died without cleaning up
    crashed.bind(str(sock))
    crashed.close()
    assert stat.S_ISSOCK(sock.lstat().st_mode)
    server = start()
    assert server.client.status()["pid"] == server.proc.pid
    assert "replaced a stale socket" in server.output()
    second = start(wait=False)
    assert second.proc.wait(20) == 2
    assert f"a sao server (pid {server.proc.pid}) is already running on {sock}" in second.output()
    assert server.client.status()["pid"] == server.proc.pid  # the first one is untouched


def test_something_else_at_the_socket_path_is_never_removed(start, runtime):
    sock = runtime / "sao" / "sao.sock"
    sock.parent.mkdir(mode=0o700)
    sock.write_text("my notes")
    server = start(wait=False)
    assert server.proc.wait(20) == 2
    assert "exists and is not a socket" in server.output() and sock.read_text() == "my notes"


# ---------------------------------------------------------------- the protocol, in-process


def test_requests_round_trip_and_bad_fields_are_named(tmp_path):
    req = request(tmp_path / "in.wav", ["trim the first half second", "add a small room reverb"], tmp_path / "o.flac")
    req.output.bits, req.output.clip, req.force, req.keep_intermediates = 24, "error", True, True
    back = protocol.request_from_dict(json.loads(protocol.encode({"r": protocol.request_to_dict(req)}))["r"])
    assert back == req
    d = protocol.request_to_dict(req)
    with pytest.raises(UsageError, match="'force' has the wrong type"):
        protocol.request_from_dict({**d, "force": "yes"})
    with pytest.raises(UsageError, match="'output' is missing"):
        protocol.request_from_dict({k: v for k, v in d.items() if k != "output"})
    with pytest.raises(UsageError, match="request.output.path: the server needs an absolute path"):
        protocol.request_from_dict({**d, "output": {**d["output"], "path": "-"}})
