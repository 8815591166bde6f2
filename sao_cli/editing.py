"""What `edit`, `chain` and `replay` share: plan, run, report."""

from __future__ import annotations

from pathlib import Path

from . import console


def make_plans(instructions: list[str], engine: str):
    from engine.plan import neural_plan
    from engine.planner import make_plan

    from engine.errors import SaoError

    plans = []
    for i, text in enumerate(instructions, 1):
        try:
            plans.append(neural_plan(text) if engine == "neural" else make_plan(text))
        except SaoError as e:
            if len(instructions) > 1:
                e.message = f"step {i} ('{text}'): {e.message}"
            raise
    return plans


def sidecar_target(output: str, no_sidecar: bool, sidecar: Path | None) -> str | None:
    """Where the sidecar goes: --sidecar, else beside a file output, never for '-' unless asked."""
    from engine.sidecar import sidecar_path

    if no_sidecar:
        return None
    if sidecar is not None:
        return str(sidecar)
    return None if output == "-" else str(sidecar_path(output))


def report(request, outcome, as_json: bool) -> None:
    """Warnings and a one-line summary on stderr; with --json, the result on stdout."""
    for w in outcome.warnings:
        console.warn(w)
    out = request.output.path
    seconds = outcome.samples.shape[1] / outcome.sample_rate
    if out != "-":
        console.info(f"wrote {out} ({seconds:.2f} s, {outcome.sample_rate} Hz, {outcome.samples.shape[0]} ch)")
    if as_json:
        console.print_json(
            {
                "input": request.input,
                "output": out,
                "sidecar": request.sidecar,
                "duration_s": round(seconds, 6),
                "sample_rate": outcome.sample_rate,
                "channels": int(outcome.samples.shape[0]),
                "sha256": outcome.output_sha256,
                "plans": [p.to_dict() for p in request.plans],
                "warnings": outcome.warnings,
            }
        )
