"""What the planner tells the language model: the operation registry, the plan's form, the request.

The registry is rendered from engine.ops (names, parameters with their ranges,
defaults and units, one-line docs), so a new operation reaches the model with no
change here. Its hash is the registry's version in the cache key; PROMPT_VERSION
changes whenever the wording below does.
"""

from __future__ import annotations

import functools
import hashlib
import json

PROMPT_VERSION = 1
MODEL_OP = "instruct"  # the step that goes to the audio model (SAO-Instruct)

_FORM = ('{"steps": [{"op": NAME, "params": {PARAMETER: VALUE, ...}, '
         '"region": null or {"start_s": SECONDS, "end_s": SECONDS or null}, "text": "the words of the request this step comes from"}]}')
_EXAMPLE = ('"cut the first 2 seconds and put it in a big hall" ->\n'
            '{"steps": [{"op": "trim", "params": {"start_s": 0, "end_s": 2}, "region": null, "text": "cut the first 2 seconds"}, '
            '{"op": "reverb", "params": {"preset": "hall"}, "region": null, "text": "put it in a big hall"}]}')


def _param_line(p) -> str:
    if p.choices:
        kind = "one of " + "|".join(p.choices)
    elif p.type is str:
        kind = "text"
    else:
        kind = "whole number" if p.type is int else "number"
        if p.min is not None:
            kind += f" from {p.min:g} to {p.max:g}"
    if p.default is None and not p.optional:
        kind += ", required"
    elif p.default is not None:
        kind += f", default {p.default:g}" if isinstance(p.default, (int, float)) else f", default {p.default}"
    if p.optional:
        kind += ", or null"
    return f"  {p.name}: {kind} — {p.help}"


@functools.lru_cache(maxsize=1)
def registry_text() -> str:
    """Every operation: `name: summary`, then one line per parameter."""
    from ..ops import all_operations

    lines = []
    for op in all_operations():
        lines.append(f"{op.name}: {op.summary}" + ("" if op.params else " (no parameters)"))
        lines.extend(_param_line(p) for p in op.params)
    return "\n".join(lines)


def registry_version() -> str:
    return hashlib.sha256(registry_text().encode()).hexdigest()[:16]


def op_names() -> list[str]:
    from ..ops import all_operations

    return [op.name for op in all_operations()]


def plan_schema() -> dict:
    """The JSON schema of an answer, for servers that constrain their output to one."""
    time = {"type": ["number", "null"]}
    region = {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"start_s": time, "end_s": time}, "required": ["start_s", "end_s"]}]}
    step = {"type": "object", "required": ["op", "params", "region", "text"],
            "properties": {"op": {"type": "string", "enum": [*op_names(), MODEL_OP]}, "params": {"type": "object"},
                           "region": region, "text": {"type": "string"}}}
    return {"type": "object", "required": ["steps"], "properties": {"steps": {"type": "array", "items": step}}}


def system_message() -> str:
    return (
        "You plan edits for sao, an audio editor. The user says in plain English what to do to one recording; "
        "you write the plan: operations from the list below, in the order they run, with their parameters.\n\n"
        "Operations (name: what it does; then each parameter: its range and default — what it means):\n"
        f"{registry_text()}\n"
        f'{MODEL_OP}: what no operation above can do (add, remove or replace a sound in the mix, change what is heard '
        f'rather than how it sounds) goes to the audio model as one step, {{"op": "{MODEL_OP}", "params": '
        '{"instruction": "the user\'s words for it"}}.\n\n'
        f"Reply with one JSON object and nothing else, in this form:\n{_FORM}\n\n"
        "Rules:\n"
        "- Only the operations and parameter names above; every value within its range. Leave a parameter out to get its default.\n"
        "- Times are in seconds. A negative time counts back from the end of the file; an end_s of null is the end of the file.\n"
        '- "region" limits a step to part of the file ("the last 2 seconds" is {"start_s": -2, "end_s": null}); null is the whole file.\n'
        "- A file to mix in is named exactly as the user wrote it.\n"
        '- If the words ask for no change to the audio, reply {"steps": []}.\n\n'
        f"Example: {_EXAMPLE}"
    )


def messages(text: str) -> list[dict]:
    return [{"role": "system", "content": system_message()}, {"role": "user", "content": f"Request: {json.dumps(text)}"}]


def correction(reason: str) -> dict:
    """The user turn that sends a rejected answer back once, quoting why."""
    return {"role": "user", "content": f"That plan was rejected: {reason}. Reply with a corrected plan in the same JSON form, "
                                       "using only the operations, parameters and ranges listed."}
