"""`sao replay OUT.sao.json`: re-render a result from its recorded input and plans."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import console, options
from ..errors import handle_errors


@handle_errors
def replay(
    sidecar_file: Path = typer.Argument(..., help="A sidecar written by edit or chain (OUT.sao.json)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Where to write; default: the recorded output path (needs --force if it exists)."),
    input: Optional[str] = typer.Option(None, "--input", "-i", help="Read the input from here instead of the recorded path (its hash must still match)."),
    model: Optional[str] = typer.Option(None, "--model", help="For neural steps: the model folder or name, if not at the recorded path (its sha256 must match)."),
    force: bool = options.FORCE,
    as_json: bool = options.JSON,
) -> None:
    """Re-render a recorded edit; the input must be byte-identical to the one recorded."""
    from engine.audio_io import file_sha256
    from engine.errors import BadAudio
    from engine.pipeline import EditRequest, OutputSpec, run_edit
    from engine.plan import EditPlan
    from engine.sidecar import read_sidecar

    from ..editing import check_stdout_output, report, sidecar_target

    data = read_sidecar(sidecar_file)
    source = input or data["input"]["path"]
    if source == "-":
        raise BadAudio("the recorded input came from stdin; pass it again with --input FILE")
    if not Path(source).exists():
        raise BadAudio(f"{source}: the recorded input is missing; pass --input FILE")
    if file_sha256(source) != data["input"]["sha256"]:
        raise BadAudio(f"{source}: the input has changed since it was edited (sha256 differs); replay needs the same file")
    rec = data["output"]
    out = output or rec["path"]
    check_stdout_output(out)
    request = EditRequest(
        input=source,
        plans=[EditPlan.from_dict(step["plan"]) for step in data["steps"]],
        output=OutputSpec(out, rec.get("sample_rate"), rec.get("channels"), rec.get("bits"), rec.get("clip", "limit"), rec.get("encoding")),
        engine="auto",
        force=force,
        sidecar=sidecar_target(out, False, None),
    )
    neural, weights_sha256 = recorded_editor(data["steps"], model)
    outcome = run_edit(request, neural=neural)
    report(request, outcome, as_json)
    if neural is not None and neural.loaded().sha256 != weights_sha256:
        console.warn("the model's weights differ from the recorded ones (sha256), so the result can differ")
    recorded = rec.get("sha256")
    if recorded and outcome.output_sha256:
        same = recorded == outcome.output_sha256
        console.info("identical to the recorded output" if same else "differs from the recorded output (another sao version or settings?)")


def recorded_editor(steps: list[dict], model: str | None):
    """A lazily loaded editor with the recorded model, settings and seed, and the recorded
    weights' sha256; (None, None) for DSP-only sidecars."""
    recorded = next((s for s in steps if s.get("model")), None)
    if recorded is None:
        return None, None
    from engine.neural.editor import LazyEditor, NeuralSettings

    kept = ("steps", "cfg", "strength", "device", "precision", "window_s", "noise", "loudness")
    # Sidecars from before the `noise` and `loudness` settings replay with what made them: version 1 and "match".
    given = {"noise": 1, "loudness": "match", **(recorded.get("settings") or {})}
    settings = NeuralSettings(**{k: v for k, v in given.items() if k in kept}, seed=recorded["seed"])
    settings.check()
    editor = LazyEditor(model or recorded["model"].get("path") or recorded["model"]["name"], settings)
    return editor, recorded["model"]["sha256"]


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)
