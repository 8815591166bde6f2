"""Model-folder and precision settings of the sampler (issue 16), and the GPU check's CPU smoke run.

- sigma_min is the model folder's `defaults.sigma_min`: the schedule ends there,
  an edit with another value differs, a folder without it uses 0.03, and a bad
  value is refused (exit 2) naming the field.
- The schedule's floor: sigma_min is at most a tenth of sigma_max (its docstring).
- T5 runs in fp16 on CUDA by default, else in the model's precision; in fp16 its
  embeddings stay within cosine 0.999 of fp32 (measured on the CPU here; the GPU
  check measures it on CUDA).
- `bench/gpu_check_neural.sh --cpu-smoke` runs the whole GPU check on the CPU.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from cli_helpers import run
from conftest import tone, write
from models_helpers import one_thread, tiny_model  # noqa: F401  (fixtures)

from engine.neural import configs
from engine.neural.schedule import SIGMA_MIN, schedule

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_thread")


def with_defaults(src: Path, dest: Path, **defaults) -> Path:
    shutil.copytree(src, dest)
    cfg = json.loads((dest / "sao_model.json").read_text())
    cfg["defaults"] = {k: v for k, v in {**cfg["defaults"], **defaults}.items() if v is not None}
    (dest / "sao_model.json").write_text(json.dumps(cfg))
    return dest


def test_the_schedule_floor_is_a_tenth_of_sigma_max():
    assert schedule(5, 4.0)[-2] == pytest.approx(SIGMA_MIN)
    assert schedule(5, 0.2)[-2] == pytest.approx(0.02)  # 0.2 < 10 x 0.03: the floor, not sigma_min
    assert schedule(5, 0.3)[-2] == pytest.approx(0.03)
    assert schedule(5, 4.0, 0.3)[-2] == pytest.approx(0.3)
    s = schedule(7, 4.0, 0.01)
    assert np.allclose(np.diff(np.log(s[:-1])), np.log(0.01 / 4.0) / 6)  # evenly spaced in log sigma


def test_sigma_min_is_a_setting_of_the_model_folder(tiny_model, tmp_path):
    assert json.loads((Path(tiny_model) / "sao_model.json").read_text())["defaults"]["sigma_min"] == 0.03
    assert configs.sigma_min({"defaults": {}}) == SIGMA_MIN  # a folder from before the setting
    src = write(tmp_path / "in.wav", tone(440, 0.5))
    outputs = {}
    for name, value in (("default", None), ("explicit", 0.03), ("card", 0.3)):
        folder = with_defaults(Path(tiny_model), tmp_path / name, sigma_min=value)  # None: no sigma_min at all
        out = tmp_path / f"{name}.wav"
        r = run("edit", src, "add reverb", "--engine", "neural", "--model", folder, "--steps", "6", "--seed", "3",
                "--bits", "32", "-o", out)
        assert r.exit_code == 0, r.stderr
        outputs[name] = sf.read(out, dtype="float32")[0]
    assert np.array_equal(outputs["default"], outputs["explicit"])
    assert np.abs(outputs["card"] - outputs["explicit"]).max() > 1e-4
    bad = with_defaults(Path(tiny_model), tmp_path / "bad", sigma_min=-1)
    r = run("edit", src, "add reverb", "--engine", "neural", "--model", bad, "-o", tmp_path / "bad.wav")
    assert r.exit_code == 2 and "defaults.sigma_min" in r.stderr, r.stderr


def test_t5_runs_in_fp16_on_cuda_by_default(tiny_model):
    from engine.neural.loader import default_text_dtype, load_bundle

    assert default_text_dtype(torch.device("cuda"), torch.float32) == torch.float16
    assert default_text_dtype(torch.device("cuda"), torch.bfloat16) == torch.float16
    assert default_text_dtype(torch.device("cpu"), torch.bfloat16) == torch.bfloat16
    full = load_bundle(tiny_model)
    half = load_bundle(tiny_model, text_dtype=torch.float16)
    assert full.text_encoder.dtype == torch.float32 and half.text_encoder.dtype == torch.float16
    texts = ["remove the dog barking", "add birdsong in the background"]
    a, mask = full.encode_text(texts)
    b, _ = half.encode_text(texts)
    assert b.dtype == torch.float32 and torch.isfinite(b).all()  # the projection still runs in the model's precision
    cosine = torch.nn.functional.cosine_similarity(a[mask].double(), b[mask].double(), dim=-1)
    assert cosine.min() >= 0.999 and (a - b).abs().max() > 0  # fp16 did run


@pytest.mark.slow
def test_the_gpu_check_runs_on_the_cpu(tmp_path):
    env = dict(os.environ, OUT=str(tmp_path), PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    r = subprocess.run(["bash", "bench/gpu_check_neural.sh", "--cpu-smoke"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    speed = json.loads((tmp_path / "neural_speed_eager.json").read_text())
    assert speed["device"] == "cpu" and speed["method"].startswith("whole edits") and len(speed["per_clip_s"]) == 4
    assert json.loads((tmp_path / "neural_speed_compiled.json").read_text())["compile"] == "default"
    overhead = json.loads((tmp_path / "sampler_overhead.json").read_text())
    shapes = {(row["batch"], row["frames"]) for row in overhead["rows"]}
    assert shapes == {(1, 216), (1, 1024), (8, 216), (8, 1024)}
    assert all(row["v1_critical_ms"] > row["v2_critical_ms"] > 0 for row in overhead["rows"])
    t5 = json.loads((tmp_path / "t5_precision.json").read_text())
    assert t5["pass"] and t5["finite"] and t5["min_cosine"] >= 0.999
    assert "target: under 0.5 ms" in (tmp_path / "sampler_overhead.txt").read_text()
