"""Write the man pages for `sao` and each of its commands, from the Typer app itself.

    python3 man/generate.py            # rewrite man/sao.1, man/sao-edit.1, ...
    python3 man/generate.py --check    # exit 1 if a page is stale, missing or left over

A page says what `sao CMD --help` says (the same usage line and help records, so
arguments, defaults and ranges match), in roff for man(1), and adds EXAMPLES
(man/examples.py). sao(1) also lists the exit codes and the
environment, read from docs/conventions.md, so there is one table to keep.
Sub-commands of a group get their own page: `sao models pull` -> sao-models-pull.1.

Pitfall: a default computed from the environment (a path under $HOME, say) would
make the pages differ between machines; keep such defaults out of the help
record (`show_default=False`) and describe them in the help text instead.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # works from a checkout, installed or not

TITLE = "sao manual"

from examples import EXAMPLES  # noqa: E402  (man/ is on sys.path when run as a script)


def roff(text: str) -> str:
    """Escape plain text for roff: backslashes, minus signs, and lines starting with a control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line for line in text.split("\n"))


def inline_code(text: str) -> str:
    """Markdown `code` -> bold, the rest escaped."""
    parts = text.split("`")
    return "".join(f"\\fB{roff(p)}\\fR" if i % 2 else roff(p) for i, p in enumerate(parts))


def paragraphs(text: str) -> list[str]:
    """Help text as paragraphs (blank-line separated), each on one line; click's \\b markers dropped."""
    blocks = re.split(r"\n\s*\n", (text or "").strip())
    return [" ".join(line.strip() for line in b.splitlines() if line.strip() != "\b") for b in blocks if b.strip()]


def synopsis(pieces: list[str]) -> str:
    """click's usage pieces ('[OPTIONS]', 'INPUT', '[INSTRUCTIONS]...') with the names in italics."""
    return " ".join(re.sub(r"[A-Z][A-Z0-9_]*", lambda m: f"\\fI{m.group()}\\fR", roff(p)) for p in pieces)


def examples_section(name: str) -> list[str]:
    out = [".SH EXAMPLES"]
    for text, line in EXAMPLES[name]:
        if text:
            out += [".PP", inline_code(text)]
        out += [".RS 4", ".nf", f"\\fB{roff(line)}\\fR", ".fi", ".RE"]
    return out


def argument_term(param) -> str:
    return f"\\fI{roff(param.name.upper())}\\fR" + ("..." if param.nargs == -1 else "")


def option_term(help_record: str) -> str:
    """'-o, --output <str>' (as --help shows it) -> bold names, italic value."""
    names, sep, value = help_record.partition(" <")
    bold = ", ".join(f"\\fB{roff(n.strip())}\\fR" for n in names.split(","))
    return f"{bold} \\fI{roff('<' + value)}\\fR" if sep else bold


def is_argument(param) -> bool:
    return param.param_type_name == "argument"


def visible_params(cmd, ctx) -> list:
    return [p for p in cmd.get_params(ctx) if not getattr(p, "hidden", False)]


def subcommands(cmd, ctx) -> list[tuple[str, object]]:
    if not hasattr(cmd, "list_commands"):
        return []
    found = [(name, cmd.get_command(ctx, name)) for name in cmd.list_commands(ctx)]
    return [(name, sub) for name, sub in found if sub is not None and not sub.hidden]


