"""The server's wire format: newline-delimited JSON, one request per connection.

A client connects, sends one message and reads replies until the last one:

    -> {"type": "status"}                       <- {"type": "status", ...}
    -> {"type": "stop"}                         <- {"type": "stopping"}
    -> {"type": "edit", "request": {...},       <- {"type": "accepted", "job": 3, "queued": 1}
        "neural": {...} | null,                 <- {"type": "progress", "job": 3, "step": 1, "of": 2, "instruction": ".."}
        "model": "/abs/model/dir" | null}       <- {"type": "result", "job": 3, "outcome": {...}}
                                                 or {"type": "error", "code": 3, "message": "..", "hint": ..}

`request` is an EditRequest with every path absolute (the server's working
folder is not the client's) and its plans in the plan JSON of CONVENTIONS.md.
Audio travels by path, never over the socket, so messages stay small: anything
over MAX_MESSAGE bytes is refused. `code` in an error is the exit code the
client exits with (engine.errors.ExitCode), so a job that fails through the
server fails exactly as it would in-process.

Closing the connection before the result cancels the job.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.errors import (
    BadAudio,
    BatchFailed,
    ExitCode,
    NeedsModel,
    NoAudioDevice,
    NoServer,
    NotUnderstood,
    OutputRefused,
    SaoError,
    UsageError,
)

if TYPE_CHECKING:  # the client and `sao serve --status` must not pay for numpy
    from engine.pipeline import EditOutcome, EditRequest

PROTOCOL_VERSION = 1
MAX_MESSAGE = 1 << 20  # 1 MiB: plans and paths only; audio never travels over the socket
REQUEST_TYPES = ("edit", "status", "stop")
ENGINES = ("auto", "dsp", "neural")
CLIPS = ("limit", "allow", "error")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
_ERRORS = {e.code: e for e in (UsageError, BadAudio, OutputRefused, NotUnderstood, NeedsModel, NoAudioDevice, BatchFailed, NoServer)}


class BadMessage(UsageError):
    """A message that is not valid protocol: not JSON, too large, an unknown type, a missing field."""


def encode(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode() + b"\n"


def decode(line: bytes) -> dict:
    """One received line -> a message with a known "type"; BadMessage otherwise."""
    if len(line) > MAX_MESSAGE:
        raise BadMessage(f"message too large ({len(line)} bytes; the limit is {MAX_MESSAGE})")
    try:
        message = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadMessage("malformed message: expected one line of JSON (UTF-8)") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise BadMessage('malformed message: expected a JSON object with a "type"')
    return message


def decode_request(line: bytes) -> dict:
    message = decode(line)
    if message["type"] not in REQUEST_TYPES:
        raise BadMessage(f"unknown request type {message['type']!r} (expected one of {', '.join(REQUEST_TYPES)})")
    return message


# ---------------------------------------------------------------- edit requests


def request_to_dict(request: "EditRequest") -> dict:
    o = request.output
    return {
        "input": request.input,
        "plans": [p.to_dict() for p in request.plans],
        "output": {"path": o.path, "sample_rate": o.sample_rate, "channels": o.channels, "bits": o.bits, "clip": o.clip, "encoding": o.encoding},
        "engine": request.engine,
        "force": request.force,
        "sidecar": request.sidecar,
        "keep_intermediates": request.keep_intermediates,
        "allow_truncated": request.allow_truncated,
    }


def request_from_dict(d: object) -> "EditRequest":
    """Rebuild and check an EditRequest; BadMessage names the first bad field."""
    from engine.pipeline import EditRequest, OutputSpec
    from engine.plan import EditPlan

    d = _object(d, "request")
    plans = _get(d, "plans", list)
    if not plans:
        raise BadMessage("request.plans: at least one plan is needed")
    o = _object(_get(d, "output", dict), "request.output")
    engine, clip = _get(d, "engine", str, "auto"), _get(o, "clip", str, "limit")
    if engine not in ENGINES:
        raise BadMessage(f"request.engine must be one of {', '.join(ENGINES)} (got {engine!r})")
    if clip not in CLIPS:
        raise BadMessage(f"request.output.clip must be one of {', '.join(CLIPS)} (got {clip!r})")
    sidecar = _get(d, "sidecar", (str, type(None)), None)
    try:
        plans = [EditPlan.from_dict(p) for p in plans]
    except (AttributeError, TypeError, ValueError) as e:  # e.g. a step that is not an object
        raise BadMessage(f"request.plans: not valid plan JSON ({type(e).__name__}: {e})") from None
    return EditRequest(
        input=_absolute(_get(d, "input", str), "request.input"),
        plans=plans,
        output=OutputSpec(
            path=_absolute(_get(o, "path", str), "request.output.path"),
            sample_rate=_get(o, "sample_rate", (int, type(None)), None),
            channels=_get(o, "channels", (int, type(None)), None),
            bits=_get(o, "bits", (int, type(None)), None),
            clip=clip,
            encoding=_get(o, "encoding", (str, type(None)), None),
        ),
        engine=engine,
        force=_get(d, "force", bool, False),
        sidecar=None if sidecar is None else _absolute(sidecar, "request.sidecar"),
        keep_intermediates=_get(d, "keep_intermediates", bool, False),
        allow_truncated=_get(d, "allow_truncated", bool, False),
    )


def settings_from_message(message: dict) -> dict | None:
    """The job's neural settings as a plain dict (the server turns it into NeuralSettings)."""
    settings = message.get("neural")
    if settings is None:
        return None
    settings = _object(settings, "neural")
    for key, value in settings.items():
        if not isinstance(value, (str, int, float, bool, type(None))):
            raise BadMessage(f"neural.{key}: expected a number, string, true/false or null")
    return settings


