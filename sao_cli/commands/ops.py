"""`sao ops`: the operation registry, for people and for scripts."""

from __future__ import annotations

from typing import Optional

import typer

from .. import console
from ..errors import handle_errors


@handle_errors
def ops(
    name: Optional[str] = typer.Argument(None, help="Show one operation in full."),
    as_json: bool = typer.Option(False, "--json", help="Print the registry as JSON."),
) -> None:
    """List the DSP operations with their parameters, units, ranges and defaults."""
    from rich.table import Table

    from engine.ops import all_operations, get_operation

    from ..views import show_table

    operations = [get_operation(name)] if name else all_operations()
    if as_json:
        console.print_json([op.to_dict() for op in operations])
        return
    if name:
        op = operations[0]
        console.out.print(f"[bold]{op.name}[/bold] ({op.category})\n\n{op.doc}\n")
    table = Table()
    for col in ("operation", "category", "parameters", "what it does"):
        table.add_column(col)
    for op in operations:
        params = ", ".join(_param_text(p) for p in op.params) or "—"
        table.add_row(op.name, op.category, params, op.summary)
    records = [(f"{op.name} parameters" if name else f"{op.name} ({op.category})", [(p.name, _param_text(p).partition("=")[2]) for p in op.params]
                + [("what it does", op.summary)]) for op in operations]
    show_table(console.out, table, records)
    if not name:
        console.info('Try: sao plan "pitch it up 3 semitones and add a small room reverb"')


def _param_text(p) -> str:
    text = f"{p.name}={p.default}"
    if p.choices:
        text += f" ({'|'.join(p.choices)})"
    elif p.min is not None:
        text += f" [{p.min:g}..{p.max:g}]"
    return text


def register(app: typer.Typer) -> None:
    app.command("ops")(ops)
