"""`--planner llm|auto` against a real local chat-completions server (this file, run as a process).

`python3 tests/test_planner_llm.py serve` starts the server and prints its port.
The model name picks the canned answer, `mode:tag`, so each test counts its own
requests (GET /stats/<tag>): good (gain -6 dB), mix (add the file the request
names), badop, range, nonjson, path (a file the user never named), fixable (bad,
then good), empty (no steps), slow (5 s), error (always 500), cut (hangs up
mid-reply), noschema (400 to a JSON schema, like a server without schema support).
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
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run, sao
from conftest import real_sound, write

from engine.errors import UsageError
from engine.llm.answer import Invalid, read_answer
from engine.measure import rms_db
from engine.plan import EditPlan

KEY = "sekrit-0123456789"
GOOD = {"op": "gain", "params": {"db": -6}, "region": None}
CANNED = {
    "badop": {"steps": [{"op": "frobnicate", "params": {}, "region": None, "text": "x"}]},
    "range": {"steps": [{"op": "gain", "params": {"db": 500}, "region": None, "text": "x"}]},
    "path": {"steps": [{"op": "add", "params": {"path": "/etc/hostname", "at_s": 0}, "region": None, "text": "x"}]},
    "empty": {"steps": []},
}


def answer(mode: str, request: str, n: int, body: dict) -> tuple[int, str]:
    """(HTTP status, the assistant's content) for the n-th request of a tag."""
    if mode == "error":
        return 500, ""
    if mode == "noschema" and body.get("response_format", {}).get("type") == "json_schema":
        return 400, ""
    if mode == "slow":
        time.sleep(5)
    if mode == "nonjson":
        return 200, "Sure! I would make it a little quieter."
    if mode in CANNED:
        return 200, json.dumps(CANNED[mode])
    if mode == "fixable" and n == 1:
        return 200, json.dumps(CANNED["badop"])
    if mode == "mix":
        name = re.search(r"\S+\.wav", request).group(0)
        return 200, json.dumps({"steps": [{"op": "add", "params": {"path": name, "at_s": 0, "db": -6}, "region": None, "text": request}]})
    return 200, json.dumps({"steps": [dict(GOOD, text=request)]})


class Handler(BaseHTTPRequestHandler):
    seen: dict = defaultdict(list)
    lock = threading.Lock()

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with self.lock:
            self._send(200, {"requests": self.seen[self.path.rsplit("/", 1)[-1]]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        mode, _, tag = body["model"].partition(":")
        with self.lock:
            self.seen[tag].append({"body": body, "authorization": self.headers.get("Authorization")})
            n = len(self.seen[tag])
        prompt = body["messages"][1]["content"]
        if not prompt.startswith("Request: "):  # gen-data's prompts
            content = json.dumps({"instruction": "from the model: pitch it up"})
            return self._send(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})
        if mode == "cut":  # promise more than is sent, then hang up
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"choices": [')
            self.close_connection = True
            return
        code, content = answer(mode, json.loads(prompt.removeprefix("Request: ")), n, body)
        if code != 200:
            return self._send(code, {"error": "canned failure"})
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
        yield f"http://127.0.0.1:{int(proc.stdout.readline())}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    """A cache of the test's own, and no endpoint or planner from the caller's environment."""
    monkeypatch.setenv("SAO_CACHE", str(tmp_path / "cache"))
    for name in ("SAO_PLANNER", "SAO_LLM_URL", "SAO_LLM_MODEL", "SAO_LLM_KEY_ENV", "SAO_LLM_TIMEOUT", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def use(monkeypatch, url: str, mode: str, **extra: str) -> str:
    """Point SAO_LLM_* at the server with a fresh tag; returns the tag."""
    tag = uuid.uuid4().hex[:8]
    monkeypatch.setenv("SAO_LLM_URL", url)
    monkeypatch.setenv("SAO_LLM_MODEL", f"{mode}:{tag}")
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    return tag


def seen(url: str, tag: str) -> list[dict]:
    with urllib.request.urlopen(url.rsplit("/v1", 1)[0] + f"/stats/{tag}") as r:
        return json.loads(r.read())["requests"]


@pytest.fixture
def bell(tmp_path):
    x, sr = real_sound("bell")
    return write(tmp_path / "bell.wav", x, sr)


def level_change_db(before: Path, after: Path) -> float:
    x, _ = sf.read(str(before), dtype="float32", always_2d=True)
    y, _ = sf.read(str(after), dtype="float32", always_2d=True)
    assert x.shape == y.shape
    return rms_db(y.T) - rms_db(x.T)


# --- the model's plan runs, and is recorded -------------------------------------------------------


def test_a_good_plan_is_run_and_recorded_with_its_model(server, monkeypatch, tmp_path, bell):
    tag = use(monkeypatch, server, "good")
    out = tmp_path / "out.wav"
    r = run("edit", bell, "give it the hush of a library at night", "--planner", "llm", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert level_change_db(bell, out) == pytest.approx(-6.0, abs=0.05)
    step = json.loads(Path(f"{out}.sao.json").read_text())["steps"][0]["plan"]["steps"][0]
    assert step["op"] == "gain" and step["planner"] == f"good:{tag}" and step["params"]["db"] == -6.0
    [request] = seen(server, tag)
    body = request["body"]
    assert body["temperature"] == 0.0 and body["response_format"]["type"] == "json_schema"
    assert "pitch_shift" in body["response_format"]["json_schema"]["schema"]["properties"]["steps"]["items"]["properties"]["op"]["enum"]
    system = body["messages"][0]["content"]
    assert "gain: Change the level by a number of decibels." in system
    assert "db: number from -96 to 48, default 6" in system and "preset: one of small_room|" in system
    assert request["authorization"] is None  # no key variable set: no header


def test_sao_plan_shows_who_wrote_each_step(server, monkeypatch):
    tag = use(monkeypatch, server, "good", SAO_PLANNER="llm")  # the variable sets the planner
    r = run("plan", "give it the hush of a library", "--json")
    assert r.exit_code == 0, r.stderr
    assert [s["planner"] for s in json.loads(r.stdout)["steps"]] == [f"good:{tag}"]
    r = run("plan", "give it the hush of a library")
    assert r.exit_code == 0 and f"good:{tag}" in r.stdout  # the table's planner column
    assert len(seen(server, tag)) == 1  # the second plan came from the cache


def test_answers_are_cached_until_no_cache_or_the_folder_goes(server, monkeypatch, tmp_path):
    tag = use(monkeypatch, server, "good")
    words = "give it the hush of a library"
    first = run("plan", words, "--planner", "llm", "--json").stdout
    assert run("plan", words, "--planner", "llm", "--json").stdout == first and len(seen(server, tag)) == 1
    entries = list((tmp_path / "cache" / "planner").glob("*.json"))
    assert len(entries) == 1 and json.loads(entries[0].read_text())["words"] == words
    assert run("plan", words, "--planner", "llm", "--no-cache").exit_code == 0 and len(seen(server, tag)) == 2
    run("plan", "other words", "--planner", "llm")
    assert len(seen(server, tag)) == 3  # other words, another entry
    for entry in (tmp_path / "cache" / "planner").iterdir():
        entry.unlink()
    (tmp_path / "cache" / "planner").rmdir()
    assert run("plan", words, "--planner", "llm", "--json").stdout == first and len(seen(server, tag)) == 4


def test_a_file_the_user_named_is_mixed_in(server, monkeypatch, tmp_path, bell):
    longer, sr = real_sound("complete")
    take = write(tmp_path / "take.wav", longer, sr)
    monkeypatch.chdir(tmp_path)
    use(monkeypatch, server, "mix")
    out = tmp_path / "mixed.wav"
    r = run("edit", take, "layer bell.wav quietly over it", "--planner", "llm", "-o", out)
    assert r.exit_code == 0, r.stderr
    x, _ = sf.read(str(take), dtype="float32", always_2d=True)
    y, _ = sf.read(str(out), dtype="float32", always_2d=True)
    b, _ = sf.read(str(bell), dtype="float32", always_2d=True)
    assert y.shape == x.shape and b.shape[1] == x.shape[1]
    added, rest = (y - x)[: len(b)], (y - x)[len(b):]
    assert np.corrcoef(added.ravel(), b.ravel())[0, 1] > 0.999 and np.abs(rest).max() < 1e-4
    assert rms_db(added.T) - rms_db(b.T) == pytest.approx(-6.0, abs=0.1)


def test_the_key_goes_in_the_header_only(server, monkeypatch, tmp_path, bell):
    tag = use(monkeypatch, server, "good", SAO_LLM_KEY_ENV="MY_LLM_KEY", MY_LLM_KEY=KEY, OPENAI_API_KEY="wrong-key")
    out = tmp_path / "out.wav"
    r = run("--verbose", "edit", bell, "give it the hush of a library", "--planner", "llm", "-o", out, "--json")
    assert r.exit_code == 0, r.stderr
    assert seen(server, tag)[0]["authorization"] == f"Bearer {KEY}"
    written = [Path(f"{out}.sao.json"), *(tmp_path / "cache").rglob("*.json")]
    assert len(written) == 2
    for text in [r.stdout, r.stderr, *(p.read_text() for p in written)]:
        assert KEY not in text
    monkeypatch.setenv("SAO_LLM_TIMEOUT", "0.3")
    monkeypatch.setenv("SAO_LLM_MODEL", "error:" + tag)
    r = run("--verbose", "plan", "give it some hush", "--planner", "llm")
    assert r.exit_code == 6 and KEY not in r.stdout + r.stderr


def test_replay_uses_the_recorded_plan_and_never_asks_the_model(server, monkeypatch, tmp_path, bell):
    tag = use(monkeypatch, server, "good")
    out = tmp_path / "out.wav"
    assert run("edit", bell, "give it the hush of a library", "--planner", "llm", "-o", out).exit_code == 0
    monkeypatch.setenv("SAO_LLM_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("SAO_PLANNER", "llm")
    again = tmp_path / "again.wav"
    r = run("replay", Path(f"{out}.sao.json"), "-o", again)
    assert r.exit_code == 0 and "identical" in r.stderr, r.stderr
    assert again.read_bytes() == out.read_bytes() and len(seen(server, tag)) == 1
    step = json.loads(Path(f"{again}.sao.json").read_text())["steps"][0]["plan"]["steps"][0]
    assert step["planner"] == f"good:{tag}"


def test_chain_and_batch_take_the_planner_and_ask_once_per_instruction(server, monkeypatch, tmp_path, bell):
    tag = use(monkeypatch, server, "good")
    out = tmp_path / "chained.wav"
    r = run("chain", bell, "make it 3 dB louder", "frobnicate it", "--planner", "auto", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert level_change_db(bell, out) == pytest.approx(-3.0, abs=0.05)
    assert [json.loads(b["body"]["messages"][1]["content"].removeprefix("Request: ")) for b in seen(server, tag)] == [
        "frobnicate it"]  # the rules read the first instruction themselves
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b"):
        write(folder / f"{name}.wav", *real_sound("bell"))
    r = run("batch", folder, "give the whole thing some hush", "--planner", "llm", "-o", tmp_path / "outs")
    assert r.exit_code == 0, r.stderr
    for name in ("a", "b"):
        assert level_change_db(folder / f"{name}.wav", tmp_path / "outs" / f"{name}.wav") == pytest.approx(-6.0, abs=0.05)
    assert len(seen(server, tag)) == 2  # one more: the batch's instruction, planned once for both files


# --- auto: only what the rules cannot read goes to the model -------------------------------------------


def test_auto_sends_only_the_clause_the_rules_cannot_read(server, monkeypatch, tmp_path, bell):
    tag = use(monkeypatch, server, "good")
    out = tmp_path / "out.wav"
    r = run("edit", bell, "raise the gain by 3 dB, then frobnicate it", "--planner", "auto", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert level_change_db(bell, out) == pytest.approx(3.0 - 6.0, abs=0.05)
    [request] = seen(server, tag)
    assert request["body"]["messages"][1]["content"] == 'Request: "frobnicate it"'
    steps = json.loads(Path(f"{out}.sao.json").read_text())["steps"][0]["plan"]["steps"]
    assert [(s["op"], s["planner"]) for s in steps] == [("gain", "rules"), ("gain", f"good:{tag}")]


def test_auto_asks_nothing_when_the_rules_read_everything_or_refuse(server, monkeypatch):
    tag = use(monkeypatch, server, "good")
    r = run("plan", "trim the first second, then add a small room reverb", "--planner", "auto", "--json")
    assert r.exit_code == 0 and {s["planner"] for s in json.loads(r.stdout)["steps"]} == {"rules"}
    r = run("plan", "pitch it up 200 semitones", "--planner", "auto", "--json")  # refused, or clamped, by the rules
    assert r.exit_code in (0, 5) and "good:" not in r.stdout
    assert seen(server, tag) == []


def test_auto_with_an_answer_of_no_steps_lets_the_rules_decide(server, monkeypatch):
    tag = use(monkeypatch, server, "empty")
    r = run("plan", "raise the gain by 3 dB, then frobnicate it", "--planner", "auto", "--json")
    assert r.exit_code == 0, r.stderr
    plan = json.loads(r.stdout)
    assert [(s["op"], s["planner"]) for s in plan["steps"]] == [("gain", "rules")] and plan["ignored"] == ["frobnicate it"]
    assert len(seen(server, tag)) == 1
    assert run("plan", "frobnicate it", "--planner", "llm").exit_code == 5  # llm alone: no edit found


# --- invalid answers are never run ------------------------------------------------------------------


@pytest.mark.parametrize("mode,reason", [
    ("badop", "unknown operation 'frobnicate'"),
    ("range", "'db' must be between -96 and 48 (got 500)"),
    ("nonjson", "not a JSON object"),
    ("path", "'/etc/hostname' is not named in the request"),
])
def test_an_invalid_answer_is_sent_back_once_then_refused(server, monkeypatch, tmp_path, bell, mode, reason):
    tag = use(monkeypatch, server, mode)
    out = tmp_path / "out.wav"
    r = run("edit", bell, "give it the hush of a library", "--planner", "llm", "-o", out)
    assert r.exit_code == 5 and reason in r.stderr and "nothing was run" in r.stderr
    assert not out.exists() and not list(tmp_path.glob("*.part")) and not (tmp_path / "cache" / "planner").exists()
    first, second = seen(server, tag)
    assert second["body"]["messages"][:2] == first["body"]["messages"]
    assert second["body"]["messages"][-2]["role"] == "assistant" and reason in second["body"]["messages"][-1]["content"]


def test_a_corrected_answer_is_used(server, monkeypatch, tmp_path, bell):
    tag = use(monkeypatch, server, "fixable")
    out = tmp_path / "out.wav"
    assert run("edit", bell, "give it the hush of a library", "--planner", "llm", "-o", out).exit_code == 0
    assert level_change_db(bell, out) == pytest.approx(-6.0, abs=0.05) and len(seen(server, tag)) == 2


def test_a_server_without_schema_support_is_asked_in_json_mode(server, monkeypatch):
    tag = use(monkeypatch, server, "noschema")
    assert run("plan", "give it the hush of a library", "--planner", "llm").exit_code == 0
    assert [b["body"].get("response_format", {}).get("type") for b in seen(server, tag)] == ["json_schema", "json_object"]


# --- a server that is absent, failing or slow: exit 6, never a hang --------------------------------------


@pytest.mark.parametrize("mode,reason", [("error", "HTTP 500"), ("slow", "time-out"), ("cut", "connection lost")])
def test_a_failing_or_slow_server_is_exit_6_after_the_retries(server, monkeypatch, tmp_path, bell, mode, reason):
    tag = use(monkeypatch, server, mode, SAO_LLM_TIMEOUT="0.5")
    out = tmp_path / "out.wav"
    started = time.monotonic()
    r = run("edit", bell, "give it the hush of a library", "--planner", "llm", "-o", out)
    assert r.exit_code == 6 and reason in r.stderr and not out.exists()
    assert time.monotonic() - started < 4.5  # three tries of 0.5 s and back-offs of 0.5 + 1 s, not 3 x 5 s
    assert len(seen(server, tag)) == 3


def test_no_server_or_no_endpoint(monkeypatch, tmp_path, bell):
    monkeypatch.setenv("SAO_LLM_URL", "http://127.0.0.1:9/v1")  # the discard port: nothing listens
    monkeypatch.setenv("SAO_LLM_MODEL", "any")
    r = run("edit", bell, "give it the hush of a library", "--planner", "llm", "-o", tmp_path / "out.wav")
    assert r.exit_code == 6 and "cannot reach" in r.stderr and not (tmp_path / "out.wav").exists()
    monkeypatch.delenv("SAO_LLM_URL")
    r = run("plan", "louder", "--planner", "auto")
    assert r.exit_code == 2 and "SAO_LLM_URL" in r.stderr
    monkeypatch.setenv("SAO_LLM_URL", "localhost:8080")
    assert run("plan", "louder", "--planner", "llm").exit_code == 2


def test_the_rules_path_imports_no_http_code_even_with_an_endpoint_set(tmp_path, bell):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from sao_cli.app import app\n"
        "r = CliRunner().invoke(app, ['plan', 'trim the first second, then frobnicate it'])\n"
        "assert r.exit_code == 0, r.output\n"
        f"r = CliRunner().invoke(app, ['edit', '{bell}', 'make it louder', '-o', '{tmp_path / 'o.wav'}'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in ('urllib.request', 'http.client', 'ssl', 'engine.llm') if m in sys.modules))\n"
    )
    env = dict(os.environ, SAO_LLM_URL="http://127.0.0.1:9/v1", SAO_LLM_MODEL="any")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


# --- the checks themselves, and plans from before the field ---------------------------------------------


@pytest.mark.parametrize("steps,reason", [
    ([{"op": "gain", "params": {"decibels": 3}}], "unknown parameter(s) decibels"),
    ([{"op": "add", "params": {}}], "'path' needs a value"),
    ([{"op": "pitch_shift", "params": {"semitones": "lots"}}], "must be a float"),
    ([{"op": "trim", "params": {"start_s": 3, "end_s": 1}}], "ends (1 s) before it starts (3 s)"),
    ([{"op": "gain", "params": {}, "region": {"start_s": -1, "end_s": -2}}], "region ends"),
    ([{"op": "gain", "params": {}, "region": {"start_s": "soon"}}], "must be a number of seconds"),
    ([{"op": "resample", "params": {"hz": 8000}, "region": {"start_s": 0, "end_s": 1}}], "cannot be limited to a region"),
    ([{"op": "instruct", "params": {}}], "takes one parameter"),
    ([{"params": {}}], 'not an object with an "op"'),
    ({"op": "gain"}, 'no "steps" list'),
])
def test_answers_are_checked_against_the_registry(steps, reason):
    with pytest.raises(Invalid, match=re.escape(reason)):
        read_answer(json.dumps({"steps": steps}), "words", "m")


def test_a_valid_answer_becomes_explicit_steps():
    steps = read_answer('```json\n{"steps": [{"op": "gain", "params": {}, "region": {"start_s": -2, "end_s": null}, "text": "t"},'
                        '{"op": "instruct", "params": {"instruction": "add rain"}, "region": null}]}\n```', "words", "m")
    assert steps[0].params == {"db": 6.0} and steps[0].region.start_s == -2.0 and steps[0].planner == "m"
    assert (steps[1].engine, steps[1].text, steps[1].planner) == ("neural", "words", "m")


def test_plans_without_a_planner_field_still_load():
    plan = EditPlan.from_dict({"instruction": "x", "steps": [{"op": "gain", "params": {"db": 1}, "region": None, "engine": "dsp", "text": "x"}]})
    assert plan.steps[0].planner == "rules" and plan.to_dict()["steps"][0]["planner"] == "rules"
    with pytest.raises(UsageError, match="planner must be a name"):
        EditPlan.from_dict({"steps": [{"op": "gain", "planner": 3}]})


def test_gen_data_takes_its_llm_from_the_same_variables(server, monkeypatch, tmp_path):
    from test_gendata_dataset import make_clips

    from datagen.dataset import MANIFEST, read_jsonl

    clips, captions = make_clips(tmp_path)
    tag = use(monkeypatch, server, "good")
    r = run("gen-data", "manual", "--clips", clips, "--captions", captions, "--n", 1, "--out", tmp_path / "ds", "--tasks", "PITCH",
            "--llm-retries", 0)
    assert r.exit_code == 0, r.stderr
    assert seen(server, tag) and read_jsonl(tmp_path / "ds" / MANIFEST)[0]["instruction_source"].startswith("llm")


if __name__ == "__main__":
    serve()
