"""`--planner llm|auto`: plans written by a language model, for what the rules cannot read.

- llm:  the whole instruction goes to the model.
- auto: the rules plan first (engine.planner.make_plan); only a clause they cannot
  read goes to the model, through make_plan's `unread` hook. Their deliberate
  refusals (a value out of range, a reversed region: engine.errors.Refused) never do.

The endpoint is any OpenAI-compatible chat server, named by the environment:
SAO_LLM_URL (the API base), SAO_LLM_MODEL, SAO_LLM_KEY_ENV (the name of the
variable holding the key, default OPENAI_API_KEY; unset: no key is sent) and
SAO_LLM_TIMEOUT (seconds per try, default 30). Nothing is sent anywhere unless
they are set.

The answer is checked against the registry (answer.py) and never runs when
invalid: it goes back to the model once with the reason, and a second invalid
answer is refused. Exit codes: no endpoint, or a server that refuses the request
(wrong URL, model or key): 2; an answer still invalid after the second try: 5; a
server that cannot be reached, stays in error or does not answer in time after
its retries: 6. Answers are cached (cache.py); every step records the model's
name as its planner, and replay reads the recorded plan, never the model.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ..errors import NeedsModel, NotUnderstood, UsageError
from ..plan import EditPlan, Step
from . import cache, prompt
from .answer import Invalid, read_answer
from .client import ChatClient, LLMConfig, LLMFailed, Unreachable

PLANNERS = ("rules", "llm", "auto")
ENV_URL, ENV_MODEL, ENV_KEY_ENV, ENV_TIMEOUT = "SAO_LLM_URL", "SAO_LLM_MODEL", "SAO_LLM_KEY_ENV", "SAO_LLM_TIMEOUT"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
TIMEOUT_S = 30.0
RETRIES = 2  # further tries after a time-out, a 429 or a 5xx, with back-off
_OFFLINE_HINT = "`--planner rules` (the default) plans without a language model."


def config_from_env(kind: str) -> LLMConfig:
    """The endpoint the environment names; a usage error (exit 2) when it names none."""
    url, model = os.environ.get(ENV_URL, "").strip(), os.environ.get(ENV_MODEL, "").strip()
    if not url or not model:
        raise UsageError(f"--planner {kind} needs a language model: set {ENV_URL} (an OpenAI-compatible API base, "
                         f"e.g. http://localhost:8080/v1) and {ENV_MODEL}", hint=_OFFLINE_HINT)
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{ENV_URL} must start with http:// or https:// (got {url!r})")
    try:
        timeout_s = float(os.environ.get(ENV_TIMEOUT) or TIMEOUT_S)
    except ValueError:
        timeout_s = 0.0
    if not 0 < timeout_s < float("inf"):
        raise UsageError(f"{ENV_TIMEOUT} must be a positive number of seconds (got {os.environ.get(ENV_TIMEOUT)!r})")
    key = os.environ.get(os.environ.get(ENV_KEY_ENV) or DEFAULT_KEY_ENV) or None
    return LLMConfig(url, model, key, timeout_s, RETRIES, temperature=0.0)


def planner_for(kind: str, use_cache: bool = True) -> Callable[[str], EditPlan]:
    """The plan function of `--planner llm` or `--planner auto`."""
    from ..planner import make_plan

    llm = LanguagePlanner(ChatClient(config_from_env(kind)), use_cache)
    if kind == "llm":
        return llm.plan
    return lambda instruction: make_plan(instruction, unread=llm.unread)


class LanguagePlanner:
    def __init__(self, client: ChatClient, use_cache: bool = True):
        self.client, self.use_cache = client, use_cache

    @property
    def model(self) -> str:
        return self.client.config.model

    def plan(self, instruction: str) -> EditPlan:
        """The whole instruction's plan (`--planner llm`); NotUnderstood when the model finds no edit in it."""
        steps = self.steps(instruction)
        if not steps:
            raise NotUnderstood(f'the language model {self.model} found no edit in "{instruction.strip()}"', hint=_OFFLINE_HINT)
        return EditPlan(instruction, steps)

    def unread(self, words: str) -> list[Step] | None:
        """The steps of a clause the rules could not read (`--planner auto`); None, for no edit, lets the rules decide."""
        return self.steps(words) or None

    def steps(self, words: str) -> list[Step]:
        """The model's validated steps for these words, from the cache when it has them."""
        if not words.strip():
            raise NotUnderstood("could not understand an empty instruction")
        entry = cache.key(words, self.client.config.url, self.model)
        if self.use_cache and (cached := cache.load(entry)) is not None:
            return cached
        steps = self._ask(words)
        if self.use_cache:
            cache.store(entry, words, self.model, steps)
        return steps

    def _ask(self, words: str) -> list[Step]:
        messages, schema = prompt.messages(words), prompt.plan_schema()
        for _ in range(2):
            content = self._chat(messages, schema)
            try:
                return read_answer(content, words, self.model)
            except Invalid as e:
                reason = str(e)
            messages = [*messages, {"role": "assistant", "content": content}, prompt.correction(reason)]
        raise NotUnderstood(f'the language model {self.model} gave no valid plan for "{words.strip()}" ({reason}); nothing was run',
                            hint="Rephrase the request, or run `sao ops` to see what sao can do.")

    def _chat(self, messages: list[dict], schema: dict) -> str:
        hint = f"Start the server or fix {ENV_URL}; {_OFFLINE_HINT}"
        try:
            return self.client.chat(messages, schema=schema)
        except Unreachable as e:
            raise NeedsModel(f"the language-model planner {e.message}", hint=hint) from None
        except LLMFailed as e:
            raise NeedsModel(f"the language-model planner at {self.client.url} did not answer ({e.reason.removeprefix('llm: ')})", hint=hint) from None
