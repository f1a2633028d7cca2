"""Load and validate the built-in and user profile TOML files; look entries up by id or alias.

Overlay order, later wins by id: built-in < user config dir (``$XDG_CONFIG_HOME/ecoai/profiles``,
default ``~/.config/ecoai/profiles``) < ``ECOAI_PROFILES`` (os.pathsep-separated) < ``--profiles``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecoai.errors import ProfileError, did_you_mean
from ecoai.inputs.built_in import (
    PARSED_FILE,
    SERVE_METRICS_FILE,
    built_in_dir,
    overlay_dirs,
    user_config_dir,
)
from ecoai.inputs.built_in import parsed_built_in as _parsed_built_in
from ecoai.inputs.built_in import toml_files as _toml_files
from ecoai.inputs.catalog_schema import SCHEMAS, Entry
from ecoai.inputs.preset_kinds import KIND_BY_TABLE, PRESET_KINDS
from ecoai.models import trusted

if TYPE_CHECKING:
    from pydantic import ValidationError

BUILT_IN = "built-in"
KIND_NAMES = {name: kind.table for kind in PRESET_KINDS for name in kind.spellings}
"""Accepted spellings -> kind (the top-level table of a profile file)."""
SINGULAR = {table: kind.singular for table, kind in KIND_BY_TABLE.items()}


def kind_of(name: str) -> str:
    """Normalise a kind name (``model`` -> ``models``); unknown -> did-you-mean error."""
    kind = KIND_NAMES.get(name.lower())
    if kind is None:
        raise did_you_mean("profile kind", name, list(SCHEMAS))
    return kind


class Catalog:
    """All profile entries by kind and id, after overlays; lookups accept aliases, any case.

    A built-in entry may be held as its parsed fields (``Raw``) and becomes an ``Entry`` the
    first time it is looked up: an estimate from a preset reads a handful of the ~130 entries.
    """

    def __init__(self, entries: Mapping[str, Mapping[str, Entry | Raw]]) -> None:
        self._entries = {kind: dict(entries.get(kind, {})) for kind in SCHEMAS}
        self._index: dict[str, dict[str, str]] = {}
        for kind, by_id in self._entries.items():
            index = self._index.setdefault(kind, {})
            for entry_id, entry in by_id.items():  # aliases first: an id wins over an alias
                index.update({alias.lower(): entry_id for alias in _aliases(entry)})
            index.update({entry_id.lower(): entry_id for entry_id in by_id})

    def ids(self, kind: str) -> list[str]:
        """Every id of ``kind``, in file order."""
        return list(self._entries[kind_of(kind)])

    def find(self, kind: str, id: str) -> Entry | None:
        """The entry of ``kind`` named ``id`` (or one of its aliases), else None."""
        kind = kind_of(kind)
        canonical = self._index[kind].get(id.lower())
        return None if canonical is None else self._entry(kind, canonical)

    def get(self, kind: str, id: str) -> Any:
        """The entry of ``kind`` named ``id``; unknown ids raise a did-you-mean ProfileError."""
        entry = self.find(kind, id)
        if entry is None:
            kind = kind_of(kind)
            every = self.ids(kind) + self._aliases(kind)
            raise did_you_mean(SINGULAR[kind], id, every, f"ecoai profiles list {kind}")
        return entry

    def entries(self, kind: str) -> list[Entry]:
        kind = kind_of(kind)
        return [self._entry(kind, entry_id) for entry_id in self._entries[kind]]

    def _entry(self, kind: str, entry_id: str) -> Entry:
        held = self._entries[kind][entry_id]
        if isinstance(held, Raw):  # validated by the tests (test_trusted_models)
            held = self._entries[kind][entry_id] = trusted(SCHEMAS[kind], held.fields)
        return held

    def _aliases(self, kind: str) -> list[str]:
        return [alias for entry in self._entries[kind].values() for alias in _aliases(entry)]


class Raw:
    """A built-in entry's fields (with ``id`` and ``origin``), not yet made an ``Entry``."""

    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields


