"""DDPM-inversion gen-data: exact inversion, editing from T_start, and the pipeline on real recordings.

Tiny random models built from config (a stable-audio model from `init_random`,
a ClapModel from test_eval_metrics.tiny_clap), one CPU thread; the clips are
the freedesktop recordings that the manual pipeline's tests use.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch
from cli_helpers import run
from conftest import real_sound
from models_helpers import base_bundle, base_model_dir, one_thread  # noqa: F401  (fixtures)
from test_eval_metrics import tiny_clap
from test_gendata_dataset import make_clips
from test_gendata_llm import server  # noqa: F401  (fixture: a local chat-completions server)

from datagen.bo import STORAGE, t_start_range
from datagen.dataset import MANIFEST, read_jsonl
from datagen.generate import (
    NoiseMaps,
    cfg_denoiser,
    conditioning,
    ddpm_levels,
    ddpm_sample,
    encode,
    invert,
)
from engine.pipeline import OutputSpec, conform

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def clap_dir(tmp_path_factory):
    return tiny_clap(tmp_path_factory.mktemp("clap"))


@pytest.fixture(scope="module")
def phone(base_bundle):
    """A real recording (1.5 s, 44.1 kHz stereo), its latent and its length in seconds."""
    x, sr = real_sound("phone-incoming-call")
    x = conform(x, sr, OutputSpec("", base_bundle.sample_rate, 2))[0]
    return encode(base_bundle, x), x.shape[1] / base_bundle.sample_rate


def denoiser(base_bundle, caption, negative, cfg, seconds):
    return cfg_denoiser(base_bundle, conditioning(base_bundle, [caption], seconds), conditioning(base_bundle, [negative], seconds), cfg)


@pytest.mark.parametrize("t_start", [12, 5])
def test_inversion_then_the_source_caption_reconstructs_the_input_latent(base_bundle, phone, t_start):
    x0, seconds = phone
    steps = 12
    source = denoiser(base_bundle, "a phone rings", "low quality", 2.5, seconds)
    maps = invert(source, x0, ddpm_levels(steps), steps - t_start, seed=3)
    assert len(maps.z) == t_start
    assert (ddpm_sample(source, maps) - x0).abs().max() < 1e-4
    # It is the noise maps that carry the clip: the same start with fresh noise lands far away.
    fresh = NoiseMaps(maps.levels, maps.start, maps.x, [torch.randn(z.shape, generator=torch.Generator().manual_seed(i))
                                                         for i, z in enumerate(maps.z)])
    assert (ddpm_sample(source, fresh) - x0).abs().max() > 0.1


def test_another_caption_edits_and_more_so_from_further_back(base_bundle, phone):
    x0, seconds = phone
    steps = 12
    levels = ddpm_levels(steps)
    assert levels[0] == 500.0 and levels[-1] == pytest.approx(0.03) and len(levels) == steps + 1
    source = denoiser(base_bundle, "a phone rings", "low quality", 2.5, seconds)
    target = denoiser(base_bundle, "a phone rings in the rain", "low quality, thunder", 7.0, seconds)
    change = [(ddpm_sample(target, invert(source, x0, levels, steps - t, seed=3)) - x0).abs().max().item() for t in (2, 8)]
    assert 1e-3 < change[0] < change[1], change


# ---------------------------------------------------------------- the pipeline


@pytest.fixture(scope="module")
def clip_set(tmp_path_factory):
    """The real recordings as WAV, and a captions file where only some rows carry their edit."""
    folder = tmp_path_factory.mktemp("clips")
    clips, plain = make_clips(folder)
    edits = {"phone-incoming-call.wav": ("A phone rings in the rain", "add rain", "thunder"),
             "alarm-clock-elapsed.wav": ("An alarm clock beeps in a big hall", "put it in a big hall", "")}
    rows = ["file,caption,output_caption,instruction,negative_caption"]
    for line in plain.read_text().splitlines()[1:]:
        name, caption = line.split(",", 1)
        out, instruction, negative = edits.get(name, ("", "", ""))
        rows.append(f"{name},{caption},{out},{instruction},{negative}")
    captions = folder / "edits.csv"
    captions.write_text("\n".join(rows) + "\n")
    return clips, captions, plain


def inversion_args(base_model_dir, clap_dir, clips, captions, out, n, *extra):
    return ["gen-data", "inversion", "--clips", clips, "--captions", captions, "--n", n, "--out", out, "--model", base_model_dir,
            "--clap", clap_dir, "--clip-s", 1.0, "--steps", 8, "--trials", 3, "--device", "cpu", *extra]


def test_inversion_writes_the_real_crop_and_its_best_edit(tmp_path, base_model_dir, clap_dir, clip_set, base_bundle):
    import hashlib

    import optuna

    clips, captions, _ = clip_set
    ds = tmp_path / "ds"
    r = run(*inversion_args(base_model_dir, clap_dir, clips, captions, ds, 2, "--json"))
    assert r.exit_code == 0, r.stderr
    assert "skipped 8 rows (no output_caption/instruction and no --llm-url)" in r.stderr
    assert json.loads(r.stdout)["this_run"]["kept"] == {"inversion": 2}
    lo, hi = t_start_range(8)
    weights = hashlib.sha256()
    for name in ("dit", "vae", "projection"):  # the model folder's weights, in the order sidecars hash them
        weights.update((base_model_dir / f"{name}.safetensors").read_bytes())
    clap_sha = hashlib.sha256((clap_dir / "model.safetensors").read_bytes()).hexdigest()
    for row in read_jsonl(ds / MANIFEST):
        assert row["pipeline"] == "inversion" and row["instruction_source"] == "captions file"
        assert row["base_model"] == {"name": base_model_dir.name, "sha256": weights.hexdigest()}
        assert row["clap"] == {"name": str(clap_dir), "sha256": clap_sha}
        assert row["output_caption"] in ("A phone rings in the rain", "An alarm clock beeps in a big hall")
        p = row["params"]
        assert lo <= p["t_start"] <= hi and 1 <= p["cfg_src"] <= 3 and 3 <= p["cfg_tar"] <= 10 and p["steps"] == 8
        study = optuna.load_study(study_name=f"{row['id']}-a0", storage=f"sqlite:///{ds / STORAGE}")
        values = [t.value for t in study.trials if t.state.name == "COMPLETE"]
        assert len(values) == 3 and row["scores"]["objective"] == pytest.approx(max(values), abs=1e-6)
        # The input is the real recording: the crop named in the manifest, at 44.1 kHz stereo, scaled by gain_db.
        src, sr = sf.read(str(clips / row["sources"][0]), dtype="float32", always_2d=True)
        start = round(p["crop_start_s"] * sr)
        crop = conform(np.ascontiguousarray(src[start : start + sr].T), sr, OutputSpec("", 44100, 2))[0]
        x, _ = sf.read(str(ds / row["input"]), dtype="float32", always_2d=True)
        y, _ = sf.read(str(ds / row["output"]), dtype="float32", always_2d=True)
        expected = crop * np.float32(10 ** (p["gain_db"] / 20))
        assert x.T.shape == expected.shape == y.T.shape
        assert np.abs(x.T - expected).max() < 2e-4  # 16-bit rounding
        assert np.abs(y - x).max() > 1e-3


def test_the_llm_writes_the_edit_and_its_negatives(tmp_path, base_model_dir, clap_dir, clip_set, server):  # noqa: F811  (the fixture)
    clips, _, plain = clip_set  # captions only: every edit comes from the model
    ds = tmp_path / "ds"
    r = run(*inversion_args(base_model_dir, clap_dir, clips, plain, ds, 1, "--llm-url", server, "--llm-model", "good:inv"))
    assert r.exit_code == 0, r.stderr
    [row] = read_jsonl(ds / MANIFEST)
    assert row["output_caption"] == "A dog barks while light rain falls"  # what the local server answers
    assert row["instruction_source"].startswith("llm")
    assert row["negative_captions"] == {"input": "low quality", "output": "low quality, thunder"}


def test_bad_settings_fail_with_one_line_before_touching_the_dataset(tmp_path, base_model_dir, clap_dir, clip_set):
    clips, _, plain = clip_set
    ds = tmp_path / "ds"
    r = run(*inversion_args(base_model_dir, clap_dir, clips, plain, ds, 1))  # no edit columns and no --llm-url
    assert r.exit_code == 2 and "no usable rows" in r.stderr and "Traceback" not in r.stderr
    r = run(*inversion_args(base_model_dir, clap_dir, clips, plain, ds, 1, "--clip-s", 60))
    assert r.exit_code == 2 and "--clip-s" in r.stderr
    assert not ds.exists()


def test_an_unreadable_clip_is_named_and_drawn_no_more(tmp_path, base_model_dir, clap_dir, clip_set):
    clips, captions, _ = clip_set
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x01not really a wave file")
    sf.write(str(tmp_path / "nan.wav"), np.full((44100, 2), np.nan, np.float32), 44100, subtype="FLOAT")  # valid header
    own = tmp_path / "edits.csv"
    phone = next(line for line in captions.read_text().splitlines() if line.startswith("phone-incoming-call.wav"))
    own.write_text("\n".join(["file,caption,output_caption,instruction,negative_caption", phone,
                              f"{tmp_path}/broken.wav,A hum,A hum in the rain,add rain,",
                              f"{tmp_path}/nan.wav,A hiss,A hiss in the rain,add rain,"]) + "\n")
    ds = tmp_path / "ds"
    r = run(*inversion_args(base_model_dir, clap_dir, clips, own, ds, 2, "--max-attempts", 5, "--trials", 1, "--seed", 1))
    assert r.exit_code == 0, r.stderr
    named = sorted(row["clip"] for row in read_jsonl(ds / "rejected.jsonl") if row["reason"] == "unreadable clip")
    assert named == [f"{tmp_path}/broken.wav", f"{tmp_path}/nan.wav"]  # each named once, then out of the pool
    assert [row["sources"] for row in read_jsonl(ds / MANIFEST)] == [["phone-incoming-call.wav"]] * 2
