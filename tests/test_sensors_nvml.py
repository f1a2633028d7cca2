"""NVML sensors against a fake pynvml module, plus contract tests against real NVML (gpu)."""

from __future__ import annotations

import os
import time

import pynvml
import pytest
from fakes.clock import FakeClock
from fakes.nvml import FAKED_NAMES, FakeGpu, FakeNvml

from ecoai.measurement.gpu_share import GpuShareTracker
from ecoai.sensors.nvml import open_nvml, select_devices


def gpus(n: int = 2) -> list[FakeGpu]:
    return [FakeGpu(uuid=f"GPU-{i}aaa-{i}", energy_mj=10_000 * (i + 1)) for i in range(n)]


def test_every_faked_name_exists_on_the_real_pynvml() -> None:
    missing = [name for name in FAKED_NAMES if not hasattr(pynvml, name)]
    assert FAKED_NAMES and missing == []


def test_every_nvml_name_the_code_calls_is_faked() -> None:
    import ast
    import inspect

    from ecoai.measurement import gpu_share
    from ecoai.sensors import nvml

    used = set()
    for module in (nvml, gpu_share):
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.Attribute) and node.attr.startswith(("nvml", "NVML")):
                used.add(node.attr)
            if isinstance(node, ast.Constant) and str(node.value).startswith("nvmlDevice"):
                used.add(str(node.value))
    assert used - {"nvml"} <= set(FAKED_NAMES)


def test_counter_is_read_in_joules_with_device_facts() -> None:
    fake, clock = FakeNvml(gpus(1)), FakeClock()
    found = open_nvml(fake, None, clock=clock)
    (sensor,) = found.sensors
    assert (sensor.name, sensor.method, sensor.scope, sensor.component) == (
        "nvml:0",
        "counter",
        "device",
        "gpu",
    )
    assert sensor.facts == {
        "index": "0",
        "device_name": "NVIDIA H100 80GB HBM3",
        "uuid": "GPU-0aaa-0",
        "driver": "550.54.15",
    }
    fake.gpus[0].energy_mj += 2_500
    reading = sensor.read()
    assert reading.energy_j == pytest.approx(12.5) and reading.power_w is None
    assert reading.t_s == clock.now_s


def test_unsupported_counter_falls_back_to_power_never_zero() -> None:
    fake = FakeNvml([FakeGpu(counter_supported=False, power_mw=123_456)])
    (sensor,) = open_nvml(fake, None, clock=FakeClock()).sensors
    assert sensor.method == "power"
    assert sensor.read().power_w == pytest.approx(123.456)
    assert "power readings integrated" in sensor.assumptions[0]


def test_gpu_reading_neither_is_skipped_with_its_reason() -> None:
    fake = FakeNvml([FakeGpu(counter_supported=False, power_supported=False), FakeGpu()])
    found = open_nvml(fake, None, clock=FakeClock())
    assert [s.name for s in found.sensors] == ["nvml:1"]
    assert found.skipped[0].name == "nvml:0"
    assert "neither the energy counter nor power" in found.skipped[0].reason


def test_init_failure_is_a_skip_not_a_crash() -> None:
    found = open_nvml(FakeNvml([], init_error=12), None)
    assert found.sensors == []
    assert "NVML did not initialise" in found.skipped[0].reason


@pytest.mark.parametrize(
    ("visible", "indexes"),
    [(None, [0, 1, 2]), ("1", [1]), ("2,0", [2, 0]), ("GPU-1aaa", [1]), ("0,7,1", [0]), ("", [])],
)
def test_cuda_visible_devices_by_index_or_uuid_prefix(
    visible: str | None, indexes: list[int]
) -> None:
    chosen, skipped = select_devices(FakeNvml(gpus(3)), 3, visible)
    assert chosen == indexes
    assert bool(skipped) == (visible in ("0,7,1", ""))


def test_only_visible_gpus_are_opened_and_nvml_shut_down_once() -> None:
    fake = FakeNvml(gpus(3))
    found = open_nvml(fake, "GPU-2aaa,0", clock=FakeClock())
    assert [s.facts["uuid"] for s in found.sensors] == ["GPU-2aaa-2", "GPU-0aaa-0"]
    found.close()
    found.close()
    assert (fake.initialised, fake.shutdowns) == (1, 1)


def test_shared_gpu_is_detected_and_attributed_by_sm_share() -> None:
    gpu = FakeGpu(
        compute_pids=[111, 999], util_samples=[(111, 10, 60), (999, 11, 20), (111, 12, 60)]
    )
    (sensor,) = open_nvml(FakeNvml([gpu]), None, clock=FakeClock()).sensors
    tracker = GpuShareTracker([sensor], tree=lambda pid: {pid, 112}, root_pid=111)
    tracker.poll()
    gpu.util_samples.append((999, 20, 40))
    tracker.poll()
    assert tracker.shared == {"nvml:0"}
    assert tracker.shares() == {"nvml:0": pytest.approx(120 / 180)}


def test_unshared_gpu_keeps_its_whole_energy() -> None:
    gpu = FakeGpu(compute_pids=[111], util_samples=[(111, 10, 90)])
    (sensor,) = open_nvml(FakeNvml([gpu]), None, clock=FakeClock()).sensors
    tracker = GpuShareTracker([sensor], tree=lambda pid: {pid}, root_pid=111)
    tracker.poll()
    assert tracker.shared == set() and tracker.shares() == {}


def _real_nvml_or_skip() -> None:
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as error:
        pytest.skip(f"NVML does not initialise here: {error}")
    count = pynvml.nvmlDeviceGetCount()
    pynvml.nvmlShutdown()
    if count == 0:
        pytest.skip("NVML sees no GPU")


@pytest.mark.gpu
def test_real_nvml_reads_a_rising_counter_or_a_positive_power() -> None:
    _real_nvml_or_skip()
    found = open_nvml(pynvml, os.environ.get("CUDA_VISIBLE_DEVICES"))
    try:
        assert found.sensors, found.skipped
        for sensor in found.sensors:
            assert sensor.facts["uuid"].startswith(("GPU-", "MIG-"))
            assert sensor.facts["driver"] and sensor.facts["device_name"]
            first = sensor.read()
            time.sleep(0.5)
            second = sensor.read()
            if sensor.method == "counter":
                assert first.energy_j is not None and second.energy_j is not None
                assert second.energy_j > first.energy_j  # an idle GPU still draws tens of W
            else:
                assert second.power_w is not None and second.power_w > 0
        tracker = GpuShareTracker(found.sensors, root_pid=os.getpid())  # type: ignore[arg-type]
        tracker.poll()  # NVML process queries on real hardware: errors counted, never raised
        assert tracker.errors <= len(found.sensors)
    finally:
        found.close()
