"""The command line as a user types it: global flags anywhere, -f, narrow terminals."""

from __future__ import annotations

import json

import pytest
import typer

from cli_helpers import run, sao
from conftest import tone, write
from sao_cli import console
from sao_cli.app import app, hoist_global_flags


def root():
    return typer.main.get_command(app)


@pytest.mark.parametrize("args, expected", [
    (["edit", "a.wav", "louder", "-q"], ["-q", "edit", "a.wav", "louder"]),
    (["edit", "a.wav", "--verbose", "louder", "-o", "b.wav"], ["--verbose", "edit", "a.wav", "louder", "-o", "b.wav"]),
    (["-q", "info", "a.wav", "-v"], ["-q", "-v", "info", "a.wav"]),
    (["eval", "suite", "--engine", "dsp", "--quiet"], ["--quiet", "eval", "suite", "--engine", "dsp"]),
    (["edit", "a.wav", "louder", "-o", "-q"], ["edit", "a.wav", "louder", "-o", "-q"]),  # the value of -o
    (["plan", "--", "-v"], ["plan", "--", "-v"]),  # after --, an argument
])
def test_global_flags_are_moved_to_the_front(args, expected):
    assert hoist_global_flags(root(), args) == expected


def test_quiet_and_verbose_after_the_subcommand(tmp_path, wav):
    p = sao("edit", wav, "gain +20 dB", "-o", tmp_path / "hot.wav", "-q")  # would warn about clipping
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    p = sao("edit", wav, "gain +20 dB", "-o", tmp_path / "hot2.wav", "--quiet")
    assert p.returncode == 0 and p.stderr == b""
    p = sao("edit", wav, "gain +20 dB", "-o", tmp_path / "hot3.wav")
    assert b"sao: warning: the result would clip" in p.stderr  # the warning -q silenced
    r = run("info", wav, "--verbose")
    assert r.exit_code == 0 and console.state["verbose"]
    p = sao("edit", wav, "louder", "-o", "-q")  # "-q" is the output's name here: refused as a file name
    assert p.returncode == 2 and b"cannot write" in p.stderr


def test_f_is_force_everywhere():
    """Every command with --force takes -f for it, and no command gives -f another meaning."""

    def walk(cmd, words):
        for p in cmd.params:
            if "-f" in p.opts:
                assert "--force" in p.opts, f"{' '.join(words)}: -f is {p.opts}"
            if "--force" in p.opts:
                assert "-f" in p.opts, f"{' '.join(words)}: --force has no -f"
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*words, name])

    walk(root(), ["sao"])


def test_chain_f_with_a_steps_file_is_a_usage_error_with_a_hint(tmp_path, wav):
    steps = tmp_path / "steps.txt"
    steps.write_text("make it 3 dB louder\n")
    out = tmp_path / "o.wav"
    p = sao("chain", wav, "-f", steps, "-o", out)
    err = p.stderr.decode()
    assert p.returncode == 2 and "is a file, not an instruction" in err and f"--file {steps}" in err
    assert not out.exists()
    assert sao("chain", wav, "-F", steps, "-o", out).returncode == 0
    assert sao("chain", wav, "make it quieter", "-o", out, "-f").returncode == 0  # -f: overwrite


def lines_with(text: str, *values: str) -> list[str]:
    return [line for line in text.splitlines() if all(v in line for v in values)]


@pytest.mark.parametrize("columns", [80, 60])
def test_info_at_narrow_widths_shows_every_value_whole(tmp_path, columns):
    long_name = write(tmp_path / "a_rather_long_field_recording_name_kitchen_take_03.wav", tone(330, 1.25))
    other = write(tmp_path / "b.wav", tone(440, 0.5, amp=0.1), subtype="PCM_24")
    p = sao("info", long_name, other, env={"COLUMNS": str(columns)})
    assert p.returncode == 0, p.stderr
    text = p.stdout.decode()
    assert "…" not in text
    rows = json.loads(sao("info", long_name, other, "--json").stdout)
    for r in rows:
        assert lines_with(text, r["path"])
        for value in (f"{r['duration_s']:.3f} s", f"{r['sample_rate']} Hz", f"{r['format']} {r['subtype']}",
                      f"{r['peak_db']:.1f} dBFS", f"{r['true_peak_db']:.1f} dBTP", f"{r['rms_db']:.1f} dBFS", f"{r['lufs']:.1f}"):
            assert lines_with(text, value), f"{value} missing at {columns} columns:\n{text}"
    wide = sao("info", long_name, other, env={"COLUMNS": "250"}).stdout.decode()
    assert "┃" in wide and lines_with(wide, r["path"], f"{r['rms_db']:.1f} dBFS")  # wide enough: the table, a row per file


@pytest.mark.parametrize("columns", [80, 60])
def test_plan_at_narrow_widths_shows_every_parameter_whole(columns):
    instruction = "add a small room reverb, then high pass at 80 Hz, then trim the first 1.5 seconds"
    plan = json.loads(sao("plan", instruction, "--json").stdout)
    p = sao("plan", instruction, env={"COLUMNS": str(columns)})
    text = p.stdout.decode()
    assert p.returncode == 0 and "…" not in text
    for step in plan["steps"]:
        assert lines_with(text, step["op"])
        for name, value in step["params"].items():
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            assert lines_with(text, name, shown), f"{name}={shown} missing at {columns} columns:\n{text}"
        assert lines_with(text, step["text"])


@pytest.mark.parametrize("columns", [80, 60])
def test_ops_reverb_at_narrow_widths_shows_every_preset(columns):
    (op,) = json.loads(sao("ops", "reverb", "--json").stdout)
    p = sao("ops", "reverb", env={"COLUMNS": str(columns)})
    text = p.stdout.decode()
    assert p.returncode == 0 and "…" not in text
    preset = next(q for q in op["params"] if q["name"] == "preset")
    assert lines_with(text, "preset", "|".join(preset["choices"]))
    for q in op["params"]:
        assert lines_with(text, q["name"], str(q["default"]))
