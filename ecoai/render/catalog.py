"""Plain-text views of profile entries for `ecoai profiles show`: lookup and field rows.

The one-line summary of `ecoai profiles list` is each schema's ``summary()`` (catalog_schema.py).
"""

from __future__ import annotations

from typing import Any

from ecoai.errors import InputError, did_you_mean
from ecoai.inputs.catalog import Catalog, kind_of
from ecoai.inputs.catalog_schema import Entry
from ecoai.inputs.preset_kinds import KIND_BY_TABLE, KIND_TABLES


def find_any(catalog: Catalog, id: str, kind: str | None) -> tuple[str, Entry]:
    """The one entry called ``id`` in ``kind`` (or in any kind); ambiguous or unknown -> error."""
    kinds = [kind_of(kind)] if kind else list(KIND_TABLES)
    found = [(k, e) for k in kinds if (e := catalog.find(k, id)) is not None]
    if len(found) > 1:
        names = ", ".join(k for k, _ in found)
        raise InputError(f"{id!r} names entries of several kinds: {names}", "add --kind KIND")
    if not found:
        every = [i for k in kinds for i in catalog.ids(k)]
        listing = f"ecoai profiles list {kind_of(kind)}" if kind else "ecoai profiles list"
        singular = KIND_BY_TABLE[kind_of(kind)].singular if kind else "profile"
        raise did_you_mean(singular, id, every, listing)
    return found[0]


def detail_rows(kind: str, entry: Entry) -> list[list[str]]:
    """(field, value) rows: every field, prompts and variants flattened, sources last."""
    from ecoai.validation import dump

    data = dump(entry, exclude={"sources", "origin"}, exclude_none=True)
    rows = [["kind", kind]]
    for key, value in data.items():
        rows += _flatten(key, value)
    rows += [["origin", entry.origin]]
    rows += [["source", source] for source in entry.sources]
    return rows


def _flatten(key: str, value: Any) -> list[list[str]]:
    if isinstance(value, dict) and value:
        return [row for k, v in value.items() for row in _flatten(f"{key}.{k}", v)]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [row for i, v in enumerate(value) for row in _flatten(f"{key}.{i}", v)]
    if isinstance(value, list) and value:
        return [[key, ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in value)]]
    if isinstance(value, float):
        return [[key, f"{value:g}"]]
    return [] if value in ({}, []) else [[key, str(value)]]


def field_rows(data: dict[str, Any]) -> list[list[str]]:
    """(field, value) rows of flat ``data``; floats as %g."""
    return [[k, f"{v:g}" if isinstance(v, float) else str(v)] for k, v in data.items()]
