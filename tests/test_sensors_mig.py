"""MIG: an instance in CUDA_VISIBLE_DEVICES is measured as its parent GPU, attributed by its
compute slices (fake NVML with the real pynvml names), end to end through measure()."""

from __future__ import annotations

from collections.abc import Callable

import pynvml
import pytest
from fakes.mig import MIG_NAMES, FakeMig, FakeMigNvml
from fakes.nvml import FakeGpu
from fakes.threads import no_thread_leak  # noqa: F401  (fixture)

from ecoai.footprint import Multipliers
from ecoai.measurement.report import build_report
from ecoai.measurement.runner import RunResult
from ecoai.measurement.session import ProfileRequest, measure
from ecoai.models import HostInfo
from ecoai.sensors.mig import resolve, split_visible
from ecoai.sensors.nvml import open_nvml

MIG_A = "MIG-4ba1f0e2-0a5c-5b4e-9d1b-0c7f3c2a1e01"
MIG_B = "MIG-4ba1f0e2-0a5c-5b4e-9d1b-0c7f3c2a1e02"


def fake() -> tuple[FakeMigNvml, list[FakeGpu]]:
    gpus = [FakeGpu(uuid="GPU-aaaa"), FakeGpu(uuid="GPU-bbbb")]
    migs = [FakeMig(MIG_A, gpus[1], 3), FakeMig(MIG_B, gpus[1], 2)]
    return FakeMigNvml(gpus, migs), gpus


def test_every_mig_name_exists_on_the_real_pynvml() -> None:
    assert [name for name in MIG_NAMES if not hasattr(pynvml, name)] == []


def test_split_visible_keeps_order_and_none() -> None:
    assert split_visible(None) == (None, [])
    assert split_visible(f"0, {MIG_A},1") == ("0,1", [MIG_A])


def test_a_mig_instance_is_its_parent_gpu_attributed_by_slices() -> None:
    nvml, _ = fake()
    found = open_nvml(nvml, MIG_A)
    (sensor,) = found.sensors
    assert sensor.name == f"nvml:1/{MIG_A}" and sensor.index == 1
    assert sensor.attribution_share == pytest.approx(3 / 7)
    assert sensor.facts["mig_slices"] == "3 of 7" and sensor.facts["uuid"] == "GPU-bbbb"
    assert "3 of 7 compute slices (42.9%)" in sensor.assumptions[-1]
    assert found.process_aware == []  # a static share, not per-process utilisation
    found.close()


def test_two_instances_of_one_gpu_add_their_slices() -> None:
    nvml, _ = fake()
    (sensor,) = open_nvml(nvml, f"{MIG_A},{MIG_B}").sensors
    assert sensor.attribution_share == pytest.approx(5 / 7)
    assert sensor.facts["mig_slices"] == "5 of 7"


def test_unknown_instance_and_a_parent_measured_whole_are_skips() -> None:
    nvml, _ = fake()
    found = open_nvml(nvml, "1,MIG-0000")
    assert [s.name for s in found.sensors] == ["nvml:1"]
    assert "cannot resolve MIG instance MIG-0000" in found.skipped[0].reason
    found = open_nvml(nvml, f"1,{MIG_A}")
    assert [s.name for s in found.sensors] == ["nvml:1"]
    assert found.skipped[0].reason == "its parent GPU nvml:1 is measured whole"


def test_a_gpu_uuid_is_not_a_mig_instance() -> None:
    nvml, _ = fake()
    assert resolve(nvml, "GPU-aaaa") == "GPU-aaaa is not a MIG instance"


