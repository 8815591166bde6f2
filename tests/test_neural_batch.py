"""The model loads once per process, and `sao batch --batch-size N` puts equal-length clips in one model batch."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run
from conftest import tone, write
from models_helpers import one_thread, tiny_model  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def spies(monkeypatch):
    """Count model loads and record the size of every model batch, around the real code."""
    from engine.neural import editor

    loads, batches = [], []
    load, generate = editor.load_editor, editor.SaoInstructEditor._generate

    def spy_load(*args, **kwargs):
        loads.append(args[0])
        return load(*args, **kwargs)

    def spy_generate(self, batch, on_step):
        batches.append(len(batch))
        return generate(self, batch, on_step)

    monkeypatch.setattr(editor, "load_editor", spy_load)
    monkeypatch.setattr(editor.SaoInstructEditor, "_generate", spy_generate)
    return loads, batches


def test_batch_size_groups_equal_lengths_and_matches_one_by_one(tiny_model, tmp_path, spies):
    loads, batches = spies
    src = tmp_path / "in"
    src.mkdir()
    for i, hz in enumerate((300, 450, 600)):
        write(src / f"same{i}.wav", tone(hz, seconds=1.0))
    write(src / "longer.wav", tone(700, seconds=1.5))
    args = ["--engine", "neural", "--model", tiny_model, "--steps", "8", "--seed", "6", "--bits", "32", "--json"]
    r = run("batch", src, "add a large hall reverb", "-o", tmp_path / "one", *args)
    assert r.exit_code == 0, r.stderr
    assert (loads, sorted(batches)) == ([str(tiny_model)], [1, 1, 1, 1])
    loads.clear(), batches.clear()
    r = run("batch", src, "add a large hall reverb", "-o", tmp_path / "three", "--batch-size", "3", *args)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["counts"] == {"ok": 4, "skipped": 0, "failed": 0}
    assert (loads, sorted(batches)) == ([str(tiny_model)], [1, 3])  # the three 1 s clips in one model batch
    for f in sorted((tmp_path / "one").glob("*.wav")):
        a, b = sf.read(f, dtype="float32")[0], sf.read(tmp_path / "three" / f.name, dtype="float32")[0]
        assert np.abs(a - b).max() < 1e-4, f.name
        side = json.loads((tmp_path / "three" / ".sao" / f"{f.name}.sao.json").read_text())
        assert side["steps"][0]["seed"] == 6


def test_batch_without_a_model_stops_before_any_file(tmp_path, monkeypatch):
    from models_helpers import isolated_env

    for key, value in isolated_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    src = tmp_path / "in"
    src.mkdir()
    write(src / "a.wav", tone(300, seconds=0.5))
    r = run("batch", src, "remove the dog barking", "-o", tmp_path / "out")
    assert r.exit_code == 6 and "sao models pull sao-instruct" in r.stderr
    assert not (tmp_path / "out").exists()


def test_chain_loads_the_model_once_for_every_step(tiny_model, tmp_path, spies):
    loads, batches = spies
    src = write(tmp_path / "in.wav", tone(440, seconds=1.0))
    out = tmp_path / "o.wav"
    r = run("chain", src, "add birdsong", "make it 3 dB quieter", "add rain in the background", "-o", out,
            "--engine", "auto", "--model", tiny_model, "--steps", "8", "--seed", "7")
    assert r.exit_code == 0, r.stderr
    steps = json.loads(out.with_name("o.wav.sao.json").read_text())["steps"]
    assert [s["model"] is not None for s in steps] == [True, False, True]
    assert {s["seed"] for s in steps if s["model"]} == {7}
    assert loads == [str(tiny_model)] and batches == [1, 1]
