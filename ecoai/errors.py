"""The error hierarchy and the one table of exit codes."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum


class ExitStatus(IntEnum):
    """Every exit code ecoai itself chooses (``profile`` also passes the child's through)."""

    OK = 0
    GATE_FAILED = 1  # compare: a CI gate failed
    USAGE = 2  # bad input: flags, files, presets, reports
    INTERNAL = 3  # a bug in ecoai; please report it
    LOG_FAILED = 4  # profile --log-strict: a --log sink did not take the report
    NOT_EXECUTABLE = 126  # profile: the command exists but cannot be run
    NOT_FOUND = 127  # profile: the command was not found
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class EcoaiError(Exception):
    """An error shown to the user as one line, with an optional hint and its own exit code."""

    exit_status: ExitStatus = ExitStatus.USAGE

    def __init__(self, message: str, hint: str | None = None, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = tuple(details)
        """More problems of the same input (a profile entry's other invalid fields), one a line."""


class InputError(EcoaiError):
    """A flag, scenario, profile or report the user gave is invalid."""


class MissingInput(InputError):
    """A required input nothing supplied; ``name`` is its scenario key.

    Raised by the pure accessor (``inputs.keys.value``); a caller that holds the resolved inputs
    can name the preset that would supply it (``inputs.resolve.missing_input``).
    """

    def __init__(self, name: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.name = name


class ProfileError(InputError):
    """A built-in or user profile file is missing, malformed, or names an unknown id."""


class SensorError(EcoaiError):
    """A sensor the user explicitly asked for is unavailable."""


class ReportWriteError(EcoaiError):
    """A report could not be written (read-only directory, disk full, refused overwrite)."""


def format_error(error: EcoaiError) -> str:
    """Return the one or two lines ecoai prints on stderr for ``error``."""
    text = f"ecoai: error: {one_line(error.message)}"
    for detail in error.details:
        text += f"\necoai: error: {one_line(detail)}"
    if error.hint:
        text += f"\nhint: {one_line(error.hint)}"
    return text


def one_line(text: str) -> str:
    """``text`` with control characters escaped (a file name or label may hold a newline)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def closest(name: str, choices: list[str], limit: int = 3) -> list[str]:
    """Return up to ``limit`` of ``choices`` that look most like ``name`` (for 'did you mean')."""
    import difflib

    return difflib.get_close_matches(name, choices, n=limit, cutoff=0.5)


def did_you_mean(
    kind: str, name: str, choices: list[str], listing: str | None = None
) -> InputError:
    """Build the error for an unknown ``kind`` id: the closest known ids as the hint, else
    ``listing`` (a command that lists them, which must work: tests/test_hints.py runs it), else
    every known id."""
    near = closest(name, choices)
    if near:
        hint = "did you mean " + ", ".join(repr(n) for n in near) + "?"
    elif listing is not None:
        hint = f"`{listing}` lists the known ids"
    else:
        hint = "known: " + ", ".join(choices)
    return ProfileError(f"unknown {kind} {name!r}", hint)