def model_from_message(message: dict) -> str | None:
    model = message.get("model")
    return None if model is None else _absolute(_get(message, "model", str), "model")


def thread_env() -> dict:
    """What sets torch's CPU thread count here. A server and a client must agree on it for
    byte-identical CPU results: sums split over another number of threads round differently."""
    return {name: os.environ.get(name) for name in THREAD_VARIABLES}


# ---------------------------------------------------------------- results


@dataclass
class ServedOutcome:
    """What a job returns over the socket: EditOutcome without the audio, which stays in the file."""

    sample_rate: int
    frames: int
    channels: int
    output_sha256: str | None
    warnings: list[str] = field(default_factory=list)
    sidecar: dict | None = None
    parts: list[dict] = field(default_factory=list)


def outcome_to_dict(outcome: "EditOutcome") -> dict:
    channels, frames = outcome.samples.shape
    return {"sample_rate": outcome.sample_rate, "frames": int(frames), "channels": int(channels),
            "output_sha256": outcome.output_sha256, "warnings": outcome.warnings, "sidecar": outcome.sidecar, "parts": outcome.parts}


def outcome_from_dict(d: dict) -> ServedOutcome:
    try:
        return ServedOutcome(**d)
    except TypeError as e:
        raise SaoError(f"the sao server sent a result this client cannot read ({e})") from None


# ---------------------------------------------------------------- errors


def error_message(error: SaoError) -> dict:
    return {"type": "error", "code": int(error.code), "message": error.message, "hint": error.hint}


def error_from_message(message: dict) -> SaoError:
    """The SaoError subclass whose exit code the server sent (anything else: internal, code 1)."""
    code = message.get("code")
    cls = _ERRORS.get(code, SaoError) if code != ExitCode.INTERNAL else SaoError
    return cls(str(message.get("message", "the sao server reported an error")), message.get("hint"))


# ---------------------------------------------------------------- field checks


def _object(value: object, name: str) -> dict:
    if not isinstance(value, dict):
        raise BadMessage(f"{name}: expected a JSON object")
    return value


_MISSING = object()


def _get(d: dict, key: str, types, default=_MISSING):
    if key not in d:
        if default is _MISSING:
            raise BadMessage(f"malformed request: {key!r} is missing")
        return default
    value = d[key]
    # bool is an int in Python; a JSON true is never a valid count or rate
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
        raise BadMessage(f"malformed request: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _as_tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _absolute(path: str, name: str) -> str:
    if not os.path.isabs(path):
        raise BadMessage(f"{name}: the server needs an absolute path (got {path!r}); audio travels by path, so '-' cannot be served")
    return path
