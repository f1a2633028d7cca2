"""Pure CI gates: parse ``--max-increase`` / ``--budget`` / a gates mapping, and judge an item.

Grammar (both flags): comma-separated ``[SCOPE.]METRIC=VALUE``. SCOPE is ``per_query``
(the default), ``total`` or ``per_1k_output_tokens``. ``--max-increase`` takes a percentage
(``energy=5%``; the ``%`` is optional, ``-10%`` demands a 10 % cut) relative to the baseline;
``--budget`` takes an absolute value in the unit the metric's name carries (``energy_wh=1.5``,
``total.water_ml=10``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from ecoai.comparison import stats
from ecoai.comparison.model import GateResult, TestInfo, all_fields, slot_setters, trusted
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
    return judging(gate, baseline, confidence=confidence, test=test)(
        item_label, item.mean, item.runs
    )


Verdict = Callable[[str, float, Sequence[float] | None], GateResult]
"""``verdict(item_label, mean, runs)``: one gate's result for one item (``judging``)."""


def judging(
    gate: Gate, baseline: GateSample | None, *, confidence: float, test: TestName
) -> Verdict:
    """``judge`` for many items of one gate and baseline: what depends on the gate and the
    baseline alone (the limit, the baseline's runs scaled) is worked out once, not once per item
    (30,000 verdicts for 10,000 reports and 3 gates, issue 16). The verdict raises InputError
    where ``judge`` does: an increase over a baseline of 0, a bootstrap ratio to 0."""
    kind, spec, metric_name = gate.kind, gate.spec, gate.metric.name
    increase = kind == "max_increase"
    base_mean = 0.0
    if increase:
        assert baseline is not None
        base_mean = baseline.mean
        factor = 1.0 + gate.threshold / 100.0
        limit = baseline.mean * factor
        # H1 is "item mean > baseline mean x factor": test against the baseline's runs scaled.
        reference = None if baseline.runs is None else [x * factor for x in baseline.runs]
    else:
        limit = gate.threshold
        reference = [limit]
    # The bootstrap tests mean(item) / mean(reference): a resample of runs of 0 (a baseline
    # measured at 0 on a counter, a zero-carbon grid, a budget of 0) has no ratio.
    no_ratio = test == "bootstrap" and reference is not None and not all(x > 0.0 for x in reference)
    # Trusted (``model.trusted``, inlined): float() converts an int as validation would (and
    # returns a float itself).
    new, fields_set = GateResult.__new__, all_fields(GateResult)
    set_dict, set_fields_set, set_extra, set_private = slot_setters(GateResult)
    scope, threshold, limit_value = gate.scope, float(gate.threshold), float(limit)
    unit = "%" if increase else gate.metric.unit

    def verdict(item_label: str, mean: float, runs: Sequence[float] | None) -> GateResult:
        if increase:
            if base_mean == 0.0 and mean != 0.0:
                # An increase over 0 has no percentage (it was an infinite value that the check
                # before writing refused as an internal error).
                raise InputError(
                    f"--max-increase {spec}: the baseline's {metric_name} is 0 and "
                    f"{item_label}'s is not, so the increase has no percentage",
                    f"gate it with a budget in the metric's unit, e.g. --budget {metric_name}=1, "
                    "or choose another baseline (--baseline)",
                )
            value = _change_pct(mean, base_mean)
        else:
            value = mean
        info = None
        if runs is not None and reference is not None:
            if no_ratio:
                what = "a budget of 0" if not increase else f"a baseline run of 0 {metric_name}"
                raise InputError(
                    f"--test bootstrap: {spec} compares to {what}, and a ratio to 0 is undefined",
                    "use --test welch (the default), which tests the difference",
                )
            info = _significance(reference, runs, kind, confidence, test)
        fail = mean > limit and (info is None or info.significant)
        result = new(GateResult)
        set_dict(
            result,
            {
                "gate": kind,
                "spec": spec,
                "metric": metric_name,
                "scope": scope,
                "item": item_label,
                "threshold": threshold,
                "unit": unit,
                "value": float(value),
                "limit": limit_value,
                "verdict": "fail" if fail else "pass",
                "test": info,
            },
        )
        set_fields_set(result, fields_set)
        set_extra(result, None)
        set_private(result, None)
        return result

    return verdict


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
    interval: tuple[float, float] | None = None
    statistic = df = None
    if test == "bootstrap":
        result = stats.bootstrap_ratio(reference, candidate, confidence)
        assert result.interval is not None
        name, p_value, interval = result.name, None, result.interval
        significant = interval[0] > 1.0
    else:
        if kind == "budget":
            name = "one-sample-t"
            p_value, statistic, df = stats.one_sample_figures(candidate, reference[0])
        else:
            name = "welch-t"
            p_value, statistic, df = stats.welch_figures(reference, candidate)
        significant = p_value < 1.0 - confidence
    return trusted(
        TestInfo,
        {
            "name": name,
            "confidence": float(confidence),
            "p_value": _float(p_value),
            "statistic": _float(statistic),
            "df": _float(df),
            "interval": None if interval is None else (float(interval[0]), float(interval[1])),
            "significant": significant,
        },
    )


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
