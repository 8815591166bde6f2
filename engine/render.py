"""Run an edit plan on samples: DSP steps through the operation registry, neural
steps through a NeuralEditor (SAO-Instruct), each step on the whole file or a region.

Whether every step can run is checked before any work starts, so a plan that
needs a missing model fails fast and writes nothing.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .channels import edit_channels, on_channels
from .errors import NeedsModel, Refused, UsageError
from .ops import Context, get_operation
from .plan import EditPlan, Region, Step
from .regions import apply_in_region


class NeuralEditor(Protocol):
    """What the neural engine offers the renderer (see engine.neural)."""

    def edit(self, samples: np.ndarray, sample_rate: int, step: Step) -> np.ndarray: ...

    def record(self, plan: EditPlan) -> dict:
        """The sidecar's step entry: the plan plus seed, model and settings."""
        ...


def check_runnable(plan: EditPlan, engine: str = "auto", neural: NeuralEditor | None = None) -> None:
    """Raise before any work if a step cannot run: unknown op, bad params, or no model."""
    for i, step in enumerate(plan.steps, 1):
        if step.engine == "neural":
            if step.channels is not None:
                raise UsageError(f"step {i} ('{step.text}'): the neural model edits all channels together, not some of them")
            if engine == "dsp":
                raise NeedsModel(
                    f"step {i} ('{step.text}') needs the neural model, and --engine dsp runs signal processing only",
                    hint="Drop --engine dsp to let sao use SAO-Instruct for it.",
                )
            if neural is None:
                raise NeedsModel(
                    f"step {i} ('{step.text or step.params.get('instruction', '')}') needs the SAO-Instruct model, and none is available",
                    hint="Get it with `sao models pull sao-instruct` (or pass --model DIR / set SAO_MODEL). "
                    "DSP edits (`sao ops` lists them) need no model.",
                )
        else:
            op = on_channels(get_operation(step.op), step.channels)
            op.validate(step.params)
            if step.region is not None and op.changes_rate:
                raise UsageError(f"step {i}: '{op.name}' changes the sample rate, so it cannot be limited to a region")


def _seconds(t: float | None) -> str:
    return "the end" if t is None else f"{t:g} s" if t >= 0 else f"{-t:g} s before the end"


def check_in_file(step: Step, frames: int, sample_rate: int) -> None:
    """Refused when the part of the file a step names holds none of it: "between 10 and 12 seconds" of a
    5 s file would change nothing, "keep 10 to 12 s" would leave nothing, a clip "at 10 s" would start past
    the end. The step's region, and an operation's file_time parameters (a start, then an optional end), are
    checked against the audio the step gets; a range running past the end stops at the end."""
    spans = [step.region] if step.region is not None else []
    if step.engine == "dsp":
        op = get_operation(step.op)
        times = [step.params.get(p.name, p.default) for p in op.params if p.file_time]
        if times:
            spans.append(Region(times[0], times[1] if len(times) > 1 else None))
    for span in spans:
        start, end = span.frames(sample_rate, frames)
        if end <= start:
            raise Refused(f'"{step.text or step.op}": {_seconds(span.start_s)} to {_seconds(span.end_s)} lies outside '
                          f"the audio, which is {frames / sample_rate:.2f} s long",
                          hint="`sao info FILE` shows a file's length; times count from its start")


def render_step(samples: np.ndarray, sample_rate: int, step: Step, neural: NeuralEditor | None = None,
                context: Context | None = None) -> tuple[np.ndarray, int]:
    check_in_file(step, samples.shape[1], sample_rate)
    if step.engine == "neural":
        assert neural is not None, "check_runnable() first"
        return neural.edit(samples, sample_rate, step), sample_rate
    op = get_operation(step.op)
    if step.region is None:
        op = on_channels(op, step.channels)
        return op.apply(samples, sample_rate, step.params, context), op.output_rate(sample_rate, op.validate(step.params))

    def in_region(part: np.ndarray) -> np.ndarray:
        return apply_in_region(op, part, sample_rate, step.params, step.region, context)

    return (in_region(samples) if step.channels is None else edit_channels(op, samples, step.channels, in_region)), sample_rate


def render_plan(samples: np.ndarray, sample_rate: int, plan: EditPlan, engine: str = "auto", neural: NeuralEditor | None = None,
                context: Context | None = None) -> tuple[np.ndarray, int]:
    """Apply every step in order; returns (samples, sample_rate). `context` carries the input's
    channel layout in, and the steps' warnings out."""
    check_runnable(plan, engine, neural)
    for step in plan.steps:
        samples, sample_rate = render_step(samples, sample_rate, step, neural, context)
        if samples.shape[1] == 0:
            raise Refused(f"the step '{step.text or step.op}' left no audio")
    return samples, sample_rate
