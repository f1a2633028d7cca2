"""Pure comparison: labelled Reports + a baseline + gates -> a Comparison with verdicts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import attrgetter

from ecoai.comparison.gates import Gate, GateSample, TestName, judge
from ecoai.comparison.model import (
    Cell,
    Comparison,
    GateResult,
    ItemInfo,
    Row,
    all_fields,
    trusted,
)
from ecoai.errors import InputError
from ecoai.metrics import METRIC_BY_NAME, TABLE_METRICS, Metric
from ecoai.models import FIGURE_SCOPES, FigureScope, Footprint, Report, Stat


@dataclass(frozen=True)
class Item:
    """A report to compare, with the label shown for it and where it came from."""

    label: str
    origin: str
    report: Report


def compare(
    items: Sequence[Item],
    *,
    version: str,
    baseline: int = 0,
    gates: Sequence[Gate] = (),
    confidence: float = 0.95,
    test: TestName = "welch",
) -> Comparison:
    """Put ``items`` side by side against ``items[baseline]`` and judge every gate."""
    if not items:
        raise InputError("nothing to compare", "give report files, scenario files or presets")
    if gates:
        _check_measured_runs_succeeded(items)
    footprints = {s: [_footprint(item.report, s) for item in items] for s in FIGURE_SCOPES}
    results = _judge_all(items, baseline, footprints, gates, confidence, test)
    failed = {(r.item, r.metric, r.scope) for r in results if r.verdict == "fail"}
    return Comparison(
        ecoai_version=version,
        baseline=items[baseline].label,
        items=[_info(item) for item in items],
        rows=_rows(items, baseline, footprints, failed),
        gates=results,
        passed=not failed,
    )


def _check_measured_runs_succeeded(items: Sequence[Item]) -> None:
    """A gate judges a workload by what its measured runs drew: a command that failed, or never
    started (exit 127), drew little or nothing and would pass any gate. Raises InputError."""
    for item in items:
        measurement = item.report.measurement
        if measurement is None:
            continue
        if measurement.exit_status != 0:  # the first failing run's, with --repeat
            raise InputError(
                f"{item.origin}: the measured command failed (exit status "
                f"{measurement.exit_status}), so its "
                "figures are not the workload's and a gate cannot judge them",
                "fix the command and measure it again; compare without gates to look at it",
            )


Footprints = dict[FigureScope, list[Footprint | None]]
"""Each item's footprint in each scope, found once per comparison (by index of the item)."""


def _judge_all(
    items: Sequence[Item],
    baseline: int,
    footprints: Footprints,
    gates: Sequence[Gate],
    confidence: float,
    test: TestName,
) -> list[GateResult]:
    """Every gate for every item (the baseline too for a budget), in gate order then item order;
    the baseline's sample is read once per gate, after the first item's (whose error comes
    first when both lack the figure)."""
    results = []
    for gate in gates:
        base_sample: GateSample | None = None
        read, found = _reader(gate.metric), footprints[gate.scope]
        for index, item in enumerate(items):
            if gate.kind != "budget" and index == baseline:
                continue
            sample = _sample_of(item, found[index], gate.metric, gate.scope, gate.spec, read)
            if gate.kind != "budget" and base_sample is None:
                base = items[baseline]
                base_sample = _sample_of(
                    base, found[baseline], gate.metric, gate.scope, gate.spec, read
                )
            results.append(
                judge(gate, item.label, sample, base_sample, confidence=confidence, test=test)
            )
    return results


def _info(item: Item) -> ItemInfo:
    runs = item.report.runs
    return trusted(
        ItemInfo,
        {
            "label": item.label,
            "origin": item.origin,
            "kind": item.report.kind,
            "queries": item.report.queries,
            "runs": len(runs) if runs else None,
        },
    )


def _rows(
    items: Sequence[Item],
    baseline: int,
    footprints: Footprints,
    failed: set[tuple[str, str, FigureScope]],
) -> list[Row]:
    rows = []
    labels = [item.label for item in items]
    failing: dict[tuple[str, FigureScope], set[str]] = {}
    for label, metric_name, scope_name in failed:
        failing.setdefault((metric_name, scope_name), set()).add(label)
    for scope in FIGURE_SCOPES:
        found = footprints[scope]
        if all(f is None for f in found):
            continue
        if scope == "per_1k_output_tokens" and not any(
            f is not None and item.report.kind != "estimate"
            for item, f in zip(items, found, strict=True)
        ):
            continue  # per token only beside a measured model (a served one's J/token)
        names = list(TABLE_METRICS)
        if any(f is not None and f.embodied_carbon_g is not None for f in found):
            names.append("embodied_carbon_g")
        for name in names:
            metric = METRIC_BY_NAME[name]
            read = _reader(metric)
            stats = [None if f is None else read(f) for f in found]
            base = stats[baseline]
            base_mean = None if base is None or base.mean == 0.0 else base.mean
            failed_labels = failing.get((name, scope), set())
            cells = _cells(labels, stats, base_mean, failed_labels)
            rows.append(
                trusted(
                    Row,
                    {
                        "metric": name,
                        "label": metric.label,
                        "unit": metric.unit,
                        "scope": scope,
                        "cells": cells,
                    },
                )
            )
    return rows


