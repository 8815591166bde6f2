"""Rich views of engine data: plans, operations, file info.

A table is shown only when every cell fits whole on one line at the terminal's
width; otherwise the same rows are printed one field per line (`name  value`),
so a narrow terminal never truncates a file name, a preset or a path.
"""

from __future__ import annotations

from rich.table import Table

Record = tuple[str, list[tuple[str, str]]]  # a heading, and (field, value) pairs


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


def fits(table: Table, console) -> bool:
    """Whether every cell of the table fits whole, on one line, at the console's width."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update_width(10_000), table).maximum <= console.width


def print_records(console, title: str | None, records: list[Record], caption: str | None = None) -> None:
    """The narrow layout: a heading per row, then one `field  value` line per cell, values whole."""
    from rich.text import Text

    if title:
        console.print(Text(title), soft_wrap=True)
    for heading, fields in records:
        console.print(Text(heading, style="bold"), soft_wrap=True)
        width = max((len(name) for name, _ in fields), default=0)
        for name, value in fields:
            console.print(Text(f"  {name:<{width}}  {value}"), soft_wrap=True)
    if caption:
        console.print(Text(caption), soft_wrap=True)


def show_table(console, table: Table, records: list[Record]) -> None:
    """The table when it fits the terminal, else the same rows as records."""
    if fits(table, console):
        console.print(table)
    else:
        title = str(table.title) if table.title else None
        caption = str(table.caption) if table.caption else None
        print_records(console, title, records, caption)


def channels_text(channels) -> str:
    """[0] -> "left channel", [0, 2] -> "left, channel 3"."""
    names = [{0: "left", 1: "right"}.get(c, f"channel {c + 1}") for c in channels]
    return ", ".join(names) + (" channel" if len(names) == 1 and not names[0].startswith("channel") else "")


def output_text(output) -> str:
    """A plan's output format in words: "16-bit mu-law, 2 channels"."""
    d = output.to_dict()
    encoding = {"pcm": "PCM", "float": "float", "ulaw": "mu-law", "alaw": "A-law"}.get(d.get("encoding"), "")
    words = " ".join(w for w in (f"{d['bits']}-bit" if "bits" in d else "", encoding) if w)
    return ", ".join(w for w in (words, f"{d['channels']} channels" if "channels" in d else "") if w)


def _where(step) -> str:
    return region_text(step.region) + (f", {channels_text(step.channels)}" if step.channels is not None else "")


def plan_table(plan) -> Table:
    caption = f"output file: {output_text(plan.output)}" if plan.output else None
    table = Table(title=f"Plan for “{plan.instruction}”", title_justify="left", caption=caption, caption_justify="left")
    for col in ("#", "op", "parameters", "region", "engine", "from the words", "planner"):
        table.add_column(col)
    for i, step in enumerate(plan.steps, 1):
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in step.params.items())
        table.add_row(str(i), step.op, params, _where(step), step.engine, step.text, step.planner)
    return table


def plan_records(plan) -> list[Record]:
    return [(f"step {i}: {step.op} ({step.engine})",
             [(k, _fmt(v)) for k, v in step.params.items()]
             + [("region", _where(step)), ("from the words", step.text), ("planner", step.planner)])
            for i, step in enumerate(plan.steps, 1)]


def ignored_line(plan) -> str | None:
    """The instruction's words the planner did not use, in one line: "ignored: 'from the 1940s'"."""
    if not plan.ignored:
        return None
    return "ignored: " + ", ".join(f"'{w}'" for w in plan.ignored)


def show_plan(plan, as_json: bool) -> None:
    """A plan on stdout: JSON for machines, a table (or records, when narrow) for people, and the words it did not use under it."""
    from . import console

    if as_json:
        console.print_json(plan.to_dict())
    else:
        show_table(console.out, plan_table(plan), plan_records(plan))
        if line := ignored_line(plan):
            console.out.print(line, markup=False, highlight=False)
