"""`sao plan INSTRUCTION`: show what an instruction would do, without audio."""

from __future__ import annotations

import typer

from .. import options
from ..errors import handle_errors


@handle_errors
def plan(
    instruction: str = typer.Argument(..., help="What to do, in plain English."),
    engine: options.Engine = options.ENGINE,
    planner: options.Planner = options.PLANNER,
    no_cache: bool = options.NO_CACHE,
    as_json: bool = typer.Option(False, "--json", help="Print the plan JSON instead of a table."),
) -> None:
    """Show the plan an instruction becomes: each step's operation, parameters, region and engine."""
    from ..editing import make_plans
    from ..views import show_plan

    show_plan(make_plans([instruction], engine.value, planner.value, not no_cache, tell_ignored=False)[0], as_json)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
