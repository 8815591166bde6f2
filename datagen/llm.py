"""Instructions from a language model, through any OpenAI-compatible chat endpoint.

Works with a local llama.cpp server, vLLM or ollama (`--llm-url
http://localhost:8080/v1`), or a hosted API; the key, if any, comes from an
environment variable. Replies must be one JSON object; each is parsed and
validated, and an invalid reply, a time-out, a 429 or a 5xx is retried with
back-off. A sample whose replies stay bad is skipped and counted, not fatal;
a server that cannot be reached, or that refuses the request (other 4xx: wrong
URL, model or key), stops the run with a usage error, since every later sample
would fail the same way (a rerun resumes where it stopped).

Pitfall: `timeout_s` bounds each socket wait, not the whole reply; a server
that keeps trickling bytes can take longer.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np

from engine.errors import UsageError

SYSTEM = (
    "You write training data for an audio editor that edits recordings from plain-English instructions, "
    "the way people type them. Reply with one JSON object and nothing else."
)

TASK_DESCRIPTIONS = {
    "ADD": "mix an extra sound into the recording, at the place given",
    "REPLACE": "replace one sound in the recording with another sound, at the same place",
    "DROP": "remove one sound from the recording, keeping the rest",
    "SWAP": "the recording is one sound followed by another; swap their order",
    "LOOP": "repeat the whole recording so it plays the given number of times in total",
    "PITCH": "shift the pitch by the given number of semitones (positive is higher), keeping the duration",
    "SPEED": "change the tempo by the given factor (above 1 is faster), keeping the pitch",
    "LOW_PASS": "low-pass filter the recording at the given cutoff (it sounds muffled)",
    "HIGH_PASS": "high-pass filter the recording at the given cutoff (it sounds thin)",
    "INPAINT": "part of the recording is silent (the given stretch); fill it in with plausible audio",
    "SUPER_RES": "the recording lost its high frequencies (it was at a low sample rate); restore them",
    "DENOISE": "the recording has a steady background hiss; remove it",
}


@dataclass(frozen=True)
class LLMConfig:
    url: str  # the API base, e.g. http://localhost:8080/v1 (or the full .../chat/completions)
    model: str
    api_key: str | None = None
    timeout_s: float = 60.0
    retries: int = 2  # further tries after the first
    temperature: float = 0.8


class LLMFailed(Exception):
    """No valid reply for this sample after every retry: skip it, and count `reason`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Retry(Exception):
    """A failure worth trying again; `reason` is what is counted if it persists."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def parse_reply(content: str) -> dict:
    """The JSON object in a reply, tolerating a ```json fence or a sentence around it."""
    text = content.strip()
    fence = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.S)
    if fence:
        text = fence.group(1)
    if not text.startswith("{"):
        start, end = text.find("{"), text.rfind("}")
        text = text[start : end + 1] if 0 <= start < end else text
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise Retry("llm: invalid JSON") from None
    if not isinstance(data, dict):
        raise Retry("llm: reply is not a JSON object")
    return data


def _text(data: dict, key: str, longest: int = 300) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise Retry(f"llm: reply lacks '{key}'")
    value = " ".join(value.split())
    if len(value) > longest:
        raise Retry(f"llm: '{key}' too long")
    return value


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


class ChatClient:
    def __init__(self, config: LLMConfig, sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.url = endpoint(config.url)
        self.sleep = sleep
        self.stats: Counter = Counter()  # requests, retries, and each failure reason

    def _post(self, messages: list[dict], seed: int | None) -> str:
        body = {"model": self.config.model, "messages": messages, "temperature": self.config.temperature,
                "response_format": {"type": "json_object"}}
        if seed is not None:
            body["seed"] = seed
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        request = urllib.request.Request(self.url, json.dumps(body).encode("utf-8"), headers, method="POST")
        self.stats["requests"] += 1
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as e:
            if e.code == 429 or e.code >= 500:
                raise Retry(f"llm: HTTP {e.code}") from None
            detail = e.read()[:200].decode("utf-8", "replace").strip()
            raise UsageError(f"the LLM server at {self.url} refused the request: HTTP {e.code} {detail}",
                             hint="Check --llm-url (the API base, e.g. http://localhost:8080/v1), --llm-model and the key variable.") from None
        except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
            raise Retry("llm: time-out") from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, TimeoutError):
                raise Retry("llm: time-out") from None
            raise Retry(f"llm: unreachable ({e.reason})") from None
        try:
            reply = json.loads(raw)
            return reply["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise Retry("llm: not a chat-completions reply") from None

    def ask(self, prompt: str, validate: Callable[[dict], dict], seed: int | None = None) -> dict:
        """One validated JSON reply, retrying bad ones; raises LLMFailed when they stay bad."""
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
        reason = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                self.stats["retries"] += 1
                self.sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
            try:
                return validate(parse_reply(self._post(messages, seed)))
            except Retry as e:
                reason = e.reason
                self.stats[reason] += 1
        if reason.startswith("llm: unreachable"):
            raise UsageError(f"cannot reach the LLM server at {self.url} ({reason.split('(', 1)[-1].rstrip(')')})",
                             hint="Start it (llama.cpp, vLLM, ollama) or fix --llm-url.")
        raise LLMFailed(reason)


def _instruction(data: dict) -> dict:
    return {"instruction": _text(data, "instruction")}


def _caption_edit(data: dict) -> dict:
    negatives = data.get("negative_captions", [])
    if not isinstance(negatives, list) or len(negatives) > 8 or not all(isinstance(n, str) and n.strip() for n in negatives):
        raise Retry("llm: bad 'negative_captions'")
    return {"instruction": _text(data, "instruction"), "output_caption": _text(data, "output_caption"),
            "negative_captions": [" ".join(n.split()) for n in negatives]}


def _keeps_numbers(original: str) -> Callable[[dict], dict]:
    """A rewrite may drop numbers (minimisation does) but must not invent or change them."""

    def check(data: dict) -> dict:
        result = _instruction(data)
        if not _numbers(result["instruction"]) <= _numbers(original):
            raise Retry("llm: rewrite changed a number")
        return result

    return check


def phrase_manual(client: ChatClient, task: str, params: dict, sources: dict[str, str], example: str, seed: int | None = None) -> str:
    """An instruction for a manual edit, from its task, parameters and the captions of its sources."""
    shown = {k: v for k, v in params.items() if k not in ("gain_db", "db", "length_s", "snr_db", "noise_std")}
    lines = "\n".join(f"- {role}: {caption}" for role, caption in sources.items())
    prompt = (
        f"Edit: {TASK_DESCRIPTIONS[task]}.\nParameters: {json.dumps(shown)}\nSounds involved (role: caption):\n{lines}\n\n"
        "Write one instruction a user could type to ask for exactly this edit. State the parameters "
        "(naturally: 'a fifth higher', 'half speed', 'at the end' are fine), name sounds by short natural names "
        "taken from their captions, and never mention roles, parameter names or file names.\n"
        f'An example of the kind of instruction wanted: "{example}"\n'
        'Reply as {"instruction": "..."}'
    )
    return client.ask(prompt, _instruction, seed)["instruction"]


def caption_edit(client: ChatClient, caption: str, seed: int | None = None) -> dict:
    """For the model pipelines: an edit of a captioned clip, the edited clip's caption, and what it must not contain."""
    prompt = (
        f'The caption of an audio clip: "{caption}"\n\n'
        "Invent one edit someone might want to make to this audio: add, remove or replace a sound, or change how "
        "a sound is heard (louder, further away, in a bigger room, muffled...). Keep to what is audible and to at "
        "most two distinct sounds in the result.\n"
        'Reply as {"instruction": "the edit, as a user would type it", '
        '"output_caption": "a caption of the edited audio, in the same style", '
        '"negative_captions": ["sounds that must not be heard in the edited audio"]}'
    )
    return client.ask(prompt, _caption_edit, seed)


def vary(client: ChatClient, instruction: str, seed: int | None = None) -> str:
    """The paper's variation pass: other words and structure, same meaning."""
    prompt = (f'Rewrite this audio editing instruction with different words and sentence structure, keeping its meaning '
              f'and every number exactly: "{instruction}"\nReply as {{"instruction": "..."}}')
    return client.ask(prompt, _keeps_numbers(instruction), seed)["instruction"]


def minimise(client: ChatClient, instruction: str, seed: int | None = None) -> str:
    """The paper's minimisation pass: the fewest words a hurried user would type."""
    prompt = (f'Shorten this audio editing instruction to the fewest words a hurried user would type, keeping what is '
              f'to be done: "{instruction}"\nReply as {{"instruction": "..."}}')
    return client.ask(prompt, _keeps_numbers(instruction), seed)["instruction"]


def diversify(client: ChatClient, instruction: str, rng: np.random.Generator, seed: int | None = None) -> tuple[str, list[str]]:
    """Variation, then minimisation, each with probability 0.5; returns the text and the passes applied."""
    passes = []
    if rng.random() < 0.5:
        instruction = vary(client, instruction, seed)
        passes.append("variation")
    if rng.random() < 0.5:
        instruction = minimise(client, instruction, seed)
        passes.append("minimisation")
    return instruction, passes