def _cells(
    labels: Sequence[str], stats: Sequence[Stat | None], base_mean: float | None, failed: set[str]
) -> list[Cell | None]:
    """A row's cells, trusted (``model.trusted``, inlined: a comparison of 10,000 reports holds
    100,000 cells): their figures come from validated ``Stat``s; ``base_mean`` is None when the
    baseline lacks the figure or it is 0, and the labels in ``failed`` failed a gate on it."""
    new, put, fields_set = Cell.__new__, object.__setattr__, all_fields(Cell)
    cells: list[Cell | None] = []
    append = cells.append
    for label, stat in zip(labels, stats, strict=True):
        if stat is None:
            append(None)
            continue
        mean = stat.mean
        ratio = None if base_mean is None else mean / base_mean
        cell = new(Cell)
        put(
            cell,
            "__dict__",
            {
                "mean": mean,
                "min": stat.min,
                "max": stat.max,
                "std": stat.std,
                "ratio": ratio,
                "change_pct": None if ratio is None else (ratio - 1.0) * 100.0,
                "failed": label in failed,
            },
        )
        put(cell, "__pydantic_fields_set__", fields_set)
        put(cell, "__pydantic_extra__", None)
        put(cell, "__pydantic_private__", None)
        append(cell)
    return cells


def _footprint(report: Report, scope: FigureScope) -> Footprint | None:
    if scope == "per_1k_output_tokens":
        return per_1k_output_tokens(report)
    return report.per_query if scope == "per_query" else report.total


def per_1k_output_tokens(report: Report) -> Footprint | None:
    """Per 1,000 output tokens: a measured report's serving window (else its whole run), or an
    estimate's per query over its ``output_tokens`` input; None when the report has neither."""
    if report.measurement is not None:
        work = report.measurement.workload
        if work is None:
            return None
        return work.serving_per_1k_output_tokens or work.per_1k_output_tokens
    tokens = report.inputs.get("output_tokens")
    value = tokens.value if tokens is not None else None
    if report.per_query is None or not isinstance(value, int | float) or value <= 0:
        return None
    return report.per_query.scaled(1000.0 / float(value))


def gate_sample(item: Item, metric: Metric, scope: FigureScope, spec: str) -> GateSample:
    """The figure a gate reads from ``item``: its mean, and its runs when there are >= 2."""
    footprint = _footprint(item.report, scope)
    return _sample_of(item, footprint, metric, scope, spec, _reader(metric))


def _sample_of(
    item: Item,
    footprint: Footprint | None,
    metric: Metric,
    scope: FigureScope,
    spec: str,
    read: Callable[[Footprint], Stat | None],
) -> GateSample:
    """The gate's sample of ``item``; ``read`` is ``_reader(metric)``, looked up once a gate."""
    if footprint is None:
        other = "total" if scope == "per_query" else "per_query"
        raise InputError(
            f"gate {spec!r}: {item.label} has no {scope.replace('_', '-')} figures",
            f"gate on {other}.{metric.name} instead",
        )
    stat = read(footprint)
    if stat is None:
        raise InputError(f"gate {spec!r}: {item.label} has no {metric.name}")
    return GateSample(mean=stat.mean, runs=_runs(item.report, scope, read))


def _runs(
    report: Report, scope: FigureScope, read: Callable[[Footprint], Stat | None]
) -> list[float] | None:
    """Each repeated run's value (``read``) in ``scope``; None unless there are >= 2."""
    runs = report.runs
    if not runs or len(runs) < 2:
        return None
    if scope == "per_1k_output_tokens" or (scope == "per_query" and not report.queries):
        return None
    per = 1.0 / report.queries if scope == "per_query" and report.queries else 1.0
    values = list(map(read, runs))
    return [v.mean * per for v in values if v is not None] if all(values) else None


@cache
def _reader(metric: Metric) -> Callable[[Footprint], Stat | None]:
    """``metric.read`` as one C call: within a valid ``Footprint`` the path ends at a ``Stat`` or
    at None (an absent embodied carbon), and every part before it is a required field."""
    return attrgetter(metric.path)


def unique_labels(labels: Sequence[str]) -> list[str]:
    """Make labels unique by appending ``#2``, ``#3`` ... to repeats, keeping the first as is."""
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        result.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return result


def pick_baseline(items: Sequence[Item], selector: str | None) -> int:
    """Index of the baseline: the first, or ``selector`` as a 1-based position, label or path."""
    if selector is None:
        return 0
    for index, item in enumerate(items):
        if selector in (item.label, item.origin):
            return index
    if selector.isdigit() and 1 <= int(selector) <= len(items):
        return int(selector) - 1
    labels = ", ".join(repr(item.label) for item in items[:5])
    raise InputError(
        f"--baseline {selector!r} names no item",
        f"give a position 1-{len(items)}, a label ({labels}) or a path",
    )
