"""Rich views of engine data: plans, operations, file info."""

from __future__ import annotations

from rich.table import Table


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def region_text(region) -> str:
    if region is None:
        return "whole file"
    start = "start" if region.start_s in (None, 0) else f"{region.start_s:g} s"
    end = "end" if region.end_s is None else f"{region.end_s:g} s"
    return f"{start} – {end}"


def plan_table(plan) -> Table:
    table = Table(title=f"Plan for “{plan.instruction}”", title_justify="left")
    for col in ("#", "op", "parameters", "region", "engine", "from the words"):
        table.add_column(col)
    for i, step in enumerate(plan.steps, 1):
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in step.params.items())
        table.add_row(str(i), step.op, params, region_text(step.region), step.engine, step.text)
    return table


def ignored_line(plan) -> str | None:
    """The instruction's words the planner did not use, in one line: "ignored: 'from the 1940s'"."""
    if not plan.ignored:
        return None
    return "ignored: " + ", ".join(f"'{w}'" for w in plan.ignored)


def show_plan(plan, as_json: bool) -> None:
    """A plan on stdout: JSON for machines, a table for people (and the words it did not use under it)."""
    from . import console

    if as_json:
        console.print_json(plan.to_dict())
    else:
        console.out.print(plan_table(plan))
        if line := ignored_line(plan):
            console.out.print(line, markup=False, highlight=False)
