"""Bad input, as a user meets it: every case through a real `sao` process.

Each case must give one clear error line ("sao: error: ..."), its documented exit
code (docs/conventions.md), no traceback, and leave the folder as it was:
nothing written, nothing half-written, no input or existing output changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cli_helpers import sao
from conftest import SR, tone, write
from engine.measure import rms_db


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_refused(p: subprocess.CompletedProcess, code: int, words: str, lines: int = 2) -> str:
    """The documented code, one error line that says `words`, no traceback, and at most `lines`
    lines in all (the error, and a hint); returns the error line."""
    err = p.stderr.decode()
    assert p.returncode == code, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("sao: error:")]
    assert len(errors) == 1, err
    assert words in errors[0], errors[0]
    assert len(err.strip().splitlines()) <= lines, err
    return errors[0]


@pytest.fixture
def folder(tmp_path):
    """A folder with a good take and an earlier result; the test checks both survive whatever happens."""
    write(tmp_path / "take.wav", tone(440, 1.0))
    write(tmp_path / "done.wav", tone(220, 1.0))
    return tmp_path


def _nan_wav(path: Path) -> None:
    x = tone(seconds=0.5)
    x[1, 1000] = np.nan
    sf.write(str(path), x.T, SR, subtype="FLOAT")


def _truncated_header(path: Path) -> None:
    good = path.with_name("whole.wav")
    write(good, tone())
    path.write_bytes(good.read_bytes()[:30])  # cut inside the RIFF/fmt header
    good.unlink()


BAD_FILES = {
    "missing": (lambda p: None, "no such file"),
    "text-named-wav": (lambda p: p.write_text("these are my notes, not audio\n" * 20), "not a readable audio file"),
    "empty": (lambda p: p.write_bytes(b""), "empty"),
    "truncated-header": (_truncated_header, "not a readable audio file"),
    "nan-samples": (_nan_wav, "NaN"),
    "zero-length": (lambda p: sf.write(str(p), np.zeros((0, 2)), SR), "no samples"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_input_file_exit_3(folder, case):
    make, words = BAD_FILES[case]
    bad = folder / "bad.wav"
    make(bad)
    before = snapshot(folder)
    p = sao("edit", bad, "make it louder", "-o", folder / "out.wav")
    assert_refused(p, 3, words)
    assert snapshot(folder) == before


def test_truncated_data_exit_3(folder):
    """The header says 2 s; the file holds 60 bytes. Never a silent 0 s result."""
    whole = write(folder / "whole.wav", tone())
    bad = folder / "cut.wav"
    bad.write_bytes(whole.read_bytes()[:60])
    before = snapshot(folder)
    p = sao("edit", bad, "make it louder", "-o", folder / "out.wav")
    assert_refused(p, 3, "truncated")
    assert snapshot(folder) == before


@pytest.mark.parametrize("instruction, words", [
    ("", "empty instruction"),
    ("   ", "empty instruction"),
    ("flurb the wizzle glonk", "could not understand"),
    ("make it a bit louder and " * 800 + "add reverb", "characters long"),
])
def test_instructions_that_cannot_be_read_exit_5(folder, instruction, words):
    before = snapshot(folder)
    p = sao("edit", folder / "take.wav", instruction, "-o", folder / "out.wav")
    assert_refused(p, 5, words)
    assert snapshot(folder) == before


def test_a_neural_instruction_without_a_model_exits_6(folder, tmp_path_factory):
    empty_cache = tmp_path_factory.mktemp("no-models")
    before = snapshot(folder)
    p = sao("edit", folder / "take.wav", "remove the dog barking", "-o", folder / "out.wav",
            env={"SAO_MODEL": "", "SAO_CACHE": str(empty_cache), "HF_HOME": str(empty_cache)})
    assert_refused(p, 6, "model")
    assert snapshot(folder) == before


@pytest.mark.parametrize("output, words", [
    ("take.wav", "is the input file"),
    ("done.wav", "already exists"),
    ("no/such/folder/out.wav", "does not exist"),
])
def test_refused_outputs_exit_4_and_nothing_is_lost(folder, output, words):
    before = snapshot(folder)
    p = sao("edit", folder / "take.wav", "make it 6 dB quieter", "-o", folder / output)
    assert_refused(p, 4, words)
    assert snapshot(folder) == before


def in_read_only(folder: Path, *args) -> subprocess.CompletedProcess:
    """`sao ARGS` with `folder` on a read-only filesystem (a bind mount in a private mount
    namespace), or, for a normal user, a folder without write permission."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", NO_COLOR="1")
    cmd = [sys.executable, "-m", "sao_cli", *map(str, args)]
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            return subprocess.run(cmd, capture_output=True, env=env, timeout=120)
        finally:
            folder.chmod(0o755)
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode:
        pytest.skip("root without unshare: no read-only filesystem to test with")
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", str(folder), *cmd], capture_output=True, env=env, timeout=120)


