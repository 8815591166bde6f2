"""`sao play FILE...`: listen to files, or compare an original with its edit (--ab).

`play_paths` is also what `sao edit --play` and `sao chain --play` call.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from typing import List, Optional

import typer

from .. import console
from ..errors import handle_errors

SWITCH_KEYS = {" ", "\n", "\r"}
QUIT_KEYS = {"q", "Q"}


def _clock(seconds: float) -> str:
    minutes, s = divmod(seconds, 60)
    return f"{int(minutes)}:{s:04.1f}"


class ProgressLine:
    """The progress line on stderr: redrawn in place on a terminal; elsewhere
    (a log, a pipe) one line when playback starts and at each A/B switch."""

    def __init__(self, labels: list[str], hint: str = ""):
        self.labels = labels
        self.hint = hint
        self._shown: int | None = None
        self._live = console.err.is_terminal and not console.state["quiet"]

    def __call__(self, player) -> None:
        label = self.labels[player.choice]
        if self._live:
            filled = int(20 * player.position_s / max(player.duration_s, 1e-9))
            bar = "#" * filled + "-" * (20 - filled)
            line = f"{label}  [{bar}] {_clock(player.position_s)} / {_clock(player.duration_s)}{self.hint}"
            console.err.file.write(f"\r{line}\x1b[K")
            console.err.file.flush()
        elif self._shown is None:
            console.info(f"{label} ({_clock(player.duration_s)})")
        elif player.choice != self._shown:
            console.info(f"{label} at {_clock(player.position_s)}")
        self._shown = player.choice

    def close(self) -> None:
        if self._live and self._shown is not None:
            console.err.file.write("\n")
            console.err.file.flush()


def check_files(paths: list[str]) -> None:
    """Exit 3 for a missing or unreadable file (its header is read), before asking for a device (exit 7)."""
    from engine.audio_io import open_audio

    for path in paths:
        open_audio(path).close()


def play_paths(paths: list[str], device: str | None = None) -> None:
    """Play files one after another with a progress line (for play, edit --play, chain --play)."""
    from engine.audio_io import read_audio
    from engine.playback import Player, output_device

    check_files(paths)
    output_device(device)  # exit 7 before decoding anything
    for path in paths:
        audio = read_audio(path)
        progress = ProgressLine([f"playing {path}"])
        try:
            Player([audio.samples], audio.sample_rate).run(device, progress)
        finally:
            progress.close()


def _ab_pair(files: list[str]) -> list[str]:
    """ORIGINAL EDIT, or one edit whose sidecar names its original."""
    from engine.errors import UsageError
    from engine.sidecar import read_sidecar, sidecar_path

    if len(files) == 2:
        return files
    if len(files) == 1:
        side = sidecar_path(files[0])
        if not side.exists():
            raise UsageError(f"--ab needs ORIGINAL EDIT, or an edit with a sidecar ({side} not found)")
        original = read_sidecar(side)["input"]["path"]
        if original == "-":
            raise UsageError(f"{files[0]} was made from stdin; give ORIGINAL EDIT")
        return [original, files[0]]
    raise UsageError(f"--ab compares two files, ORIGINAL EDIT (got {len(files)})")


@contextlib.contextmanager
def _keys():
    """Yield a function returning the keys pressed since the last call ('' if none).

    The terminal goes into cbreak mode (keys arrive without Enter, Ctrl-C still
    works) and is restored on the way out, whatever happens.
    """
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        yield lambda: os.read(fd, 64).decode(errors="ignore") if select.select([fd], [], [], 0)[0] else ""
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def play_ab(files: list[str], switch_every_s: float, device: str | None = None) -> None:
    from engine.audio_io import read_audio
    from engine.playback import Player, ab_takes, output_device

    original, edit = _ab_pair(files)
    check_files([original, edit])
    output_device(device)
    takes, sr = ab_takes(read_audio(original), read_audio(edit))
    labels = [f"A {original}", f"B {edit}"]
    if not sys.stdin.isatty():
        progress = ProgressLine(labels)
        try:
            Player(takes, sr, switch_every_s).run(device, progress)
        finally:
            progress.close()
        return
    progress = ProgressLine(labels, "  (space: switch, q: quit)")
    player = Player(takes, sr)
    with _keys() as pressed:

        def tick(p: Player) -> None:
            keys = pressed()
            if any(k in QUIT_KEYS for k in keys):
                p.stop()
            if sum(k in SWITCH_KEYS for k in keys) % 2:
                p.toggle()
            progress(p)

        try:
            player.run(device, tick, tick_s=0.05)
        finally:
            progress.close()


@handle_errors
def play(
    files: List[str] = typer.Argument(..., help="Audio files, played one after another. With --ab: ORIGINAL EDIT, or one edit whose sidecar names its original."),
    ab: bool = typer.Option(False, "--ab", help="Compare an original with its edit: space or enter switches between them as they play; when stdin is not a terminal they alternate every --switch-every seconds."),
    switch_every: float = typer.Option(3.0, "--switch-every", min=0.1, help="Seconds between A/B switches when stdin is not a terminal."),
    device: Optional[str] = typer.Option(None, "--device", help="Output device: a PortAudio device number or part of its name. Default: the system's."),
) -> None:
    """Play audio through the sound card, with a progress line on stderr (exit 7 if there is no output device)."""
    if ab:
        play_ab(files, switch_every, device)
    else:
        play_paths(files, device)


def register(app: typer.Typer) -> None:
    app.command("play")(play)
