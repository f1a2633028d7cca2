"""Renderers: golden files for every format, and every Format member has a renderer."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from conftest import check_golden
from test_estimate import FLAG_VALUES

from ecoai.errors import InputError
from ecoai.estimation.estimate import estimate
from ecoai.inputs.resolve import resolve
from ecoai.models import Report
from ecoai.render import Format, render
from ecoai.validation import validate_json

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def sample_report() -> Report:
    params = resolve(None, {**FLAG_VALUES, "queries": 1_000_000, "label": "gpt-4.1 short"})
    return replace(estimate(params, now=NOW), ecoai_version="0.0.0-golden")


MEASURED_ONLY = {Format.CODECARBON_CSV, Format.MODEL_CARD}
"""Formats describing one measured run (tested in test_interop.py): an estimate is refused."""


@pytest.mark.parametrize("fmt", [f for f in Format if f not in MEASURED_ONLY])
def test_golden(fmt: Format) -> None:
    text = render(sample_report(), fmt, width=100, explain=True)
    check_golden(f"estimate.{fmt.value}", text)


@pytest.mark.parametrize("fmt", sorted(MEASURED_ONLY))
def test_measured_only_formats_refuse_an_estimate_clearly(fmt: Format) -> None:
    with pytest.raises(InputError, match=f"--format {fmt.value} needs a measured"):
        render(sample_report(), fmt)


def test_json_round_trips_to_the_same_report() -> None:
    report = sample_report()
    assert validate_json(Report, render(report, Format.JSON)) == report


def test_csv_has_one_row_per_scope_and_metric() -> None:
    rows = list(csv.DictReader(io.StringIO(render(sample_report(), Format.CSV))))
    assert {(r["scope"], r["metric"]) for r in rows} >= {
        ("per_query", "energy_wh"),
        ("total", "water_site_ml"),
    }
    energy = next(r for r in rows if r["scope"] == "total" and r["metric"] == "energy_wh")
    assert energy["unit"] == "Wh"
    assert float(energy["mean"]) == pytest.approx(sample_report().total.energy_wh.mean)  # type: ignore[union-attr]


def test_table_shows_equivalences_only_when_large() -> None:
    big = render(sample_report(), Format.TABLE)
    assert "smartphone charges" in big
    small = estimate(resolve(None, dict(FLAG_VALUES)), now=NOW)
    assert "smartphone" not in render(small, Format.TABLE)


def test_color_only_when_asked() -> None:
    assert "\x1b[" not in render(sample_report(), Format.TABLE)
    assert "\x1b[" in render(sample_report(), Format.TABLE, color=True)


def test_json_contract_paths() -> None:
    data = json.loads(render(sample_report(), Format.JSON))
    for scope in ("per_query", "total"):
        for metric in ("energy_wh", "water_ml", "carbon_g"):
            assert {"mean", "min", "max", "std"} <= set(data[scope][metric])
        assert {"mean", "min", "max"} <= set(data[scope]["water_ml"]["site"])
        assert {"mean", "min", "max"} <= set(data[scope]["water_ml"]["source"])
    assert data["inputs"]["pue"] == {
        "value": 1.12,
        "source": {"kind": "flag", "ref": "--pue", "citation": None},
    }


def test_a_run_whose_every_figure_is_modelled_is_titled_modelled() -> None:
    from fakes.reports import measured_report

    from ecoai.render.markdown import render_markdown
    from ecoai.render.table import render_table

    counted = measured_report([1.0], label="job")
    assert render_table(counted).splitlines()[0].strip() == "ecoai measured: job"  # not twice
    assert render_markdown(counted).startswith("### ecoai measured: job")
    assert counted.measurement is not None
    modelled_sensors = [
        replace(s, method="model", name=f"{s.component}-model")
        for s in counted.measurement.sensors
        if s.component != "gpu"
    ]
    modelled = replace(counted, measurement=replace(counted.measurement, sensors=modelled_sensors))
    table = render_table(modelled)
    assert table.splitlines()[0].strip() == "ecoai modelled: job" and "(measured)" not in table
    assert render_markdown(modelled).startswith("### ecoai modelled: job")


def test_big_figures_scale_and_read_in_one_style() -> None:
    """GWh/TWh, kt/Mt, m³ in millions; counts in words up to trillions, e-notation beyond."""
    from ecoai.render.equivalence import equivalences
    from ecoai.render.quantity import count_text, fmt

    assert fmt(321197365e6, "energy") == "321 TWh"
    assert fmt(880e9, "energy") == "880 GWh"
    assert fmt(193e12, "carbon") == "193 Mt" and fmt(528e9, "carbon") == "528 kt"
    assert fmt(2235816925e6, "water") == "2.24 billion m³"
    assert fmt(831489e6, "water") == "831,489 m³"
    assert count_text(14599880249845) == "14.6 trillion"
    assert count_text(2.98e7) == "29.8 million" and count_text(9.9996e8) == "1.00 billion"
    assert count_text(1.46e16) == "1.46e+16" and count_text(0.0123) == "0.0123"
    from fakes.reports import estimate_report

    lines = " ".join(equivalences(estimate_report(3.2e17).per_query))  # type: ignore[arg-type]
    assert "trillion" in lines or "e+" in lines, lines
    assert not any(len(word.replace(",", "")) > 9 and word[0].isdigit() for word in lines.split())


def test_a_huge_figure_is_never_cut_off_in_the_table() -> None:
    from fakes.reports import estimate_report

    from ecoai.render.table import render_table

    text = render_table(estimate_report(2.4588695e21), width=80)
    figures = text.split("assumptions")[0]
    assert "…" not in figures and "2.46 billion TWh" in figures and "8.61e+17 m³" in figures


def test_brackets_in_a_source_or_label_are_shown_as_they_are(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A scenario under ``runs/[exp1]/`` lost ``[exp1]`` in the assumptions table (read as rich
    markup); a label ``[bold]x`` was shown as ``x``; a ``[/]`` would have been an error."""
    folder = tmp_path / "[exp1]"
    folder.mkdir()
    scenario = folder / "s.toml"
    scenario.write_text('model = "gpt-4.1"\nprompt = "short"\nlabel = "[bold]x [/] y"\n')
    report = estimate(resolve(scenario, {}))
    text = render(report, Format.TABLE, width=200)
    assert f"file {scenario}" in text
    assert "ecoai estimate: [bold]x [/] y" in text
