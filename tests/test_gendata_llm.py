"""The LLM client against a real local chat-completions server (this file, run as a process).

`python3 tests/test_gendata_llm.py serve` starts the server and prints its port.
The model name picks its behaviour, `mode:tag`, so each test counts its own
requests: good, fenced, malformed, schema, renumber, flaky (500 then good),
error (always 500), slow (answers after 3 s), auth (401 without the key).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run
from test_gendata_dataset import make_clips

from datagen.dataset import MANIFEST, REJECTED, read_jsonl
from datagen.llm import (
    ChatClient,
    LLMConfig,
    LLMFailed,
    caption_edit,
    diversify,
    phrase_manual,
    vary,
)
from engine.errors import UsageError

KEY = "sekrit"


def reply_for(prompt: str) -> dict:
    """What a well-behaved model answers to each of datagen's prompts."""
    if prompt.startswith("Rewrite"):
        original = re.search(r'"(.*)"', prompt).group(1)
        return {"instruction": f"varied: {original}"}
    if prompt.startswith("Shorten"):
        return {"instruction": "short"}
    if prompt.startswith("The caption"):
        return {"instruction": "add light rain", "output_caption": "A dog barks while light rain falls", "negative_captions": ["thunder"]}
    return {"instruction": "from the model: make it a fifth higher"}


