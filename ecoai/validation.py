"""pydantic's side of ecoai's models: validating what comes from outside, dumps, JSON Schemas.

The models (``ecoai.models``, ``ecoai.inputs.catalog_schema``) are plain frozen dataclasses
that import no pydantic, so that a path which only builds them from values ecoai computed (an
estimate's table or JSON, a profile up to the command's start) never imports it (issue 16).
Whatever reads a file, stdin or a user's profile validates through here: pydantic's
``TypeAdapter`` reads the dataclasses' fields, their ``metadata`` (``Field`` arguments such as
``strict``), ``Annotated`` rules (``ecoai.models.Rule``) and ``__pydantic_config__``
(``extra="forbid"``). One adapter per class, built on first use.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

__all__ = [
    "ValidationError",
    "adapter",
    "dump",
    "dump_json",
    "json_schema",
    "validate",
    "validate_json",
]

T = TypeVar("T")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def adapter(cls: type[T]) -> TypeAdapter[T]:
    """The pydantic adapter of ``cls`` (built once: its validator and serializer)."""
    found = _ADAPTERS.get(cls)
    if found is None:
        found = _ADAPTERS[cls] = TypeAdapter(cls)
    return found


def validate(cls: type[T], data: Any) -> T:
    """``data`` (parsed JSON, TOML, a dict) as a ``cls``; raises ``ValidationError``."""
    return adapter(cls).validate_python(data)


def validate_json(cls: type[T], text: str | bytes, *, strict: bool = False) -> T:
    """JSON ``text`` as a ``cls`` (pydantic's own parser); raises ``ValidationError``.

    ``strict``: a value must have its field's JSON type (a number, not ``"0.85"`` or ``true``;
    an integer is still a number), as pydantic's strict mode reads JSON."""
    return adapter(cls).validate_json(text, strict=strict)


def dump(instance: Any, **options: Any) -> Any:
    """``instance`` through pydantic's serializer (``exclude``, ``exclude_none``, ``mode``)."""
    return adapter(type(instance)).dump_python(instance, **options)


def dump_json(instance: Any, indent: int | None = None) -> str:
    """``instance`` as pydantic writes its JSON (non-finite floats as null)."""
    return adapter(type(instance)).dump_json(instance, indent=indent).decode()


def json_schema(cls: type[Any]) -> dict[str, Any]:
    """The JSON Schema of ``cls`` in validation mode."""
    return adapter(cls).json_schema()
