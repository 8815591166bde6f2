"""The one registry of operations.

It serves the planner (names and parameters), `sao ops` (the listing), the
manual data pipeline (the same DSP that users get) and the docs. An operation is
a pure function `fn(samples, sample_rate, **params) -> samples` on float32
arrays shaped (channels, frames), plus typed, validated parameters.

An operation may also stream: its `stream` factory makes a Processor that gets
a long file block by block (engine.stream) and gives exactly what `fn` gives on
the whole file, so memory stays bounded. `fn` stays the truth; tests hold the
two together.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..audio_io import BLOCK_FRAMES
from ..errors import UsageError

Processor = Callable[[np.ndarray], np.ndarray]
"""Takes the next (channels, n) block of a file and returns its n processed frames, carrying state across blocks."""
BLOCKWISE = "blockwise"
"""`stream=BLOCKWISE`: each output frame depends only on the same input frame (gain, mute, pan), so `fn` runs block by block as it is."""


class NeedsWholeFile(Exception):
    """Raised by a stream processor that finds, part-way through a long file, that it needs
    all of it at once (a gain that would clip must limit: engine.ops.level). The streamed
    edit is dropped, nothing is written, and the edit runs again in memory."""


@dataclass
class Context:
    """What a few operations need besides samples and parameters (those registered with `context=True`).

    `layout`: the speakers of the input's channels (engine.layout), for loudness
    weights and downmixing; an operation uses `layout_for(channels)`, which falls
    back to the default order once an edit has changed the channel count.
    `warnings`: what an operation had to decide on the user's behalf (a short
    file measured another way, peaks limited); they reach the user and the sidecar.
    """

    layout: tuple[str, ...] | None = None
    warnings: list[str] = field(default_factory=list)

    def layout_for(self, channels: int) -> tuple[str, ...]:
        from .. import layout

        return layout.fit(self.layout, channels)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass(frozen=True)
class Param:
    """One parameter. Its name carries its unit: `_db`, `_hz`, `_s`, `semitones`, `ratio`, `percent`."""

    name: str
    type: type
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    optional: bool = False  # None is a valid value (e.g. "to the end")
    file_time: bool = False  # a place in the file: an operation's file_time parameters are a start, then an optional end

    def validate(self, op: str, value: Any) -> Any:
        if value is None:
            if self.optional:
                return None
            raise UsageError(f"{op}: parameter '{self.name}' needs a value")
        try:
            if self.type is bool and isinstance(value, str):
                value = value.lower() in ("1", "true", "yes", "on")
            value = self.type(value)
        except (TypeError, ValueError):
            raise UsageError(f"{op}: parameter '{self.name}' must be a {self.type.__name__} (got {value!r})") from None
        if self.choices is not None and value not in self.choices:
            raise UsageError(f"{op}: '{self.name}' must be one of {', '.join(self.choices)} (got {value!r})")
        if isinstance(value, float) and not np.isfinite(value):
            raise UsageError(f"{op}: '{self.name}' must be finite")
        if self.min is not None and value < self.min or self.max is not None and value > self.max:
            raise UsageError(f"{op}: '{self.name}' must be between {self.min:g} and {self.max:g} (got {value:g})")
        return value

    def to_dict(self) -> dict:
        d = {"name": self.name, "type": self.type.__name__, "default": self.default, "help": self.help}
        if self.min is not None:
            d["min"], d["max"] = self.min, self.max
        if self.choices:
            d["choices"] = list(self.choices)
        return d


@dataclass(frozen=True)
class Operation:
    name: str
    fn: Callable[..., np.ndarray]
    params: tuple[Param, ...]
    category: str
    changes_length: bool = False
    changes_rate: bool = False  # only `resample`: the output rate is params["hz"]
    aliases: tuple[str, ...] = field(default=())
    # stream(sample_rate, channels, frames, **params) -> Processor, or None where these
    # settings cannot stream; `frames` is the whole input's length (a fade-out needs it).
    stream: Callable[..., Processor | None] | None = None
    # The stream factory also takes `input_peak`, the sample peak of the whole input
    # (peak normalisation), so a streamed edit measures it in a pass of its own first.
    needs_input_peak: bool = False
    # fn (and the stream factory) also take `context=` (a Context): the layout, and a place for warnings.
    takes_context: bool = False

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.fn) or ""

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else ""

    def validate(self, params: dict) -> dict:
        """Fill defaults, coerce types and check ranges; unknown names are a usage error."""
        known = {p.name: p for p in self.params}
        unknown = set(params) - set(known)
        if unknown:
            raise UsageError(f"{self.name}: unknown parameter(s) {', '.join(sorted(unknown))}; it takes {', '.join(known) or 'none'}")
        return {name: p.validate(self.name, params.get(name, p.default)) for name, p in known.items()}

    def apply(self, samples: np.ndarray, sample_rate: int, params: dict, context: Context | None = None) -> np.ndarray:
        extra = {"context": context or Context()} if self.takes_context else {}
        out = self.fn(samples, sample_rate, **self.validate(params), **extra)
        return np.ascontiguousarray(out, dtype=np.float32)

    def processor(self, sample_rate: int, channels: int, frames: int, params: dict, input_peak: float | None = None,
                  context: Context | None = None) -> Processor | None:
        """This operation as a block processor for a file of `frames` frames; None if it cannot stream so."""
        if self.stream is None:
            return None
        extra = {"input_peak": input_peak} if self.needs_input_peak else {}
        if self.takes_context:
            extra["context"] = context or Context()
        process = self.stream(sample_rate, channels, frames, **self.validate(params), **extra)
        if process is None:
            return None
        return lambda block: np.ascontiguousarray(process(block), dtype=np.float32)

    def output_rate(self, sample_rate: int, params: dict) -> int:
        return int(params["hz"]) if self.changes_rate else sample_rate

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "category": self.category,
            "summary": self.summary,
            "doc": self.doc,
            "changes_length": self.changes_length,
            "params": [p.to_dict() for p in self.params],
        }


REGISTRY: dict[str, Operation] = {}


def operation(name: str, *, category: str, params: tuple[Param, ...] = (), changes_length: bool = False, changes_rate: bool = False,
              stream: Callable[..., Processor | None] | str | None = None, needs_input_peak: bool = False, context: bool = False):
    """Decorator: register `fn` under `name`; `stream` is a factory, BLOCKWISE, or None (whole files only);
    `context`: fn takes a Context as `context=`."""

    def deco(fn):
        if name in REGISTRY:
            raise ValueError(f"operation {name!r} registered twice")
        factory = _blockwise(fn) if stream == BLOCKWISE else stream
        REGISTRY[name] = Operation(name, fn, tuple(params), category, changes_length, changes_rate, stream=factory,
                                   needs_input_peak=needs_input_peak, takes_context=context)
        return fn

    return deco


def _blockwise(fn: Callable[..., np.ndarray]) -> Callable[..., Processor]:
    def factory(sample_rate: int, channels: int, frames: int, /, **params) -> Processor:  # an op may have a `channels` param
        return lambda block: fn(block, sample_rate, **params)

    return factory


def plugin_stream(make_plugin: Callable[..., Callable]) -> Callable[..., Processor]:
    """The stream factory of an operation that is one pedalboard plugin, `make_plugin(sample_rate, **params)`.

    The plugin keeps its state (reverb tail, delay line, envelope) from one block to
    the next (reset=False), which gives the same samples as one call on the whole file.
    """

    def factory(sample_rate: int, channels: int, frames: int, **params) -> Processor:
        plugin = make_plugin(sample_rate, **params)
        return lambda block: plugin(block, sample_rate, reset=False)

    return factory


def run_blocks(process: Processor, samples: np.ndarray, block: int = BLOCK_FRAMES) -> np.ndarray:
    """Run a processor over samples in memory, block by block, as a streamed file gets it.

    Also how some operations run whole files: a filter on cache-sized blocks is
    several times faster than on the whole array, and needs no float64 copy of it.
    """
    out = np.empty(samples.shape, np.float32)
    for start in range(0, samples.shape[1], block):
        out[:, start : start + block] = process(samples[:, start : start + block])
    return out


def get_operation(name: str) -> Operation:
    from . import load_all

    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown operation '{name}' (see `sao ops`)") from None


def all_operations() -> list[Operation]:
    from . import load_all

    load_all()
    return sorted(REGISTRY.values(), key=lambda o: (o.category, o.name))
