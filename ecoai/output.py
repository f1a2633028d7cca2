"""Writing reports: formats, the output-path rules, and atomic writes that never truncate."""

from __future__ import annotations

import os
import sys
import tempfile
from enum import StrEnum
from pathlib import Path

from ecoai.errors import InputError, ReportWriteError


class Format(StrEnum):
    """Output formats; every member has a renderer (tested)."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    CSV = "csv"
    CODECARBON_CSV = "codecarbon-csv"
    MODEL_CARD = "model-card"


_EXTENSIONS = {
    ".json": Format.JSON,
    ".md": Format.MARKDOWN,
    ".csv": Format.CSV,
    ".txt": Format.TABLE,
}


def choose_format(requested: str | None, json_flag: bool, output: str | None) -> Format:
    """Pick the format: --json, then --format, then the output file's extension, then table."""
    if json_flag:
        return Format.JSON
    if requested:
        try:
            return Format(requested)
        except ValueError:
            choices = ", ".join(f.value for f in Format)
            raise InputError(f"unknown format {requested!r}", f"choose one of: {choices}") from None
    if output and output != "-":
        return _EXTENSIONS.get(Path(output).suffix.lower(), Format.JSON)
    return Format.TABLE


def check_writable(output: str, force: bool) -> None:
    """Fail before any work if ``output`` is a directory, or exists and --force is not given."""
    if output == "-":
        return
    path = Path(output)
    if path.is_dir():
        raise InputError(f"{output} is a directory", "give a file path to -o/--output")
    if path.exists() and not force:
        raise ReportWriteError(
            f"{output} already exists", "pass --force to overwrite it, or choose another path"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ReportWriteError(f"directory {parent} does not exist", "create it first")


def write_text(output: str, text: str) -> None:
    """Write ``text`` to ``output`` ('-' is stdout) atomically: temp file in place, then rename.

    An existing file is replaced whole or left untouched; it is never half-written.
    """
    if not text.endswith("\n"):
        text += "\n"
    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(output)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise ReportWriteError(f"cannot write {output}: {error.strerror}", _hint(error)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise ReportWriteError(f"cannot write {output}: {error.strerror}", _hint(error)) from None


def _hint(error: OSError) -> str:
    import errno

    if error.errno == errno.ENOSPC:
        return "the disk is full; free some space or write elsewhere with -o"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the directory is not writable; choose another path with -o"
    return "check the path given to -o/--output"
