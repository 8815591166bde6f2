"""`sao chain INPUT INSTRUCTION... -o OUT`: several instructions, applied in order."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .. import console, options
from ..errors import handle_errors


def read_steps_file(path: Path) -> list[str]:
    """One instruction per line; `#` starts a comment; blank lines are skipped."""
    from engine.errors import UsageError

    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise UsageError(f"{path}: cannot read the steps file ({e.strerror})") from None
    return [s for s in (line.split("#", 1)[0].strip() for line in lines) if s]


@handle_errors
def chain(
    input: str = typer.Argument(..., help="Audio file to edit, or '-' for stdin."),
    instructions: Optional[List[str]] = typer.Argument(None, help="Instructions, applied in order."),
    steps_file: Optional[Path] = typer.Option(None, "--file", "-F", help="A steps file: one instruction per line, '#' starts a comment."),
    output: str = typer.Option(..., "--output", "-o", help="Output file, or '-' for WAV on stdout; a folder for a split's parts."),
    keep_intermediates: bool = typer.Option(False, "--keep-intermediates", help="Also write OUT.step1.wav, OUT.step2.wav, ... after each step but the last."),
    engine: options.Engine = options.ENGINE,
    planner: options.Planner = options.PLANNER,
    no_cache: bool = options.NO_CACHE,
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show every step's plan and stop."),
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
    """Apply several instructions in order; the sidecar records every step, so `sao replay` reproduces the chain."""
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
    for text in instructions or []:
        if Path(text).is_file():  # `-f steps.txt`: -f is --force, so the file name became an instruction
            raise UsageError(f"'{text}' is a file, not an instruction", f"To read the steps from it: --file {text} (or -F {text}); -f is --force.")
    texts = list(instructions or []) + (read_steps_file(steps_file) if steps_file else [])
    if not texts:
        raise UsageError("give at least one instruction, or a steps file with --file (-F)")
    plans = make_plans(texts, engine.value, planner.value, not no_cache, downmix)
    if dry_run:
        for plan in plans:
            show_plan(plan, as_json)
        return
    output = split_output(plans, input, output, play, plot or plot_file is not None) or output
    check_stdout_output(output)
    if as_json and output == "-":
        raise UsageError("--json cannot be combined with -o - (both would use stdout)")
    after = AfterWrite.check(input, output, play, plot, plot_file, force)
    editor = neural_editor(plans, engine.value, model, settings, server)  # one model for every step
    request = EditRequest(
        input=input,
        plans=plans,
        output=OutputSpec(output, sr, channels, bits, clip.value),
        engine=engine.value,
        force=force,
        sidecar=sidecar_target(output, no_sidecar, sidecar),
        keep_intermediates=keep_intermediates,
        allow_truncated=allow_truncated,
    )
    with diffusion_progress(editor):
        outcome = run_via_server_or_local(request, server, editor,
                                          on_step=lambda i, plan: console.info(f"step {i}/{len(plans)}: {plan.instruction}"),
                                          notice=console.info)
    report(request, outcome, as_json)
    after.run()


def register(app: typer.Typer) -> None:
    app.command("chain")(chain)
