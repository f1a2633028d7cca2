"""The pure comparison: ratios and percentages against hand calculations, gates, baselines."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fakes.reports import estimate_report, measured_report

from ecoai.comparison.compare import Item, compare, pick_baseline, unique_labels
from ecoai.comparison.gates import parse_gates
from ecoai.comparison.model import Comparison, Row
from ecoai.errors import InputError


def _row(comparison: Comparison, metric: str, scope: str = "per_query") -> Row:
    return next(r for r in comparison.rows if r.metric == metric and r.scope == scope)


def _items(*it_wh: float) -> list[Item]:
    return [Item(f"r{i}", f"r{i}.json", estimate_report(wh)) for i, wh in enumerate(it_wh)]


def test_ratios_and_percentages_by_hand() -> None:
    # 1 Wh IT per query: 1.5 Wh facility, 0.5 mL + 3 mL water, 0.6 g (factors in fakes.reports).
    comparison = compare(_items(1.0, 1.1, 0.8), version="t")
    energy = _row(comparison, "energy_wh").cells
    assert [c.mean for c in energy if c] == pytest.approx([1.5, 1.65, 1.2])
    assert [c.ratio for c in energy if c] == pytest.approx([1.0, 1.1, 0.8])
    assert [c.change_pct for c in energy if c] == pytest.approx([0.0, 10.0, -20.0])
    water = _row(comparison, "water_ml").cells
    assert [c.mean for c in water if c] == pytest.approx([3.5, 3.85, 2.8])
    site = _row(comparison, "water_site_ml").cells
    assert [c.mean for c in site if c] == pytest.approx([0.5, 0.55, 0.4])
    carbon = _row(comparison, "carbon_g", "total").cells
    assert [c.mean for c in carbon if c] == pytest.approx([60.0, 66.0, 48.0])  # 100 queries
    assert comparison.passed and comparison.gates == []


def test_rows_cover_both_scopes_and_the_issue_metrics() -> None:
    comparison = compare(_items(1.0), version="t")
    assert [(r.scope, r.metric) for r in comparison.rows] == [
        (scope, metric)
        for scope in ("per_query", "total")
        for metric in ("energy_wh", "water_site_ml", "water_source_ml", "water_ml", "carbon_g")
    ]


def test_ranges_are_kept() -> None:
    items = [Item("range", "x", estimate_report(1.0, it_max_wh=3.0)), *_items(2.0)]
    cell = _row(compare(items, version="t"), "energy_wh").cells[0]
    assert cell is not None
    assert (cell.min, cell.mean, cell.max) == pytest.approx((1.5, 3.0, 4.5))


def test_baseline_elsewhere() -> None:
    comparison = compare(_items(1.0, 2.0), version="t", baseline=1)
    assert comparison.baseline == "r1"
    assert [c.ratio for c in _row(comparison, "energy_wh").cells if c] == pytest.approx([0.5, 1.0])


def test_gates_pass_and_fail() -> None:
    gates = parse_gates("max_increase", "energy=5%") + parse_gates("budget", "total.carbon_g=65")
    comparison = compare(_items(1.0, 1.1), version="t", gates=gates)
    verdicts = [(g.gate, g.item, g.verdict) for g in comparison.gates]
    # max_increase skips the baseline; budgets apply to every item (66 g > 65 g fails).
    assert verdicts == [
        ("max_increase", "r1", "fail"),
        ("budget", "r0", "pass"),
        ("budget", "r1", "fail"),
    ]
    assert not comparison.passed
    assert _row(comparison, "energy_wh").cells[1].failed  # type: ignore[union-attr]
    assert not _row(comparison, "energy_wh", "total").cells[1].failed  # type: ignore[union-attr]
    assert _row(comparison, "carbon_g", "total").cells[1].failed  # type: ignore[union-attr]


def test_measured_runs_make_the_gate_noise_aware() -> None:
    base = measured_report([100.0, 103.0, 97.0, 101.0], label="base")
    same = measured_report(
        [104.0, 99.0, 106.0, 98.0], label="same"
    )  # 101.75 / 100.25: +1.496 %, noise
    gates = parse_gates("max_increase", "energy=1%")
    items = [Item("base", "b", base), Item("same", "s", same)]
    (result,) = compare(items, version="t", gates=gates).gates
    assert result.value == pytest.approx((101.75 / 100.25 - 1) * 100)
    assert result.verdict == "pass"
    assert result.test is not None and result.test.name == "welch-t"


def test_gate_on_missing_scope_is_an_input_error() -> None:
    items = [Item("m", "m.json", measured_report([1.0], queries=None)), *_items(1.0)]
    with pytest.raises(InputError, match="m has no per-query figures"):
        compare(items, version="t", gates=parse_gates("max_increase", "energy=5%"))


def test_the_first_error_is_in_gate_order_then_item_order() -> None:
    # The samples are read item by item (issue 16), the errors raised as gate by gate: the
    # second gate's error at the first item waits for the first gate's at the third.
    unmeasured = Item("m", "m.json", measured_report([1.0], queries=None))
    gates = parse_gates("max_increase", "energy=5%")
    gates += parse_gates("budget", "per_1k_output_tokens.energy_wh=1")
    with pytest.raises(InputError, match="m has no per-query figures"):
        compare([*_items(1.0, 1.1), unmeasured], version="t", gates=gates)
    # An item's error comes before its baseline's, as when the baseline was read after it.
    late = Item("late", "late.json", measured_report([1.0], queries=None))
    with pytest.raises(InputError, match="late has no per-query figures"):
        compare([unmeasured, late], version="t", gates=gates)


def test_unique_labels_and_baseline_selection() -> None:
    assert unique_labels(["a", "b", "a", "a"]) == ["a", "b", "a#2", "a#3"]
    items = _items(1.0, 2.0, 3.0)
    assert pick_baseline(items, None) == 0
    assert pick_baseline(items, "2") == 1
    assert pick_baseline(items, "r2") == 2
    assert pick_baseline(items, "r1.json") == 1
    with pytest.raises(InputError, match="--baseline 'zz' names no item"):
        pick_baseline(items, "zz")


def test_a_gate_refuses_a_measured_command_that_failed() -> None:
    """A command that failed or never started (exit 127) drew next to nothing and passed every
    gate (-100 %); a gate now refuses it, naming the report; without gates it is still shown."""
    failed = measured_report([0.001, 0.001])
    assert failed.measurement is not None
    measurement = replace(failed.measurement, exit_status=127)
    items = [
        Item("ok", "ok.json", measured_report([1.0, 1.1])),
        Item("nx", "nx.json", replace(failed, measurement=measurement)),
    ]
    gates = parse_gates("max_increase", "total.energy_wh=5%")
    with pytest.raises(InputError) as raised:
        compare(items, version="t", gates=gates)
    assert raised.value.message.startswith("nx.json: the measured command failed (exit status 127)")
    assert compare(items, version="t").passed  # shown side by side without gates
