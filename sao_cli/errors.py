"""Turn engine errors into one-line messages and documented exit codes."""

from __future__ import annotations

import functools
import sys
import traceback
from typing import Callable

import typer

from engine.errors import ExitCode, SaoError

from . import console


def handle_errors(fn: Callable) -> Callable:
    """Wrap a command: SaoError -> its code, Ctrl-C -> 130, anything else -> 1 with a pointer."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except SaoError as e:
            console.error(e.message, e.hint)
            raise typer.Exit(int(e.code)) from None
        except KeyboardInterrupt:
            console.error("interrupted; nothing half-written was left")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(int(ExitCode.INTERNAL)) from None
        except Exception as e:  # a bug: say so, and where the details are
            if console.state["verbose"]:
                traceback.print_exc()
            console.error(
                f"internal error: {type(e).__name__}: {e}",
                "This is a bug in sao. Run again with --verbose for the traceback, and report it.",
            )
            raise typer.Exit(int(ExitCode.INTERNAL)) from None

    return wrapper
