"""The checked-in man pages match the Typer app, and `--check` notices when they don't."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GENERATE = REPO / "man" / "generate.py"
sys.path.insert(0, str(REPO / "man"))

import generate  # noqa: E402


def check(folder: Path | None = None) -> subprocess.CompletedProcess:
    args = [sys.executable, str(GENERATE), "--check"] + (["--dir", str(folder)] if folder else [])
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def test_checked_in_pages_are_current():
    result = check()
    assert result.returncode == 0, result.stderr


@pytest.fixture
def fresh(tmp_path):
    """A folder of freshly generated pages."""
    result = subprocess.run([sys.executable, str(GENERATE), "--dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert check(tmp_path).returncode == 0
    return tmp_path


def test_check_fails_on_an_edited_page(fresh):
    page = fresh / "sao-edit.1"
    page.write_text(page.read_text().replace("plain English", "plain Klingon"))
    result = check(fresh)
    assert result.returncode == 1 and "sao-edit.1" in result.stderr


def test_check_fails_on_a_missing_page(fresh):
    (fresh / "sao-play.1").unlink()
    result = check(fresh)
    assert result.returncode == 1 and "sao-play.1" in result.stderr


def test_check_fails_on_a_page_for_a_command_that_is_gone(fresh):
    shutil.copy(fresh / "sao-edit.1", fresh / "sao-retired.1")
    result = check(fresh)
    assert result.returncode == 1 and "sao-retired.1" in result.stderr


def test_every_command_and_option_has_its_page():
    """Walk the click tree independently of the generator and look for each name in the rendered page."""
    import typer

    from sao_cli.app import app

    pages = generate.pages()

    def walk(cmd, words, parent):
        ctx = cmd.context_class(cmd, info_name=words[-1], parent=parent)
        text = pages["-".join(words) + ".1"]
        assert f".B {' '.join(words)}".replace("-", "\\-") in text
        for p in cmd.params:
            if not p.hidden:
                names = p.opts if p.param_type_name == "option" else [p.name.upper()]
                for n in names:
                    assert n.replace("-", "\\-") in text, f"{n} missing from {'-'.join(words)}.1"
        for name in getattr(cmd, "list_commands", lambda ctx: [])(ctx):
            walk(cmd.get_command(ctx, name), [*words, name], ctx)

    walk(typer.main.get_command(app), ["sao"], None)


def test_sao_page_lists_every_exit_code():
    from engine.errors import ExitCode

    text = generate.pages()["sao.1"]
    for code in ExitCode:
        assert f".TP\n\\fB{int(code)}\\fR\n" in text


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_pages_are_valid_roff():
    for page in sorted((REPO / "man").glob("sao*.1")):
        result = subprocess.run(["groff", "-man", "-ww", "-Wbreak", "-z", str(page)], capture_output=True, text=True)
        assert result.returncode == 0 and result.stderr == "", f"{page.name}: {result.stderr}"


def _commands():
    """(page name, words, click command, context) for the app and every sub-command."""
    import typer

    from sao_cli.app import app

    found = []

    def walk(cmd, words, parent):
        ctx = cmd.context_class(cmd, info_name=words[-1], parent=parent)
        found.append(("-".join(words), words, cmd, ctx))
        for name in getattr(cmd, "commands", {}):
            walk(cmd.commands[name], [*words, name], ctx)

    walk(typer.main.get_command(app), ["sao"], None)
    return found


def test_usage_line_and_synopsis_agree():
    """`sao CMD --help` and the man page name the arguments alike: INPUT INSTRUCTION, no {input} or <list[str]>."""
    import re

    from cli_helpers import run

    pages = generate.pages()
    for name, words, cmd, ctx in _commands():
        usage = run(*words[1:], "--help").stdout.splitlines()[0]
        text = pages[f"{name}.1"]
        synopsis = text.split(".SH SYNOPSIS\n", 1)[1].split("\n.SH", 1)[0].splitlines()[1]
        plain = re.sub(r"\\f[BIR]", "", synopsis).replace("\\-", "-")
        assert usage == f"Usage: {' '.join(words)} {plain}", name
        assert "{" not in usage and "<list" not in run(*words[1:], "--help").stdout


def test_every_page_has_examples_that_the_command_accepts():
    """Each example is parsed by the real command (nothing runs), so a renamed option fails here."""
    import shlex

    from examples import EXAMPLES

    from sao_cli.app import hoist_global_flags

    pages = generate.pages()
    commands = {name: (words, cmd, ctx) for name, words, cmd, ctx in _commands()}
    assert set(EXAMPLES) == {p.removesuffix(".1") for p in pages}
    for name, examples in EXAMPLES.items():
        assert ".SH EXAMPLES" in pages[f"{name}.1"] and examples
        for _, line in examples:
            lexer = shlex.shlex(line, posix=True, punctuation_chars="|<>&;")
            lexer.whitespace_split = True
            tokens = list(lexer)
            tokens = tokens[: next((i for i, t in enumerate(tokens) if t in "|<>&;"), len(tokens))]
            assert tokens[0] == "sao", line
            root = commands["sao"][1]
            args = hoist_global_flags(root, tokens[1:])
            rest = args_after_flags(args)
            root.make_context("sao", args[: len(args) - len(rest) + 1])  # the global flags and the command's name
            cmd, words = root, ["sao"]
            while rest and rest[0] in getattr(cmd, "commands", {}):
                cmd, words, rest = cmd.commands[rest[0]], [*words, rest[0]], rest[1:]
            assert "-".join(words).startswith(name), f"{line!r} is not an example of {name}"
            cmd.make_context(words[-1], rest)  # raises click's UsageError for an unknown option or a missing argument


def args_after_flags(args: list[str]) -> list[str]:
    from sao_cli.app import GLOBAL_FLAGS

    i = 0
    while i < len(args) and args[i] in GLOBAL_FLAGS:
        i += 1
    return args[i:]
