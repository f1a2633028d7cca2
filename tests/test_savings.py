"""Savings at scale (`compare --queries-per-day`): hand calculations, ranges, formats, bad input.

The fakes use round factors (tests/fakes/reports.py): PUE 1.5, on-site WUE 0.5 L/kWh of IT
energy, off-site WUE 2 L/kWh of facility energy, 400 gCO2e/kWh of facility energy. So 1 Wh of IT
energy saved is 1.5 Wh facility, 0.5 mL on site, 3 mL off site and 0.6 gCO2e saved.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import CliRunner, check_golden
from fakes.reports import estimate_report, measured_report
from test_estimate import FLAG_VALUES

from ecoai.comparison.compare import Item
from ecoai.comparison.model import Amount, Comparison, Savings
from ecoai.comparison.savings import savings
from ecoai.errors import InputError
from ecoai.estimation.estimate import estimate
from ecoai.footprint import PLANT_CAPACITY_FACTOR, continuous_power_w, plants_equivalent
from ecoai.inputs.resolve import resolve
from ecoai.models import Param, Report, Source
from ecoai.render import Format
from ecoai.render.comparison import render_comparison_table
from ecoai.render.equivalence import equivalences, power_text
from ecoai.render.table import render_table as render_report_table
from ecoai.validation import dump_json

RATE = 1e6


def _items(*reports: tuple[str, Report]) -> list[Item]:
    return [Item(label, f"{label}.json", report) for label, report in reports]


def _ranged() -> list[Item]:
    """Expected IT energy per query: base 1.1 [1.0-1.2] Wh, better 0.92 [0.88-0.96], worse 1.265."""
    return _items(
        ("base", estimate_report(1.0, it_max_wh=1.2, queries=1000)),
        ("better", estimate_report(0.88, it_max_wh=0.96, queries=1000)),
        ("worse", estimate_report(1.21, it_max_wh=1.32, queries=1000)),
    )


def _metric(found: Savings, item: str, metric: str) -> dict[str, Amount | None]:
    (saving,) = [s for s in found.items if s.item == item]
    (m,) = [m for m in saving.metrics if m.metric == metric]
    return {
        "per_query": m.per_query,
        "per_day": m.per_day,
        "per_year": m.per_year,
        "over_queries": m.over_queries,
    }


def _approx(amount: Amount | None, mean: float, low: float, high: float) -> None:
    assert amount is not None
    assert (amount.mean, amount.min, amount.max) == pytest.approx((mean, low, high))


def test_point_estimates_by_hand() -> None:
    """Base 2 Wh IT, optimised 0.5 Wh IT, 400 queries a day: no ranges, so min = mean = max."""
    items = _items(("base", estimate_report(2.0)), ("small", estimate_report(0.5)))
    found = savings(items, 0, queries_per_day=400.0)
    # Facility: (2 - 0.5) Wh x 1.5 = 2.25 Wh a query; x 400 = 900 Wh a day; x 365 = 328,500 Wh.
    energy = _metric(found, "small", "energy_wh")
    _approx(energy["per_query"], 2.25, 2.25, 2.25)
    _approx(energy["per_day"], 900.0, 900.0, 900.0)
    _approx(energy["per_year"], 328_500.0, 328_500.0, 328_500.0)
    assert energy["over_queries"] is None
    _approx(_metric(found, "small", "it_energy_wh")["per_day"], 600.0, 600.0, 600.0)
    # Water: 1.5 Wh IT x 0.5 mL/Wh = 0.75 mL on site; 2.25 Wh x 2 mL/Wh = 4.5 mL off site.
    _approx(_metric(found, "small", "water_site_ml")["per_day"], 300.0, 300.0, 300.0)
    _approx(_metric(found, "small", "water_source_ml")["per_day"], 1800.0, 1800.0, 1800.0)
    _approx(_metric(found, "small", "water_ml")["per_year"], 2100.0 * 365, 766_500.0, 766_500.0)
    # Carbon: 2.25 Wh x 0.4 g/Wh = 0.9 g a query; 360 g a day; 131,400 g a year.
    _approx(_metric(found, "small", "carbon_g")["per_year"], 131_400.0, 131_400.0, 131_400.0)
    assert [s.item for s in found.items] == ["small"]  # the baseline saves nothing against itself
    assert found.queries_per_day == 400.0 and found.days_per_year == 365.0


def test_ranges_propagate_min_from_base_min_and_item_max() -> None:
    found = savings(_ranged(), 0, queries_per_day=RATE, queries=1000)
    energy = _metric(found, "better", "energy_wh")
    # Per query: mean (1.1 - 0.92) x 1.5 = 0.27 Wh; min (1.0 - 0.96) x 1.5 = 0.06 Wh (the base's
    # min against the optimised max); max (1.2 - 0.88) x 1.5 = 0.48 Wh.
    _approx(energy["per_query"], 0.27, 0.06, 0.48)
    _approx(energy["per_day"], 270_000.0, 60_000.0, 480_000.0)
    _approx(energy["per_year"], 270_000.0 * 365, 60_000.0 * 365, 480_000.0 * 365)
    _approx(energy["over_queries"], 270.0, 60.0, 480.0)
    _approx(_metric(found, "better", "carbon_g")["per_day"], 108_000.0, 24_000.0, 192_000.0)
    assert "baseline min - item max" in found.range_rule


def test_a_negative_saving_is_an_increase_and_shown_as_one() -> None:
    found = savings(_ranged(), 0, queries_per_day=RATE)
    energy = _metric(found, "worse", "energy_wh")
    # (1.1 - 1.265) x 1.5 = -0.2475 Wh; min (1.0 - 1.32) x 1.5 = -0.48; max (1.2 - 1.21) x 1.5.
    _approx(energy["per_query"], -0.2475, -0.48, -0.015)
    text = render_comparison_table(_comparison(found), width=160)
    assert "248 kWh increase" in text  # 0.2475 Wh x 1e6 a day
    assert "adds 10.3 kW" in text  # 247.5 kWh / 24 h


def test_continuous_power_and_plants_by_hand() -> None:
    assert continuous_power_w(24_000.0, 24.0) == 1000.0  # 24 kWh a day = 1 kW constantly
    assert plants_equivalent(1e9 * PLANT_CAPACITY_FACTOR) == pytest.approx(1.0)
    assert PLANT_CAPACITY_FACTOR == 0.927
    assert power_text(11_250.0) == "11.2 kW" and power_text(2.5e9) == "2.50 GW"
    found = savings(_ranged(), 0, queries_per_day=RATE)
    (better, _worse) = found.items
    # 270 kWh a day / 24 h = 11.25 kW; / (1 GW x 0.927) = 1.2136e-5 plants.
    _approx(better.avoided_power_w, 11_250.0, 2_500.0, 20_000.0)
    _approx(better.avoided_plants, 11_250.0 / 0.927e9, 2_500.0 / 0.927e9, 20_000.0 / 0.927e9)
    with pytest.raises(ValueError, match="hours must be > 0"):
        continuous_power_w(1.0, 0.0)


def test_equivalences_add_continuous_power_for_a_period() -> None:
    per_query = estimate_report(1.0).per_query
    assert per_query is not None
    # 1 Wh IT x 1.5 = 1.5 Wh a query; x 1.6e6 queries a day x 365 = 876 MWh a year = 100 kW.
    year = per_query.scaled(1.6e6 * 365)
    lines = equivalences(year, hours=8760.0)
    assert lines[-1].startswith("power: 100 kW running constantly = 0.000108 power plants of 1 GW")
    assert "power" not in " ".join(equivalences(year))  # a total over no period has no power
    # Household equivalence unchanged: 876 MWh / 10.79 MWh.
    assert "81.2 U.S. households" in lines[0]


def test_estimate_table_shows_the_power_of_its_per_year_total() -> None:
    params = resolve(None, {**FLAG_VALUES, "queries_per_day": 4e8})
    report = estimate(params, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert report.per_year is not None
    text = render_report_table(report, width=200)
    expected = power_text(report.per_year.energy_wh.mean / 8760.0)
    assert f"≈ power: {expected} running constantly" in text


def test_measured_reports_use_their_per_query_figures() -> None:
    items = _items(
        ("batch1", measured_report([10.0], queries=10)),  # 1 Wh IT a query
        ("batch32", measured_report([4.0], queries=10)),  # 0.4 Wh IT a query
    )
    found = savings(items, 0, queries_per_day=1000.0)
    # (1 - 0.4) Wh x 1.5 = 0.9 Wh a query; x 1000 = 900 Wh a day.
    _approx(_metric(found, "batch32", "energy_wh")["per_day"], 900.0, 900.0, 900.0)
    assert any(a.input == "per-query figures" for a in found.assumptions)


def test_an_item_without_per_query_figures_is_refused() -> None:
    items = _items(("base", estimate_report(1.0)), ("run", measured_report([5.0], queries=None)))
    with pytest.raises(InputError, match="run: no per-query figures"):
        savings(items, 0, queries_per_day=RATE)


@pytest.mark.parametrize("rate", [0.0, -1.0, float("inf"), float("nan")])
def test_a_rate_must_be_finite_and_positive(rate: float) -> None:
    with pytest.raises(InputError, match="--queries-per-day must be a finite number > 0"):
        savings(_ranged(), 0, queries_per_day=rate)


def _comparison(found: Savings) -> Comparison:
    from ecoai.comparison.compare import compare

    return compare(_ranged(), version="0.0.0-golden").model_copy(update={"savings": found})


# --- End to end -------------------------------------------------------------------------------


def _write(path: Path, report: Report) -> str:
    path.write_text(dump_json(report, indent=2), encoding="utf-8")
    return str(path)


SOURCED = {
    "host": Param(value="azure", source=Source(kind="profile", ref="hosts.azure", citation="C")),
    "pue": Param(value=1.5, source=Source(kind="flag", ref="--pue")),
}


@pytest.fixture
def pair(tmp_path: Path) -> list[str]:
    base = replace(estimate_report(1.0, it_max_wh=1.2, queries=1000), inputs=SOURCED)
    return [
        _write(tmp_path / "base.json", base),
        _write(tmp_path / "better.json", estimate_report(0.88, it_max_wh=0.96, queries=1000)),
        _write(tmp_path / "worse.json", estimate_report(1.21, it_max_wh=1.32, queries=1000)),
    ]


@pytest.mark.parametrize("fmt", [f.value for f in (Format.TABLE, Format.MARKDOWN, Format.CSV)])
def test_formats_match_golden_files(ecoai_cli: CliRunner, pair: list[str], fmt: str) -> None:
    run = ecoai_cli("compare", *pair, "--queries-per-day", "1e6", "--format", fmt)
    assert run.returncode == 0, run.stderr
    check_golden(f"compare-savings.{fmt}", run.stdout)


def test_json_golden_and_schema(ecoai_cli: CliRunner, pair: list[str]) -> None:
    run = ecoai_cli("compare", *pair, "--queries-per-day", "1e6", "--queries", "1000", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    data["ecoai_version"] = "0.0.0-golden"
    for item in data["items"]:
        item["origin"] = Path(item["origin"]).name  # the temporary directory differs per run
    check_golden("compare-savings.json", json.dumps(data, indent=2) + "\n")
    better = data["savings"]["items"][0]
    assert better["item"] == "better"
    assert better["metrics"][0]["per_year"]["mean"] == pytest.approx(0.27e6 * 365)
    schema = ecoai_cli("schema", "comparison")
    defs = json.loads(schema.stdout)["$defs"]
    assert {"Savings", "ItemSaving", "MetricSaving", "Amount"} <= set(defs)


def test_presets_saving_is_the_per_query_difference_times_the_rate(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("compare", "gpt-4.1:short", "gpt-4.1-nano:short", "--queries-per-day", "1e6")
    assert run.returncode == 0, run.stderr
    run = ecoai_cli(
        "compare", "gpt-4.1:short", "gpt-4.1-nano:short", "--queries-per-day", "1e6", "--json"
    )
    data = json.loads(run.stdout)
    (row,) = [r for r in data["rows"] if r["metric"] == "carbon_g" and r["scope"] == "per_query"]
    base, nano = row["cells"]
    (saving,) = [m for m in data["savings"]["items"][0]["metrics"] if m["metric"] == "carbon_g"]
    assert saving["per_day"]["mean"] == pytest.approx((base["mean"] - nano["mean"]) * 1e6)
    assert saving["per_day"]["min"] == pytest.approx((base["min"] - nano["max"]) * 1e6)
    assert saving["per_year"]["max"] == pytest.approx((base["max"] - nano["min"]) * 1e6 * 365)


def test_queries_alone_gives_the_saving_over_n(ecoai_cli: CliRunner, pair: list[str]) -> None:
    run = ecoai_cli("compare", *pair, "--queries", "1000", "-f", "markdown")
    assert run.returncode == 0, run.stderr
    assert "### Avoided against base over 1,000 queries" in run.stdout
    assert "| better | 0.270 (0.0600 – 0.480) |" in run.stdout  # kWh: 0.27 Wh x 1,000


def test_gates_file_sets_the_rate_and_the_flag_wins(
    ecoai_cli: CliRunner, pair: list[str], tmp_path: Path
) -> None:
    (tmp_path / "gates.toml").write_text(
        "queries_per_day = 2e6\n[max_increase]\nenergy = 50\n", encoding="utf-8"
    )
    run = ecoai_cli("compare", *pair, "--gates", "gates.toml", "--json")
    assert run.returncode == 0, run.stderr
    savings_ = json.loads(run.stdout)["savings"]
    assert savings_["queries_per_day"] == 2e6
    assert savings_["items"][0]["metrics"][0]["per_day"]["mean"] == pytest.approx(540_000.0)
    run = ecoai_cli("compare", *pair, "--gates", "gates.toml", "--queries-per-day", "1", "--json")
    assert json.loads(run.stdout)["savings"]["queries_per_day"] == 1.0


def test_one_item_has_nothing_to_save_against(ecoai_cli: CliRunner, pair: list[str]) -> None:
    for fmt in ("table", "markdown", "csv"):
        run = ecoai_cli("compare", pair[0], "--queries-per-day", "1e6", "-f", fmt)
        assert run.returncode == 0 and "avoided" not in run.stdout.lower(), run.stdout
        assert "saved_" not in run.stdout
    run = ecoai_cli("compare", pair[0], "--queries-per-day", "1e6", "--json")
    assert json.loads(run.stdout)["savings"]["items"] == []


def test_without_a_rate_there_is_no_savings_section(ecoai_cli: CliRunner, pair: list[str]) -> None:
    run = ecoai_cli("compare", *pair, "--json")
    assert json.loads(run.stdout)["savings"] is None
    assert "avoided" not in ecoai_cli("compare", *pair).stdout


@pytest.mark.parametrize(
    ("args", "toml", "message"),
    [
        (["--queries-per-day", "0"], None, "--queries-per-day must be a finite number > 0, got 0"),
        (["--queries-per-day", "-5"], None, "--queries-per-day must be a finite number > 0"),
        (["--queries-per-day", "inf"], None, "--queries-per-day must be a finite number > 0"),
        (["--queries-per-day", "nan"], None, "--queries-per-day must be a finite number > 0"),
        (["--queries", "0"], None, "--queries must be a finite number > 0, got 0"),
        (["--queries", "-3"], None, "--queries must be a finite number > 0"),
        ([], "queries_per_day = 0", "gates.toml: queries_per_day must be a finite number > 0"),
        ([], "queries_per_day = inf", "gates.toml: queries_per_day must be a finite number > 0"),
        ([], 'queries_per_day = "lots"', "gates.toml: queries_per_day must be a number"),
        ([], "queries = 2.5", "gates.toml: queries must be a whole number"),
        (
            ["--queries-per-day", "1e307", "small.json"],
            None,
            "the savings at this traffic overflow",
        ),
        (["--queries-per-day", "1e6", "run.json"], None, "run: no per-query figures"),
        (
            ["--queries-per-day", "-1", "gpt-4.1:short"],
            None,
            "--queries-per-day must be a finite number > 0",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(
    ecoai_cli: CliRunner,
    pair: list[str],
    tmp_path: Path,
    args: list[str],
    toml: str | None,
    message: str,
) -> None:
    _write(tmp_path / "run.json", measured_report([5.0], queries=None))
    _write(tmp_path / "small.json", estimate_report(0.5))
    if toml is not None:
        (tmp_path / "gates.toml").write_text(toml + "\n", encoding="utf-8")
        args = [*args, "--gates", "gates.toml"]
    run = ecoai_cli("compare", pair[0], *args)
    assert run.returncode == 2, run.stderr
    first, *rest = run.stderr.splitlines()
    assert first.startswith(f"ecoai: error: {message}"), run.stderr
    assert len(rest) <= 1 and all(line.startswith("hint: ") for line in rest)


def test_labels_with_brackets_are_shown_in_the_savings_table(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    """The savings table read item labels as rich markup: ``[exp2] small`` showed as ``small``."""
    for name, model, label in (
        ("b", "gpt-4.1", "[exp1] big"),
        ("s", "gpt-4.1-nano", "[exp2] small"),
    ):
        run = ecoai_cli(
            "estimate", "--model", model, "--prompt", "short", "--label", label,
            "-o", str(tmp_path / f"{name}.json"),
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
    run = ecoai_cli("compare", str(tmp_path / "b.json"), str(tmp_path / "s.json"),
                    "--queries-per-day", "1000")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "avoided against [exp1] big at 1,000 queries a day" in run.stdout
    assert "│ [exp2] small │ Energy" in run.stdout
