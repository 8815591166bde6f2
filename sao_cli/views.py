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


def plan_table(plan) -> Table:
    caption = f"output file: {output_text(plan.output)}" if plan.output else None
    table = Table(title=f"Plan for “{plan.instruction}”", title_justify="left", caption=caption, caption_justify="left")
    for col in ("#", "op", "parameters", "region", "engine", "from the words"):
        table.add_column(col)
    for i, step in enumerate(plan.steps, 1):
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in step.params.items())
        where = region_text(step.region) + (f", {channels_text(step.channels)}" if step.channels is not None else "")
        table.add_row(str(i), step.op, params, where, step.engine, step.text)
    return table


def show_plan(plan, as_json: bool) -> None:
    """A plan on stdout: JSON for machines, a table for people."""
    from . import console

    if as_json:
        console.print_json(plan.to_dict())
    else:
        console.out.print(plan_table(plan))
