"""Instructions from a language model, through any OpenAI-compatible chat endpoint.

The client is the engine's (engine.llm.client: time limits, retries with back-off,
JSON mode); this module holds gen-data's prompts and checks. Works with a local
llama.cpp server, vLLM or ollama (`--llm-url http://localhost:8080/v1`), or a hosted
API; the key, if any, comes from an environment variable. Replies must be one JSON
object; each is parsed and validated, and an invalid reply, a time-out, a 429 or a
5xx is retried with back-off. A sample whose replies stay bad is skipped and
counted, not fatal; a server that cannot be reached, or that refuses the request
(other 4xx: wrong URL, model or key), stops the run with a usage error, since
every later sample would fail the same way (a rerun resumes where it stopped).
"""

from __future__ import annotations

import json
import re
from typing import Callable

import numpy as np

from engine.llm import client as _client
from engine.llm.client import LLMConfig, LLMFailed, Retry

__all__ = ["ChatClient", "LLMConfig", "LLMFailed", "Retry", "caption_edit", "diversify", "minimise", "phrase_manual", "vary"]

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


class ChatClient(_client.ChatClient):
    """The engine's client, with gen-data's system message."""

    system = SYSTEM


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
