"""Pure CI gates: parse ``--max-increase`` / ``--budget`` / a gates mapping, and judge an item.

Grammar (both flags): comma-separated ``[SCOPE.]METRIC=VALUE``. SCOPE is ``per_query``
(the default), ``total`` or ``per_1k_output_tokens``. ``--max-increase`` takes a percentage
(``energy=5%``; the ``%`` is optional, ``-10%`` demands a 10 % cut) relative to the baseline;
``--budget`` takes an absolute value in the unit the metric's name carries (``energy_wh=1.5``,
``total.water_ml=10``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from ecoai.comparison import stats
from ecoai.comparison.model import GateResult, TestInfo, trusted
from ecoai.errors import InputError
from ecoai.metrics import Metric, find_metric
from ecoai.models import FIGURE_SCOPES, GATE_KINDS, FigureScope, GateKind

TestName = Literal["welch", "bootstrap"]
TEST_NAMES: tuple[TestName, ...] = get_args(TestName)
"""The significance tests of --test and a gate file's ``test``; the first is the default."""
_FLAGS: dict[GateKind, str] = {"max_increase": "--max-increase", "budget": "--budget"}


@dataclass(frozen=True)
class Gate:
    """One threshold: a percentage over the baseline, or an absolute budget in the metric's unit."""

    kind: GateKind
    metric: Metric
    scope: FigureScope
    threshold: float
    spec: str
    """The gate as the user wrote it, e.g. ``energy=5%``."""


@dataclass(frozen=True)
class GateSample:
    """One side of a gate: the item's mean and, when it was measured repeatedly, each run."""

    mean: float
    runs: Sequence[float] | None = None


def parse_gates(kind: GateKind, text: str) -> list[Gate]:
    """Parse one ``--max-increase`` or ``--budget`` value (comma-separated ``METRIC=VALUE``)."""
    gates = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise InputError(f"{_FLAGS[kind]}: {part!r} is not METRIC=VALUE", _example(kind))
        gates.append(make_gate(kind, name.strip(), value.strip(), part))
    return gates


def gates_from_mapping(data: Mapping[str, Any], origin: str) -> list[Gate]:
    """Gates from a parsed TOML table ``{max_increase = {...}, budget = {...}}``."""
    unknown = sorted(set(data) - {*GATE_KINDS, "confidence", "test"})
    if unknown:
        raise InputError(
            f"{origin}: unknown table {unknown[0]!r}", "use [max_increase] and [budget]"
        )
    gates: list[Gate] = []
    for kind in GATE_KINDS:
        table = data.get(kind, {})
        if not isinstance(table, Mapping):
            raise InputError(f"{origin}: {kind} must be a table", _example(kind))
        for name, value in _flatten(table):
            gates.append(make_gate(kind, name, str(value), f"{name}={value}", origin=origin))
    return gates


