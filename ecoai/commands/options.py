"""Typer options built from the scenario keys, shared by the commands that take them."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import typer

from ecoai.errors import InputError
from ecoai.inputs.keys import BY_NAME, Key

if TYPE_CHECKING:
    from ecoai.models import ParamValue

_TYPES: dict[str, type] = {"float": float, "int": int, "str": str, "bool": bool, "quantiles": str}


def key_parameters(names: Iterable[str], panel: str = "Scenario") -> list[inspect.Parameter]:
    """One keyword parameter per scenario key, with its flag, unit and help, defaulting to None."""
    return [_parameter(BY_NAME[name], panel) for name in names]


def _parameter(key: Key, panel: str) -> inspect.Parameter:
    unit = f" ({key.unit})" if key.unit and key.unit not in ("fraction",) else ""
    decls = [f"{key.flag}/--no-{key.flag[2:]}"] if key.kind == "bool" else [key.flag]
    option = typer.Option(
        None, *decls, help=key.help + unit, rich_help_panel=panel, show_default=False
    )
    return inspect.Parameter(
        key.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=_TYPES[key.kind] | None
    )


def with_parameters(func: Callable[..., Any], extra: list[inspect.Parameter]) -> Callable[..., Any]:
    """Give ``func`` (taking ``**kwargs``) a signature of its own params plus ``extra``."""
    own = [
        p
        for p in inspect.signature(func, eval_str=True).parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    func.__signature__ = inspect.Signature(own + extra)  # type: ignore[attr-defined]
    func.__annotations__ = {}
    return func


def flag_values(kwargs: dict[str, Any], names: Iterable[str]) -> dict[str, ParamValue | None]:
    """The scenario values given on the command line (quantile lists parsed from 'a,b,c,d,e')."""
    values: dict[str, ParamValue | None] = {}
    for name in names:
        raw = kwargs.get(name)
        if raw is not None and BY_NAME[name].kind == "quantiles":
            raw = _quantiles(BY_NAME[name], str(raw))
        values[name] = raw
    return values


def _quantiles(key: Key, text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise InputError(
            f"{key.flag}: expected 5 comma-separated numbers, got {text!r}",
            f"e.g. {key.flag} 0.5,0.6,0.7,0.8,0.9",
        ) from None
