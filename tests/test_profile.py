"""profile.measure() with fake sensors and runner; measurement.build_report() by hand."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes.threads import no_thread_leak  # noqa: F401  (fixture)

from ecoai import units
from ecoai.footprint import Multipliers, footprint_point
from ecoai.measurement.report import attributed_j, build_report, cpu_share, first_failure
from ecoai.measurement.runner import RunResult
from ecoai.measurement.session import Measured, ProfileRequest, measure
from ecoai.models import HostInfo, SensorSkip
from ecoai.sensors import Discovery, Reading

FACTORS = Multipliers(
    pue=1.2, wue_site_l_per_kwh=0.5, wue_source_l_per_kwh=3.0, cif_g_per_kwh=400.0
)
HOST = HostInfo(hostname="test", platform="Linux")


class Energy:
    """A counter sensor whose energy the test sets."""

    def __init__(self, name: str, component: str) -> None:
        self.name, self.component, self.method, self.scope = name, component, "counter", "device"
        self.facts: dict[str, str] = {}
        self.assumptions: list[str] = []
        self.energy_j = 0.0
        self.closed = False

    def read(self) -> Reading:
        return Reading(0.0, energy_j=self.energy_j)

    def close(self) -> None:
        self.closed = True


class FakeRunner:
    """Stands in for runner.run: moves the sensors' energy and the machine's busy CPU time."""

    def __init__(
        self,
        sensors: list[Energy],
        draws_j: list[dict[str, float]],
        busy: list[float],
        child_cpu_s: float,
        statuses: list[int],
    ) -> None:
        self.sensors, self.draws_j, self.busy = sensors, draws_j, busy
        self.child_cpu_s, self.statuses, self.calls = child_cpu_s, statuses, 0

    def __call__(self, argv: list[str], grace_s: float, on_start: object) -> RunResult:
        draw = self.draws_j[self.calls]
        for sensor in self.sensors:
            sensor.energy_j += draw.get(sensor.name, 0.0)
        self.busy[0] += 2 * self.child_cpu_s  # the child used half of the machine's busy time
        status = self.statuses[self.calls]
        self.calls += 1
        return RunResult(status, status, None, False, 2.0, self.child_cpu_s)


def measured_with(
    draws_j: list[dict[str, float]], statuses: list[int] | None = None, baseline_s: float = 0.0
) -> tuple[ProfileRequest, Measured]:
    gpu, cpu = Energy("gpu0", "gpu"), Energy("cpu", "cpu")
    busy = [100.0]
    runner = FakeRunner([gpu, cpu], draws_j, busy, 1.5, statuses or [0] * len(draws_j))
    request = ProfileRequest(
        ["work"], FACTORS, interval_s=0.05, repeat=len(draws_j), queries=10, baseline_s=baseline_s
    )
    found = Discovery(sensors=[gpu, cpu])  # type: ignore[list-item]
    return request, measure(request, found, busy_cpu_s=lambda: busy[0], runner=runner)


@pytest.mark.usefixtures("no_thread_leak")
def test_one_run_attributes_cpu_by_cpu_time_share_and_keeps_the_gpu_whole() -> None:
    request, measured = measured_with([{"gpu0": 300.0, "cpu": 100.0}])
    report = build_report(request, measured, [SensorSkip(name="rapl", reason="absent")], HOST, {})
    m = report.measurement
    assert m is not None and m.exit_status == 0
    (run,) = m.runs
    assert run.cpu_share == pytest.approx(0.5)
    assert run.energy_j == pytest.approx(400.0)
    assert run.attributed_energy_j == pytest.approx(300.0 + 50.0)
    assert report.total == footprint_point(350.0, FACTORS)
    assert report.total.energy_wh.mean == pytest.approx(350.0 * 1.2 / 3600)
    assert report.per_query is not None
    assert report.per_query.carbon_g.mean == pytest.approx(units.j_to_kwh(350.0) * 1.2 * 400.0 / 10)
    assert report.kind == "measured" and m.skipped[0].reason == "absent"
    assert report.intermediate["gpu_energy_j"] == pytest.approx(300.0)


@pytest.mark.usefixtures("no_thread_leak")
def test_machine_scope_uses_the_whole_energy() -> None:
    request, measured = measured_with([{"gpu0": 300.0, "cpu": 100.0}])
    machine = ProfileRequest(request.command, FACTORS, scope="machine", queries=10)
    report = build_report(machine, measured, [], HOST, {})
    assert report.total == footprint_point(400.0, FACTORS)


@pytest.mark.usefixtures("no_thread_leak")
def test_repeated_runs_keep_each_run_and_mean_with_spread() -> None:
    draws = [{"gpu0": 100.0}, {"gpu0": 200.0}, {"gpu0": 300.0}]
    request, measured = measured_with(draws, statuses=[0, 5, 0])
    report = build_report(request, measured, [], HOST, {})
    assert report.runs is not None and len(report.runs) == 3
    assert [r.it_energy_wh.mean * 3600 for r in report.runs] == pytest.approx([100, 200, 300])
    total = report.total
    assert total is not None
    assert total.it_energy_wh.mean * 3600 == pytest.approx(200.0)
    assert total.it_energy_wh.std is not None and total.it_energy_wh.std * 3600 == pytest.approx(
        100.0
    )
    assert (total.it_energy_wh.min * 3600, total.it_energy_wh.max * 3600) == pytest.approx(
        (100, 300)
    )
    assert report.measurement is not None and report.measurement.exit_status == 5


@pytest.mark.usefixtures("no_thread_leak")
def test_baseline_gives_above_idle_energy() -> None:
    request, measured = measured_with([{"gpu0": 300.0}], baseline_s=0.1)
    # the fake sensors draw nothing while idle: baseline 0 W, above idle = all
    report = build_report(request, measured, [], HOST, {})
    run = report.measurement.runs[0]  # type: ignore[union-attr]
    assert measured.baseline_power_w == {"gpu0": 0.0, "cpu": 0.0}
    assert run.above_idle_energy_j == pytest.approx(300.0)


def test_shares_and_attribution_rules() -> None:
    assert cpu_share(1.0, 4.0) == 0.25
    assert cpu_share(5.0, 4.0) == 1.0  # clock-tick rounding can exceed the machine's count
    assert cpu_share(1.0, None) is None and cpu_share(1.0, 0.0) is None
    assert attributed_j("gpu", "g", 100.0, 0.1, {"g": 0.25}) == 25.0
    assert attributed_j("gpu", "g", 100.0, 0.1, {}) == 100.0
    assert attributed_j("dram", "d", 100.0, 0.1, {}) == pytest.approx(10.0)
    assert attributed_j("cpu", "c", 100.0, None, {}) == 100.0
    assert first_failure([0, 0]) == 0 and first_failure([0, 3, 4]) == 3


@pytest.mark.usefixtures("no_thread_leak")
def test_no_sensor_says_so_instead_of_a_silent_zero() -> None:
    request = ProfileRequest(["true"], FACTORS)
    measured = measure(
        request,
        Discovery(),
        busy_cpu_s=lambda: 0.0,
        runner=lambda *a, **k: RunResult(0, 0, None, False, 0.1, 0.0),
    )
    report = build_report(request, measured, [], HOST, {})
    assert any("no sensor was available" in note for note in report.notes)


@pytest.mark.usefixtures("no_thread_leak")
def test_a_shared_gpu_is_attributed_by_the_tree_share_of_sm_utilisation() -> None:
    from fakes.nvml import FakeGpu, FakeNvml

    from ecoai.sensors.nvml import open_nvml

    gpu = FakeGpu(compute_pids=[4242, 999])
    fake = FakeNvml([gpu])
    found = open_nvml(fake, None)

    def runner(argv: list[str], grace_s: float, on_start: Callable[[int], None]) -> RunResult:
        on_start(4242)
        gpu.energy_mj += 400_000  # 400 J on the whole device
        gpu.util_samples += [(4242, 10, 75), (999, 11, 25)]
        return RunResult(0, 0, None, False, 1.0, 0.5)

    request = ProfileRequest(["serve"], FACTORS, interval_s=0.05)
    measured = measure(
        request, found, busy_cpu_s=lambda: 0.0, runner=runner, tree=lambda pid: {pid}
    )
    found.close()
    report = build_report(request, measured, [], HOST, {})
    run = report.measurement.runs[0]  # type: ignore[union-attr]
    assert run.gpu_shared == ["nvml:0"] and run.gpu_share == {"nvml:0": pytest.approx(0.75)}
    (sensor,) = run.sensors
    assert sensor.energy_j == pytest.approx(400.0)
    assert sensor.attributed_energy_j == pytest.approx(300.0)
    assert report.total.it_energy_wh.mean * 3600 == pytest.approx(300.0)  # type: ignore[union-attr]
    assert any("nvml:0 is shared" in note for note in report.notes)
    assert fake.shutdowns == 1


@pytest.mark.usefixtures("no_thread_leak")
def test_listeners_and_on_start_hooks_see_the_run() -> None:
    from ecoai.measurement.sampler import Sample

    seen: list[Sample] = []
    pids: list[int] = []
    request, _ = measured_with([{"gpu0": 1.0}])
    sensor = Energy("gpu0", "gpu")

    def runner(argv: list[str], grace_s: float, on_start: Callable[[int], None]) -> RunResult:
        on_start(777)
        return RunResult(0, 0, None, False, 0.1, 0.0)

    measure(
        request,
        Discovery(sensors=[sensor]),
        busy_cpu_s=lambda: 0.0,
        runner=runner,  # type: ignore[list-item]
        listeners=[seen.append],
        on_start=pids.append,
    )
    assert pids == [777] and len(seen) >= 3  # origin, run start and run end at least
    assert all("gpu0" in s.energy_j for s in seen)