def _flatten(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            items.extend(_flatten(value, f"{prefix}{key}."))
        else:
            items.append((prefix + key, value))
    return items


def make_gate(kind: GateKind, name: str, value: str, spec: str, origin: str | None = None) -> Gate:
    """Build one gate from ``[SCOPE.]METRIC`` and its threshold text."""
    context = origin or _FLAGS[kind]
    scope_text, dot, metric_name = name.rpartition(".")
    if not dot:
        scope_text = "per_query"
    if scope_text not in FIGURE_SCOPES:
        raise InputError(
            f"{context}: unknown scope {scope_text!r} in {spec!r}",
            "write per_query.METRIC, total.METRIC or per_1k_output_tokens.METRIC (no prefix "
            "means per query)",
        )
    metric = find_metric(metric_name, need_unit=kind == "budget", context=context)
    threshold = _threshold(kind, value, spec, context)
    scope = next(s for s in FIGURE_SCOPES if s == scope_text)
    return Gate(kind, metric, scope, threshold, spec)


def _threshold(kind: GateKind, value: str, spec: str, context: str) -> float:
    text = value.removesuffix("%").strip() if kind == "max_increase" else value
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or (kind == "budget" and number < 0):
        raise InputError(f"{context}: malformed threshold in {spec!r}", _example(kind))
    return number


def _example(kind: GateKind) -> str:
    if kind == "max_increase":
        return "write a percentage, e.g. --max-increase energy=5%,carbon=10%"
    return "write a value in the metric's unit, e.g. --budget energy_wh=1.5,total.water_ml=10"


def judge(
    gate: Gate,
    item_label: str,
    item: GateSample,
    baseline: GateSample | None,
    *,
    confidence: float,
    test: TestName,
) -> GateResult:
    """Judge one gate for one item: deterministic on means, significance-tested on repeated runs."""
    if gate.kind == "max_increase":
        assert baseline is not None
        if baseline.mean == 0.0 and item.mean != 0.0:
            # An increase over 0 has no percentage (it was an infinite value that the check
            # before writing refused as an internal error).
            raise InputError(
                f"--max-increase {gate.spec}: the baseline's {gate.metric.name} is 0 and "
                f"{item_label}'s is not, so the increase has no percentage",
                f"gate it with a budget in the metric's unit, e.g. --budget {gate.metric.name}=1, "
                "or choose another baseline (--baseline)",
            )
        factor = 1.0 + gate.threshold / 100.0
        limit = baseline.mean * factor
        value = _change_pct(item.mean, baseline.mean)
        # H1 is "item mean > baseline mean x factor": test against the baseline's runs scaled.
        reference = None if baseline.runs is None else [x * factor for x in baseline.runs]
    else:
        limit = gate.threshold
        value = item.mean
        reference = [limit]
    info = None
    if item.runs is not None and reference is not None:
        if test == "bootstrap" and not all(x > 0.0 for x in reference):
            # The bootstrap tests mean(item) / mean(reference): a resample of runs of 0 (a
            # baseline measured at 0 on a counter, a zero-carbon grid, a budget of 0) has no ratio.
            what = (
                "a budget of 0"
                if gate.kind == "budget"
                else f"a baseline run of 0 {gate.metric.name}"
            )
            raise InputError(
                f"--test bootstrap: {gate.spec} compares to {what}, and a ratio to 0 is undefined",
                "use --test welch (the default), which tests the difference",
            )
        info = _significance(reference, item.runs, gate.kind, confidence, test)
    fail = item.mean > limit and (info is None or info.significant)
    # Trusted (``model.trusted``): 30,000 verdicts for 10,000 reports and 3 gates; float()
    # converts an int as validation would (and returns a float itself).
    return trusted(
        GateResult,
        {
            "gate": gate.kind,
            "spec": gate.spec,
            "metric": gate.metric.name,
            "scope": gate.scope,
            "item": item_label,
            "threshold": float(gate.threshold),
            "unit": "%" if gate.kind == "max_increase" else gate.metric.unit,
            "value": float(value),
            "limit": float(limit),
            "verdict": "fail" if fail else "pass",
            "test": info,
        },
    )


def _change_pct(value: float, reference: float) -> float:
    if reference == 0.0:
        return 0.0 if value == 0.0 else math.copysign(math.inf, value)
    return (value / reference - 1.0) * 100.0


def _significance(
    reference: Sequence[float],
    candidate: Sequence[float],
    kind: GateKind,
    confidence: float,
    test: TestName,
) -> TestInfo:
    alpha = 1.0 - confidence
    if test == "bootstrap":
        result = stats.bootstrap_ratio(reference, candidate, confidence)
        assert result.interval is not None
        significant = result.interval[0] > 1.0
    elif kind == "budget":
        result = stats.one_sample_t(candidate, reference[0])
        significant = result.p_value is not None and result.p_value < alpha
    else:
        result = stats.welch_t(reference, candidate)
        significant = result.p_value is not None and result.p_value < alpha
    return trusted(
        TestInfo,
        {
            "name": result.name,
            "confidence": float(confidence),
            "p_value": _float(result.p_value),
            "statistic": _float(result.statistic),
            "df": _float(result.df),
            "interval": None if result.interval is None else tuple(map(float, result.interval)),
            "significant": significant,
        },
    )


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
