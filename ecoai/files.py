"""Reading the files a user names (scenarios, reports, gate files): one clear error each way."""

from __future__ import annotations

from pathlib import Path

from ecoai.errors import InputError


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
