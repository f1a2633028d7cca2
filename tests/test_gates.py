"""Gate parsing (flags and TOML tables) and judging, deterministic and noise-aware."""

from __future__ import annotations

import random

import pytest

from ecoai.comparison.gates import GateSample, gates_from_mapping, judge, parse_gates
from ecoai.errors import InputError
from ecoai.models import GateKind


def test_parse_max_increase() -> None:
    gates = parse_gates("max_increase", "energy=5%, carbon=10,total.water_site=-2.5%")
    assert [(g.metric.name, g.scope, g.threshold) for g in gates] == [
        ("energy_wh", "per_query", 5.0),
        ("carbon_g", "per_query", 10.0),
        ("water_site_ml", "total", -2.5),
    ]
    assert gates[0].spec == "energy=5%"


def test_parse_budget_scopes() -> None:
    gates = parse_gates("budget", "energy_wh=1.5,total.water_ml=10,per_query.carbon_g=0.2")
    assert [(g.metric.name, g.scope, g.threshold) for g in gates] == [
        ("energy_wh", "per_query", 1.5),
        ("water_ml", "total", 10.0),
        ("carbon_g", "per_query", 0.2),
    ]


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("max_increase", "enrgy=5%", "unknown metric 'enrgy'"),
        ("max_increase", "energy=five%", "malformed threshold in 'energy=five%'"),
        ("max_increase", "energy", "'energy' is not METRIC=VALUE"),
        ("max_increase", "daily.energy=5", "unknown scope 'daily'"),
        ("budget", "energy=1.5", "'energy' needs its unit"),
        ("budget", "energy_wh=-1", "malformed threshold"),
        ("budget", "energy_wh=nan", "malformed threshold"),
    ],
)
def test_bad_gates_are_input_errors(kind: str, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_gates(kind, text)  # type: ignore[arg-type]


def test_unknown_metric_suggests_the_closest() -> None:
    with pytest.raises(InputError) as error:
        parse_gates("budget", "energy_kwh=1")
    assert error.value.hint is not None and "'energy_wh'" in error.value.hint


def test_gates_from_toml_table() -> None:
    data = {
        "max_increase": {"energy": "5%", "carbon": 10},
        "budget": {"energy_wh": 1.5, "total": {"water_ml": 10}},
    }
    gates = gates_from_mapping(data, "gates.toml")
    assert [(g.kind, g.metric.name, g.scope, g.threshold) for g in gates] == [
        ("max_increase", "energy_wh", "per_query", 5.0),
        ("max_increase", "carbon_g", "per_query", 10.0),
        ("budget", "energy_wh", "per_query", 1.5),
        ("budget", "water_ml", "total", 10.0),
    ]


def test_gates_table_rejects_unknown_sections() -> None:
    with pytest.raises(InputError, match=r"gates\.toml: unknown table 'budgets'"):
        gates_from_mapping({"budgets": {}}, "gates.toml")


def _judge(
    spec: str, kind: str, item: GateSample, base: GateSample | None = None, test: str = "welch"
):  # type: ignore[no-untyped-def]
    (gate,) = parse_gates(kind, spec)  # type: ignore[arg-type]
    return judge(gate, "new", item, base, confidence=0.95, test=test)  # type: ignore[arg-type]


def test_max_increase_deterministic() -> None:
    base = GateSample(mean=2.0)
    passed = _judge("energy=5%", "max_increase", GateSample(mean=2.1), base)  # +5.0 % exactly
    failed = _judge("energy=5%", "max_increase", GateSample(mean=2.2), base)  # +10 %
    assert (passed.verdict, failed.verdict) == ("pass", "fail")
    assert passed.value == pytest.approx(5.0)
    assert failed.value == pytest.approx(10.0)
    assert failed.limit == pytest.approx(2.1)
    assert failed.test is None


def test_budget_deterministic() -> None:
    assert _judge("energy_wh=1.5", "budget", GateSample(mean=1.5)).verdict == "pass"
    result = _judge("energy_wh=1.5", "budget", GateSample(mean=1.6))
    assert (result.verdict, result.value, result.unit) == ("fail", 1.6, "Wh")


def _runs(seed: int, centre: float) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(centre, centre * 0.03) for _ in range(8)]


