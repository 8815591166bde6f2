"""One edit from file to file: read, check, render every plan, conform, write, record.

`sao edit`, `sao chain`, `sao replay`, `sao batch` and the server all go through
`run_edit`, so they share the same safety rules: the output is checked before any
work, every step is checked before the first runs, and files appear atomically.
Long files whose steps can all stream are edited block by block (engine.stream),
with the same output file as in memory. A plan that splits the file writes one
file per part (engine.parts). What the instruction says of the output file
("16-bit", "mu-law") fills in the flags not given (`with_plan_format`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import layout, stream
from .audio_io import (
    WRITABLE,
    Audio,
    Truncated,
    Encoder,
    bits_of,
    check_output,
    clip_gain,
    file_sha256,
    is_integer_subtype,
    needs_dither,
    open_output,
    output_subtype,
    read_audio,
    write_audio,
    write_blocks,
)
from .errors import BadAudio, SaoError, UsageError
from .measure import sample_peak, true_peak
from .ops import Context, NeedsWholeFile, get_operation
from .plan import EditPlan
from .render import NeuralEditor, check_runnable, render_plan
from .sidecar import make_sidecar, step_record, write_sidecar


@dataclass
class OutputSpec:
    path: str  # "-" writes WAV to stdout
    sample_rate: int | None = None  # --sr
    channels: int | None = None  # --channels
    bits: int | None = None  # --bits
    clip: str = "limit"  # limit | allow | error
    encoding: str | None = None  # pcm | float | ulaw | alaw: from the instruction's words (engine.plan.OutputFormat)


@dataclass
class EditRequest:
    input: str
    plans: list[EditPlan]
    output: OutputSpec
    engine: str = "auto"  # auto | dsp | neural
    force: bool = False
    sidecar: str | None = None  # where to write it; None writes none
    keep_intermediates: bool = False
    allow_truncated: bool = False  # edit what a truncated file holds (with a warning) instead of refusing it


@dataclass
class EditOutcome:
    """What an edit gave. After a streamed edit (a long file) the audio never sat in
    memory: `samples` and `source.samples` are then read-only stand-ins of the right
    shape holding no data (`streamed` says so; read the files for the audio), and
    `source.sha256` is only filled in when a sidecar was asked for."""

    source: Audio
    samples: np.ndarray
    sample_rate: int
    output_sha256: str | None
    warnings: list[str] = field(default_factory=list)
    sidecar: dict | None = None
    streamed: bool = False
    parts: list[dict] = field(default_factory=list)  # a split: {"path", "sha256", "frames", "sample_rate", "channels", "sidecar"} per part

    @property
    def frames(self) -> int:
        return int(self.samples.shape[1])

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])


def conform(samples: np.ndarray, sample_rate: int, spec: OutputSpec, speakers: tuple[str, ...] | None = None) -> tuple[np.ndarray, int]:
    """Apply --channels and --sr. Fewer channels are a downmix by where each plays
    (`speakers`, the samples' layout; default: the usual order): see engine.layout.convert."""
    if spec.channels is not None and spec.channels != samples.shape[0]:
        if spec.channels < 1 or spec.channels > 32:
            raise UsageError(f"--channels must be between 1 and 32 (got {spec.channels})")
        samples = layout.convert(samples, layout.fit(speakers, samples.shape[0]), spec.channels)
    if spec.sample_rate is not None and spec.sample_rate != sample_rate:
        op = get_operation("resample")
        samples = op.apply(samples, sample_rate, {"hz": spec.sample_rate})
        sample_rate = spec.sample_rate
    return samples, sample_rate


def output_format(source: Audio, spec: OutputSpec) -> tuple[str, str]:
    """(format, subtype) of the output file."""
    fmt = "WAV" if spec.path == "-" else WRITABLE[Path(spec.path).suffix.lower()]
    return fmt, output_subtype(fmt, source.subtype, spec.bits, spec.encoding)


def write_output(source: Audio, samples: np.ndarray, sample_rate: int, spec: OutputSpec) -> tuple[str | None, list[str]]:
    """Write with the clipping policy and dither; returns (sha256 of the file, warnings)."""
    fmt, subtype = output_format(source, spec)
    gain, warnings = None, []
    if is_integer_subtype(subtype):
        gain, warnings = clip_gain(sample_peak(samples), lambda: true_peak(samples, sample_rate), spec.clip)
    with open_output(spec.path, sample_rate, samples.shape[0], subtype, fmt) as f:
        dither = needs_dither(f.subtype, bits_of(source.subtype))
        write_blocks(f, samples, Encoder(f.subtype, *samples.shape, dither=dither, gain=gain))
    return (None if spec.path == "-" else file_sha256(spec.path)), warnings


def intermediate_path(output: str, index: int) -> str:
    """`final.flac` -> `final.flac.step1.wav` (always WAV, float, so nothing is lost)."""
    return f"{output}.step{index}.wav"


def run_edit(request: EditRequest, neural: NeuralEditor | None = None, on_step: Callable[[int, EditPlan], None] | None = None) -> EditOutcome:
    from .parts import run_split, split_at

    request, notes = with_plan_format(request)
    if split_at(request.plans) is not None:
        outcome = run_split(request, neural, on_step)
    else:
        outcome = run_one(request, neural, on_step)
    outcome.warnings[:0] = notes
    return outcome


def with_plan_format(request: EditRequest) -> tuple[EditRequest, list[str]]:
    """The request with the plans' output format filling in what the flags leave open; and the
    warnings where a flag overrides the words (a later plan's words override an earlier one's)."""
    said: dict = {}
    for plan in request.plans:
        said.update(plan.output.to_dict() if plan.output else {})
    spec, notes = request.output, []
    if spec.sample_rate is not None:
        for plan in request.plans:
            notes += [f"--sr {spec.sample_rate} sets the output rate; the instruction's resample to {s.params.get('hz')} Hz still runs first"
                      for s in plan.steps if s.op == "resample" and s.params.get("hz") != spec.sample_rate]
    if spec.channels is not None and said.get("channels", spec.channels) != spec.channels:
        notes.append(f"--channels {spec.channels} wins over the instruction's {said['channels']} channels")
    if spec.bits is not None and ("bits" in said or "encoding" in said):
        implied = {"bits": spec.bits, "encoding": spec.encoding or ("float" if spec.bits == 32 else "pcm")}
        if any(said.get(k, implied[k]) != implied[k] for k in implied):
            notes.append(f"--bits {spec.bits} wins over the instruction's {format_words(said)}")
        said = {k: v for k, v in said.items() if k == "channels"}
    merged = {"channels": spec.channels if spec.channels is not None else said.get("channels"),
              "bits": spec.bits if spec.bits is not None else said.get("bits"),
              "encoding": spec.encoding if spec.encoding is not None else said.get("encoding")}
    return replace(request, output=replace(spec, **merged)), notes


def format_words(said: dict) -> str:
    """{"bits": 8, "encoding": "ulaw"} -> "8-bit mu-law"."""
    names = {"pcm": "PCM", "float": "float", "ulaw": "mu-law", "alaw": "A-law"}
    words = [f"{said['bits']}-bit"] if "bits" in said else []
    words += [names[said["encoding"]]] if "encoding" in said else []
    words += [f"{said['channels']} channels"] if "channels" in said else []
    return " ".join(words)


def run_one(request: EditRequest, neural: NeuralEditor | None = None, on_step: Callable[[int, EditPlan], None] | None = None) -> EditOutcome:
    """One input, one output file."""
    out = request.output.path
    check_output(out, [request.input], request.force)
    if request.keep_intermediates:
        if out == "-":
            raise UsageError("--keep-intermediates needs a file output, not '-'")
        for i in range(1, len(request.plans)):
            check_output(intermediate_path(out, i), [request.input], request.force)
    allow = request.allow_truncated
    long_input = stream.describe_input(request.input, allow) if "-" not in (request.input, out) and not request.keep_intermediates else None
    source = long_input or read_audio(request.input, allow)
    for i, plan in enumerate(request.plans, 1):
        try:
            check_runnable(plan, request.engine, neural)
        except SaoError as e:
            if len(request.plans) > 1:
                e.message = f"step {i} ('{plan.instruction}'): {e.message}"
            raise
    check_channels(request, source.channels)
    if long_input is not None:
        edit = plan_streamed(request, long_input)
        if edit is not None:
            try:
                return run_streamed(request, edit, on_step)
            except NeedsWholeFile:
                pass  # a step found it needs the whole file: run in memory (nothing was written)
            except Truncated:
                if not allow:
                    raise
        source = read_audio(request.input, allow)
    samples, sr = source.samples, source.sample_rate
    records, intermediates = [], []
    context = Context(source.layout)
    for i, plan in enumerate(request.plans, 1):
        if on_step:
            on_step(i, plan)
        try:
            samples, sr = render_plan(samples, sr, plan, request.engine, neural, context)
        except SaoError as e:
            if len(request.plans) > 1:
                e.message = f"step {i} ('{plan.instruction}') failed: {e.message}"
            raise
        records.append(neural.record(plan) if plan.needs_model else step_record(plan))
        if request.keep_intermediates and i < len(request.plans):
            intermediates.append((intermediate_path(out, i), samples, sr))
    samples, sr = conform(samples, sr, request.output, context.layout_for(samples.shape[0]))
    sha, warnings = write_output(source, samples, sr, request.output)
    for path, step_samples, step_sr in intermediates:  # only once every step has succeeded
        write_audio(path, step_samples, step_sr, "FLOAT", "WAV")
    warnings = [*input_warnings(request.input, source), *context.warnings, *warnings]
    return finish_outcome(request, EditOutcome(source, samples, sr, sha, warnings), records)


def input_warnings(name: str, source: Audio) -> list[str]:
    if source.truncated is None:
        return []
    promised, found = source.truncated
    return [f"{name}: the file is truncated (its header says {promised} frames, found {found}): "
            f"edited the {found / source.sample_rate:.3f} s that are there"]


def check_channels(request: EditRequest, channels: int) -> None:
    """The neural engine edits mono or stereo: refuse (exit 3) before the model loads, unless a
    step folds the channels down first (`--downmix` puts a downmix step at the start)."""
    if channels <= 2:
        return
    for plan in request.plans:
        for step in plan.steps:
            if step.engine == "dsp" and (step.op == "mono" or step.op == "downmix") and step.region is None:
                return
            if step.engine == "neural":
                raise BadAudio(f"{request.input}: the neural engine edits mono or stereo audio, and this has {channels} channels",
                               hint="Pass --downmix to fold it down to stereo first (ITU-R BS.775).")


def finish_outcome(request: EditRequest, outcome: EditOutcome, records: list[dict]) -> EditOutcome:
    """Write the sidecar, if asked for."""
    if request.sidecar:
        spec = request.output
        fmt = {"sample_rate": outcome.sample_rate, "channels": outcome.channels, "bits": spec.bits, "clip": spec.clip}
        if spec.encoding is not None:
            fmt["encoding"] = spec.encoding
        outcome.sidecar = make_sidecar(request.input, outcome.source, records, spec.path, outcome.output_sha256 or "", fmt, outcome.warnings)
        write_sidecar(request.sidecar, outcome.sidecar)
    return outcome


def plan_streamed(request: EditRequest, source: Audio) -> stream.StreamedEdit | None:
    """The edit as a streamed one, or None when some step, or --sr, needs the file in memory."""
    steps = stream.streamable_steps(request.plans)
    spec = request.output
    if steps is None or spec.sample_rate not in (None, source.sample_rate):
        return None
    return stream.StreamedEdit.plan(request.input, source, steps, finish=lambda block: conform(block, source.sample_rate, spec, source.layout)[0],
                                    allow_truncated=request.allow_truncated)


def run_streamed(request: EditRequest, edit: stream.StreamedEdit, on_step: Callable[[int, EditPlan], None] | None) -> EditOutcome:
    """The plans run together, block by block; on_step hears of each before the work starts.

    The input's sha256 (a read of the whole file) is taken only for the sidecar that needs it.
    """
    source = edit.source
    if request.sidecar:
        source.sha256 = file_sha256(request.input)
    for i, plan in enumerate(request.plans, 1):
        if on_step:
            on_step(i, plan)
    fmt, subtype = output_format(source, request.output)
    warnings = edit.run(request.output.path, fmt, subtype, bits_of(source.subtype), request.output.clip)
    warnings = [*input_warnings(request.input, source), *edit.context.warnings, *warnings]
    samples = np.broadcast_to(np.float32(0), (edit.channels, source.frames))
    outcome = EditOutcome(source, samples, source.sample_rate, file_sha256(request.output.path), warnings, streamed=True)
    return finish_outcome(request, outcome, [step_record(plan) for plan in request.plans])
