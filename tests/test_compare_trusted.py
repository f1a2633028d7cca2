"""`compare` builds its cells, verdicts and item infos without validating each (issue 16): the
comparison it makes must equal, and dump byte for byte like, the same comparison validated."""

from __future__ import annotations

import math

from fakes.reports import estimate_report, measured_report
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ecoai.comparison import model
from ecoai.comparison.compare import Item, compare
from ecoai.comparison.gates import parse_gates
from ecoai.comparison.model import Cell, Comparison, GateResult, trusted
from ecoai.errors import InputError
from ecoai.sanity import comparison_is_plain, comparison_problem

_WH = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False),
)


@st.composite
def _report_item(draw: st.DrawFn, index: int) -> Item:
    if draw(st.booleans()):
        low = draw(_WH)
        high = low + draw(st.one_of(st.just(0.0), _WH))
        queries = draw(st.integers(min_value=1, max_value=1000))
        report = estimate_report(low, it_max_wh=high, queries=queries)
    else:
        runs = draw(st.lists(_WH, min_size=1, max_size=6))
        queries = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=1000)))
        report = measured_report(runs, queries=queries)
    return Item(f"r{index}", f"r{index}.json", report)


_GATES = (
    "energy=5%",
    "carbon=-10%",
    "total.water=0",
    "water_site=2.5%",
    "per_1k_output_tokens.energy=1%",
)
_BUDGETS = ("energy_wh=1.5", "total.energy_wh=100", "water_source_ml=0", "total.carbon_g=1e9")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    count=st.integers(min_value=1, max_value=6),
    increases=st.lists(st.sampled_from(_GATES), max_size=3, unique=True),
    budgets=st.lists(st.sampled_from(_BUDGETS), max_size=2, unique=True),
    confidence=st.sampled_from([0.9, 0.95, 0.99]),
    bootstrap=st.booleans(),
)
def test_the_trusted_comparison_is_the_validated_one(
    data: st.DataObject,
    count: int,
    increases: list[str],
    budgets: list[str],
    confidence: float,
    bootstrap: bool,
) -> None:
    items = [data.draw(_report_item(i)) for i in range(count)]
    baseline = data.draw(st.integers(min_value=0, max_value=count - 1))
    gates = [g for spec in increases for g in parse_gates("max_increase", spec)]
    gates += [g for spec in budgets for g in parse_gates("budget", spec)]
    try:
        made = compare(
            items,
            version="t",
            baseline=baseline,
            gates=gates,
            confidence=confidence,
            test="bootstrap" if bootstrap else "welch",
        )
    except InputError:
        # a gate on a figure an item lacks, or a bootstrap ratio to a baseline that can be 0:
        # refused alike either way
        assume(False)
        return
    validated = Comparison.model_validate(made.model_dump())
    assert made == validated
    assert made.model_dump_json(indent=2) == validated.model_dump_json(indent=2)
    for row in made.rows:
        for cell in row.cells:
            assert cell is None or cell == Cell.model_validate(cell.model_dump())
    for gate in made.gates:
        assert gate == GateResult.model_validate(gate.model_dump())


def test_trusted_takes_every_field_as_given_and_copies_like_a_validated_model() -> None:
    fields = {"name": "welch-t", "confidence": 0.95, "p_value": 0.5, "statistic": 0.0}
    fields |= {"df": 4.0, "interval": None, "significant": False}
    made = trusted(model.TestInfo, dict(fields))
    assert made == model.TestInfo(**fields)  # type: ignore[arg-type]
    assert made.model_fields_set == model.TestInfo(**fields).model_fields_set  # type: ignore[arg-type]
    changed = made.model_copy(update={"significant": True})
    assert changed.significant and not made.significant
    assert trusted(model.TestInfo, dict(fields)).model_fields_set == set(
        fields
    )  # not changed in place


_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10, max_value=10),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(
        st.fixed_dictionaries(
            {"mean": _NUMBER, "min": _NUMBER, "max": _NUMBER, "std": _NUMBER}
        ).filter(lambda c: None not in (c["mean"], c["min"], c["max"])),
        min_size=1,
        max_size=4,
    ),
    value=st.floats(allow_nan=True, allow_infinity=True),
    budget=st.booleans(),
)
def test_a_plain_comparison_is_one_the_full_check_passes(
    cells: list[dict[str, float | None]], value: float, budget: bool
) -> None:
    """``comparison_is_plain`` spares the full check only where it would find nothing."""
    comparison = Comparison.model_validate(
        {
            "ecoai_version": "t",
            "baseline": "a",
            "items": [{"label": "a", "origin": "a", "kind": "estimate"}],
            "rows": [
                {
                    "metric": "energy_wh",
                    "label": "E",
                    "unit": "Wh",
                    "scope": "total",
                    "cells": cells,
                }
            ],
            "gates": [
                {
                    "gate": "budget" if budget else "max_increase",
                    "spec": "energy_wh=1",
                    "metric": "energy_wh",
                    "scope": "per_query",
                    "item": "a",
                    "threshold": 1.0,
                    "unit": "Wh",
                    "value": value,
                    "limit": 1.0,
                    "verdict": "pass",
                }
            ],
            "passed": True,
        }
    )
    found = comparison_problem(comparison.model_dump())
    if comparison_is_plain(comparison):
        assert found is None
    plain_numbers = all(
        isinstance(c[k], float) and math.isfinite(c[k]) and c[k] >= 0  # type: ignore[arg-type]
        for c in cells
        for k in ("mean", "min", "max")
    )
    if found is None and plain_numbers and math.isfinite(value) and value >= 0:
        ordered = all(c["min"] <= c["mean"] <= c["max"] for c in cells)  # type: ignore[operator]
        stds = all(c["std"] is None or (c["std"] >= 0 and math.isfinite(c["std"])) for c in cells)  # type: ignore[operator]
        if ordered and stds:
            assert comparison_is_plain(comparison)
