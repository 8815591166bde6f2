"""What `edit`, `chain`, `batch` and `replay` share: plan, the neural model, run, report, play and plot."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from . import console

MAX_INSTRUCTION = 1000  # characters: a long paragraph; anything longer is a pasted file, not an instruction


def make_plans(instructions: list[str], engine: str, planner: str = "rules", use_cache: bool = True,
               downmix: bool = False, tell_ignored: bool = True):
    """One plan per instruction; `planner` llm or auto asks a language model (engine.llm), rules never does;
    `--downmix` puts a downmix to stereo at the start of the first; with `tell_ignored`, a message on
    stderr names the words each plan did not use."""
    from rich.markup import escape

    from engine.errors import Refused, SaoError
    from engine.plan import Step, neural_plan
    from engine.planner import make_plan

    from .views import ignored_line

    plan = make_plan
    if planner != "rules" and engine != "neural":
        from engine.llm.planner import planner_for

        plan = planner_for(planner, use_cache)
    plans = []
    for i, text in enumerate(instructions, 1):
        try:
            if len(text) > MAX_INSTRUCTION:
                raise Refused(f"the instruction is {len(text)} characters long; sao reads up to {MAX_INSTRUCTION}",
                              "Give the steps one by one: sao chain INPUT \"step 1\" \"step 2\" …, or a steps file with --file.")
            plans.append(neural_plan(text) if engine == "neural" else plan(text))
        except SaoError as e:
            if len(instructions) > 1:
                shown = text if len(text) <= 60 else text[:59] + "…"
                e.message = f"step {i} ('{shown}'): {e.message}"
            raise
        if tell_ignored and (line := ignored_line(plans[-1])):
            console.info(escape(f"step {i}: {line}" if len(instructions) > 1 else line))
    if downmix and plans:
        plans[0].steps.insert(0, Step("downmix", {"channels": 2}, text="--downmix"))
    return plans


def check_stdout_output(output: str) -> None:
    """`-o -` writes binary WAV: refuse (exit 2) when stdout is a terminal rather than a pipe or a file."""
    import sys

    from engine.errors import UsageError

    if output == "-" and sys.stdout.isatty():
        raise UsageError("-o - writes WAV data to stdout, and stdout is a terminal",
                         "Pipe it (… -o - | sao edit - …), redirect it (… -o - > out.wav), or give -o FILE.")


def sidecar_target(output: str, no_sidecar: bool, sidecar: Path | None) -> str | None:
    """Where the sidecar goes: --sidecar, else beside a file output, never for '-' unless asked."""
    from engine.sidecar import sidecar_path

    if no_sidecar:
        return None
    if sidecar is not None:
        return str(sidecar)
    return None if output == "-" else str(sidecar_path(output))


def split_output(plans, input: str, output: str | None, play: bool, plot: bool) -> str | None:
    """For plans that split the file, the path its parts are named after (`-o DIR`, a file name, or
    beside the input: engine.parts); None for any other plans."""
    from engine.errors import UsageError
    from engine.parts import parts_base, split_at

    if split_at(plans) is None:
        return None
    if play or plot:
        raise UsageError("--play and --plot take one output file, and a split writes one per part")
    return parts_base(input, output)


def report(request, outcome, as_json: bool) -> None:
    """Warnings and a one-line summary on stderr (a line per part of a split); with --json, the result on stdout."""
    for w in outcome.warnings:
        console.warn(w)
    out = request.output.path
    seconds = outcome.frames / outcome.sample_rate  # an EditOutcome, or a server's ServedOutcome (no samples)
    for part in outcome.parts:
        console.info(f"wrote {part['path']} ({part['frames'] / part['sample_rate']:.2f} s, {part['sample_rate']} Hz, {part['channels']} ch)")
    if out != "-" and not outcome.parts:
        console.info(f"wrote {out} ({seconds:.2f} s, {outcome.sample_rate} Hz, {outcome.channels} ch)")
    if as_json:
        console.print_json(
            {
                "input": request.input,
                "output": None if outcome.parts else out,
                "sidecar": None if outcome.parts else request.sidecar,
                "duration_s": round(seconds, 6),
                "sample_rate": outcome.sample_rate,
                "channels": outcome.channels,
                "sha256": outcome.output_sha256,
                "plans": [p.to_dict() for p in request.plans],
                "warnings": outcome.warnings,
                **({"parts": outcome.parts} if outcome.parts else {}),
            }
        )


def neural_settings(steps: int, cfg: float, strength: float, seed: int | None, device, precision,
                    window: float | None, batch_size: int = 1, match_loudness: bool = False):
    """NeuralSettings from the command line (a usage error, exit 2, for a bad one)."""
    from engine.neural.editor import NeuralSettings

    settings = NeuralSettings(steps=steps, cfg=cfg, strength=strength, seed=seed, device=device.value,
                              precision=precision.value, batch_size=batch_size, window_s=window,
                              loudness="match" if match_loudness else "model")
    settings.check()
    return settings


def needs_model(plans, engine: str) -> bool:
    """Whether the model must load: some step is neural and --engine dsp does not refuse it first."""
    return engine != "dsp" and any(p.needs_model for p in plans)


def resolve_model_for(plans, model: str | None, server: str = "off") -> str:
    """The model folder (an absolute path) for plans that need one: --model, else $SAO_MODEL, else the model
    of the running `sao serve` (when `server` allows one), else sao-instruct.

    NeedsModel (exit 6) names the first step that needs it (and a server that serves no model).
    """
    import os

    from engine.errors import NeedsModel
    from engine.neural.sources import resolve_model

    if not model and not os.environ.get("SAO_MODEL") and server != "off":
        from engine.server.client import served_model

        served = served_model(server)
        if served:
            return served
    try:
        return str(resolve_model(model))
    except NeedsModel as e:
        i, plan = next((i, p) for i, p in enumerate(plans, 1) if p.needs_model)
        where = f"step {i} ('{plan.instruction}')" if len(plans) > 1 else f"'{plan.instruction}'"
        e.message = f"{where} needs the SAO-Instruct model: {e.message}"
        if not model and not os.environ.get("SAO_MODEL") and server != "off" and _a_server_runs(server):
            e.message += " (the running sao server has no model either)"
        raise


def _a_server_runs(server: str) -> bool:
    from engine.errors import SaoError
    from engine.server import paths
    from engine.server.client import ServerClient

    try:
        ServerClient.find(paths.socket_path(None if server == "auto" else server))
    except SaoError:
        return False
    return True


def fix_seed(settings) -> str | None:
    """Draw the seed now when none was given (so every step and file shares it); returns how to repeat it."""
    from engine.neural.editor import draw_seed

    if settings.seed is not None:
        return None
    settings.seed = draw_seed()
    return f"seed {settings.seed} (--seed {settings.seed} repeats this edit)"


def neural_editor(plans, engine: str, model: str | None, settings, server: str = "off"):
    """The editor for plans that need the model, loaded at their first neural step; else None.
    `server` (the --server option) lets a running server's model be the default (resolve_model_for)."""
    from engine.neural.editor import LazyEditor

    if not needs_model(plans, engine):
        return None
    path = resolve_model_for(plans, model, server)
    drawn = fix_seed(settings)

    def loaded(editor) -> None:
        console.info(f"model {editor.name} on {editor.device} ({editor.precision})" + (f"; {drawn}" if drawn else ""))

    return LazyEditor(path, settings, on_load=loaded)