def _aliases(entry: Entry | Raw) -> list[str]:
    return list(entry.fields.get("aliases", ())) if isinstance(entry, Raw) else entry.aliases


def load_catalog(user_dirs: Sequence[Path] = (), *, overlays: bool = True) -> Catalog:
    """Load the built-in profiles, overlay the user's directories, validate cross-references.

    ``overlays=False``: the built-in profiles alone (no config dir, ECOAI_PROFILES or
    ``user_dirs``). Raises ProfileError for an invalid profile file or a dangling reference.
    """
    entries: dict[str, dict[str, Entry | Raw]] = {kind: {} for kind in SCHEMAS}
    files: dict[tuple[str, str], Path] = {}
    directories = [built_in_dir(), *overlay_dirs(user_dirs)] if overlays else [built_in_dir()]
    for directory in directories:
        origin = BUILT_IN if directory == built_in_dir() else "user"
        paths = _toml_files(directory, built_in=origin == BUILT_IN)
        parsed = _parsed_built_in(directory, paths) if origin == BUILT_IN else None
        for path in paths:
            data = parsed[path] if parsed is not None else _parse_file(path)
            for kind, entry in _file_entries(path, data, origin):
                same = [i for i in entries[kind] if i.lower() == _id(entry).lower()]
                for old in same:  # ids match in any case: a user's [grids.fra] replaces FRA
                    del entries[kind][old]
                entries[kind][_id(entry)] = entry
                files[(kind, _id(entry))] = path
    catalog = Catalog(entries)
    if len(directories) > 1 or parsed is None:  # the built-in files alone: checked by tests
        _check_references(catalog, files)
    return catalog


def _id(entry: Entry | Raw) -> str:
    return str(entry.fields["id"]) if isinstance(entry, Raw) else entry.id


def _check_references(catalog: Catalog, files: Mapping[tuple[str, str], Path]) -> None:
    """Every id an entry names must exist: a model's host, hardware and size class, and so on."""
    for kind in SCHEMAS:
        seen: dict[str, str] = {}
        for entry in catalog.entries(kind):
            for name in [entry.id, *entry.aliases]:
                other = seen.setdefault(name.lower(), entry.id)
                if other != entry.id:
                    where = f"{display_path(files[(kind, entry.id)])}: {kind}.{entry.id}"
                    raise ProfileError(f"{where}: {name!r} is already taken by {other!r}")
            for field, target, wanted in entry.references():
                found = catalog.find(target, wanted)
                if found is None or (field == "gpu" and getattr(found, "type", "") != "gpu"):
                    where = f"{display_path(files[(kind, entry.id)])}: {kind}.{entry.id}.{field}"
                    listing = f"ecoai profiles list {target}"
                    error = did_you_mean(SINGULAR[target], wanted, catalog.ids(target), listing)
                    raise ProfileError(f"{where}: {error.message}", error.hint)


def parsed_text(directory: Path | None = None) -> str:
    """What ``PARSED_FILE`` holds for the built-in TOML files (of ``directory``)."""
    directory = directory or built_in_dir()
    files = {}
    for path in _toml_files(directory, built_in=True):
        raw = path.read_bytes()
        files[path.name] = {"size": len(raw), "crc32": zlib.crc32(raw), "data": _parse_file(path)}
    note = "generated by `python -m ecoai.inputs.catalog` from the TOML files here: do not edit"
    return json.dumps({"note": note, "files": files}, indent=1, ensure_ascii=False) + "\n"


def _parse_file(path: Path) -> dict[str, Any]:
    """Parse one profile file; errors name the file."""
    import tomllib  # user profiles, or built-in ones whose parsed copy is stale

    from ecoai.errors import InputError
    from ecoai.files import read_user_text

    label = display_path(path)
    try:
        # a regular file only: a FIFO or /dev/zero here would hang or fill memory
        text = read_user_text(path, "a profile .toml file", allow_pipe=False)
        data = tomllib.loads(text)
    except InputError as error:
        raise ProfileError(error.message, error.hint, error.details) from None
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{label}: invalid TOML: {error}", "fix the file's syntax") from None
    except RecursionError:
        raise ProfileError(f"{label}: nested too deeply", "fix the file's syntax") from None
    return data


