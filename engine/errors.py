"""Errors that carry the documented exit code (docs/conventions.md).

Everything the user can cause raises a SaoError subclass with a one-line message;
the CLI prints the message and exits with `code`. Anything else is a bug (exit 1).
"""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2
    BAD_AUDIO = 3
    OUTPUT_REFUSED = 4
    NOT_UNDERSTOOD = 5
    NEEDS_MODEL = 6
    NO_AUDIO_DEVICE = 7
    BATCH_FAILED = 8
    NO_SERVER = 9
    INTERRUPTED = 130


class SaoError(Exception):
    """Base class: a one-line message and an exit code."""

    code = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(SaoError):
    code = ExitCode.USAGE


class BadAudio(SaoError):
    code = ExitCode.BAD_AUDIO


class OutputRefused(SaoError):
    code = ExitCode.OUTPUT_REFUSED


class NotUnderstood(SaoError):
    code = ExitCode.NOT_UNDERSTOOD


class Refused(NotUnderstood):
    """A deliberate refusal (exit 5): the words were read, but what they ask is impossible or
    unsafe (a value out of an operation's range, a reversed region). Unlike a plain
    NotUnderstood, asking another planner (a language model) would not help."""


class NeedsModel(SaoError):
    code = ExitCode.NEEDS_MODEL


class NoAudioDevice(SaoError):
    code = ExitCode.NO_AUDIO_DEVICE


class BatchFailed(SaoError):
    code = ExitCode.BATCH_FAILED


class NoServer(SaoError):
    code = ExitCode.NO_SERVER
