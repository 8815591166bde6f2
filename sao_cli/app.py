"""The `sao` Typer app: global options, and one module per command.

Importing this module must stay cheap (no numpy, no torch): `sao --help` has a
cold-start budget of 0.3 s. Commands import the engine inside their bodies.
"""

from __future__ import annotations

import importlib

import typer

from engine import __version__

from . import console

COMMANDS = ["edit", "plan", "info", "ops", "replay", "chain", "batch", "show", "play", "gen_data", "eval", "models", "serve", "train"]

app = typer.Typer(
    name="sao",
    help="Edit audio from plain-English instructions: DSP where signal processing is exact, SAO-Instruct for the rest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sao {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only data and errors."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Print more detail, and tracebacks for internal errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    console.state["quiet"] = quiet
    console.state["verbose"] = verbose


for _name in COMMANDS:
    importlib.import_module(f"sao_cli.commands.{_name}").register(app)


def main() -> None:
    app()
