"""`sao edit --engine neural --model DIR` end to end with a tiny random SAO-Instruct model.

The CLI runs in-process (CliRunner) so the model's imports are paid once; each
edit loads the model folder afresh, as a real call does. Clips are short and
step counts low: what is measured (lengths, rates, bytes, levels, which shapes
reach the DiT) does not depend on either.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf
import torch
from cli_helpers import run
from conftest import SR, real_sound, tone, write
from models_helpers import isolated_env, one_thread, tiny_model  # noqa: F401  (fixtures)

from engine.measure import correlation, lufs, peak_db, rms_db

pytestmark = pytest.mark.usefixtures("one_thread")


def changed(a: np.ndarray, b: np.ndarray) -> bool:
    """A difference far above float rounding (about -140 dB), which is all a repeated run could show.

    A random tiny model barely listens to its text, and its output follows the
    input latent more than the noise: another instruction or guidance scale moves
    it by about -60 dB, another seed by about -20 dB.
    """
    return rms_db(a - b) > rms_db(b) - 100


def edit(src, out, *args, instruction="add a large hall reverb"):
    r = run("edit", src, instruction, "--engine", "neural", "-o", out, "--steps", "8", *map(str, args))
    assert r.exit_code == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A real recording (about 1.1 s, 44.1 kHz stereo) as 16-bit WAV."""
    x, sr = real_sound("complete")
    return write(tmp_path_factory.mktemp("clip") / "complete.wav", x, sr)


def test_length_rate_channels_and_loudness_are_kept(tiny_model, clip, tmp_path):
    """With --match-loudness the result has the input's loudness (the behaviour before issue 16)."""
    from engine.ops.pitch import resample_to

    x, _ = sf.read(clip, dtype="float32", always_2d=True)
    mono = resample_to(x.T.mean(axis=0, keepdims=True), SR, 22050)[:, :-7]  # an odd length at another rate
    src = write(tmp_path / "mono.wav", mono, 22050, subtype="PCM_24")
    for path, channels, rate in ((src, 1, 22050), (clip, 2, SR)):
        out = tmp_path / f"out{channels}.wav"
        edit(path, out, "--model", tiny_model, "--seed", "1", "--match-loudness")
        info, before = sf.info(str(out)), sf.info(str(path))
        assert (info.frames, info.samplerate, info.channels, info.subtype) == (before.frames, rate, channels, before.subtype)
        y, _ = sf.read(out, dtype="float32", always_2d=True)
        x_in, _ = sf.read(path, dtype="float32", always_2d=True)
        assert abs(correlation(y[:, 0], x_in[:, 0])) < 0.9  # it was edited
        assert lufs(y.T, rate) == pytest.approx(lufs(x_in.T, rate), abs=0.5)  # at the input's loudness
    assert json.loads((tmp_path / "out2.wav.sao.json").read_text())["steps"][0]["settings"]["loudness"] == "match"


def test_by_default_the_model_level_is_kept(tiny_model, clip, tmp_path):
    """Without --match-loudness the result is the model's output as it came: the matched one differs by one gain."""
    edit(clip, tmp_path / "model.wav", "--model", tiny_model, "--seed", "2", "--bits", "32")
    edit(clip, tmp_path / "match.wav", "--model", tiny_model, "--seed", "2", "--bits", "32", "--match-loudness")
    kept, matched = (sf.read(tmp_path / f"{n}.wav", dtype="float64")[0] for n in ("model", "match"))
    x = sf.read(clip, dtype="float64")[0]
    gain = np.sum(kept * matched) / np.sum(matched * matched)
    assert np.abs(kept - gain * matched).max() < 1e-5 * np.abs(kept).max()  # the same samples, scaled
    assert abs(20 * np.log10(gain)) > 1  # the tiny random model does not keep the input's level...
    assert abs(lufs(kept.T, SR) - lufs(x.T, SR)) > 1  # ...and the default leaves it so
    assert json.loads((tmp_path / "model.wav.sao.json").read_text())["steps"][0]["settings"]["loudness"] == "model"


def test_a_seed_repeats_an_edit_byte_for_byte(tiny_model, clip, tmp_path):
    first = edit(clip, tmp_path / "a.wav", "--model", tiny_model)  # no --seed: one is drawn and printed
    seed = int(first.stderr.split("seed ", 1)[1].split()[0])
    side = json.loads((tmp_path / "a.wav.sao.json").read_text())["steps"][0]
    assert side["seed"] == seed
    assert side["model"]["name"] == "sao-tiny" and len(side["model"]["sha256"]) == 64
    assert side["settings"] == {"steps": 8, "cfg": 5.0, "strength": 4.0, "device": "cpu", "precision": "fp32",
                                "noise": 2, "loudness": "model"}
    edit(clip, tmp_path / "b.wav", "--model", tiny_model, "--seed", seed)
    assert (tmp_path / "b.wav").read_bytes() == (tmp_path / "a.wav").read_bytes()
    r = run("replay", tmp_path / "a.wav.sao.json", "-o", tmp_path / "replayed.wav")  # the recorded model, settings and seed
    assert r.exit_code == 0 and "identical" in r.stderr, r.stderr
    assert (tmp_path / "replayed.wav").read_bytes() == (tmp_path / "a.wav").read_bytes()
    a = sf.read(tmp_path / "a.wav", dtype="float32")[0]
    edit(clip, tmp_path / "c.wav", "--model", tiny_model, "--seed", seed + 1)
    assert changed(sf.read(tmp_path / "c.wav", dtype="float32")[0], a)
    for instruction in ("add a large hall reverb", "remove the birds"):
        edit(clip, tmp_path / "f.wav", "--model", tiny_model, "--seed", seed, "--bits", "32", "--force", instruction=instruction)
        os.replace(tmp_path / "f.wav", tmp_path / f"{instruction}.wav")
    same, other = (sf.read(tmp_path / f"{i}.wav", dtype="float32")[0] for i in ("add a large hall reverb", "remove the birds"))
    assert changed(other, same)