def test_an_unwritable_output_exits_4(folder, tmp_path_factory):
    locked = tmp_path_factory.mktemp("locked")
    p = in_read_only(locked, "edit", folder / "take.wav", "make it louder", "-o", locked / "out.wav")
    assert_refused(p, 4, "not writable")
    assert not list(locked.iterdir())


def test_batch_into_a_read_only_folder_exits_4(folder, tmp_path_factory):
    locked = tmp_path_factory.mktemp("locked")
    before = snapshot(folder)
    p = in_read_only(locked, "batch", folder, "make it louder", "-o", locked / "out")
    assert_refused(p, 4, "cannot make the output folder")
    p = in_read_only(locked.parent, "batch", folder, "make it louder", "-o", locked)  # exists, not writable
    assert_refused(p, 4, "not writable")
    assert not list(locked.iterdir()) and snapshot(folder) == before


def test_batch_over_a_missing_folder_exits_3(tmp_path):
    p = sao("batch", tmp_path / "nowhere", "make it louder", "-o", tmp_path / "out")
    assert_refused(p, 3, "no such folder")
    assert not list(tmp_path.iterdir())


def test_batch_with_one_bad_file_edits_the_rest_and_exits_8(folder):
    (folder / "notes.wav").write_text("not audio")
    out = folder.parent / "batch-out"
    p = sao("batch", folder, "make it 6 dB quieter", "-o", out, "-q")  # -q: the failures and the error, no table
    assert_refused(p, 8, "1 of 3 files failed")
    first = p.stderr.decode().splitlines()[0]
    assert first == f"failed {folder / 'notes.wav'}: not a readable audio file (Format not recognised.)", first  # its path once
    for name, hz in (("take.wav", 440), ("done.wav", 220)):
        y, _ = sf.read(str(out / name), dtype="float32", always_2d=True)
        assert rms_db(y.T) == pytest.approx(rms_db(tone(hz, 1.0)) - 6, abs=0.2)
    assert sorted(p.name for p in out.iterdir()) == [".sao", "done.wav", "take.wav"]


def test_play_of_a_missing_file_exits_3_even_without_a_sound_card(tmp_path):
    p = sao("play", tmp_path / "missing.wav", env={"PULSE_SERVER": str(tmp_path / "no-server")})
    assert_refused(p, 3, "no such file")


def test_replay_of_the_audio_instead_of_its_sidecar_exits_2(folder):
    out = folder / "quiet.wav"
    assert sao("edit", folder / "take.wav", "make it 6 dB quieter", "-o", out).returncode == 0
    before = snapshot(folder)
    p = sao("replay", out)
    line = assert_refused(p, 2, "is an audio file, not a sidecar")
    assert "quiet.wav.sao.json" in p.stderr.decode().split(line)[1]  # the hint names the sidecar
    assert snapshot(folder) == before


def test_wav_to_a_terminal_is_refused_exit_2(folder):
    """`-o -` would write binary WAV to the screen: refused unless stdout is a pipe or a file."""
    import pty

    main, child = pty.openpty()
    try:
        p = subprocess.run([sys.executable, "-m", "sao_cli", "edit", str(folder / "take.wav"), "louder", "-o", "-"],
                           stdout=child, stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"), timeout=120)
        os.close(child)
        child = -1
        screen = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the pty is closed and drained
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(main)
        if child >= 0:
            os.close(child)
    assert_refused(p, 2, "stdout is a terminal")
    assert b"RIFF" not in screen and screen == b""
    piped = sao("edit", folder / "take.wav", "louder", "-o", "-")  # a pipe is fine
    assert piped.returncode == 0 and piped.stdout[:4] == b"RIFF"