def conventions_sections() -> list[str]:
    """EXIT STATUS and ENVIRONMENT for sao(1), from docs/conventions.md."""
    text = (REPO / "docs" / "conventions.md").read_text()
    lines = [".SH EXIT STATUS"]
    for code, meaning in re.findall(r"^\|\s*(\d+)\s*\|\s*(.+?)\s*\|\s*$", text, flags=re.M):
        lines += [".TP", f"\\fB{code}\\fR", inline_code(meaning)]
    env = re.search(r"^## Environment\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    if env:
        lines += [".SH ENVIRONMENT", *(inline_code(p) for p in paragraphs(env.group(1)))]
    return lines


def page_name(words: list[str]) -> str:
    return "-".join(words)


def render(cmd, ctx, words: list[str], version: str) -> str:
    name = page_name(words)
    params = visible_params(cmd, ctx)
    args = [p for p in params if is_argument(p)]
    opts = [p for p in params if not is_argument(p)]
    subs = subcommands(cmd, ctx)
    described = paragraphs(cmd.help)
    summary = described[0] if described else ""

    out = [f'.TH "{name.upper()}" "1" "" "sao {version}" "{TITLE}"', ".SH NAME", f"{roff(name)} \\- {roff(summary.replace('`', ''))}", ".SH SYNOPSIS"]
    out += [f".B {roff(' '.join(words))}", synopsis(cmd.collect_usage_pieces(ctx))]
    out.append(".SH DESCRIPTION")
    out += [x for i, p in enumerate(described) for x in ([".PP"] if i else []) + [inline_code(p)]]
    if subs:
        out.append(".SH COMMANDS")
        for sub_name, sub in subs:
            out += [".TP", f"\\fB{roff(sub_name)}\\fR", f"{inline_code(sub.get_short_help_str(limit=300))} See \\fB{roff(page_name([*words, sub_name]))}\\fR(1)."]
    for title, group in (("ARGUMENTS", args), ("OPTIONS", opts)):
        if group:
            out.append(f".SH {title}")
            for p in group:
                term, text = p.get_help_record(ctx)
                out += [".TP", argument_term(p) if is_argument(p) else option_term(term), inline_code(text)]
    out += examples_section(name)
    if len(words) == 1:
        out += conventions_sections()
    else:
        out += [".SH EXIT STATUS", "0 on success; the other codes are listed in \\fBsao\\fR(1)."]
    see = [page_name(words[:-1])] if len(words) > 1 else []
    see += [page_name([*words, s]) for s, _ in subs]
    if see:
        out += [".SH SEE ALSO", ", ".join(f"\\fB{roff(s)}\\fR(1)" for s in see)]
    return "\n".join(out) + "\n"


def pages() -> dict[str, str]:
    """File name -> roff text, for the app and every (sub-)command in it."""
    import typer

    from engine import __version__
    from sao_cli.app import app

    found: dict[str, str] = {}

    def walk(cmd, words: list[str], parent) -> None:
        ctx = cmd.context_class(cmd, info_name=words[-1], parent=parent, **(cmd.context_settings or {}))
        found[f"{page_name(words)}.1"] = render(cmd, ctx, words, __version__)
        for name, sub in subcommands(cmd, ctx):
            walk(sub, [*words, name], ctx)

    walk(typer.main.get_command(app), ["sao"], None)
    return found


def stale(folder: Path, wanted: dict[str, str]) -> list[str]:
    """Pages in `folder` that differ from, are missing from, or are not in `wanted`."""
    on_disk = {p.name for p in folder.glob("sao*.1")}
    missing_or_changed = [n for n, text in wanted.items() if n not in on_disk or (folder / n).read_text() != text]
    return sorted(missing_or_changed + sorted(on_disk - wanted.keys()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write (or check) the sao man pages.")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any page is out of date")
    parser.add_argument("--dir", type=Path, default=HERE, help="folder of the pages (default: man/)")
    args = parser.parse_args(argv)
    wanted = pages()
    outdated = stale(args.dir, wanted)
    if args.check:
        if outdated:
            print(f"man pages out of date: {', '.join(outdated)}; run python3 man/generate.py", file=sys.stderr)
            return 1
        return 0
    for name in outdated:
        target = args.dir / name
        if name in wanted:
            target.write_text(wanted[name])
        else:
            target.unlink()
    print(f"{len(wanted)} pages in {args.dir}, {len(outdated)} written or removed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