def test_guidance_scale_changes_the_edit(tiny_model, clip, tmp_path):
    for cfg in ("1", "5"):
        edit(clip, tmp_path / f"cfg{cfg}.wav", "--model", tiny_model, "--seed", "3", "--cfg", cfg, "--bits", "32")
    y1, y5 = (sf.read(tmp_path / f"cfg{c}.wav", dtype="float32")[0] for c in ("1", "5"))
    assert changed(y5, y1)


def test_strength_near_zero_returns_the_vae_round_trip(tiny_model, clip, tmp_path):
    from engine.neural.loader import load_bundle

    out = tmp_path / "weak.wav"
    edit(clip, out, "--model", tiny_model, "--strength", "0.001", "--bits", "32")
    x, _ = sf.read(clip, dtype="float32", always_2d=True)
    y, _ = sf.read(out, dtype="float32", always_2d=True)
    bundle = load_bundle(tiny_model, text_encoder=False)
    round_trip = bundle.vae_decode(bundle.vae_encode(torch.from_numpy(x.T[None]))).numpy()[0][:, : x.shape[0]]
    for ch in range(2):
        assert correlation(y[:, ch], round_trip[ch]) > 0.999
        assert correlation(y[:, ch], x[:, ch]) < 0.99  # the random VAE is no identity: this is its round trip
    assert lufs(y.T, SR) == pytest.approx(lufs(round_trip, SR), abs=0.1)  # at the model's level, not re-levelled


def test_short_clips_are_sized_to_their_length_and_attention_is_sdpa(tiny_model, tmp_path, monkeypatch):
    """A 1 s clip reaches the DiT as 22 latent frames, not the 1024 of the 47 s window."""
    from diffusers import StableAudioDiTModel

    frames, sdpa = [], []
    forward, attention = StableAudioDiTModel.forward, torch.nn.functional.scaled_dot_product_attention

    def spy_forward(self, hidden_states, *args, **kwargs):
        frames.append(tuple(hidden_states.shape))
        return forward(self, hidden_states, *args, **kwargs)

    def spy_attention(*args, **kwargs):
        sdpa.append(1)
        return attention(*args, **kwargs)

    monkeypatch.setattr(StableAudioDiTModel, "forward", spy_forward)
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", spy_attention)
    src = write(tmp_path / "one.wav", tone(330, seconds=1.0))
    edit(src, tmp_path / "o.wav", "--model", tiny_model, "--seed", "1")
    assert frames == [(2, 8, 22)] * 8  # cond + uncond, noisy + input latent (2 x 4 channels), ceil(44100 / 2048) frames
    assert len(sdpa) >= 8 * 2 * 2  # every step: two layers, self- and cross-attention, through SDPA


def test_loud_input_is_never_clipped(tiny_model, tmp_path):
    """A loud sine's loudness, matched by a noisier edit, would peak above full scale."""
    src = write(tmp_path / "loud.wav", tone(220, seconds=1.0, amp=0.99), subtype="FLOAT")
    out = tmp_path / "o.wav"
    edit(src, out, "--model", tiny_model, "--seed", "1")
    y, _ = sf.read(out, dtype="float32")
    assert peak_db(y.T) <= -0.1 + 1e-4  # a float file: the writer limits nothing, the editor kept it there


def test_level_instructions_are_told_apart():
    from engine.neural.editor import asks_for_level_change

    for text in ("make it louder", "turn it down a bit", "raise it by 3 dB", "fade out the ending", "make the hiss softer"):
        assert asks_for_level_change(text), text
    for text in ("remove the dog barking", "add a soft pad", "make it sound like a telephone", "add birdsong"):
        assert not asks_for_level_change(text), text


def test_no_model_exits_6_and_says_how_to_get_one(tmp_path, wav, monkeypatch):
    for key, value in isolated_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SAO_MODEL", raising=False)
    r = run("edit", wav, "remove the dog barking", "-o", tmp_path / "o.wav")
    assert r.exit_code == 6
    for words in ("needs the SAO-Instruct model", "sao models pull sao-instruct", "--model", "SAO_MODEL"):
        assert words in r.stderr, r.stderr
    assert not (tmp_path / "o.wav").exists()


@pytest.mark.parametrize("flags, words", [
    (["--device", "cuda"], "--device cuda"),
    (["--strength", "0"], "--strength"),
    (["--strength", "900"], "--strength"),
    (["--window", "0.5"], "--window"),
])
def test_bad_neural_settings_exit_2(tiny_model, wav, tmp_path, flags, words):
    if flags[:2] == ["--device", "cuda"] and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    r = run("edit", wav, "add birdsong", "--engine", "neural", "--model", tiny_model, "-o", tmp_path / "o.wav", *flags)
    assert r.exit_code == 2 and words in r.stderr, r.stderr
    assert not (tmp_path / "o.wav").exists()


def test_out_of_memory_becomes_a_clear_error():
    from engine.neural.editor import DeviceOutOfMemory, out_of_memory_hint

    for error in (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
                  RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9 GB")):
        with pytest.raises(DeviceOutOfMemory) as caught, out_of_memory_hint("cpu", "editing 8 x 47.6 s"):
            raise error
        assert caught.value.code == 1 and "ran out of memory editing 8 x 47.6 s" in caught.value.message
        assert "--batch-size" in caught.value.hint and "--window" in caught.value.hint
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"), out_of_memory_hint("cpu", "editing"):
        raise RuntimeError("shapes cannot be multiplied")  # other errors pass through as they are