@pytest.mark.usefixtures("no_thread_leak")
def test_report_attributes_the_instance_share_of_the_whole_gpu() -> None:
    nvml, gpus = fake()
    found = open_nvml(nvml, MIG_A)

    def runner(argv: list[str], grace_s: float, on_start: Callable[[int], None]) -> RunResult:
        on_start(4242)
        gpus[1].energy_mj += 700_000  # 700 J on the whole GPU
        return RunResult(0, 0, None, False, 1.0, 0.5)

    factors = Multipliers(
        pue=1.0, wue_site_l_per_kwh=0.0, wue_source_l_per_kwh=0.0, cif_g_per_kwh=0.0
    )
    request = ProfileRequest(["train"], factors, interval_s=0.05)
    measured = measure(request, found, busy_cpu_s=lambda: 0.0, runner=runner, tree=lambda p: {p})
    found.close()
    report = build_report(request, measured, [], HostInfo(hostname="t", platform="Linux"), {})
    run = report.measurement.runs[0]  # type: ignore[union-attr]
    (sensor,) = run.sensors
    assert sensor.energy_j == pytest.approx(700.0)
    assert sensor.attributed_energy_j == pytest.approx(300.0)
    assert run.gpu_share == {f"nvml:1/{MIG_A}": pytest.approx(3 / 7)}
    from ecoai.render.measured import measured_section

    text = measured_section(report)
    assert f"nvml:1/{MIG_A}: the MIG instance's share of its GPU's slices 42.9%" in text
    assert "is shared" not in text


def gpm_fake() -> tuple[FakeMigNvml, list[FakeGpu], list[FakeMig]]:
    gpus = [FakeGpu(uuid="GPU-aaaa"), FakeGpu(uuid="GPU-bbbb")]
    migs = [FakeMig(MIG_A, gpus[1], 3, gi=1), FakeMig(MIG_B, gpus[1], 2, gi=2)]
    return FakeMigNvml(gpus, migs, gpm=True), gpus, migs


def test_gpm_engine_activity_gives_the_share_of_the_gpus_busy_time() -> None:
    nvml, _, migs = gpm_fake()
    found = open_nvml(nvml, MIG_A)
    (sensor,) = found.sensors
    assert sensor.facts["mig_attribution"] == "gpm"
    assert "busy engine time (NVML GPM" in sensor.assumptions[-1]
    sensor.gpm.begin()
    nvml.now_s += 10
    migs[0].busy_s += 10.0  # ours: 100 % of 3 slices
    migs[1].busy_s += 2.5  # the neighbour: 25 % of 2 slices
    assert sensor.gpm.share() == pytest.approx(3 / (3 + 0.5))
    assert sensor.gpm.last == {1: pytest.approx(100.0), 2: pytest.approx(25.0)}
    assert nvml.samples_alive == 0  # every GPM sample freed
    sensor.gpm.begin()
    nvml.now_s += 10  # nobody busy: no activity to share, the slices apply
    assert sensor.gpm.share() is None
    found.close()
    assert nvml.samples_alive == 0


def test_without_gpm_the_slices_apply_and_the_reason_is_stated() -> None:
    nvml, _ = fake()  # an A100: no GPM
    (sensor,) = open_nvml(nvml, MIG_A).sensors
    assert sensor.gpm is None and sensor.facts["mig_attribution"] == "slices"
    assert "(GPM is not supported on this GPU (Hopper and newer))" in sensor.assumptions[-1]
    sensor.close()


@pytest.mark.usefixtures("no_thread_leak")
def test_report_attributes_by_gpm_activity_where_the_gpu_has_it() -> None:
    nvml, gpus, migs = gpm_fake()
    found = open_nvml(nvml, MIG_A)

    def runner(argv: list[str], grace_s: float, on_start: Callable[[int], None]) -> RunResult:
        on_start(4242)
        gpus[1].energy_mj += 700_000  # 700 J on the whole GPU
        nvml.now_s += 1.0
        migs[0].busy_s += 1.0
        migs[1].busy_s += 0.25
        return RunResult(0, 0, None, False, 1.0, 0.5)

    factors = Multipliers(
        pue=1.0, wue_site_l_per_kwh=0.0, wue_source_l_per_kwh=0.0, cif_g_per_kwh=0.0
    )
    request = ProfileRequest(["train"], factors, interval_s=0.05)
    measured = measure(request, found, busy_cpu_s=lambda: 0.0, runner=runner, tree=lambda p: {p})
    found.close()
    report = build_report(request, measured, [], HostInfo(hostname="t", platform="Linux"), {})
    run = report.measurement.runs[0]  # type: ignore[union-attr]
    (sensor,) = run.sensors
    assert sensor.attributed_energy_j == pytest.approx(700.0 * 3 / 3.5)
    from ecoai.render.measured import measured_section

    text = measured_section(report)
    assert f"nvml:1/{MIG_A}: the MIG instance's share of its GPU 85.7% (by GPM engine" in text
