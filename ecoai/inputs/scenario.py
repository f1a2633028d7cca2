"""Scenario files: read a TOML scenario into validated values, and write a resolved one back."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ecoai import __version__
from ecoai.errors import InputError, did_you_mean, one_line
from ecoai.files import read_user_text
from ecoai.inputs.keys import BY_NAME, coerce
from ecoai.models import Param, ParamValue


def read_scenario(path: Path) -> dict[str, ParamValue]:
    """Read and validate a scenario file; every error names the file and the key."""
    import tomllib  # only with a scenario file: not on the path of flags or presets

    text = read_user_text(path, "a scenario .toml file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: invalid TOML: {error}", "fix the syntax at that line") from None
    except RecursionError:
        raise InputError(
            f"{path}: nested too deeply", "a scenario is a flat list of keys"
        ) from None
    if "scenario" in data and isinstance(data["scenario"], dict):
        data = data["scenario"]  # a [scenario] table is accepted as well as top-level keys
    values: dict[str, ParamValue] = {}
    for name, raw in data.items():
        if name not in BY_NAME:
            unknown = did_you_mean("scenario key", name, list(BY_NAME))
            raise InputError(f"{path}: {unknown.message}", unknown.hint)
        values[name] = coerce(BY_NAME[name], raw, where=f"{path}: {name}")
    return values


def scenario_toml(params: Mapping[str, Param]) -> str:
    """The fully resolved scenario as TOML, each key preceded by a comment naming its source."""
    import tomli_w

    lines = [f"# Resolved scenario written by ecoai {__version__}; re-run: ecoai estimate FILE"]
    for name, param in params.items():
        where = param.source.kind + (f" {param.source.ref}" if param.source.ref else "")
        if param.source.citation:
            where += f" ({param.source.citation})"
        lines.append(f"# {name}: {one_line(where)}")  # a newline here would inject TOML
        lines.append(tomli_w.dumps({name: param.value}).rstrip("\n"))
    return "\n".join(lines) + "\n"
