"""The fast report walks (issue 16) find the same first problem as the plain walk they replace."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ecoai.models import non_finite_path
from ecoai.sanity import Path, _kind, _order, is_figure, report_problem

KEYS = ["energy_wh", "mean", "min", "max", "runs", "above_idle_energy_j", "water_ml", "site",
        "carbon_g", "total", "sensors", "energy_j", "change_pct", "label"]  # fmt: skip
LEAVES = st.one_of(
    st.sampled_from([0.0, 1.0, -1.0, math.nan, math.inf, -math.inf, 3, -3, True, None, "s"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5),
    st.sampled_from([10**400, -(10**400)]),  # ints beyond any float (a JSON file may hold one)
)
TREES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=40,
)


def plain_problems(node: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """The walk as first written: every number checked, children before the range itself."""
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
            yield from plain_problems(child, (*path, key))
        if is_figure(path):
            yield from _order(node, path)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from plain_problems(child, (*path, index))


def plain_non_finite(node: Any, path: Path = ()) -> Path | None:
    if isinstance(node, float):
        return None if math.isfinite(node) else path
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
        node, list) else ()  # fmt: skip
    for key, child in children:
        found = plain_non_finite(child, (*path, key))
        if found is not None:
            return found
    return None


@settings(max_examples=3000, deadline=None)
@given(TREES)
def test_the_fast_walks_find_what_the_plain_walks_find(tree: Any) -> None:
    expected = next(plain_problems(tree, ()), None)
    found = report_problem(tree)
    assert (found is None) == (expected is None)
    if found is not None and expected is not None:
        assert found[0] == expected[0]
        assert found[1] == expected[1]
    assert non_finite_path(tree) == plain_non_finite(tree)
