"""`sao edit INPUT INSTRUCTION`: one instruction, one output file."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import console, options
from ..errors import handle_errors


@handle_errors
def edit(
    input: str = typer.Argument(..., help="Audio file to edit, or '-' to read it from stdin."),
    instruction: str = typer.Argument(..., help='What to do, in plain English, e.g. "trim the first second, then add a small room reverb".'),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Output file, or '-' for WAV on stdout. Default: <stem>.edited.<ext> beside the input. A split writes <stem>.partNN.<ext> into this folder (or beside the input)."),
    engine: options.Engine = options.ENGINE,
    planner: options.Planner = options.PLANNER,
    no_cache: bool = options.NO_CACHE,
    force: bool = options.FORCE,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan and stop; nothing is read or written."),
    as_json: bool = options.JSON,
    sr: Optional[int] = options.SR,
    channels: Optional[int] = options.CHANNELS,
    bits: Optional[int] = options.BITS,
    clip: options.Clip = options.CLIP,
    no_sidecar: bool = options.NO_SIDECAR,
    sidecar: Optional[Path] = options.SIDECAR,
    downmix: bool = options.DOWNMIX,
    allow_truncated: bool = options.ALLOW_TRUNCATED,
    play: bool = options.PLAY,
    plot: bool = options.PLOT,
    plot_file: Optional[Path] = options.PLOT_FILE,
    model: Optional[str] = options.MODEL,
    steps: int = options.STEPS,
    cfg: float = options.CFG,
    strength: float = options.STRENGTH,
    seed: Optional[int] = options.SEED,
    device: options.Device = options.DEVICE,
    precision: options.Precision = options.PRECISION,
    window: Optional[float] = options.WINDOW,
    match_loudness: bool = options.MATCH_LOUDNESS,
    server: str = options.SERVER,
) -> None:
    """Edit INPUT as INSTRUCTION says, and write the result."""
    from engine.audio_io import default_output_path
    from engine.errors import UsageError
    from engine.pipeline import EditRequest, OutputSpec
    from engine.server.client import run_via_server_or_local

    from ..editing import (
        AfterWrite,
        check_stdout_output,
        diffusion_progress,
        make_plans,
        neural_editor,
        neural_settings,
        report,
        sidecar_target,
        split_output,
    )
    from ..views import show_plan

    settings = neural_settings(steps, cfg, strength, seed, device, precision, window, match_loudness=match_loudness)
    plans = make_plans([instruction], engine.value, planner.value, not no_cache, downmix)
    if dry_run:
        show_plan(plans[0], as_json)
        return
    output = split_output(plans, input, output, play, plot or plot_file is not None) or output
    if output is None:
        if input == "-":
            raise UsageError("reading from stdin needs -o (a file, or '-' for stdout)")
        output = str(default_output_path(input))
    check_stdout_output(output)
    if as_json and output == "-":
        raise UsageError("--json cannot be combined with -o - (both would use stdout)")
    after = AfterWrite.check(input, output, play, plot, plot_file, force)
    editor = neural_editor(plans, engine.value, model, settings, server)
    request = EditRequest(
        input=input,
        plans=plans,
        output=OutputSpec(output, sr, channels, bits, clip.value),
        engine=engine.value,
        force=force,
        sidecar=sidecar_target(output, no_sidecar, sidecar),
        allow_truncated=allow_truncated,
    )
    with diffusion_progress(editor):
        outcome = run_via_server_or_local(request, server, editor, notice=console.info)
    report(request, outcome, as_json)
    after.run()


def register(app: typer.Typer) -> None:
    app.command("edit")(edit)
