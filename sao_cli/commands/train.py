"""`sao train` (fine-tune SAO-Instruct on gen-data triplets) and `sao train export` (docs/training.md)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from .. import console
from ..errors import handle_errors

train_app = typer.Typer(
    name="train",
    help="Fine-tune SAO-Instruct on `sao gen-data` triplets; `sao train export` turns a run into a model folder.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class Precision(str, Enum):
    bf16 = "bf16"
    fp16 = "fp16"
    fp32 = "fp32"


class ExportFormat(str, Enum):
    folder = "folder"
    stable_audio_tools = "stable-audio-tools"


@train_app.callback(invoke_without_command=True)
@handle_errors
def train(
    ctx: typer.Context,
    data: Optional[List[str]] = typer.Option(None, "--data", help="Dataset folder, optionally with a weight: DATASET[:WEIGHT] (repeat to mix; a weight multiplies how often its pairs are drawn). Reads train.jsonl when `sao gen-data split` made one, else manifest.jsonl."),
    base: Optional[str] = typer.Option(None, "--base", help="Model to start from: a Stable Audio Open model (widened, new input channels zero) or a SAO-Instruct model; a name, folder or checkpoint as --model takes."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run folder: checkpoints, logs, validation edits."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Optimiser steps to train to (default 100000); raise it with --resume to train on."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Pairs per device per micro-batch (default 8)."),
    accumulate: Optional[int] = typer.Option(None, "--accumulate", help="Micro-batches per optimiser step (default 1)."),
    precision: Optional[Precision] = typer.Option(None, "--precision", help="Mixed precision: bf16 (default), fp16, or fp32."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its last checkpoint, with its settings."),
    force: bool = typer.Option(False, "--force", "-f", help="Start over in an --out that holds a run (its checkpoints and logs are deleted)."),
    seconds: Optional[float] = typer.Option(None, "--seconds", help="Training length in seconds: longer pairs are cropped at random, shorter padded with silence (default 10)."),
    cache_latents: bool = typer.Option(False, "--cache-latents", help="Encode every clip once with the VAE (into RUN/latents) and train on the cached latents."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad pair (a bad manifest line, missing or corrupt audio, or a file that fails when read during training) instead of skipping it, counting it and listing it in RUN/skipped.jsonl."),
    lr: Optional[float] = typer.Option(None, "--lr", help="Peak learning rate (default 5e-5)."),
    cfg_dropout: Optional[float] = typer.Option(None, "--cfg-dropout", help="Share of items trained without their instruction, for classifier-free guidance (default 0.1)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the data order, crops and noise (default 0)."),
    checkpoint_every: Optional[int] = typer.Option(None, "--checkpoint-every", help="Save a checkpoint every N steps (default 1000); last.ckpt is also written at the end."),
    keep_checkpoints: Optional[int] = typer.Option(None, "--keep-checkpoints", help="How many periodic checkpoints to keep (default 3)."),
    validate_every: Optional[int] = typer.Option(None, "--validate-every", help="Render the validation edit into RUN/validation every K steps (default 1000; 0: never)."),
    log_every: Optional[int] = typer.Option(None, "--log-every", help="Log the loss every N steps (default 50)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="DataLoader worker processes per device (default 2)."),
    accelerator: Optional[str] = typer.Option(None, "--accelerator", help="auto (default), gpu, cpu or mps."),
    devices: Optional[str] = typer.Option(None, "--devices", help="Devices per machine: auto (default), a count, or a list such as 0,1."),
    num_nodes: Optional[int] = typer.Option(None, "--num-nodes", help="Machines (with torchrun or Slurm; default 1)."),
) -> None:
    """Fine-tune SAO-Instruct: `sao train --data DATASET --base stable-audio-open --out RUN`.

    Works on one GPU, several (DDP) and several machines (torchrun or Slurm)
    unchanged; --resume continues exactly where the last checkpoint left off.
    """
    if ctx.invoked_subcommand is not None:
        return
    import logging

    from engine.errors import UsageError
    from training.data import parse_data_spec, read_catalog

    if out is None:
        raise UsageError("--out RUN_DIR is needed: the folder for the run's checkpoints and logs")
    if data and not resume:  # bad data fails here, before Lightning's slow import
        catalog = read_catalog([parse_data_spec(d) for d in data], strict=strict)
    else:
        catalog = None

    from training.run import settings_for
    from training.run import train as run_training
    options = {"data": data or None, "base": base, "max_steps": max_steps, "batch_size": batch_size,
               "accumulate": accumulate, "precision": precision.value if precision else None, "seconds": seconds,
               "cache_latents": cache_latents or None, "strict": strict or None, "seed": seed,
               "checkpoint_every": checkpoint_every, "keep_checkpoints": keep_checkpoints,
               "validate_every": validate_every, "log_every": log_every, "workers": workers,
               "accelerator": accelerator, "devices": devices, "num_nodes": num_nodes}
    given = {k: v for k, v in options.items() if v is not None}
    hyper = {k: v for k, v in (("lr", lr), ("cfg_dropout", cfg_dropout)) if v is not None}
    if hyper:
        given["hyper"] = hyper
    if not resume:
        given.setdefault("data", [])
        given.setdefault("base", "")
    settings = settings_for(out, given, resume)
    settings.progress = not console.state["quiet"]
    level = logging.INFO if console.state["verbose"] else logging.WARNING
    for name in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(level)
    result = run_training(out, settings, resume=resume, force=force, say=console.info, warn=console.warn, catalog=catalog)
    if result.rank != 0:  # every DDP process runs this command; one reports
        return
    if result.failed_reads:
        detail = ", ".join(f"{n} {reason}" for reason, n in sorted(result.failed_reads.items()))
        console.warn(f"{sum(result.failed_reads.values())} pairs failed when read and were replaced by others ({detail}); "
                     f"see {out}/skipped.jsonl")
    console.info(f"{out}: trained to step {result.steps}; make a model folder with "
                 f"`sao train export {out} -o MODEL_DIR --ema`")


@train_app.command("export")
@handle_errors
def export(
    run: Path = typer.Argument(..., help="A run folder (its last checkpoint is used) or one of its .ckpt files."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    ema: bool = typer.Option(False, "--ema", help="Export the EMA of the weights (usually the better model) instead of the last weights."),
    fmt: ExportFormat = typer.Option(ExportFormat.folder, "--format", help="folder: what `sao edit --model` loads; stable-audio-tools: config.json + model.safetensors for its own scripts."),
    base: Optional[str] = typer.Option(None, "--base", help="The run's base model, when it has moved since training (default: the one in run.json)."),
    force: bool = typer.Option(False, "--force", "-f", help="Replace --out if it exists."),
) -> None:
    """Write a run's model as a model folder (or a stable-audio-tools checkpoint)."""
    from training.export import export as export_model

    path = export_model(run, out, ema=ema, fmt=fmt.value, base=base, force=force)
    console.info(f"wrote the {'EMA' if ema else 'trained'} model of {run} to {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
