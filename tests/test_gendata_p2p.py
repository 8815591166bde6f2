"""Prompt-to-Prompt gen-data: real injection, the candidate filter, the optimisation loop, and killed runs resuming.

Everything runs the real code on tiny random models built from config (a
stable-audio DiT/VAE/T5 from `init_random`, a ClapModel from
test_eval_metrics.tiny_clap), on one CPU thread. The tiny model's tokenizer is
byte-level, so "a dog barks" and "a cat barks" differ in exactly three tokens.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import signal
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import soundfile as sf
import torch
from cli_helpers import run
from conftest import real_sound
from models_helpers import base_bundle, base_model_dir, one_thread  # noqa: F401  (fixtures)
from test_eval_metrics import tiny_clap

from datagen.attention import CrossAttentionControl, align_tokens
from datagen.bo import STORAGE
from datagen.dataset import MANIFEST, read_jsonl
from datagen.generate import generate
from datagen.llm import ChatClient, LLMConfig
from datagen.p2p import render_pair, token_map
from datagen.quality import (
    Candidate,
    ClapThreshold,
    EditText,
    Judge,
    candidate_search,
    candidate_settings,
)

pytestmark = pytest.mark.usefixtures("one_thread")

SECONDS = 0.5
DOG, CAT, CAT_LOUD = "a dog barks", "a cat barks", "a cat barks loudly"


@pytest.fixture(scope="module")
def clap_dir(tmp_path_factory):
    return tiny_clap(tmp_path_factory.mktemp("clap"))


@pytest.fixture(scope="module")
def clap(clap_dir):
    from engine.metrics.embeddings import ClapEmbedder

    return ClapEmbedder.load(str(clap_dir))


def p2p_run(base_bundle, source, target, steps, frac, delay, weight, cfg=3.0, seed=5):
    control = CrossAttentionControl(token_map(base_bundle, source, target), steps, frac, delay, weight, record=True)
    latents = generate(base_bundle, [source, target], ["low quality", "low quality"], SECONDS, [seed, seed], steps, cfg, control)
    return latents, control


def sdpa_probabilities(attn, hidden, context) -> torch.Tensor:
    """Attention probabilities computed by torch's own SDPA (values = identity), independently of datagen.attention."""
    b, heads = hidden.shape[0], attn.heads
    q = attn.to_q(hidden)
    d = q.shape[-1] // heads
    k = attn.to_k(context)
    kv = k.shape[-1] // d
    q = q.view(b, -1, heads, d).transpose(1, 2)
    k = k.view(b, -1, kv, d).transpose(1, 2).repeat_interleave(heads // kv, dim=1)
    eye = torch.eye(k.shape[2], dtype=q.dtype).expand(b, heads, -1, -1)
    return torch.nn.functional.scaled_dot_product_attention(q, k, eye)


def standalone_cross_attention(base_bundle, caption, steps, cfg=3.0, seed=5) -> list[torch.Tensor]:
    """The input generation on its own (diffusers' SDPA processors): its conditional row's probabilities, per call."""
    seen = []

    def hook(module, args, kwargs, output):
        seen.append(sdpa_probabilities(module, args[0], kwargs["encoder_hidden_states"])[:1])

    handles = [block.attn2.register_forward_hook(hook, with_kwargs=True) for block in base_bundle.dit.transformer_blocks]
    try:
        generate(base_bundle, [caption], ["low quality"], SECONDS, [seed], steps, cfg)
    finally:
        for h in handles:
            h.remove()
    return seen


# ---------------------------------------------------------------- tokens and injection


def test_tokens_align_swaps_in_place_and_keep_insertions_as_their_own():
    # "a dog barks" vs "a cat barks loudly" as byte ids, then </s> (id 1): max_length 24, 2 seconds tokens.
    src, tgt = [*DOG.encode(), 1], [*CAT_LOUD.encode(), 1]
    tokens = align_tokens(src, tgt, 24)
    changed = set(torch.nonzero(tokens.changed).flatten().tolist())
    assert changed == {2, 3, 4} | set(range(11, 18))  # "cat" replaces "dog"; " loudly" is new
    assert tokens.source[2:5].tolist() == [2, 3, 4]  # a swapped word takes the old word's columns
    assert (tokens.source[11:18] == -1).all()  # an inserted one keeps its own
    assert tokens.source[18] == 11  # </s>
    assert tokens.source[19:24].tolist() == list(range(19, 24))  # padding
    assert tokens.source[24:].tolist() == [24, 25]  # seconds_start, seconds_total


def test_injection_is_real_the_output_attends_as_the_input_did(base_bundle):
    steps = 5
    latents, control = p2p_run(base_bundle, DOG, CAT, steps, frac=1.0, delay=0.0, weight=1.0)
    layers = len(base_bundle.dit.transformer_blocks)
    assert [(r.step, r.layer) for r in control.log] == [(s, l) for s in range(steps) for l in range(layers)]
    reference = standalone_cross_attention(base_bundle, DOG, steps)
    assert len(reference) == len(control.log)
    for rec, ref in zip(control.log, reference):
        assert rec.injected
        # Same-length captions: every column is the input's, at every injected layer and step ...
        assert torch.allclose(rec.used, ref, atol=1e-5), (rec.step, rec.layer, (rec.used - ref).abs().max())
        # ... and the output would have attended differently on its own.
        assert (rec.own - rec.used).abs().max() > 1e-4
    free, _ = p2p_run(base_bundle, DOG, CAT, steps, frac=0.0, delay=0.0, weight=1.0)
    assert torch.equal(latents[0], free[0])  # the input generation is untouched
    assert (latents[1] - free[1]).abs().max() > 1e-3  # the output is not


def test_nothing_is_injected_before_the_delay(base_bundle):
    steps, delay = 8, 0.5
    _, control = p2p_run(base_bundle, DOG, CAT, steps, frac=0.5, delay=delay, weight=1.0)
    _, free = p2p_run(base_bundle, DOG, CAT, steps, frac=0.0, delay=0.0, weight=1.0)
    first = int(delay * steps)
    for rec, alone in zip(control.log, free.log):
        if rec.step < first:
            assert not rec.injected and torch.equal(rec.used, rec.own)
            assert torch.equal(rec.own, alone.own)  # the output followed exactly the path it takes with no injection
        else:
            assert rec.injected and torch.equal(rec.used, rec.source)
    assert any(not torch.equal(rec.own, alone.own) for rec, alone in zip(control.log, free.log) if rec.step > first)


def test_lambda_weight_scales_exactly_the_changed_tokens(base_bundle):
    weight = 1.5
    _, control = p2p_run(base_bundle, DOG, CAT_LOUD, 3, frac=1.0, delay=0.0, weight=weight)
    tokens = token_map(base_bundle, DOG, CAT_LOUD)
    mapped = tokens.source >= 0
    swapped, inserted, same = tokens.changed & mapped, tokens.changed & ~mapped, ~tokens.changed
    assert swapped.sum() == 3 and inserted.sum() == 7
    for rec in control.log:
        from_input = rec.source[..., tokens.source.clamp(min=0)]
        assert torch.equal(rec.used[..., swapped], from_input[..., swapped] * weight)
        assert torch.equal(rec.used[..., inserted], rec.own[..., inserted] * weight)
        assert torch.equal(rec.used[..., same], from_input[..., same])


# ---------------------------------------------------------------- the candidate filter


class JudgeHandler(BaseHTTPRequestHandler):
    heard: ClassVar[list] = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        parts = body["messages"][-1]["content"]
        clips = [sf.read(io.BytesIO(base64.b64decode(p["input_audio"]["data"]))) for p in parts if p["type"] == "input_audio"]
        JudgeHandler.heard.append([(x.shape, rate) for x, rate in clips])
        verdict = {"input_matches": True, "output_matches": body["model"] != "deaf", "edit_applied": True}
        reply = json.dumps({"choices": [{"message": {"role": "assistant", "content": json.dumps(verdict)}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


def test_the_judge_hears_both_clips_and_can_drop_a_candidate(clap):
    server = ThreadingHTTPServer(("127.0.0.1", 0), JudgeHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        phone, sr = real_sound("phone-incoming-call")
        chime, _ = real_sound("complete")
        text = EditText("a phone call", "a phone call the bell sound", "add a chime", "low quality", "low quality", "test")
        from datagen.clap_objective import score

        pair = Candidate(1, 4.0, phone, chime, score(clap, phone, chime, sr, text.input_caption, text.output_caption))
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        assert Judge(ChatClient(LLMConfig(url, "fair")))(pair, text, sr) is None
        assert Judge(ChatClient(LLMConfig(url, "deaf")))(pair, text, sr) == "output does not match its caption (judge)"
    finally:
        server.shutdown()
    # Both clips, as 16 kHz mono WAV of their own length.
    [(shape_in, rate_in), (shape_out, rate_out)] = JudgeHandler.heard[0]
    assert rate_in == rate_out == 16000 and len(shape_in) == len(shape_out) == 1
    assert abs(shape_in[0] - phone.shape[1] * 16000 / sr) <= 1 and abs(shape_out[0] - chime.shape[1] * 16000 / sr) <= 1


def test_candidate_search_keeps_the_best_survivor_by_clap(base_bundle, clap):
    text = EditText("a phone call", "a phone call the bell sound", "add a bell", "low quality", "low quality, error", "test")
    settings = candidate_settings(3, n=4)
    assert [c for _, c in settings] == [3.0, 5.0, 7.0, 9.0] and len({s for s, _ in settings}) == 4

    def render(seed, cfg):
        from datagen.clap_objective import score
        from datagen.p2p import SEARCH_LAMBDAS

        a, b = render_pair(base_bundle, text, SECONDS, seed, cfg, 2, SEARCH_LAMBDAS)
        return Candidate(seed, cfg, a, b, score(clap, a, b, base_bundle.sample_rate, text.input_caption, text.output_caption))

    rendered = {s: render(s, c) for s, c in settings}
    weakest = sorted(min(c.scores.clap_in, c.scores.clap_out) for c in rendered.values())  # what the threshold tests
    assert weakest[0] < weakest[-1]  # the tiny models still tell the candidates apart
    keep = ClapThreshold((weakest[1] + weakest[2]) / 2)
    best, dropped = candidate_search(lambda s, c: rendered[s], settings, keep, text, base_bundle.sample_rate)
    survivors = [c for c in rendered.values() if min(c.scores.clap_in, c.scores.clap_out) >= keep.threshold]
    assert len(survivors) == 2 and sum(dropped.values()) == 2
    assert best is max(survivors, key=lambda c: c.scores.clap_in + c.scores.clap_out)
    none, dropped = candidate_search(lambda s, c: rendered[s], settings, ClapThreshold(1.01), text, base_bundle.sample_rate)
    assert none is None and dropped == {"input does not match its caption (CLAP)": 4}


# ---------------------------------------------------------------- the pipeline, its optimisation, and resuming


def captions_file(folder: Path) -> Path:
    path = folder / "captions.csv"
    path.write_text("caption,output_caption,instruction,negative_caption\n"
                    "a phone call,a phone call the bell sound,add a bell ringing,\n"
                    "an alarm clock,an alarm clock camera shutter,add a camera shutter,dialog error\n")
    return path


def p2p_args(base_model_dir, clap_dir, captions, out, trials, *extra):
    return ["gen-data", "p2p", "--captions", captions, "--n", 1, "--out", out, "--model", base_model_dir, "--clap", clap_dir,
            "--seconds", SECONDS, "--candidates", 3, "--search-steps", 3, "--trials", trials, "--bo-steps", 3,
            "--final-steps", 6, "--clap-threshold", -1, "--device", "cpu", *extra]


def study_trials(ds: Path) -> dict[str, list]:
    import optuna

    storage = f"sqlite:///{ds / STORAGE}"
    return {s.study_name: optuna.load_study(study_name=s.study_name, storage=storage).trials
            for s in optuna.get_all_study_summaries(storage)}


def complete(trials) -> list:
    return [t for t in trials if t.state.name == "COMPLETE"]


TRIALS = 10


@pytest.fixture(scope="module")
def finished(tmp_path_factory, base_model_dir, clap_dir):
    """One uninterrupted `sao gen-data p2p` run of one sample: (dataset folder, its captions file)."""
    folder = tmp_path_factory.mktemp("p2p")
    ds, captions = folder / "ds", captions_file(folder)
    r = run(*p2p_args(base_model_dir, clap_dir, captions, ds, TRIALS, "--json"))
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["this_run"]["kept"] == {"p2p": 1}
    return ds, captions


def test_p2p_keeps_the_best_of_the_stated_trials(finished, base_model_dir, clap_dir):
    ds, captions = finished
    [row] = read_jsonl(ds / MANIFEST)
    [(name, trials)] = study_trials(ds).items()
    assert name == f"{row['id']}-a0" and len(complete(trials)) == len(trials) == TRIALS
    best = max(trials, key=lambda t: t.value)
    assert row["scores"]["bo_best"] == pytest.approx(best.value, abs=1e-6)
    p = row["params"]
    for key in ("lambda_frac", "lambda_delay", "lambda_weight"):
        assert p[key] == pytest.approx(best.user_attrs["params"][key], abs=1e-4)
    assert 0.3 <= p["lambda_frac"] <= 0.9 and 0 <= p["lambda_delay"] <= 0.6 and 1 <= p["lambda_weight"] <= 1.8
    assert all(t.user_attrs["params"]["lambda_frac"] + t.user_attrs["params"]["lambda_delay"] <= 1 for t in trials)
    assert 3 <= p["cfg"] <= 9 and p["steps"] == 6 and row["pipeline"] == "p2p" and row["task"] is None
    assert row["base_model"]["name"] == base_model_dir.name and row["clap"]["name"] == str(clap_dir)
    assert row["clap"]["sha256"] == hashlib.sha256((clap_dir / "model.safetensors").read_bytes()).hexdigest()
    assert row["base_model"]["sha256"] == hashlib.sha256(b"".join(
        (base_model_dir / f"{n}.safetensors").read_bytes() for n in ("dit", "vae", "projection"))).hexdigest()
    assert row["output_caption"] in ("a phone call the bell sound", "an alarm clock camera shutter")
    x, sr = sf.read(str(ds / row["input"]), always_2d=True)
    y, _ = sf.read(str(ds / row["output"]), always_2d=True)
    assert sr == 44100 and x.shape == y.shape == (round(SECONDS * sr), 2)
    assert max(np.abs(x).max(), np.abs(y).max()) <= 10 ** (-1 / 20) + 1e-4 and np.abs(x).max() > 0.01
    assert np.abs(x - y).max() > 1e-3  # the edit changed the audio
    again = run(*p2p_args(base_model_dir, clap_dir, captions, ds, TRIALS, "--json"))
    assert again.exit_code == 0 and json.loads(again.stdout)["this_run"]["kept"] == {}


def test_a_killed_run_resumes_its_study_where_it_stopped(tmp_path, finished, base_model_dir, clap_dir):
    clean, captions = finished
    killed = tmp_path / "killed"
    args = p2p_args(base_model_dir, clap_dir, captions, killed, TRIALS)
    # The run is a forked copy of this process (torch and transformers already imported, which a fresh
    # interpreter takes ~20 s to do here), killed with SIGKILL once its study has three finished trials.
    pid = os.fork()
    if pid == 0:
        try:
            run(*args)
        finally:
            os._exit(0)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and os.waitpid(pid, os.WNOHANG) == (0, 0):
            if (killed / STORAGE).exists():
                with sqlite3.connect(killed / STORAGE, timeout=10) as db:
                    try:
                        if db.execute("SELECT count(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0] >= 3:
                            break
                    except sqlite3.OperationalError:  # tables not made yet
                        pass
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)  # fails if the run ended by itself, before it could be killed
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    before = {t.number: t for t in complete(next(iter(study_trials(killed).values())))}
    assert 3 <= len(before) < TRIALS and read_jsonl(killed / MANIFEST) == []

    r = run(*p2p_args(base_model_dir, clap_dir, captions, killed, TRIALS))
    assert r.exit_code == 0, r.stderr
    after = next(iter(study_trials(killed).values()))
    assert len(complete(after)) == TRIALS and sum(t.state.name == "FAIL" for t in after) <= 1
    for t in after:  # the trials made before the kill were kept, not run again
        if t.number in before:
            assert t.params == before[t.number].params and t.value == before[t.number].value
    # The resumed study asked for the same parameters as one that was never killed, and kept the same sample.
    assert [t.params for t in complete(after)] == [t.params for t in complete(next(iter(study_trials(clean).values())))]
    [resumed], [reference] = read_jsonl(killed / MANIFEST), read_jsonl(clean / MANIFEST)
    assert resumed["params"] == reference["params"] and resumed["scores"] == reference["scores"]
    assert (killed / resumed["output"]).read_bytes() == (clean / reference["output"]).read_bytes()
