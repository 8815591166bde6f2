"""`sao serve` with a tiny random SAO-Instruct model: neural jobs through a real server.

The server and this process both run torch on one CPU thread (OMP_NUM_THREADS=1
there, torch.set_num_threads(1) here): CPU results differ in the last bits
between thread counts, and on a shared machine one thread is also the fastest.
Every in-process reference goes through the same path the CLI takes with
`--server off`: a LazyEditor, loaded for that run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import noise, tone, write
from engine.errors import UsageError
from engine.measure import correlation
from engine.pipeline import EditRequest, OutputSpec
from engine.plan import neural_plan
from engine.server.client import run_via_server_or_local
from engine.server.protocol import ServedOutcome
from test_serve import ROOT, Server, jobs_since, private_runtime

torch = pytest.importorskip("torch")
from engine.neural.editor import LazyEditor, NeuralSettings
from engine.neural.random_init import init_random

CLIP_S = 0.25  # short clips: the tiny VAE costs most of an edit


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return init_random(tmp_path_factory.mktemp("model") / "tiny", "tiny")


@pytest.fixture(scope="module")
def server(tiny, tmp_path_factory):
    os.environ["OMP_NUM_THREADS"] = "1"  # inherited by the server; the client compares it with the server's
    server = Server(private_runtime(tmp_path_factory.mktemp("neural") / "run"), "--model", str(tiny), "--device", "cpu")
    try:
        server.client = server.wait_ready()
        yield server
    finally:
        server.stop()
        del os.environ["OMP_NUM_THREADS"]


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def neural_request(src: Path, text: str, out: Path, bits: int | None = None) -> EditRequest:
    return EditRequest(str(src), [neural_plan(text)], OutputSpec(str(out), bits=bits), engine="neural", sidecar=f"{out}.sao.json")


def read(path) -> np.ndarray:
    return sf.read(str(path), dtype="float32", always_2d=True)[0].T


def test_eight_concurrent_neural_clients_match_in_process(server, tiny, tmp_path):
    before = server.client.status()["jobs"]
    inputs = [write(tmp_path / "tone.wav", tone(330, CLIP_S)), write(tmp_path / "noise.wav", noise(CLIP_S, amp=0.2)),
              write(tmp_path / "mono.wav", tone(660, CLIP_S, channels=1))]
    distinct = [(inputs[0], "make it brighter", 1), (inputs[1], "add reverb", 2), (inputs[2], "make it brighter", 1),
                (inputs[0], "make it brighter", 3)]
    jobs = distinct * 2  # each one twice, at the same time: the same request gives the same bytes
    editors = [LazyEditor(str(tiny), NeuralSettings(steps=2, seed=seed, device="cpu")) for _, _, seed in jobs]
    served, errors = [None] * 8, []

    def client(i: int) -> None:
        try:
            src, text, _ = jobs[i]
            served[i] = run_via_server_or_local(neural_request(src, text, tmp_path / f"served{i}.wav"), str(server.socket), editors[i])
        except Exception as e:  # reported below
            errors.append((i, e))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert all(isinstance(o, ServedOutcome) for o in served) and all(e._editor is None for e in editors)  # nothing loaded here
    status = server.client.status()
    assert jobs_since(server, before) == {"done": 8, "failed": 0, "cancelled": 0}
    for i, (src, text, seed) in enumerate(distinct):
        local_out = tmp_path / f"local{i}.wav"
        run_via_server_or_local(neural_request(src, text, local_out), "off", LazyEditor(str(tiny), NeuralSettings(steps=2, seed=seed, device="cpu")))
        for served_out in (tmp_path / f"served{i}.wav", tmp_path / f"served{i + len(distinct)}.wav"):
            assert served_out.read_bytes() == local_out.read_bytes(), (text, seed)
            step = json.loads(Path(f"{served_out}.sao.json").read_text())["steps"][0]
            assert step == json.loads(Path(f"{local_out}.sao.json").read_text())["steps"][0]
            assert step["seed"] == seed and step["model"]["sha256"] == status["model"]["sha256"]
        x, y = read(src), read(local_out)
        assert y.shape == x.shape and correlation(x.mean(0), y.mean(0)) < 0.99  # the model changed it, kept the shape
    assert status["model"]["loaded"] and status["device"] == "cpu"


def test_jobs_with_equal_settings_are_batched_and_match_unbatched(server, tiny, tmp_path):
    before = server.client.status()["jobs"]
    inputs = [write(tmp_path / f"in{i}.wav", tone(200 * (i + 1), CLIP_S)) for i in range(3)]
    batchable = NeuralSettings(steps=2, seed=4, device="cpu", batch_size=2)
    served = {}

    def client(i: int, settings: NeuralSettings) -> threading.Thread:
        def send() -> None:
            req = neural_request(inputs[i], "make it brighter", tmp_path / f"batched{i}.wav", bits=32)
            served[i] = run_via_server_or_local(req, str(server.socket), LazyEditor(str(tiny), settings))

        thread = threading.Thread(target=send)
        thread.start()
        return thread

    blocker = client(2, NeuralSettings(steps=30, seed=1, device="cpu"))  # keeps the worker busy meanwhile,
    while not server.client.status()["running"]:  # so that both batchable jobs are queued when it takes them
        time.sleep(0.02)
    for thread in [client(0, batchable), client(1, batchable), blocker]:
        thread.join(120)
    assert all(isinstance(served[i], ServedOutcome) for i in range(3)) and jobs_since(server, before)["done"] == 3
    assert "batched together" in server.output()
    for i in range(2):
        alone = tmp_path / f"alone{i}.wav"
        req = neural_request(inputs[i], "make it brighter", alone, bits=32)
        run_via_server_or_local(req, "off", LazyEditor(str(tiny), NeuralSettings(steps=2, seed=4, device="cpu")))
        batched, single = read(tmp_path / f"batched{i}.wav"), read(alone)
        assert np.abs(batched - single).max() <= 1e-4 and np.abs(single - read(inputs[i])).max() > 1e-2


CLIENT = """
import sys
from engine.pipeline import EditRequest, OutputSpec
from engine.plan import neural_plan
from engine.server.client import ServerClient
src, out, sock, model = sys.argv[1:5]
req = EditRequest(src, [neural_plan("make it brighter")], OutputSpec(out), engine="neural", sidecar=out + ".sao.json")
settings = {"steps": 1000, "seed": 1, "device": "cpu"}
ServerClient.find(sock).submit(req, settings, model, on_progress=lambda m: print(m["type"], m.get("diffusion"), flush=True))
"""


def test_a_client_killed_mid_diffusion_cancels_its_job(server, tiny, tmp_path):
    before = server.client.status()["jobs"]
    src = write(tmp_path / "in.wav", tone(440, CLIP_S))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    client = subprocess.Popen([sys.executable, "-c", CLIENT, str(src), str(out_dir / "slow.wav"), str(server.socket), str(tiny)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        lines = [client.stdout.readline().split() for _ in range(4)]  # accepted, plan 1, diffusion 0, diffusion 1
        assert lines[0][0] == "accepted" and lines[3] == ["progress", "1"]
        client.send_signal(signal.SIGKILL)
        client.wait(10)
    finally:
        client.kill()
    deadline = time.monotonic() + 20  # 1000 steps would take minutes: the job must stop at its next step
    while (status := server.client.status())["running"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status["running"] == [] and jobs_since(server, before) == {"done": 0, "failed": 0, "cancelled": 1}
    assert list(out_dir.iterdir()) == []


def test_another_model_or_thread_count_runs_in_process(server, tiny, tmp_path, monkeypatch):
    other = Path(shutil.copytree(tiny, tmp_path / "other"))
    src = write(tmp_path / "in.wav", tone(440, CLIP_S))
    settings = NeuralSettings(steps=2, seed=1, device="cpu")
    with pytest.raises(UsageError, match="serves .*tiny, not .*other"):
        run_via_server_or_local(neural_request(src, "make it brighter", tmp_path / "a.wav"), str(server.socket), LazyEditor(str(other), settings))
    local = LazyEditor(str(other), settings)
    outcome = run_via_server_or_local(neural_request(src, "make it brighter", tmp_path / "b.wav"), "auto", local)
    assert not isinstance(outcome, ServedOutcome) and local._editor is not None and (tmp_path / "b.wav").exists()
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    with pytest.raises(UsageError, match="OMP_NUM_THREADS=1.*OMP_NUM_THREADS=2"):
        run_via_server_or_local(neural_request(src, "make it brighter", tmp_path / "c.wav"), str(server.socket), LazyEditor(str(tiny), settings))


def sao_cli(server, *args, cwd: Path, **env) -> subprocess.CompletedProcess:
    """`sao ARGS` as a real process beside the server: its runtime folder, caches and thread count."""
    full = dict(server.env, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "sao_cli", *map(str, args)], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=300)


def test_one_warm_model_for_every_call(server, tiny, tmp_path):
    """--model > SAO_MODEL > the server's model > sao-instruct; relative paths are resolved before sending.

    The server's cache holds no sao-instruct, so before issue 16 a plain `sao edit` exited 6, and
    `--model ./tiny` or `SAO_MODEL=./tiny` exited 2 (the server needs absolute paths)."""
    src = write(tmp_path / "in.wav", tone(440, CLIP_S))
    here = tiny.parent  # so that ./tiny names the served model
    other = Path(shutil.copytree(tiny, tmp_path / "other"))
    args = ["edit", src, "remove the dog barking", "--steps", "2", "--seed", "1", "--force"]
    cases = [  # (extra arguments, environment, served?)
        (["--model", "./tiny"], {}, True),
        ([], {"SAO_MODEL": "./tiny"}, True),
        ([], {}, True),  # neither: the server's model
        (["--model", "./tiny"], {"SAO_MODEL": str(other)}, True),  # --model wins over SAO_MODEL
        (["--model", str(other)], {}, False),  # another model: in-process, and it says why
        ([], {"SAO_MODEL": str(other)}, False),  # SAO_MODEL wins over the server's model
    ]
    outputs = []
    for i, (extra, env, served) in enumerate(cases):
        before = server.client.status()["jobs"]
        out = tmp_path / f"out{i}.wav"
        r = sao_cli(server, *args, "-o", out, *extra, cwd=here, **env)
        assert r.returncode == 0, (extra, env, r.stderr)
        assert jobs_since(server, before)["done"] == (1 if served else 0), (extra, env, r.stderr)
        said = "runs in this process" in r.stderr
        assert said == (not served) and (served or f"serves {tiny}" in r.stderr), (extra, env, r.stderr)
        step = json.loads(Path(f"{out}.sao.json").read_text())["steps"][0]
        assert step["model"]["path"] == str(tiny if served else other)  # absolute, whichever way it was named
        outputs.append(read(out))
    for y in outputs[1:]:
        assert np.array_equal(y, outputs[0])  # the same weights (other is a copy), seed and settings: the same edit
    assert correlation(outputs[0].mean(0), read(src).mean(0)) < 0.99  # and an edit it was


def test_without_any_model_the_message_says_the_server_has_none(tmp_path_factory, tmp_path):
    dsp_only = Server(private_runtime(tmp_path_factory.mktemp("dsp") / "run"))  # a server with no model
    try:
        dsp_only.wait_ready()
        src = write(tmp_path / "in.wav", tone(440, CLIP_S))
        r = sao_cli(dsp_only, "edit", src, "remove the dog barking", "-o", tmp_path / "o.wav", cwd=tmp_path)
        assert r.returncode == 6 and "sao models pull sao-instruct" in r.stderr and "server has no model" in r.stderr, r.stderr
    finally:
        dsp_only.stop()
