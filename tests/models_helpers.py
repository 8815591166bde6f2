"""Fixtures shared by tests/test_models_*.py: one CPU thread, tiny model folders, isolated caches.

Import the fixtures into a test module by name; mark a module with
`pytestmark = pytest.mark.usefixtures("one_thread")` to run it on one thread.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models gain nothing from threads, and lose a lot when other jobs share the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A random tiny SAO-Instruct model folder (init-random's, seed 0)."""
    from engine.neural.random_init import init_random

    return init_random(tmp_path_factory.mktemp("tiny") / "sao-tiny", size="tiny", fmt="sao-instruct", seed=0)


@pytest.fixture(scope="module")
def base_model_dir(tmp_path_factory):
    """A random tiny Stable Audio (base, text-to-audio) model folder, seed 0."""
    from engine.neural.random_init import init_random

    return init_random(tmp_path_factory.mktemp("base") / "sa-tiny", size="tiny", fmt="stable-audio", seed=0)


@pytest.fixture(scope="module")
def base_bundle(base_model_dir):
    from engine.neural.loader import load_bundle

    return load_bundle(base_model_dir)


def isolated_env(tmp_path, **extra) -> dict:
    """The environment with empty sao and hub caches, offline, and no SAO_MODEL."""
    env = {k: v for k, v in os.environ.items() if k not in ("SAO_MODEL", "HF_ENDPOINT", "HF_TOKEN")}
    env.update(SAO_CACHE=str(tmp_path / "sao-cache"), HF_HOME=str(tmp_path / "hf-home"), HF_HUB_OFFLINE="1", NO_COLOR="1")
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def sao_models(*args, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    """`sao models ARGS` as a real subprocess, text out."""
    return subprocess.run([sys.executable, "-m", "sao_cli", "models", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=os.path.dirname(os.path.dirname(__file__)))
