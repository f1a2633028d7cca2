"""Pure comparison: labelled Reports + a baseline + gates -> a Comparison with verdicts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import attrgetter

from ecoai.comparison.gates import Gate, GateSample, TestName, Verdict, judging
from ecoai.comparison.model import (
    Cell,
    Comparison,
    GateResult,
    ItemInfo,
    Row,
    all_fields,
    slot_setters,
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
    from ecoai.comparison.merge import failed_status

    for item in items:
        # a measured report's first failing run (with --repeat), or a merged report's first
        # failing part: a crashed rank drew less than the job would have
        status = failed_status(item.report)
        if status is not None:
            raise InputError(
                f"{item.origin}: the measured command failed (exit status {status}), so its "
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
    samples = _samples(items, footprints, gates)
    results: list[GateResult] = []
    append = results.append
    for gate, column in zip(gates, samples, strict=True):
        verdict: Verdict | None = None
        budget = gate.kind == "budget"
        for index, item in enumerate(items):
            if index == baseline and not budget:
                continue
            sample = column[index]
            if isinstance(sample, InputError):
                raise sample
            if verdict is None:
                base = None
                if not budget:
                    found = column[baseline]
                    if isinstance(found, InputError):
                        raise found
                    base = GateSample(*found)
                verdict = judging(gate, base, confidence=confidence, test=test)
            append(verdict(item.label, *sample))
    return results


Sample = tuple[float, list[float] | None]
"""A gate's sample of an item: its mean, and its runs when there are >= 2 (``_figures``)."""


def _samples(
    items: Sequence[Item], footprints: Footprints, gates: Sequence[Gate]
) -> list[list[Sample | InputError]]:
    """Each gate's sample of each item (or the error reading it gave, raised when the sample is
    judged), read item by item: a report's runs are then read for every gate while they are in
    the processor's cache, where a pass per gate over 10,000 reports found them out of it."""
    plans = [(gate, _reader(gate.metric), footprints[gate.scope]) for gate in gates]
    samples: list[list[Sample | InputError]] = [[] for _ in gates]
    for index, item in enumerate(items):
        for column, (gate, read, found) in zip(samples, plans, strict=True):
            try:
                sample = _figures(item, found[index], gate.metric, gate.scope, gate.spec, read)
            except InputError as error:
                column.append(error)
            else:
                column.append(sample)
    return samples


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
        metrics = [METRIC_BY_NAME[name] for name in names]
        columns = _cells(
            labels,
            found,
            baseline,
            [_reader(metric) for metric in metrics],
            [failing.get((name, scope), set()) for name in names],
        )
        for metric, cells in zip(metrics, columns, strict=True):
            rows.append(
                trusted(
                    Row,
                    {
                        "metric": metric.name,
                        "label": metric.label,
                        "unit": metric.unit,
                        "scope": scope,
                        "cells": cells,
                    },
                )
            )
    return rows


def _cells(
    labels: Sequence[str],
    found: Sequence[Footprint | None],
    baseline: int,
    readers: Sequence[Callable[[Footprint], Stat | None]],
    failed: Sequence[set[str]],
) -> list[list[Cell | None]]:
    """The cells of one scope's rows, one list per metric (``readers``, ``_reader(metric)``):
    an item's cell, or None where it lacks the figure (``found[i]`` is None, or its metric).
    The labels in ``failed[m]`` failed a gate on metric m.

    Read item by item, each footprint while it is in the processor's cache (a pass per metric
    over 10,000 reports found it out of it each time), and trusted (``model.trusted``, inlined:
    a comparison of 10,000 reports holds 100,000 cells): their figures come from validated
    ``Stat``s. A ratio is None when the baseline lacks the figure or it is 0."""
    base = found[baseline]
    base_means: list[float | None] = []
    for read in readers:
        stat = None if base is None else read(base)
        base_means.append(None if stat is None or stat.mean == 0.0 else stat.mean)
    new, set_slots, fields_set = Cell.__new__, slot_setters(Cell), all_fields(Cell)
    set_dict, set_fields_set, set_extra, set_private = set_slots
    columns: list[list[Cell | None]] = [[] for _ in readers]
    plans = list(zip(columns, readers, base_means, failed, strict=True))
    for label, footprint in zip(labels, found, strict=True):
        if footprint is None:
            for column in columns:
                column.append(None)
            continue
        for column, read, base_mean, failed_labels in plans:
            stat = read(footprint)
            if stat is None:
                column.append(None)
                continue
            mean = stat.mean
            ratio = None if base_mean is None else mean / base_mean
            cell = new(Cell)
            set_dict(
                cell,
                {
                    "mean": mean,
                    "min": stat.min,
                    "max": stat.max,
                    "std": stat.std,
                    "ratio": ratio,
                    "change_pct": None if ratio is None else (ratio - 1.0) * 100.0,
                    "failed": label in failed_labels,
                },
            )
            set_fields_set(cell, fields_set)
            set_extra(cell, None)
            set_private(cell, None)
            column.append(cell)
    return columns


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
    return GateSample(*_figures(item, footprint, metric, scope, spec, _reader(metric)))


def _figures(
    item: Item,
    footprint: Footprint | None,
    metric: Metric,
    scope: FigureScope,
    spec: str,
    read: Callable[[Footprint], Stat | None],
) -> Sample:
    """The gate's sample of ``item``, as (mean, runs) for a ``GateSample``; ``read`` is
    ``_reader(metric)``, looked up once a gate."""
    if footprint is None:
        other = "total" if scope == "per_query" else "per_query"
        raise InputError(
            f"gate {spec!r}: {item.label} has no {scope.replace('_', '-')} figures",
            f"gate on {other}.{metric.name} instead",
        )
    stat = read(footprint)
    if stat is None:
        raise InputError(f"gate {spec!r}: {item.label} has no {metric.name}")
    report = item.report
    runs = report.runs
    if not runs or len(runs) < 2:
        return stat.mean, None
    return stat.mean, _runs(report, scope, read)


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
    values = [read(run) for run in runs]
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
