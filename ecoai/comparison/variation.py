"""Pure: ``--vary KEY=V1,V2`` flags -> the cartesian product of scenario overrides, labelled."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from ecoai.errors import InputError, closest
from ecoai.inputs.keys import BY_NAME, Key, parse_number
from ecoai.models import ParamValue

_BY_FLAG = {key.flag[2:].replace("-", "_"): key.name for key in BY_NAME.values()}
"""Short flag spellings (``cif`` for ``cif_kg_per_kwh``), dashes as underscores."""

Variation = tuple[str, dict[str, ParamValue]]
"""A label such as ``grid=FRA,batch_size=4`` and the flag overrides it stands for."""


def variations(specs: Sequence[str]) -> list[Variation]:
    """Expand every ``--vary`` into the cartesian product, first flag varying slowest."""
    axes = [_axis(spec) for spec in specs]
    names = [name for name, _ in axes]
    if len(set(names)) != len(names):
        raise InputError("--vary names a key twice", "put all its values in one --vary KEY=A,B")
    product = []
    for combo in itertools.product(*(values for _, values in axes)):
        overrides = dict(zip(names, (value for value, _ in combo), strict=True))
        label = ",".join(text for _, text in combo)
        product.append((label, overrides))
    return product


def _axis(spec: str) -> tuple[str, list[tuple[ParamValue, str]]]:
    name, sep, values = spec.partition("=")
    name = name.strip().removeprefix("--").replace("-", "_")
    texts = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or not texts:
        raise InputError(f"--vary {spec!r}: expected KEY=V1,V2,...", "e.g. --vary grid=FRA,USA,POL")
    written = name
    name = _BY_FLAG.get(name, name)
    if name not in BY_NAME:
        near = closest(name, list(dict.fromkeys([*BY_NAME, *_BY_FLAG])))
        hint = (
            ("did you mean " + ", ".join(repr(n) for n in near) + "?")
            if near
            else ("the keys are the flags of `ecoai estimate --help`, with underscores")
        )
        raise InputError(f"--vary: unknown key {name!r}", hint)
    key = BY_NAME[name]
    if key.kind == "quantiles":
        raise InputError(
            f"--vary: {name} takes a list and cannot vary", "compare scenario files instead"
        )
    return name, [(_value(key, text), f"{written}={text}") for text in texts]


def _value(key: Key, text: str) -> ParamValue:
    """The typed value of ``text`` for ``key``; bounds are checked later by resolve."""
    if key.kind == "str":
        return text
    if key.kind == "bool":
        if text.lower() not in ("true", "false"):
            raise InputError(f"--vary {key.name}: {text!r} is not true or false")
        return text.lower() == "true"
    return parse_number(key, text, f"--vary {key.name}")
