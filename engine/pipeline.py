"""One edit from file to file: read, check, render every plan, conform, write, record.

`sao edit`, `sao chain`, `sao replay`, `sao batch` and the server all go through
`run_edit`, so they share the same safety rules: the output is checked before any
work, every step is checked before the first runs, and files appear atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .audio_io import (
    Audio,
    bits_of,
    check_output,
    file_sha256,
    output_subtype,
    prepare_for_write,
    read_audio,
    write_audio,
    WRITABLE,
)
from .errors import SaoError, UsageError
from .ops import get_operation
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


@dataclass
class EditRequest:
    input: str
    plans: list[EditPlan]
    output: OutputSpec
    engine: str = "auto"  # auto | dsp | neural
    force: bool = False
    sidecar: str | None = None  # where to write it; None writes none
    keep_intermediates: bool = False


@dataclass
class EditOutcome:
    source: Audio
    samples: np.ndarray
    sample_rate: int
    output_sha256: str | None
    warnings: list[str] = field(default_factory=list)
    sidecar: dict | None = None


def conform(samples: np.ndarray, sample_rate: int, spec: OutputSpec) -> tuple[np.ndarray, int]:
    """Apply --channels and --sr."""
    if spec.channels is not None and spec.channels != samples.shape[0]:
        if spec.channels < 1 or spec.channels > 32:
            raise UsageError(f"--channels must be between 1 and 32 (got {spec.channels})")
        mono = samples.mean(axis=0, keepdims=True)
        samples = mono if spec.channels == 1 else np.repeat(mono, spec.channels, axis=0)
    if spec.sample_rate is not None and spec.sample_rate != sample_rate:
        op = get_operation("resample")
        samples = op.apply(samples, sample_rate, {"hz": spec.sample_rate})
        sample_rate = spec.sample_rate
    return samples, sample_rate


def write_output(source: Audio, samples: np.ndarray, sample_rate: int, spec: OutputSpec) -> tuple[str | None, list[str]]:
    """Write with the clipping policy and dither; returns (sha256 of the file, warnings)."""
    fmt = "WAV" if spec.path == "-" else WRITABLE[Path(spec.path).suffix.lower()]
    subtype = output_subtype(fmt, source.subtype, spec.bits)
    samples, warnings = prepare_for_write(samples, sample_rate, subtype, bits_of(source.subtype), spec.clip)
    write_audio(spec.path, samples, sample_rate, subtype, fmt)
    return (None if spec.path == "-" else file_sha256(spec.path)), warnings


def intermediate_path(output: str, index: int) -> str:
    """`final.flac` -> `final.flac.step1.wav` (always WAV, float, so nothing is lost)."""
    return f"{output}.step{index}.wav"


def run_edit(request: EditRequest, neural: NeuralEditor | None = None, on_step: Callable[[int, EditPlan], None] | None = None) -> EditOutcome:
    out = request.output.path
    check_output(out, [request.input], request.force)
    if request.keep_intermediates:
        if out == "-":
            raise UsageError("--keep-intermediates needs a file output, not '-'")
        for i in range(1, len(request.plans)):
            check_output(intermediate_path(out, i), [request.input], request.force)
    source = read_audio(request.input)
    for i, plan in enumerate(request.plans, 1):
        try:
            check_runnable(plan, request.engine, neural)
        except SaoError as e:
            if len(request.plans) > 1:
                e.message = f"step {i} ('{plan.instruction}'): {e.message}"
            raise
    samples, sr = source.samples, source.sample_rate
    records, intermediates = [], []
    for i, plan in enumerate(request.plans, 1):
        if on_step:
            on_step(i, plan)
        try:
            samples, sr = render_plan(samples, sr, plan, request.engine, neural)
        except SaoError as e:
            if len(request.plans) > 1:
                e.message = f"step {i} ('{plan.instruction}') failed: {e.message}"
            raise
        records.append(neural.record(plan) if plan.needs_model else step_record(plan))
        if request.keep_intermediates and i < len(request.plans):
            intermediates.append((intermediate_path(out, i), samples, sr))
    samples, sr = conform(samples, sr, request.output)
    sha, warnings = write_output(source, samples, sr, request.output)
    for path, step_samples, step_sr in intermediates:  # only once every step has succeeded
        write_audio(path, step_samples, step_sr, "FLOAT", "WAV")
    outcome = EditOutcome(source, samples, sr, sha, warnings)
    if request.sidecar:
        spec = request.output
        fmt = {"sample_rate": sr, "channels": int(samples.shape[0]), "bits": spec.bits, "clip": spec.clip}
        outcome.sidecar = make_sidecar(request.input, source, records, out, sha or "", fmt)
        write_sidecar(request.sidecar, outcome.sidecar)
    return outcome