@contextlib.contextmanager
def diffusion_progress(editor):
    """A progress bar on stderr over each neural edit's diffusion steps (the engine calls editor.progress).

    Only on a terminal: in a log a redrawn bar is noise.
    """
    if editor is None or console.state["quiet"] or not console.err.is_terminal:
        yield
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("neural edit"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
                   TimeRemainingColumn(), console=console.err, transient=True)
    task = bar.add_task("", total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    editor.progress = update
    with bar:
        yield


@dataclass
class AfterWrite:
    """--play and --plot: checked before the edit, done once the output is written."""

    input: str
    output: str
    play: bool = False
    png: str | None = None

    @classmethod
    def check(cls, input: str, output: str, play: bool, plot: bool, plot_file: Path | None, force: bool) -> "AfterWrite":
        from engine.errors import UsageError

        png = None
        if plot or plot_file is not None:
            if "-" in (input, output):
                raise UsageError("--plot needs a file input and a file output, not '-'")
            from engine.plot import check_png_output

            png = str(plot_file) if plot_file is not None else str(Path(output).with_suffix(".png"))
            check_png_output(png, force)
        if play:
            if output == "-":
                raise UsageError("--play needs a file output, not '-'")
            from engine.playback import output_device

            output_device()  # exit 7 now, before any work, when there is nothing to play on
        return cls(input, output, play, png)

    def run(self) -> None:
        if self.png:
            from engine.plot import render_png

            render_png(self.input, self.output, self.png, view="both")
            console.info(f"wrote {self.png}")
        if self.play:
            from .commands.play import play_paths

            play_paths([self.output])
