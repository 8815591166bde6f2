"""The `sao` Typer app: global options, and one module per command.

Importing this module must stay cheap (no numpy, no torch): `sao --help` has a
cold-start budget of 0.3 s. Commands import the engine inside their bodies.
"""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from engine import __version__

from . import console

COMMANDS = ["edit", "plan", "info", "ops", "replay", "chain", "batch", "show", "play", "gen_data", "eval", "models", "serve", "train"]

GLOBAL_FLAGS = {"-q", "--quiet", "-v", "--verbose"}


class SaoArgument(TyperArgument):
    """An argument shown as man pages show it: INPUT, [FILE2], INSTRUCTIONS...
    (Typer's own style is {input} and a type such as <list[str]>)."""

    def _usage_display_name(self) -> str:
        name = (self.metavar or self.name or "").upper()
        return (name if self.required else f"[{name}]") + ("..." if self.nargs != 1 else "")

    def _rich_display_name(self) -> str:
        return (self.metavar or self.name or "").upper() + ("..." if self.nargs != 1 else "")

    def display_type_rich(self, ctx: typer.Context) -> None:
        return None


class SaoOption(TyperOption):
    """An option that may be repeated shows its value's type (`--data <str>`), not <list[str]>."""

    def display_type(self, ctx: typer.Context) -> str:
        shown = super().display_type(ctx)
        return f"<{shown[6:-2]}>" if shown.startswith("<list[") else shown


def _commands(group) -> list:
    """Every command under a group, nested groups included."""
    found = []
    for cmd in getattr(group, "commands", {}).values():
        found += [cmd, *_commands(cmd)]
    return found


def hoist_global_flags(group, args: list[str]) -> list[str]:
    """Move --quiet/--verbose given after a sub-command to the front, where the app reads them.

    Option values (`-o -q`) and anything after `--` stay where they are, and so do
    flags that a sub-command defines itself."""
    front, rest, cmd = [], [], group
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            rest += args[i:]
            break
        params = [p for p in cmd.params if p.param_type_name == "option"]
        own = {o for p in params for o in p.opts + p.secondary_opts} if cmd is not group else set()
        takes_value = {o for p in params if not p.is_flag and not p.count for o in p.opts}
        if token in GLOBAL_FLAGS and token not in own:
            front.append(token)
        elif token in takes_value:
            rest += args[i : i + 2]
            i += 1
        else:
            if not token.startswith("-") and token in getattr(cmd, "commands", {}):
                cmd = cmd.commands[token]
            rest.append(token)
        i += 1
    return front + rest


class SaoGroup(TyperGroup):
    """The root group: global flags anywhere on the line, and arguments named as in the man pages."""

    def __init__(self, **attrs):
        super().__init__(**attrs)
        for cmd in [self, *_commands(self)]:
            for p in cmd.params:
                if type(p) is TyperArgument:
                    p.__class__ = SaoArgument
                elif type(p) is TyperOption:
                    p.__class__ = SaoOption

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_flags(self, args))


app = typer.Typer(
    name="sao",
    cls=SaoGroup,
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
    if quiet:  # libraries' warnings too: -q prints data and errors only
        import warnings

        warnings.filterwarnings("ignore")


for _name in COMMANDS:
    importlib.import_module(f"sao_cli.commands.{_name}").register(app)


def main() -> None:
    app(prog_name="sao")
