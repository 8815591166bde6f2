"""A client for any OpenAI-compatible chat-completions endpoint, shared by gen-data and the planner.

Works with a local llama.cpp server, vLLM or ollama (`http://localhost:8080/v1`),
or a hosted API. Every exchange has a time limit; what is worth another try (a
time-out, a 429, a 5xx, a server not listening) is retried with back-off. A server
that refuses the request (another 4xx: wrong URL, model or key) is a usage error,
since every later request would fail the same way. JSON is asked for with the
server's schema support where there is one, else its JSON mode, else the prompt
alone: a 400 to one form makes the client drop to the next.

The key, if any, goes only in the Authorization header: never in a message, an
error, a file or the config's repr.

Pitfall: `timeout_s` bounds each socket wait and the reading of the reply, so one
try takes at most about twice `timeout_s`; `retries` more tries may follow.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from ..errors import UsageError

T = TypeVar("T")

SYSTEM = "Reply with one JSON object and nothing else."
HINT = "Start it (llama.cpp, vLLM, ollama) or fix the URL (--llm-url, SAO_LLM_URL)."


@dataclass(frozen=True)
class LLMConfig:
    url: str  # the API base, e.g. http://localhost:8080/v1 (or the full .../chat/completions)
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    retries: int = 2  # further tries after the first
    temperature: float = 0.8


class LLMFailed(Exception):
    """No valid reply after every retry; `reason` says why (and is what gen-data counts)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Retry(Exception):
    """A failure worth trying again; `reason` is what is counted if it persists."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Unreachable(UsageError):
    """Nothing answered at the URL after every retry (connection refused, no such host)."""


class ServerRefused(UsageError):
    """The server answered a 4xx other than 429: the URL, model or key is wrong."""


def endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def backoff_s(attempt: int) -> float:
    """Seconds to wait before try `attempt` (1, 2, ...): 0.5, 1, 2, ... at most 8."""
    return min(0.5 * 2 ** (attempt - 1), 8.0)


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


class ChatClient:
    system = SYSTEM  # the system message of `ask`; gen-data's client sets its own

    def __init__(self, config: LLMConfig, sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.url = endpoint(config.url)
        self.sleep = sleep
        self.stats: Counter = Counter()  # requests, retries, and each failure reason
        self._dropped_formats = 0  # response_format forms this server refused (400), first ones first

    def complete(self, messages: list[dict], seed: int | None = None, schema: dict | None = None) -> str:
        """One exchange: the reply's text; raises Retry for what is worth another try."""
        formats: list[dict | None] = [{"type": "json_object"}, None]
        if schema is not None:
            formats.insert(0, {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}})
        while True:
            response_format = formats[min(self._dropped_formats, len(formats) - 1)]
            try:
                return self._post(messages, seed, response_format)
            except urllib.error.HTTPError as e:
                if e.code == 400 and response_format is not None:
                    self._dropped_formats += 1  # no schema or JSON mode here: ask in the next form
                    continue
                detail = e.read()[:200].decode("utf-8", "replace").strip()
                raise ServerRefused(f"the LLM server at {self.url} refused the request: HTTP {e.code} {detail}",
                                    hint="Check the URL (the API base, e.g. http://localhost:8080/v1), the model name and the key variable.") from None

    def _post(self, messages: list[dict], seed: int | None, response_format: dict | None) -> str:
        body = {"model": self.config.model, "messages": messages, "temperature": self.config.temperature}
        if response_format is not None:
            body["response_format"] = response_format
        if seed is not None:
            body["seed"] = seed
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        request = urllib.request.Request(self.url, json.dumps(body).encode("utf-8"), headers, method="POST")
        self.stats["requests"] += 1
        deadline = time.monotonic() + self.config.timeout_s
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
                chunks = []
                while chunk := response.read(1 << 16):  # a server trickling bytes is cut off at the deadline
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise TimeoutError
                if response.length:  # fewer bytes than the server announced
                    raise Retry("llm: connection lost (the reply was cut short)")
                raw = b"".join(chunks)
        except urllib.error.HTTPError as e:
            if e.code == 429 or e.code >= 500:
                raise Retry(f"llm: HTTP {e.code}") from None
            raise
        except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
            raise Retry("llm: time-out") from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, TimeoutError):
                raise Retry("llm: time-out") from None
            raise Retry(f"llm: unreachable ({e.reason})") from None
        except (OSError, http.client.HTTPException) as e:  # reset, or closed mid-reply
            raise Retry(f"llm: connection lost ({type(e).__name__})") from None
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise Retry("llm: not a chat-completions reply")
        return content

    def chat(self, messages: list[dict], seed: int | None = None, schema: dict | None = None) -> str:
        """The reply's text, retrying the server's failures with back-off.

        Raises Unreachable when nothing answers, LLMFailed when the server stays in error
        or silent, ServerRefused (a usage error) when it refuses the request."""
        return self._retrying(lambda: self.complete(messages, seed, schema))

    def ask(self, prompt: str | list, validate: Callable[[dict], dict], seed: int | None = None) -> dict:
        """One validated JSON reply to a user message, retrying bad replies as well as the
        server's failures (gen-data's way); raises LLMFailed when they stay bad."""
        messages = [{"role": "system", "content": self.system}, {"role": "user", "content": prompt}]
        return self._retrying(lambda: validate(parse_reply(self.complete(messages, seed))))

    def _retrying(self, call: Callable[[], T]) -> T:
        """`call` until it raises no Retry, with back-off; the last reason given up on."""
        reason = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                self.stats["retries"] += 1
                self.sleep(backoff_s(attempt))
            try:
                return call()
            except Retry as e:
                reason = e.reason
                self.stats[reason] += 1
        raise self._given_up(reason)

    def _given_up(self, reason: str) -> Exception:
        if reason.startswith("llm: unreachable"):
            return Unreachable(f"cannot reach the LLM server at {self.url} ({reason.split('(', 1)[-1].rstrip(')')})", hint=HINT)
        return LLMFailed(reason)