def _file_entries(
    path: Path, data: dict[str, Any], origin: str
) -> Iterator[tuple[str, Entry | Raw]]:
    """Validate one parsed profile file; errors name the file and the dotted key."""
    label = display_path(path)
    data.pop("schema_version", None)
    for kind, table in data.items():
        if kind not in SCHEMAS:
            raise ProfileError(
                f"{label}: {kind}: unknown profile kind",
                "top-level tables are: " + ", ".join(SCHEMAS),
            )
        if not isinstance(table, dict):
            raise ProfileError(f"{label}: {kind}: must be a table of entries keyed by id")
        for entry_id, fields in table.items():
            yield kind, _entry(kind, entry_id, fields, label, origin)


def _entry(kind: str, entry_id: str, fields: Any, label: str, origin: str) -> Entry | Raw:
    where = f"{label}: {kind}.{entry_id}"
    if not isinstance(fields, dict):
        raise ProfileError(f"{where}: must be a table of fields")
    for reserved in ("id", "origin"):
        if reserved in fields:
            raise ProfileError(f"{where}.{reserved}: set by ecoai, remove it from the file")
    origin = BUILT_IN if origin == BUILT_IN else f"user: {label}"
    data = {**fields, "id": entry_id, "origin": origin}
    if origin == BUILT_IN:  # validated by the tests (test_trusted_models): made on first use
        return Raw(data)
    from ecoai.validation import ValidationError, validate

    try:
        return validate(SCHEMAS[kind], data)
    except ValidationError as error:
        problems = _describe(where, error)
        raise ProfileError(problems[0], _hint(error), details=problems[1:]) from None


def _describe(where: str, error: ValidationError) -> list[str]:
    """Every problem of an entry, one a line: wrong values first, then missing fields."""
    details = sorted(error.errors(), key=lambda detail: detail["type"] == "missing")
    lines = []
    for detail in details:
        loc = ".".join(str(part) for part in detail["loc"])
        lines.append(
            f"{where}.{loc}: {_message(detail)}" if loc else f"{where}: {_message(detail)}"
        )
    return lines


_UNKNOWN_FIELD = ("unexpected_keyword_argument", "extra_forbidden")
"""pydantic's error types for a field the schema lacks (a dataclass's, a model's)."""


def _message(detail: Any) -> str:
    kind, ctx = detail["type"], detail.get("ctx", {})
    bounds = {"greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"),
              "less_than": ("<", "lt"), "less_than_equal": ("<=", "le")}  # fmt: skip
    if kind in bounds:
        op, name = bounds[kind]
        return f"must be {op} {ctx[name]:g}"
    if kind == "missing":
        return "missing (required)"
    if kind in _UNKNOWN_FIELD:
        return "unknown field"
    message: str = detail["msg"].removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _hint(error: ValidationError) -> str:
    first = sorted(error.errors(), key=lambda detail: detail["type"] == "missing")[0]
    if first["type"] in _UNKNOWN_FIELD:
        return "check the field name's spelling; `ecoai profiles show ID` shows a valid entry"
    return "fix the value in the file; every numeric field carries its unit in its name"


def display_path(path: Path) -> str:
    """``profiles/<file>`` for a built-in file, else the path as given."""
    if path.parent.resolve() == built_in_dir():
        return f"profiles/{path.name}"
    return str(path)


from ecoai.inputs.catalog_layer import preset_layer  # noqa: E402  (re-export: part of this module's API)

__all__ = [
    "PARSED_FILE",
    "SERVE_METRICS_FILE",
    "Catalog",
    "built_in_dir",
    "load_catalog",
    "overlay_dirs",
    "preset_layer",
    "user_config_dir",
]


if __name__ == "__main__":  # regenerate the parsed built-in profiles (a test checks they are fresh)
    (built_in_dir() / PARSED_FILE).write_text(parsed_text(), encoding="utf-8")
