"""The straight data paths of a measurement: one preparation, one record per sensor, one shape
per skip and gap, shared-GPU attribution only for the sensors a backend lists as process-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes.nvml import FakeGpu, FakeNvml
from fakes.threads import no_thread_leak  # noqa: F401  (fixture)

import ecoai
from ecoai.errors import InputError
from ecoai.inputs.keys import FOOTPRINT_KEYS
from ecoai.measurement.report import build_report
from ecoai.measurement.runner import RunResult
from ecoai.measurement.sampler import Sampler
from ecoai.measurement.session import SensorRun, measure, prepare
from ecoai.models import GapInfo, HostInfo, SensorInfo, SensorSkip
from ecoai.sensors import BACKENDS, Discovery, Reading, SensorRequest, discover, parse_backends
from ecoai.sensors.nvml import open_nvml

FLAGS = {"pue": 1.25, "wue_site_l_per_kwh": 0.5, "wue_source_l_per_kwh": 3.0, "cif_kg_per_kwh": 0.4}
HOST = HostInfo(hostname="test", platform="Linux")


def test_prepare_resolves_the_footprint_once_for_the_request_and_the_report() -> None:
    request = prepare(["work"], {**FLAGS, "grid": None}, scope="machine", queries=3)
    assert request.factors.pue == 1.25 and request.factors.cif_g_per_kwh == pytest.approx(400.0)
    assert request.inputs["pue"].value == 1.25 and request.inputs["pue"].source.kind == "flag"
    assert set(request.inputs) <= set(FOOTPRINT_KEYS)
    assert (request.scope, request.queries, request.command) == ("machine", 3, ["work"])


def test_prepare_fills_the_factors_from_the_profiles() -> None:
    request = prepare(["work"], {"grid": "FRA", "host": "azure"})
    assert request.inputs["cif_kg_per_kwh"].source.kind == "profile"
    assert request.factors.cif_g_per_kwh == pytest.approx(
        float(request.inputs["cif_kg_per_kwh"].value) * 1000  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("footprint", "scope", "message"),
    [
        ({}, "everything", "unknown scope 'everything'"),
        ({"model": "gpt-4.1"}, "machine", "'model' is not a footprint input"),
        ({"pue": 0.5}, "machine", "--pue: must be >= 1"),
    ],
)
def test_prepare_refuses_bad_inputs(footprint: dict[str, object], scope: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        prepare(["work"], footprint, scope=scope)  # type: ignore[arg-type]


def test_the_python_api_refuses_an_unknown_scope_before_measuring() -> None:
    block = ecoai.measure(scope="everything", **FLAGS)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown scope 'everything'"):
        block.__enter__()


@pytest.mark.usefixtures("no_thread_leak")
def test_a_block_that_failed_to_start_can_be_entered_again() -> None:
    attempts: list[int] = []

    def flaky() -> Discovery:
        attempts.append(1)
        if len(attempts) == 1:
            raise InputError("no sensor yet")
        return Discovery(sensors=[Counter("cpu")])  # type: ignore[list-item]

    block = ecoai.measure(discover=flaky, **FLAGS)
    with pytest.raises(InputError, match="no sensor yet"):
        block.__enter__()
    with block:
        pass
    assert len(attempts) == 2 and block.report.measurement is not None


class Counter:
    """A counter sensor that draws 10 J a read and fails its second read."""

    def __init__(self, name: str) -> None:
        self.name, self.component, self.method, self.scope = name, "cpu", "counter", "machine"
        self.facts: dict[str, str] = {"k": "v"}
        self.assumptions: list[str] = []
        self.reads = 0

    def read(self) -> Reading:
        self.reads += 1
        if self.reads == 2:
            raise OSError("flaky")
        return Reading(float(self.reads), energy_j=10.0 * self.reads)

    def close(self) -> None:
        """Nothing to release."""


@pytest.mark.usefixtures("no_thread_leak")
def test_one_record_per_sensor_reaches_the_report() -> None:
    sensor = Counter("cpu")
    found = Discovery(sensors=[sensor], skipped=[SensorSkip(name="rapl", reason="absent")])  # type: ignore[list-item]
    request = prepare(["work"], FLAGS, interval_s=60.0)

    def runner(argv: list[str], grace_s: float, on_start: object) -> RunResult:
        return RunResult(0, 0, None, False, 1.0, 0.5)

    measured = measure(request, found, busy_cpu_s=lambda: 0.0, runner=runner)
    assert measured.sensors == [
        SensorInfo(name="cpu", component="cpu", method="counter", scope="machine", facts={"k": "v"})
    ]
    (run,) = measured.runs
    assert set(run.sensors) == {"cpu"} and isinstance(run.sensors["cpu"], SensorRun)
    assert run.energy_j == {"cpu": run.sensors["cpu"].energy_j}
    report = build_report(request, measured, found.skipped, HOST, request.inputs)
    (energy,) = report.measurement.runs[0].sensors  # type: ignore[union-attr]
    counted = run.sensors["cpu"]
    assert (energy.energy_j, energy.samples, energy.read_errors, energy.last_error) == (
        counted.energy_j,
        counted.samples,
        counted.read_errors,
        counted.last_error,
    )
    assert report.measurement.skipped == found.skipped  # type: ignore[union-attr]
    assert report.created_at == measured.ended_at and measured.ended_at.tzinfo is UTC
    assert report.inputs == dict(request.inputs)


@pytest.mark.usefixtures("no_thread_leak")
def test_the_report_is_dated_by_the_measurement_not_the_clock() -> None:
    request = prepare(["work"], FLAGS)
    measured = measure(
        request,
        Discovery(),
        busy_cpu_s=lambda: 0.0,
        runner=lambda *a, **k: RunResult(0, 0, None, False, 0.1, 0.0),
    )
    then = datetime(2020, 1, 1, tzinfo=UTC)
    measured.ended_at = then
    assert build_report(request, measured, [], HOST, {}).created_at == then


def test_gaps_keep_the_report_shape_from_the_sampler() -> None:
    clock = iter([0.0, 0.1, 5.0]).__next__
    sampler = Sampler([], interval_s=0.1, clock=clock)
    sampler.tick()
    sampler.tick()
    sampler.tick()
    (gap,) = sampler.gaps
    assert isinstance(gap, GapInfo) and gap.duration_s == pytest.approx(4.9)


def test_only_sensors_a_backend_lists_are_asked_for_their_processes() -> None:
    found = open_nvml(FakeNvml([FakeGpu(compute_pids=[1])]), None)
    assert found.process_aware == found.sensors and len(found.sensors) == 1
    found.close()


def test_the_backend_table_drives_discovery_and_the_sensors_flag(tmp_path: Path) -> None:
    names = [backend.name for backend in BACKENDS]
    assert names == [
        "nvml",
        "amdsmi",
        "intel-gpu",
        "jetson",
        "powermetrics",
        "macmon",
        "rapl",
        "cpu-model",
    ]
    assert parse_backends(",".join(names)) == names
    found = discover(
        SensorRequest(backends=["cpu-model"], powercap_root=tmp_path, cpu_tdp_w=100.0),
        env={"CUDA_VISIBLE_DEVICES": ""},
    )
    assert [s.component for s in found.sensors] == ["cpu", "dram"] and not found.process_aware
    found.close()
