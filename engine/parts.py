"""A plan that splits the file: one output file per part, each with its sidecar.

"split into 3 equal parts" is a `split` step without `part` (engine.ops.split).
The steps before it run once on the whole file; then, for each part k, the split
step with `part` k and the steps after it run on that part, which is written to
`<stem>.partNN.<ext>` and recorded with `part` k in its plan. So a part's sidecar
replays that part alone, byte for byte, through the ordinary single-file edit.

The output path of the request names the parts: `take.wav` gives `take.part01.wav`,
`take.part02.wav`, ... in the same folder (the CLI turns `-o DIR` and no `-o`
into such a path). Every part's output is checked before any is written.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .audio_io import check_output, read_audio
from .errors import OutputRefused, SaoError, UsageError
from .ops.split import part_bounds
from .pipeline import EditOutcome, EditRequest, conform, finish_outcome, write_output
from .plan import EditPlan
from .render import NeuralEditor, check_runnable, render_plan
from .sidecar import step_record

SPLIT = "split"


def split_at(plans: list[EditPlan]) -> tuple[int, int] | None:
    """(plan index, step index) of the first split step that makes several files, or None."""
    for i, plan in enumerate(plans):
        for j, step in enumerate(plan.steps):
            if step.op == SPLIT and step.engine == "dsp" and step.params.get("part") is None:
                return i, j
    return None


def part_path(path: str, k: int, count: int) -> str:
    """`take.wav` -> `take.part01.wav` (three digits from 100 parts on); a sidecar
    `take.wav.sao.json` -> `take.part01.wav.sao.json`."""
    suffix = ".sao.json" if path.endswith(".sao.json") else ""
    p = Path(path[: len(path) - len(suffix)])
    return str(p.with_name(f"{p.stem}.part{k:0{max(2, len(str(count)))}d}{p.suffix}")) + suffix


def parts_base(input_path: str, output: str | None) -> str:
    """The path the parts are named after: the input's name in `output` when it is a folder,
    beside the input when there is none, else `output` itself. '-' is refused."""
    from .audio_io import WRITABLE

    if output == "-":
        raise UsageError("split writes one file per part: give -o DIR (or a file name to number), not '-'")
    if input_path == "-" and (output is None or Path(output).is_dir()):
        raise UsageError("split of stdin needs -o NAME.wav to name the parts after")
    source = Path(input_path)
    name = source.stem + (source.suffix.lower() if source.suffix.lower() in WRITABLE else ".wav")
    if output is None:
        return str(source.with_name(name))
    if output.endswith(("/", os.sep)) and not Path(output).is_dir():
        raise OutputRefused(f"{output}: no such folder")
    return str(Path(output) / name) if Path(output).is_dir() else output


def run_split(request: EditRequest, neural: NeuralEditor | None = None, on_step: Callable[[int, EditPlan], None] | None = None) -> EditOutcome:
    """Render and write every part; the outcome holds the whole file before the split and the list of parts."""
    where = split_at(request.plans)
    assert where is not None
    i, j = where
    if request.output.path == "-":
        raise UsageError("split writes one file per part: give -o DIR, not '-'")
    if request.keep_intermediates:
        raise UsageError("--keep-intermediates cannot be combined with a split")
    split_step = request.plans[i].steps[j]
    if split_step.region is not None or split_step.channels is not None:
        raise UsageError("a split takes the whole file: trim or keep the part you want first, then split")
    for n, plan in enumerate(request.plans, 1):
        try:
            check_runnable(plan, request.engine, neural)
        except SaoError as e:
            if len(request.plans) > 1:
                e.message = f"step {n} ('{plan.instruction}'): {e.message}"
            raise
    source = read_audio(request.input)
    for n, plan in enumerate(request.plans, 1):
        if on_step:
            on_step(n, plan)
    samples, sr = source.samples, source.sample_rate
    for plan in [*request.plans[:i], replace(request.plans[i], steps=request.plans[i].steps[:j])]:
        samples, sr = render_plan(samples, sr, plan, request.engine, neural)
    params = {k: split_step.params.get(k) for k in ("every_s", "parts")}
    count = len(part_bounds(samples.shape[1], sr, **params))
    paths = [part_path(request.output.path, k, count) for k in range(1, count + 1)]
    for path in paths:
        check_output(path, [request.input], request.force)
    whole = EditOutcome(source, samples, sr, None)
    for k, path in enumerate(paths, 1):
        plans = _with_part(request.plans, i, j, k)
        rest = [replace(plans[i], steps=plans[i].steps[j:]), *plans[i + 1 :]]
        y, ysr = samples, sr
        for plan in rest:
            y, ysr = render_plan(y, ysr, plan, request.engine, neural)
        spec = replace(request.output, path=path)
        y, ysr = conform(y, ysr, spec)
        sha, warnings = write_output(source, y, ysr, spec)
        records = [neural.record(p) if p.needs_model else step_record(p) for p in plans]
        sidecar = part_path(request.sidecar, k, count) if request.sidecar else None
        part = finish_outcome(replace(request, output=spec, sidecar=sidecar), EditOutcome(source, y, ysr, sha, warnings), records)
        whole.warnings += [f"part {k}: {w}" for w in warnings]
        whole.parts.append({"path": path, "sha256": sha, "frames": part.frames, "sample_rate": ysr, "channels": part.channels, "sidecar": sidecar})
    return whole


def _with_part(plans: list[EditPlan], i: int, j: int, k: int) -> list[EditPlan]:
    """The plans with the split step giving part k (what that part's sidecar records)."""
    plans = copy.deepcopy(plans)
    plans[i].steps[j].params["part"] = k
    return plans
