"""`sao models pull|list|info|init-random`: the neural models (docs/models.md)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from .. import console
from ..errors import handle_errors

models_app = typer.Typer(
    help="Download, list, inspect and create the neural models (SAO-Instruct, Stable Audio Open, T5, CLAP).",
    no_args_is_help=True,
)


class Size(str, Enum):
    tiny = "tiny"
    full = "full"


class Format(str, Enum):
    sao_instruct = "sao-instruct"
    stable_audio = "stable-audio"


def _human(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


@models_app.command("pull")
@handle_errors
def pull(
    name: str = typer.Argument(..., help="sao-instruct | stable-audio-open | t5-base | clap"),
    token: Optional[str] = typer.Option(None, "--token", help="Hugging Face token (default: HF_TOKEN or your login).", envvar="HF_TOKEN"),
) -> None:
    """Download a model into the Hugging Face cache; checkpoints are converted once into SAO_CACHE.

    sao-instruct and stable-audio-open also pull t5-base. stable-audio-open is
    gated: accept its licence on the hub and log in first. Fails (exit 6) when
    HF_HUB_OFFLINE is set or the hub does not answer.
    """
    from engine.neural.sources import pull as pull_model

    path = pull_model(name, token=token)
    console.info(f"{name}: ready in {path}")


@models_app.command("list")
@handle_errors
def list_models(as_json: bool = typer.Option(False, "--json", help="Print JSON (a list, one object per model).")) -> None:
    """What is available on this machine, with sizes. Never downloads."""
    from rich.table import Table

    from engine.neural.sources import cache_dir, list_local

    rows = [{"name": m.name, "kind": m.kind, "path": str(m.path), "size_bytes": m.size_bytes} for m in list_local()]
    if as_json:
        console.print_json(rows)
        return
    if not rows:
        console.info(f"no models here (SAO_CACHE is {cache_dir()}); get one with `sao models pull sao-instruct`, "
                     "or make a random test model with `sao models init-random DIR`")
        return
    table = Table()
    for col in ("name", "kind", "size", "path"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["kind"], _human(r["size_bytes"]), r["path"])
    console.out.print(table)


@models_app.command("info")
@handle_errors
def info(
    model: str = typer.Argument(..., help="A model name (sao-instruct, stable-audio-open), a model folder, or a stable-audio-tools checkpoint folder."),
    check: bool = typer.Option(False, "--check", help="Also load every weight and the text encoder, to prove the model is usable."),
) -> None:
    """Print the model's config (sao_model.json) as JSON. A checkpoint is converted into the cache first."""
    from engine.neural.folder import read_config
    from engine.neural.sources import resolve_model

    path = resolve_model(model)
    cfg = read_config(path)
    if check:
        from engine.neural.loader import load_bundle

        bundle = load_bundle(path)
        params = sum(p.numel() for p in bundle.dit.parameters())
        console.info(f"{path}: loads; DiT {params / 1e6:.1f} M parameters, {bundle.sample_rate} Hz, "
                     f"up to {bundle.max_seconds:.1f} s")
    console.print_json({"path": str(path), **cfg})


@models_app.command("init-random")
@handle_errors
def init_random(
    directory: Path = typer.Argument(..., help="Where to write the model folder."),
    size: Size = typer.Option(Size.tiny, "--size", help="tiny: seconds-fast test model; full: the real architecture (1.06 B DiT), for speed and memory measurements."),
    fmt: Format = typer.Option(Format.sao_instruct, "--format", help="sao-instruct (edits: input latent concatenated) or stable-audio (text to audio)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed writes the same weights."),
    force: bool = typer.Option(False, "--force", "-f", help="Replace DIRECTORY if it exists."),
) -> None:
    """Write a randomly initialised model folder, with an offline tokenizer (no downloads)."""
    from engine.neural.random_init import init_random as make

    path = make(directory, size=size.value, fmt=fmt.value, seed=seed, force=force)
    console.info(f"wrote a random {size.value} {fmt.value} model to {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