class Handler(BaseHTTPRequestHandler):
    counts: Counter = Counter()
    last: dict = {}
    lock = threading.Lock()

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code: int, payload: dict | str) -> None:
        body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        tag = self.path.rsplit("/", 1)[-1]
        self._send(200, {"requests": self.counts[tag], "last": self.last.get(tag)})

    def do_POST(self):
        if not self.path.endswith("/chat/completions"):
            return self._send(404, {"error": "not found"})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        mode, _, tag = body["model"].partition(":")
        with self.lock:
            self.counts[tag] += 1
            n = self.counts[tag]
            self.last[tag] = {"body": body, "authorization": self.headers.get("Authorization")}
        prompt = body["messages"][-1]["content"]
        content = json.dumps(reply_for(prompt))
        if mode == "fenced":
            content = f"Sure! Here it is:\n```json\n{content}\n```"
        elif mode == "malformed":
            content = '{"instruction": "pitch it up'
        elif mode == "schema":
            content = json.dumps({"text": "wrong key"})
        elif mode == "renumber":
            content = json.dumps({"instruction": "pitch it up 7 semitones"})
        elif mode == "flaky" and n % 2 == 1 or mode == "error":
            return self._send(500, {"error": "overloaded"})
        elif mode == "slow":
            time.sleep(3)
        elif mode == "auth" and self.headers.get("Authorization") != f"Bearer {KEY}":
            return self._send(401, {"error": "invalid api key"})
        self._send(200, {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


def serve() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


@pytest.fixture(scope="module")
def server():
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, __file__, "serve"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


def client(url: str, mode: str, **kw) -> tuple[ChatClient, str]:
    tag = uuid.uuid4().hex[:8]
    return ChatClient(LLMConfig(url, f"{mode}:{tag}", **kw), sleep=lambda s: None), tag


def seen(url: str, tag: str) -> dict:
    with urllib.request.urlopen(url.rsplit("/v1", 1)[0] + f"/stats/{tag}") as r:
        return json.loads(r.read())


def ask(c: ChatClient) -> str:
    return phrase_manual(c, "PITCH", {"semitones": 7}, {"clip": "A dog barks"}, "pitch it up 7 semitones", seed=11)


def test_a_good_reply_is_parsed_and_the_request_is_well_formed(server):
    c, tag = client(server, "good", api_key=KEY)
    assert ask(c) == "from the model: make it a fifth higher"
    s = seen(server, tag)
    assert s["requests"] == 1 and s["last"]["authorization"] == f"Bearer {KEY}"
    body = s["last"]["body"]
    assert body["response_format"] == {"type": "json_object"} and body["seed"] == 11
    assert body["messages"][0]["role"] == "system" and '"semitones": 7' in body["messages"][1]["content"]
    assert caption_edit(c, "A dog barks") == {"instruction": "add light rain", "output_caption": "A dog barks while light rain falls",
                                              "negative_captions": ["thunder"]}


def test_a_fenced_reply_with_chatter_is_still_read(server):
    c, tag = client(server, "fenced")
    assert ask(c) == "from the model: make it a fifth higher"
    assert seen(server, tag)["last"]["authorization"] is None  # no key, no header


@pytest.mark.parametrize("mode,reason", [("malformed", "invalid JSON"), ("schema", "lacks 'instruction'"), ("error", "HTTP 500")])
def test_bad_replies_are_retried_then_given_up(server, mode, reason):
    c, tag = client(server, mode, retries=2)
    with pytest.raises(LLMFailed, match=re.escape(reason)):
        ask(c)
    assert seen(server, tag)["requests"] == 3 and c.stats["retries"] == 2


def test_a_500_then_a_good_reply_succeeds_on_retry(server):
    c, tag = client(server, "flaky")
    assert ask(c) == "from the model: make it a fifth higher"
    assert seen(server, tag)["requests"] == 2 and c.stats["llm: HTTP 500"] == 1


def test_a_slow_server_times_out_and_is_retried(server):
    c, _ = client(server, "slow", timeout_s=0.4, retries=1)
    started = time.monotonic()
    with pytest.raises(LLMFailed, match="time-out"):
        ask(c)
    assert time.monotonic() - started < 2.5  # two waits of 0.4 s, not the server's 3 s each
    assert c.stats["llm: time-out"] == 2


def test_a_refused_key_or_an_unreachable_server_stops_the_run(server):
    c, _ = client(server, "auth")
    with pytest.raises(UsageError, match="HTTP 401"):
        ask(c)
    c, _ = client("http://127.0.0.1:9/v1", "good", retries=1)  # the discard port: nothing listens
    with pytest.raises(UsageError, match="cannot reach"):
        ask(c)


def test_a_rewrite_may_not_change_a_number(server):
    c, _ = client(server, "renumber", retries=0)
    with pytest.raises(LLMFailed, match="changed a number"):
        vary(c, "pitch it up 3 semitones")
    assert vary(c, "pitch it up 7 semitones by 7") == "pitch it up 7 semitones"


def test_diversify_applies_variation_then_minimisation_half_the_time_each(server):
    c, _ = client(server, "good")
    passes = Counter()
    for seed in range(40):
        text, applied = diversify(c, "raise the pitch by 3 semitones", np.random.default_rng(seed))
        passes[tuple(applied)] += 1
        if "minimisation" in applied:
            assert text == "short"
        elif "variation" in applied:
            assert text == "varied: raise the pitch by 3 semitones"
        else:
            assert text == "raise the pitch by 3 semitones"
    assert set(passes) == {(), ("variation",), ("minimisation",), ("variation", "minimisation")}
    assert all(4 <= n <= 18 for n in passes.values())  # about 10 of 40 each


@pytest.fixture(scope="module")
def clip_set(tmp_path_factory):
    return make_clips(tmp_path_factory.mktemp("clips"))


def test_the_manual_pipeline_takes_its_instructions_from_the_llm(server, tmp_path, clip_set):
    clips, captions = clip_set
    ds = tmp_path / "ds"
    r = run("gen-data", "manual", "--clips", clips, "--captions", captions, "--n", 6, "--out", ds, "--tasks", "PITCH,LOOP",
            "--llm-url", server, "--llm-model", "good:pipeline")
    assert r.exit_code == 0, r.stderr
    rows = read_jsonl(ds / MANIFEST)
    assert len(rows) == 6
    for row in rows:
        assert row["instruction_source"].startswith("llm")
        assert row["instruction"] in ("from the model: make it a fifth higher", "varied: from the model: make it a fifth higher", "short")


def test_invalid_llm_replies_are_skipped_and_counted(server, tmp_path, clip_set):
    clips, captions = clip_set
    ds = tmp_path / "ds"
    r = run("gen-data", "manual", "--clips", clips, "--captions", captions, "--n", 2, "--out", ds, "--tasks", "PITCH",
            "--max-attempts", 2, "--llm-url", server, "--llm-model", "malformed:pipeline", "--llm-retries", 0)
    assert r.exit_code == 0, r.stderr
    assert not read_jsonl(ds / MANIFEST)
    reasons = Counter(row["reason"] for row in read_jsonl(ds / REJECTED))
    assert reasons["llm: invalid JSON"] >= 3  # two slots, two attempts each (a short clip may take one)
    assert "rejected: llm: invalid JSON" in r.stdout and "given up" in r.stderr


if __name__ == "__main__":
    serve()
