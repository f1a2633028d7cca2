"""One check of every report's energy, water and carbon figures, written or read.

Energy, water and carbon are amounts: never negative, never NaN or infinite, and a range's
``min <= mean <= max``. ``report_problem`` finds the first figure that breaks this (by its
dotted path), ``comparison_problem`` the same in a comparison. ``check_before_writing`` is called
by every renderer entry point (``ecoai.render.render``, ``render_comparison``), so estimate,
profile, merge and compare never write such a figure: it is an internal error naming the figure,
because ecoai produced it. ``ecoai.comparison.report_files`` refuses such reports as inputs of
``compare`` and ``merge`` with a one-line error (exit 2).

Figures are the footprint blocks (``energy_wh``, ``it_energy_wh``, ``water_ml``, ``carbon_g``,
``embodied_carbon_g`` and everything inside them) and every ``..._energy_j`` / ``..._energy_wh``
field; signed quantities (``above_idle_energy_j``, changes, savings) may be negative.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

FOOTPRINT_KEYS = frozenset(
    {"energy_wh", "it_energy_wh", "water_ml", "water_site_ml", "water_source_ml", "carbon_g"}
    | {"embodied_carbon_g"}
)
"""A footprint's figures (``ecoai.metrics.METRICS`` names them the same)."""
_ENERGY_LEAF = re.compile(r"(^|_)energy_(j|wh|kwh)$")
_SIGNED = ("above_idle", "change", "delta", "saving", "ratio")

Path = tuple[str | int, ...]


class ImplausibleReportError(RuntimeError):
    """ecoai was about to write a negative or non-finite energy, water or carbon figure: a bug."""


def dotted(path: Sequence[str | int]) -> str:
    """A path as ``total.energy_wh.mean`` (list indexes as ``runs.0``)."""
    return ".".join(str(p) for p in path) or "report"


def is_figure(path: Path) -> bool:
    """True when the number at ``path`` is an amount of energy, water or carbon."""
    keys = [p for p in path if isinstance(p, str)]
    if any(word in key for key in keys for word in _SIGNED):
        return False
    return any(key in FOOTPRINT_KEYS for key in keys) or bool(
        keys and _ENERGY_LEAF.search(keys[-1])
    )


def report_problem(data: Any) -> tuple[Path, str] | None:
    """The first implausible figure in a report's ``model_dump()``: (path, what is wrong)."""
    return next(_problems(data, ()), None)


def _problems(node: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(node, bool):
        return
    if isinstance(node, int | float):  # an int is finite, and may be too large for a float
        if isinstance(node, float) and not math.isfinite(node):
            yield path, f"{node} is not a finite number"
        elif node < 0 and is_figure(path):
            shown = f"{node:g}" if isinstance(node, float) else str(node)
            yield path, f"{shown} is negative: {_kind(path)} cannot be"
        return
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _problems(child, (*path, key))
        if is_figure(path):
            yield from _order(node, path)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _problems(child, (*path, index))


def _order(stat: dict[str, Any], path: Path) -> Iterator[tuple[Path, str]]:
    """``min <= mean <= max`` for a range (a little rounding allowed)."""
    low, mean, high = stat.get("min"), stat.get("mean"), stat.get("max")
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (low, mean, high)):
        return
    assert isinstance(low, int | float) and isinstance(mean, int | float)
    assert isinstance(high, int | float)
    slack = 1e-9 * max(abs(low), abs(mean), abs(high)) + 1e-300
    if low > mean + slack or mean > high + slack:
        yield path, f"min {low:g}, mean {mean:g}, max {high:g} are out of order"


def _kind(path: Path) -> str:
    keys = " ".join(str(p) for p in path)
    if "water" in keys:
        return "water"
    if "carbon" in keys:
        return "carbon"
    return "energy"


def comparison_problem(data: Any) -> tuple[Path, str] | None:
    """The first implausible figure in a comparison's ``model_dump()``: its cells and budgets."""
    for i, row in enumerate(data.get("rows", [])):
        for j, cell in enumerate(row.get("cells", [])):
            if cell is None:
                continue
            figures = {k: cell.get(k) for k in ("mean", "min", "max", "std")}
            found = report_problem({str(row.get("metric")): figures})
            if found is not None:
                return ("rows", i, "cells", j, *found[0]), found[1]
    for i, gate in enumerate(data.get("gates", [])):
        for key in ("value", "limit", "threshold"):
            number = gate.get(key)
            if isinstance(number, float) and not math.isfinite(number):
                return ("gates", i, key), f"{number} is not a finite number"
        value = gate.get("value")
        if gate.get("gate") == "budget" and isinstance(value, int | float) and value < 0:
            return ("gates", i, "value"), f"{value:g} is negative"
    return None


def check_before_writing(data: Any, what: str = "report", comparison: bool = False) -> None:
    """Raise ``ImplausibleReportError`` naming the figure, rather than write it."""
    found = comparison_problem(data) if comparison else report_problem(data)
    if found is not None:
        path, problem = found
        raise ImplausibleReportError(
            f"refusing to write a {what} whose {dotted(path)} is implausible: {problem}"
        )
