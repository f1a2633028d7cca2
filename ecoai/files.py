"""The files a user names, in and out: reading scenarios, reports and gate files, writing reports.

Every failure is one clear error naming the file and the fix; writes are atomic and never truncate.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from ecoai.errors import InputError, ReportWriteError


def read_user_text(path: Path, what: str) -> str:
    """The UTF-8 text of ``path``; every failure is one InputError naming the file and the fix.

    ``what`` names the expected file in the hint, e.g. "a scenario .toml file".
    """
    if path.is_dir():
        raise InputError(f"{path} is a directory", f"give {what}")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", f"check the path of {what}") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied", "make the file readable") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", f"give {what} saved as UTF-8") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}", "check the path") from None


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