def _sample(values: list[float]) -> GateSample:
    return GateSample(mean=sum(values) / len(values), runs=values)


@pytest.mark.parametrize("test", ["welch", "bootstrap"])
def test_noise_is_not_a_regression(test: str) -> None:
    # Same distribution: the noisy mean is above the baseline, but not significantly.
    base, same = _sample(_runs(1, 100.0)), _sample(_runs(2, 100.0))
    assert same.mean > base.mean
    result = _judge("energy=0%", "max_increase", same, base, test)
    assert result.verdict == "pass"
    assert result.test is not None and not result.test.significant


@pytest.mark.parametrize("test", ["welch", "bootstrap"])
def test_real_10pct_regression_fails(test: str) -> None:
    base, worse = _sample(_runs(1, 100.0)), _sample(_runs(3, 110.0))
    result = _judge("energy=5%", "max_increase", worse, base, test)
    assert result.verdict == "fail"
    assert result.test is not None and result.test.significant
    if test == "welch":
        assert result.test.name == "welch-t"
        assert result.test.p_value is not None and result.test.p_value < 0.05
    else:
        assert result.test.name == "bootstrap-ratio"
        assert result.test.interval is not None and result.test.interval[0] > 1.0


def test_noisy_budget_uses_one_sample_t() -> None:
    runs = _sample([1.49, 1.52, 1.50, 1.53])  # mean 1.51 > 1.5 but within noise
    result = _judge("energy_wh=1.5", "budget", runs)
    assert result.verdict == "pass"
    assert result.test is not None and result.test.name == "one-sample-t"
    clear = _judge("energy_wh=1.5", "budget", _sample([1.70, 1.72, 1.71, 1.69]))
    assert clear.verdict == "fail"


@pytest.mark.parametrize(
    ("kind", "text", "baseline_runs"),
    [
        ("max_increase", "energy=5%", [0.0, 0.0, 0.0]),  # a baseline measured at 0
        ("max_increase", "carbon=5%", [0.0, 1.0, 2.0]),  # one run of 0: some resamples are all 0
        ("budget", "energy_wh=0", None),  # a budget of 0
    ],
)
def test_a_bootstrap_ratio_to_zero_is_one_error(
    kind: GateKind, text: str, baseline_runs: list[float] | None
) -> None:
    """`--test bootstrap` divides by the reference's mean: a reference that can be 0 was an
    internal ZeroDivisionError; it is a one-line error naming the gate and the fix."""
    (gate,) = parse_gates(kind, text)
    baseline = None if baseline_runs is None else GateSample(1.0, baseline_runs)
    item = GateSample(2.0, [1.5, 2.0, 2.5])
    with pytest.raises(InputError) as raised:
        judge(gate, "b", item, baseline, confidence=0.95, test="bootstrap")
    assert "a ratio to 0 is undefined" in raised.value.message
    assert "--test welch" in (raised.value.hint or "")
    welch = judge(gate, "b", item, baseline, confidence=0.95, test="welch")  # welch decides
    assert welch.verdict in ("pass", "fail")


def test_an_increase_over_a_baseline_of_zero_is_one_error() -> None:
    """A baseline at 0 (a zero-carbon grid, a command that never ran) and an item above it: the
    percentage was infinite and the comparison was refused as an internal error."""
    (gate,) = parse_gates("max_increase", "carbon=5%")
    for runs in (None, [0.0, 0.0]):
        with pytest.raises(InputError) as raised:
            judge(gate, "b", GateSample(2.0, runs and [1.0, 3.0]), GateSample(0.0, runs),
                  confidence=0.95, test="welch")  # fmt: skip
        assert "has no percentage" in raised.value.message
        assert "--budget" in (raised.value.hint or "")
    both_zero = judge(gate, "b", GateSample(0.0), GateSample(0.0), confidence=0.95, test="welch")
    assert (both_zero.value, both_zero.verdict) == (0.0, "pass")
