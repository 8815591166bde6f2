"""`sao models`: exit codes and messages as a user meets them, no network, never a hang."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cli_helpers import run
from engine.neural.folder import CONFIG_FILE, folder_size, weights_sha256
from models_helpers import isolated_env, one_thread, sao_models, tiny_model  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SAO_CACHE", str(tmp_path / "sao-cache"))
    monkeypatch.delenv("SAO_MODEL", raising=False)
    return tmp_path / "sao-cache"


def test_init_random_then_info(tmp_path):
    folder = tmp_path / "m"
    r = run("models", "init-random", folder, "--format", "stable-audio", "--seed", "3")
    assert r.exit_code == 0, r.stderr
    r = run("models", "info", folder)
    assert r.exit_code == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["format"] == "stable-audio" and info["path"] == str(folder)
    assert info["dit"]["in_channels"] == info["dit"]["out_channels"] == info["vae"]["decoder_input_channels"]
    assert info["weights_sha256"] == weights_sha256(folder)
    r = run("models", "init-random", folder)
    assert r.exit_code == 4 and "pass --force" in r.stderr


def test_info_check_loads_the_model(tiny_model):
    r = run("models", "info", tiny_model, "--check")
    assert r.exit_code == 0, r.stderr
    assert "loads; DiT 0.7 M parameters, 44100 Hz" in r.stderr


def test_list_shows_local_models_with_sizes(tiny_model, cache):
    shutil.copytree(tiny_model, cache / "models" / "sao-instruct")
    r = run("models", "list", "--json")
    assert r.exit_code == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["sao-instruct"]["kind"] == "model folder"
    assert rows["sao-instruct"]["size_bytes"] == folder_size(tiny_model) > 1_000_000
    r = run("models", "list")
    assert "sao-instruct" in r.stdout and "MB" in r.stdout


@pytest.mark.parametrize("make, code, message", [
    (lambda d: d.mkdir(), 2, "not a sao model folder"),
    (lambda d: None, 2, "does not exist"),
    (lambda d: (d.mkdir(), (d / CONFIG_FILE).write_text('{"format": "musicgen", "version": 1}')), 2, "format is 'musicgen'"),
    (lambda d: (d.mkdir(), (d / "config.json").write_text('{"model_type": "diffusion_cond", "model": {}}'),
                (d / "model.ckpt").write_bytes(b"PK\x03\x04 not really")), 2, "missing 'model.diffusion'"),
])
def test_bad_model_paths_exit_2(tmp_path, cache, make, code, message):
    target = tmp_path / "target"
    make(target)
    r = run("models", "info", target)
    assert r.exit_code == code, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr


def test_offline_with_nothing_says_what_to_run(tmp_path):
    r = sao_models("info", "sao-instruct", env=isolated_env(tmp_path))
    assert r.returncode == 6, r.stderr
    assert "sao models pull sao-instruct" in r.stderr and "HF_HUB_OFFLINE" in r.stderr
    r = sao_models("pull", "t5-base", env=isolated_env(tmp_path))
    assert r.returncode == 6 and "HF_HUB_OFFLINE is set" in r.stderr


def test_missing_t5_exits_6_with_the_pull_command(tiny_model, tmp_path):
    folder = shutil.copytree(tiny_model, tmp_path / "needs-t5")
    cfg = json.loads((folder / CONFIG_FILE).read_text())
    cfg["text_encoder"]["path"] = "google-t5/t5-base"
    (folder / CONFIG_FILE).write_text(json.dumps(cfg))
    r = sao_models("info", folder, "--check", env=isolated_env(tmp_path))
    assert r.returncode == 6, r.stderr
    assert "google-t5/t5-base is not in the local Hugging Face cache" in r.stderr
    assert "sao models pull t5-base" in r.stderr


def test_a_hub_that_never_answers_fails_within_15_s(tmp_path):
    """HF_ENDPOINT at a local socket that accepts connections and never replies."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    env = isolated_env(tmp_path, HF_HUB_OFFLINE=None, HF_ENDPOINT=f"http://127.0.0.1:{server.getsockname()[1]}")
    start = time.monotonic()
    try:
        r = sao_models("pull", "t5-base", env=env, timeout=60)
    finally:
        elapsed = time.monotonic() - start
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
    assert held, "the command never reached the endpoint"
    assert r.returncode == 6, r.stderr
    assert elapsed < 15, elapsed
    assert "did not answer" in r.stderr


def test_importing_the_command_and_engine_neural_stays_light(tmp_path):
    code = ("import sys, sao_cli.commands.models, engine.neural, engine.neural.configs, engine.neural.folder, "
            "engine.neural.sources, engine.neural.convert; print(sorted(m for m in ('torch', 'diffusers', 'transformers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=isolated_env(tmp_path),
                         cwd=str(Path(__file__).resolve().parents[1]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
