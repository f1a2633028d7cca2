"""Where the profiles are, and the built-in ones read from their parsed copy with json alone.

``ecoai.inputs.catalog`` validates and overlays the profiles (pydantic schemas, ~60 ms to
import). Before the command it measures starts, ``ecoai profile`` needs less: whether the user
overlays anything (``overlay_dirs``) and, for the CPU model, the built-in CPU entries
(``built_in_entries``); this module answers both with ``os``, ``json`` and ``zlib`` only
(issue 16: the wrapping cost before the command starts). The built-in entries come from
``PARSED_FILE`` only while it matches the TOML files it was made from: the same data the catalog
loads without validation (``catalog._entry``; a test validates it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ecoai
from ecoai.errors import ProfileError

PARSED_FILE = "parsed.json"
"""The built-in TOML files already parsed, as JSON (``python -m ecoai.inputs.catalog`` writes
it): read in a fraction of the time tomllib parses them, at every start of an estimate and of
a profile. Each file's entry holds the TOML's size and CRC-32: if any differs, or a TOML file
is missing or new, the TOML files are parsed instead, so a stale copy is never used."""

SERVE_METRICS_FILE = "serve-metrics.toml"
"""A model server's counter names for ``--serve-metrics``, in a profile directory: not a
profile file (the catalog skips it)."""


def built_in_dir() -> Path:
    """The shipped profiles: ``ecoai/_profiles`` in a wheel, ``<repo>/profiles`` in a checkout."""
    package = Path(ecoai.__file__).resolve().parent
    wheel = package / "_profiles"
    return wheel if wheel.is_dir() else package.parent / "profiles"


def user_config_dir() -> Path:
    """The user's own profile directory (honours XDG_CONFIG_HOME)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ecoai" / "profiles"


def overlay_dirs(user_dirs: Sequence[Path] = ()) -> list[Path]:
    """User directories in overlay order: config dir (if present), ECOAI_PROFILES, then flags."""
    dirs = [user_config_dir()] if is_dir(user_config_dir()) else []
    env = os.environ.get("ECOAI_PROFILES", "")
    dirs += [Path(part) for part in env.split(os.pathsep) if part]
    return dirs + [Path(d) for d in user_dirs]


def is_dir(path: Path) -> bool:
    """``path.is_dir()``, False for a name the system refuses (too long: ENAMETOOLONG)."""
    try:
        return path.is_dir()
    except OSError:
        return False


def toml_files(directory: Path, *, built_in: bool) -> list[Path]:
    """The profile files of ``directory``, sorted. Raises ProfileError if it is no directory."""
    if not is_dir(directory):
        if built_in:
            hint = "reinstall ecoai; the wheel ships them"
            raise ProfileError(f"built-in profiles not found at {directory}", hint)
        raise ProfileError(
            f"profile directory {directory} does not exist",
            "check --profiles, ECOAI_PROFILES or the user config directory",
        )
    return sorted(p for p in directory.glob("*.toml") if p.name != SERVE_METRICS_FILE)


def parsed_built_in(directory: Path, paths: list[Path]) -> dict[Path, Any] | None:
    """The built-in files' data from ``PARSED_FILE`` if it matches ``paths`` (the same names,
    sizes and CRC-32s), else None (then the TOML files are parsed)."""
    import json
    import zlib

    try:
        files = json.loads((directory / PARSED_FILE).read_bytes())["files"]
        if sorted(files) != sorted(path.name for path in paths):
            return None
        found = {}
        for path in paths:
            raw, mirror = path.read_bytes(), files[path.name]
            if mirror["size"] != len(raw) or mirror["crc32"] != zlib.crc32(raw):
                return None
            found[path] = mirror["data"]
        return found
    except (OSError, ValueError, KeyError, TypeError):
        return None


_read: list[dict[Path, Any] | None] = []


def _parsed() -> dict[Path, Any] | None:
    """``parsed_built_in`` of the built-in profiles, read once (None: stale, or missing)."""
    if not _read:
        directory = built_in_dir()
        try:
            _read.append(parsed_built_in(directory, toml_files(directory, built_in=True)))
        except ProfileError:
            _read.append(None)
    return _read[0]


def parsed_is_current() -> bool:
    """Whether the built-in profiles are there and ``PARSED_FILE`` matches them: the catalog
    then loads them from it, as the tests validated them, and cannot fail on them."""
    return _parsed() is not None


def built_in_entries(kind: str) -> list[dict[str, Any]] | None:
    """The built-in entries of ``kind`` (a table name: ``cpus``) in the catalog's order, each
    its fields plus ``id``, as the catalog holds them (new dicts); None when ``PARSED_FILE`` is
    stale or unreadable, or the built-in profiles are missing (then only the catalog can say)."""
    parsed = _parsed()
    if parsed is None:
        return None
    entries: dict[str, dict[str, Any]] = {}
    for path in sorted(parsed):
        table = parsed[path].get(kind, {})
        for entry_id, fields in table.items():
            for old in [i for i in entries if i.lower() == entry_id.lower()]:
                del entries[old]  # as the catalog: a later file's entry replaces it, in any case
            entries[entry_id] = {**fields, "id": entry_id}
    return list(entries.values())
