"""Scenario files: read a TOML scenario into validated values, and write a resolved one back."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecoai import __version__
from ecoai.errors import InputError, did_you_mean
from ecoai.files import read_user_text
from ecoai.inputs.keys import BY_NAME, Key
from ecoai.models import Param, ParamValue


def read_scenario(path: Path) -> dict[str, ParamValue]:
    """Read and validate a scenario file; every error names the file and the key."""
    text = read_user_text(path, "a scenario .toml file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: invalid TOML: {error}", "fix the syntax at that line") from None
    if "scenario" in data and isinstance(data["scenario"], dict):
        data = data["scenario"]  # a [scenario] table is accepted as well as top-level keys
    values: dict[str, ParamValue] = {}
    for name, raw in data.items():
        if name not in BY_NAME:
            unknown = did_you_mean("scenario key", name, list(BY_NAME))
            raise InputError(f"{path}: {unknown.message}", unknown.hint)
        values[name] = coerce(BY_NAME[name], raw, where=f"{path}: {name}")
    return values


def coerce(key: Key, raw: Any, where: str) -> ParamValue:
    """Check ``raw`` against ``key``'s type and bounds; return the value in its canonical type."""
    if key.kind == "str":
        if not isinstance(raw, str) or not raw.strip() or not raw.isprintable():
            raise InputError(
                f"{where}: must be a non-empty printable string", f'e.g. {key.name} = "..."'
            )
        return raw.strip()
    if key.kind == "bool":
        if not isinstance(raw, bool):
            raise InputError(f"{where}: must be true or false", f"e.g. {key.name} = true")
        return raw
    if key.kind == "quantiles":
        if not isinstance(raw, list) or len(raw) != 5:
            raise InputError(
                f"{where}: must be a list of 5 numbers (P5, P25, P50, P75, P95)",
                f"e.g. {key.name} = [1, 2, 3, 4, 5]",
            )
        return [_number(key, item, f"{where}[{i}]") for i, item in enumerate(raw)]
    number = _number(key, raw, where)
    if key.kind == "int":
        if number != int(number):
            raise InputError(
                f"{where}: must be a whole number, got {raw!r}", f"e.g. {key.name} = 8"
            )
        return int(number)
    return number


def _number(key: Key, raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(f"{where}: must be a number, got {raw!r}", f"e.g. {key.name} = 1.0")
    try:
        value = float(raw)
    except OverflowError:  # an integer beyond 1.8e308 (typed on the command line)
        value = math.inf
    if not math.isfinite(value):
        raise InputError(
            f"{where}: must be a finite number, got {raw!r}", "NaN and infinity are not allowed"
        )
    check_bounds(key, value, where)
    return value


def check_bounds(key: Key, value: float, where: str) -> None:
    """Raise InputError if ``value`` is outside ``key``'s allowed range."""
    if key.low is not None and (value < key.low or (key.low_open and value == key.low)):
        op = ">" if key.low_open else ">="
        raise InputError(f"{where}: must be {op} {key.low:g}, got {value:g}", _unit_hint(key))
    if key.high is not None and value > key.high:
        raise InputError(f"{where}: must be <= {key.high:g}, got {value:g}", _unit_hint(key))


def _unit_hint(key: Key) -> str:
    if key.unit == "fraction":
        return f"{key.name} is a fraction between 0 and 1 (e.g. 0.05 for 5 %)"
    if key.name == "pue":
        return "PUE is facility energy / IT energy, so it is at least 1.0 (e.g. 1.12)"
    return (
        f"{key.name} is in {key.unit}"
        if key.unit
        else f"see `ecoai estimate --help` for {key.name}"
    )


def scenario_toml(params: Mapping[str, Param]) -> str:
    """The fully resolved scenario as TOML, each key preceded by a comment naming its source."""
    import tomli_w

    lines = [f"# Resolved scenario written by ecoai {__version__}; re-run: ecoai estimate FILE"]
    for name, param in params.items():
        where = param.source.kind + (f" {param.source.ref}" if param.source.ref else "")
        if param.source.citation:
            where += f" ({param.source.citation})"
        lines.append(f"# {name}: {where}")
        lines.append(tomli_w.dumps({name: param.value}).rstrip("\n"))
    return "\n".join(lines) + "\n"
