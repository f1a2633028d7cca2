"""R8: no report holds a negative or non-finite energy, water or carbon figure, written or read.

Reading: `compare` and `merge` refuse such a report with one line and exit 2 (so a gate never
passes a -5 Wh budget nor fails a -117 % change). Writing: every report and comparison goes
through one check (``ecoai.sanity``) and an implausible figure is an internal error naming it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ecoai import cli
from ecoai.comparison.model import Cell, Comparison, Row
from ecoai.models import Report
from ecoai.render import Format, render
from ecoai.render.comparison import render_comparison
from ecoai.sanity import ImplausibleReportError, is_figure, report_problem
from ecoai.validation import validate


def main(*argv: str) -> int:
    try:
        cli.main(list(argv))
    except SystemExit as done:
        return int(done.code or 0)
    return 0


@pytest.fixture
def est(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The estimate of the R8 case, written to est.json in tmp_path (the working directory)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    assert main("estimate", "--model", "gpt-4.1", "--prompt", "short", "-o", "est.json") == 0
    data: dict[str, Any] = json.loads((tmp_path / "est.json").read_text())
    return data


def edited(name: str, data: dict[str, Any], path: str, value: float) -> str:
    copy = json.loads(json.dumps(data))
    *parents, leaf = path.split(".")
    node = copy
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[leaf] = value
    Path(name).write_text(json.dumps(copy))
    return name


@pytest.mark.parametrize(
    "argv",
    [
        [
            "compare",
            "est.json",
            "neg.json",
            "--max-increase",
            "energy=5%",
            "--budget",
            "energy_wh=1",
        ],
        ["compare", "neg.json", "est.json", "--max-increase", "energy=5%"],
        ["merge", "est.json", "neg.json", "-o", "merged.json"],
    ],
)
def test_r8_a_negative_energy_is_refused_as_input(
    est: dict[str, Any], capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    edited("neg.json", est, "per_query.energy_wh.mean", -5.0)
    assert main(*argv) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        "ecoai: error: neg.json: invalid report: per_query.energy_wh.mean: -5 is negative: "
        "energy cannot be"
    )
    assert "PASS" not in err and "FAIL" not in err and not Path("merged.json").exists()


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("per_query.water_ml.site.mean", -1.0, "-1 is negative: water cannot be"),
        ("per_query.carbon_g.min", -0.5, "-0.5 is negative: carbon cannot be"),
        ("per_query.it_energy_wh.min", 1e9, "out of order"),
        ("intermediate.it_energy_j", -3.0, "-3 is negative: energy cannot be"),
    ],
)
def test_every_figure_and_its_order_is_checked_on_read(
    est: dict[str, Any], capsys: pytest.CaptureFixture[str], path: str, value: float, problem: str
) -> None:
    edited("bad.json", est, path, value)
    assert main("compare", "est.json", "bad.json") == 2
    line = capsys.readouterr().err.splitlines()[0]
    assert line.startswith("ecoai: error: bad.json: invalid report: ") and problem in line


def test_an_integer_too_large_for_a_float_is_a_finding_or_nothing_not_a_crash() -> None:
    """An int of 300 digits (a JSON file may hold one) is finite: no OverflowError."""
    huge = 10**300 * 10**20
    assert report_problem({"method": {"samples": huge}}) is None
    found = report_problem({"per_query": {"energy_wh": {"mean": -huge}}})
    assert found is not None and found[1].startswith(f"{-huge} is negative")
    in_order = {"mean": 1.0, "min": 0, "max": huge}
    assert report_problem({"per_query": {"energy_wh": in_order}}) is None
    found = report_problem({"per_query": {"energy_wh": {"mean": huge, "min": 0, "max": 1.0}}})
    assert found is not None and "out of order" in found[1]


def test_signed_quantities_may_be_negative() -> None:
    assert is_figure(("measurement", "runs", 0, "sensors", 1, "energy_j"))
    assert is_figure(("per_query", "water_ml", "site", "mean"))
    assert not is_figure(("measurement", "runs", 0, "above_idle_energy_j"))
    assert not is_figure(("rows", 0, "cells", 1, "change_pct"))
    assert report_problem({"measurement": {"runs": [{"above_idle_energy_j": -2.0}]}}) is None


def test_a_negative_figure_is_never_written_whatever_the_command(
    est: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ecoai.estimation.estimate as module

    real = module.estimate

    def negative(*args: Any, **kwargs: Any) -> Report:
        report = real(*args, **kwargs)
        assert report.per_query is not None
        stat = replace(report.per_query.carbon_g, mean=-1.0)
        per_query = replace(report.per_query, carbon_g=stat)
        return replace(report, per_query=per_query)

    monkeypatch.setattr(module, "estimate", negative)
    assert main("estimate", "--model", "gpt-4.1", "--prompt", "short", "-o", "out.json") == 3
    err = capsys.readouterr().err
    assert (
        "internal error: ImplausibleReportError: refusing to write a report whose "
        "per_query.carbon_g.mean is implausible: -1 is negative: carbon cannot be" in err
    )
    assert not Path("out.json").exists()


def test_every_format_goes_through_the_check(est: dict[str, Any]) -> None:
    name = edited("n.json", est, "per_query.energy_wh.max", -2.0)
    bad = validate(Report, json.loads(Path(name).read_text()))
    for fmt in Format:
        with pytest.raises(ImplausibleReportError, match=r"per_query\.energy_wh\.max"):
            render(bad, fmt)


def test_a_comparison_with_a_negative_cell_is_not_written() -> None:
    cell = Cell(mean=-1.0, min=-1.0, max=-1.0, ratio=1.0, change_pct=0.0)
    row = Row(metric="carbon_g", label="Carbon", unit="gCO2e", scope="total", cells=[cell])
    comparison = Comparison(
        ecoai_version="0", baseline="a", items=[], rows=[row], gates=[], passed=True
    )
    with pytest.raises(ImplausibleReportError, match=r"rows\.0\.cells\.0\.carbon_g\.mean"):
        render_comparison(comparison, Format.JSON)
