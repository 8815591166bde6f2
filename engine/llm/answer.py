"""The model's answer, checked like a rule plan before anything can run it.

Each step must name an operation of the registry (or the audio model's
`instruct`), with parameters the operation validates (known names, types,
ranges, required ones present), a sensible region, and any file path written
verbatim in the user's words. Anything else is rejected with the reason, which
the planner quotes back to the model once; a plan that stays invalid is refused.
"""

from __future__ import annotations

from ..errors import UsageError
from ..plan import Region, Step
from .client import Retry, parse_reply
from .prompt import MODEL_OP


class Invalid(Exception):
    """The answer cannot be run; the message says why, in words the model can act on."""


def read_answer(content: str, words: str, author: str) -> list[Step]:
    """The steps of an answer to `words`, each recording `author` as its planner; raises Invalid."""
    try:
        data = parse_reply(content)
    except Retry:
        raise Invalid("the answer is not a JSON object") from None
    steps = data.get("steps")
    if not isinstance(steps, list):
        raise Invalid('the answer has no "steps" list')
    return [_step(i, item, words, author) for i, item in enumerate(steps, 1)]


def _step(i: int, item: object, words: str, author: str) -> Step:
    if not isinstance(item, dict) or not isinstance(item.get("op"), str):
        raise Invalid(f'step {i} is not an object with an "op"')
    params = item.get("params") or {}
    if not isinstance(params, dict):
        raise Invalid(f'step {i}: "params" must be an object')
    text = item.get("text") if isinstance(item.get("text"), str) and item["text"].strip() else words
    region = _region(i, item.get("region"))
    if item["op"] == MODEL_OP:
        instruction = params.get("instruction")
        if set(params) != {"instruction"} or not isinstance(instruction, str) or not instruction.strip():
            raise Invalid(f'step {i}: {MODEL_OP} takes one parameter, "instruction", the words for the audio model')
        return Step(MODEL_OP, {"instruction": instruction.strip()}, region, "neural", text, author)
    from ..ops import get_operation

    try:
        op = get_operation(item["op"])
        checked = op.validate(params)
    except UsageError as e:
        raise Invalid(f"step {i}: {e.message}") from None
    for name, value in checked.items():
        if name == "path" or name.endswith("_path"):
            if value not in words:
                raise Invalid(f"step {i}: {op.name}: the file {value!r} is not named in the request; name only files the user wrote")
    if "start_s" in checked and "end_s" in checked:
        _ordered(i, op.name, checked["start_s"], checked["end_s"])
    if region is not None and op.changes_rate:
        raise Invalid(f"step {i}: {op.name} changes the sample rate, so it cannot be limited to a region")
    return Step(op.name, checked, region, "dsp", text, author)


def _region(i: int, value: object) -> Region | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not set(value) <= {"start_s", "end_s"}:
        raise Invalid(f'step {i}: "region" must be null or {{"start_s": .., "end_s": ..}}')
    times = []
    for name in ("start_s", "end_s"):
        t = value.get(name)
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or t != t or abs(t) == float("inf")):
            raise Invalid(f"step {i}: region {name} must be a number of seconds or null (got {t!r})")
        times.append(None if t is None else float(t))
    start, end = times
    _ordered(i, "region", 0.0 if start is None else start, end)
    return Region(start, end)


def _ordered(i: int, what: str, start: float, end: float | None) -> None:
    """Start before end, where both count from the same end of the file (the file's length is not known yet)."""
    if end is not None and (start < 0) == (end < 0) and start >= end:
        raise Invalid(f"step {i}: {what} ends ({end:g} s) before it starts ({start:g} s)")
