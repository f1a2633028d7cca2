"""One check of every report's energy, water and carbon figures, written or read.

Energy, water and carbon are amounts: never negative, never NaN or infinite, and a range's
``min <= mean <= max``. ``report_problem`` finds the first figure that breaks this (by its
dotted path), ``comparison_problem`` the same in a comparison. ``check_before_writing`` is called
by every renderer entry point (``ecoai.render.render``, ``render_comparison``), so estimate,
profile, merge and compare never write such a figure: it is an internal error naming the figure,
because ecoai produced it. ``ecoai.report_files`` refuses such reports as inputs of
``compare`` and ``merge`` with a one-line error (exit 2).

Figures are the footprint blocks (``energy_wh``, ``it_energy_wh``, ``water_ml``, ``carbon_g``,
``embodied_carbon_g`` and everything inside them) and every ``..._energy_j`` / ``..._energy_wh``
field; signed quantities (``above_idle_energy_j``, changes, savings) may be negative.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
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
    """The first implausible figure in a report's ``plain`` dump: (path, what is wrong)."""
    return _first_problem(data, [])


_FINITE_MAX = sys.float_info.max


def _first_problem(node: Any, path: list[str | int]) -> tuple[Path, str] | None:
    """The first problem under ``node`` in document order (each child, then the range itself).

    One walk over every number of every report ``compare`` reads (10,000 reports in the issue
    16 benchmark): a finite non-negative number, nearly all of them, costs one comparison; the
    path is a list grown and shrunk in place, copied only for a problem."""
    if isinstance(node, dict):
        items: Iterable[tuple[str | int, Any]] = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return _number_problem(node, tuple(path))
    for key, child in items:
        kind = type(child)
        if kind is float or kind is int:
            if 0 <= child <= _FINITE_MAX:
                continue
        elif kind is str or kind is bool or child is None:
            continue
        path.append(key)
        found = _first_problem(child, path)
        path.pop()
        if found is not None:
            return found
    if isinstance(node, dict) and "mean" in node:
        low: Any = node.get("min")
        mean: Any = node.get("mean")
        high: Any = node.get("max")
        numbers = all(type(v) is float or type(v) is int for v in (low, mean, high))
        if numbers and low <= mean <= high:
            return None  # in order: whether it is a figure does not matter
        if is_figure(tuple(path)):
            return next(_order(node, tuple(path)), None)
    return None


def _number_problem(node: Any, path: Path) -> tuple[Path, str] | None:
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    if isinstance(node, float) and not math.isfinite(node):  # an int is finite, however large
        return path, f"{node} is not a finite number"
    if node < 0 and is_figure(path):
        return path, f"{_show(node)} is negative: {_kind(path)} cannot be"
    return None


def _order(stat: dict[str, Any], path: Path) -> Iterator[tuple[Path, str]]:
    """``min <= mean <= max`` for a range (a little rounding allowed)."""
    low, mean, high = stat.get("min"), stat.get("mean"), stat.get("max")
    if not all(_finite(v) for v in (low, mean, high)):
        return
    assert isinstance(low, int | float) and isinstance(mean, int | float)
    assert isinstance(high, int | float)
    if _above(low, mean) or _above(mean, high):
        yield path, f"min {_show(low)}, mean {_show(mean)}, max {_show(high)} are out of order"


def _above(a: float, b: float) -> bool:
    """``a > b`` beyond rounding (1e-9 relative); exact for ints beyond the float range."""
    try:
        return a > b + 1e-9 * max(abs(a), abs(b)) + 1e-300
    except OverflowError:  # Python orders a huge int and a float exactly without converting
        return a > b


def _show(value: float) -> str:
    """A number as a message shows it (``:g`` would overflow on an int beyond the float range)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _finite(value: Any) -> bool:
    """A number that is not NaN or infinite; an int is finite however large (math.isfinite
    would raise OverflowError on one beyond the float range)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


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
            if cell is None or _plain_range(cell):
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


def _plain_range(cell: dict[str, Any]) -> bool:
    """True for a cell ``report_problem`` passes at once (a comparison holds 100,000 of them):
    finite non-negative floats in order, and a std that is one too or None."""
    return _plain(cell.get("min"), cell.get("mean"), cell.get("max"), cell.get("std"))


def _plain(low: Any, mean: Any, high: Any, std: Any) -> bool:
    return (
        type(low) is float
        and type(mean) is float
        and type(high) is float
        and 0.0 <= low <= mean <= high <= _FINITE_MAX
        and (std is None or (type(std) is float and 0.0 <= std <= _FINITE_MAX))
    )


def comparison_is_plain(comparison: Any) -> bool:
    """True when ``comparison_problem`` finds nothing in ``comparison`` (a ``Comparison``, read
    through its attributes): every cell a plain range and every gate's figures finite floats, a
    budget's value not negative. False decides nothing: the full check on its ``model_dump()``
    then finds (and words) the problem. Saves dumping 100,000 cells only to check them."""
    top = _FINITE_MAX
    for row in comparison.rows:
        for cell in row.cells:
            if cell is None:
                continue
            # _plain, inlined: 100,000 cells for 10,000 reports (issue 16)
            low, mean, high, std = cell.min, cell.mean, cell.max, cell.std
            if not (
                type(low) is float
                and type(mean) is float
                and type(high) is float
                and 0.0 <= low <= mean <= high <= top
                and (std is None or (type(std) is float and 0.0 <= std <= top))
            ):
                return False
    for gate in comparison.gates:
        for number in (gate.value, gate.limit, gate.threshold):
            if type(number) is not float or not -_FINITE_MAX <= number <= _FINITE_MAX:
                return False
        if gate.gate == "budget" and gate.value < 0:
            return False
    return True


def check_before_writing(data: Any, what: str = "report", comparison: bool = False) -> None:
    """Raise ``ImplausibleReportError`` naming the figure, rather than write it."""
    found = comparison_problem(data) if comparison else report_problem(data)
    if found is not None:
        path, problem = found
        raise ImplausibleReportError(
            f"refusing to write a {what} whose {dotted(path)} is implausible: {problem}"
        )
