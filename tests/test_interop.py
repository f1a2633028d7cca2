"""CodeCarbon CSV and model-card renderers on a measured report built by hand (golden files)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from conftest import check_golden
from fakes.threads import no_thread_leak  # noqa: F401  (fixture)
from test_profile import FACTORS, HOST, Energy, FakeRunner

from ecoai.measurement.report import build_report
from ecoai.measurement.session import ProfileRequest, measure
from ecoai.measurement.work import WorkMeter
from ecoai.models import Param, Report, Source
from ecoai.render import Format, render
from ecoai.render.interop import CODECARBON_COLUMNS
from ecoai.sensors import Discovery


class ReportingRunner(FakeRunner):
    """The fake command also reports 8 queries and 2,400 output tokens, as ecoai.track would."""

    def __init__(self, meter: WorkMeter, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.meter = meter

    def __call__(self, argv: list[str], grace_s: float, on_start: object, **_: object):  # type: ignore[no-untyped-def]
        self.meter.feed({"event": "query", "n": 8, "input_tokens": 800, "output_tokens": 2400})
        return super().__call__(argv, grace_s, on_start)


def measured_report() -> Report:
    gpu, cpu = Energy("gpu0", "gpu"), Energy("cpu", "cpu")
    gpu.facts = {"device_name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-1"}
    busy = [100.0]
    meter = WorkMeter()
    runner = ReportingRunner(meter, [gpu, cpu], [{"gpu0": 720.0, "cpu": 36.0}], busy, 1.0, [0])
    request = ProfileRequest(["serve"], FACTORS, interval_s=0.05, label="llm-serve")
    found = Discovery(sensors=[gpu, cpu])  # type: ignore[list-item]
    measured = measure(request, found, busy_cpu_s=lambda: busy[0], runner=runner, work=meter)
    inputs = {
        "grid": Param(value="FRA", source=Source(kind="flag", ref="--grid")),
        "pue": Param(value=1.2, source=Source(kind="flag", ref="--pue")),
    }
    report = build_report(
        request,
        measured,
        [],
        replace(HOST, cpu_model="EPYC", logical_cpus=64, memory_gb=512.0),
        inputs,
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return replace(report, created_at=now, ecoai_version="0.0.0-golden")


@pytest.mark.usefixtures("no_thread_leak")
def test_codecarbon_csv_golden_and_units() -> None:
    report = measured_report()
    text = render(report, Format.CODECARBON_CSV)
    check_golden("measured.codecarbon-csv", text)
    (row,) = csv.DictReader(io.StringIO(text))
    assert tuple(row) == CODECARBON_COLUMNS
    assert float(row["gpu_energy"]) == pytest.approx(720.0 / 3.6e6)  # kWh
    assert float(row["cpu_energy"]) == pytest.approx(18.0 / 3.6e6)  # half the CPU time: half
    assert float(row["emissions"]) == pytest.approx(738.0 / 3.6e6 * 1.2 * 400.0 / 1e3)  # kg
    assert float(row["duration"]) == 2.0 and float(row["gpu_power"]) == pytest.approx(360.0)
    assert row["country_iso_code"] == "FRA" and row["gpu_model"] == "1 x NVIDIA H100 80GB HBM3"


@pytest.mark.usefixtures("no_thread_leak")
def test_model_card_golden() -> None:
    text = render(measured_report(), Format.MODEL_CARD)
    check_golden("measured.model-card", text)
    assert "emissions: 0.0984" in text  # 738 J x 1.2 x 400 g/kWh = 0.0984 g


@pytest.mark.usefixtures("no_thread_leak")
def test_per_unit_figures_from_events() -> None:
    report = measured_report()
    work = report.measurement.workload if report.measurement else None
    assert work is not None and work.queries_from == "events"
    assert report.queries == 8 and work.output_tokens == 2400
    assert work.queries_per_s == pytest.approx(4.0) and work.output_tokens_per_s == 1200.0
    assert work.per_1k_output_tokens is not None and report.total is not None
    assert work.per_1k_output_tokens.carbon_g.mean == pytest.approx(
        report.total.carbon_g.mean / 2.4
    )
    text = render(report, Format.TABLE)
    assert "per unit (8 queries from the event file, 2400 output tokens)" in text


@pytest.mark.usefixtures("no_thread_leak")
def test_csv_and_markdown_carry_the_per_token_figures() -> None:
    report = measured_report()
    rows = list(csv.DictReader(io.StringIO(render(report, Format.CSV))))
    per_1k = next(
        r for r in rows if r["scope"] == "per_1k_output_tokens" and r["metric"] == "carbon_g"
    )
    assert report.total is not None
    assert float(per_1k["mean"]) == pytest.approx(report.total.carbon_g.mean / 2.4)
    markdown = render(report, Format.MARKDOWN)
    assert "| per unit | energy | water | carbon |" in markdown
    assert "| per 1,000 output tokens |" in markdown
