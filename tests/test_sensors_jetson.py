"""Jetson power rails against fake INA3221/INA238 trees under tmp_path (the layouts of Orin
Nano/NX, AGX Orin and AGX Xavier), NVML's "not supported" on a Jetson, and a contract test."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.hwmon import ina238, ina3221, set_file
from fakes.nvml import FakeGpu, FakeNvml

from ecoai.sensors import SensorRequest, discover
from ecoai.sensors.jetson import open_jetson, rail_components
from ecoai.sensors.sysfs import read_text

ORIN_NANO = {1: ("VDD_IN", 5000, 1600), 2: ("VDD_CPU_GPU_CV", 5000, 600), 3: ("VDD_SOC", 5000, 300)}


def test_orin_nano_reads_the_cpu_gpu_cv_rail_and_says_which_rail_is_what(tmp_path: Path) -> None:
    ina3221(tmp_path, "1-0040", ORIN_NANO)
    found = open_jetson(tmp_path, clock=FakeClock())
    (sensor,) = found.sensors
    assert (sensor.name, sensor.component, sensor.method) == (
        "jetson:VDD_CPU_GPU_CV",
        "gpu",
        "power",
    )
    assert sensor.covers == frozenset({"gpu", "cpu"})
    assert sensor.facts == {
        "rail": "VDD_CPU_GPU_CV",
        "monitor": "ina3221",
        "hwmon": "hwmon1",
        "channel": "2",
    }
    assert any("also feeds the CPU" in a for a in sensor.assumptions)
    reasons = {s.name: s.reason for s in found.skipped}
    assert (
        "total input" in reasons["jetson:VDD_IN"]
        and "contains the other rails" in reasons["jetson:VDD_IN"]
    )
    assert "SoC, accelerator or memory rail" in reasons["jetson:VDD_SOC"]


def test_power_is_millivolts_times_milliamps(tmp_path: Path) -> None:
    hwmon = ina3221(tmp_path, "1-0040", ORIN_NANO)
    clock = FakeClock()
    (sensor,) = open_jetson(tmp_path, clock=clock).sensors
    assert sensor.read().power_w == pytest.approx(3.0)  # 5000 mV x 600 mA
    set_file(hwmon / "curr2_input", 1800)
    clock.advance(0.1)
    reading = sensor.read()
    assert reading.power_w == pytest.approx(9.0) and reading.t_s == clock.now_s
    assert sensor.read_power_w() == pytest.approx(9.0)


def test_a_rail_reading_above_the_ceiling_is_a_spike_the_counter_check_bridges(
    tmp_path: Path,
) -> None:
    from ecoai.measurement.sampler import Sampler

    hwmon = ina3221(tmp_path, "1-0040", ORIN_NANO)
    clock = FakeClock()
    (sensor,) = open_jetson(tmp_path, clock=clock).sensors
    sampler = Sampler([sensor], interval_s=0.1, clock=clock)
    sampler.tick()
    clock.advance(1)
    sampler.tick()  # 3 W for 1 s
    set_file(hwmon / "curr2_input", 200_000)  # a glitch: 5 V x 200 A = 1000 W on a 15 W module
    clock.advance(1)
    sampler.tick()
    assert sampler.tallies["jetson:VDD_CPU_GPU_CV"].energy_j == pytest.approx(6.0)
    (line,) = sampler.counter_faults()["jetson:VDD_CPU_GPU_CV"]
    assert "more than the device's maximum power allows (260 W" in line


def test_agx_orin_and_agx_xavier_rails(tmp_path: Path) -> None:
    orin = tmp_path / "orin"
    ina3221(
        orin,
        "1-0040",
        {
            1: ("VDD_GPU_SOC", 5000, 2000),
            2: ("VDD_CPU_CV", 5000, 1000),
            3: ("VIN_SYS_5V0", 5000, 900),
        },
    )
    ina3221(orin, "1-0041", {2: ("VDDQ_VDD2_1V8AO", 5000, 200)}, hwmon=2)
    found = open_jetson(orin)
    assert [(s.name, s.component) for s in found.sensors] == [
        ("jetson:VDD_GPU_SOC", "gpu"),
        ("jetson:VDD_CPU_CV", "cpu"),
    ]
    assert {s.name for s in found.skipped} == {"jetson:VIN_SYS_5V0", "jetson:VDDQ_VDD2_1V8AO"}
    xavier = tmp_path / "xavier"
    ina3221(
        xavier, "1-0040", {1: ("GPU", 19000, 200), 2: ("CPU", 19000, 100), 3: ("SOC", 19000, 90)}
    )
    ina3221(
        xavier,
        "1-0041",
        {1: ("CV", 19000, 5), 2: ("VDDRQ", 19000, 40), 3: ("SYS5V", 5000, 900)},
        hwmon=2,
    )
    found = open_jetson(xavier)
    assert [(s.name, s.component) for s in found.sensors] == [
        ("jetson:GPU", "gpu"),
        ("jetson:CPU", "cpu"),
    ]
    assert found.sensors[0].read().power_w == pytest.approx(3.8)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("VDD_CPU_GPU_CV", ("gpu", frozenset({"gpu", "cpu"}))),
        ("VDD_GPU_SOC", ("gpu", frozenset({"gpu"}))),
        ("GPU", ("gpu", frozenset({"gpu"}))),
        ("CPU", ("cpu", frozenset({"cpu"}))),
        ("VDD_CPU_CV", ("cpu", frozenset({"cpu"}))),
        ("VDD_SOC", None),
        ("VDDRQ", None),
    ],
)
def test_rail_labels(label: str, expected: object) -> None:
    assert rail_components(label) == expected


def test_ina238_uses_power1_input_in_microwatts_and_an_unlabelled_one_is_skipped(
    tmp_path: Path,
) -> None:
    ina238(tmp_path, "2-0044", power_uw=7_500_000, label="VDD_GPU")
    ina238(tmp_path, "2-0045", power_uw=1_000_000, hwmon=6)
    found = open_jetson(tmp_path)
    (sensor,) = found.sensors
    assert sensor.name == "jetson:VDD_GPU" and sensor.read().power_w == pytest.approx(7.5)
    (skipped,) = found.skipped
    assert "2-0045" in skipped.reason and "no rail label" in skipped.reason


def test_permission_and_garbage_are_skips_with_the_fix(tmp_path: Path) -> None:
    ina3221(tmp_path, "1-0040", ORIN_NANO)

    def denied(path: Path) -> str:
        if path.name.startswith("curr"):
            raise PermissionError(13, "Permission denied", str(path))
        return read_text(path)

    found = open_jetson(tmp_path, reader=denied)
    assert found.sensors == []
    reason = {s.name: s.reason for s in found.skipped}["jetson:VDD_CPU_GPU_CV"]
    assert "permission denied" in reason and "run as root" in reason
    set_file(tmp_path / "ina3221/1-0040/hwmon/hwmon1/curr2_input", 0)
    (tmp_path / "ina3221/1-0040/hwmon/hwmon1/in2_input").write_text("garbage\n")
    assert (
        "unreadable"
        in {s.name: s.reason for s in open_jetson(tmp_path).skipped}["jetson:VDD_CPU_GPU_CV"]
    )


def test_not_a_jetson(tmp_path: Path) -> None:
    (skipped,) = open_jetson(tmp_path).skipped
    assert "not a Jetson" in skipped.reason


def test_nvml_not_supported_on_a_jetson_is_measured_by_the_rails_never_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NVML initialises on a Jetson but answers NOT_SUPPORTED for energy and power: the GPU is
    measured by its rail, the CPU is inside that rail (no CPU model on top), DRAM is modelled."""
    orin = FakeGpu(name="Orin (nvgpu)", counter_supported=False, power_supported=False)
    monkeypatch.setitem(sys.modules, "pynvml", FakeNvml([orin]))
    ina3221(tmp_path / "i2c", "1-0040", ORIN_NANO)
    request = SensorRequest(
        powercap_root=tmp_path / "class" / "powercap",
        i2c_drivers_root=tmp_path / "i2c",
        cpu_tdp_w=15.0,
        clock=FakeClock(),
    )
    found = discover(request, env={})
    assert [(s.name, s.component) for s in found.sensors] == [
        ("jetson:VDD_CPU_GPU_CV", "gpu"),
        ("dram-model", "dram"),
    ]
    reasons = {s.name: s.reason for s in found.skipped}
    assert "neither the energy counter nor power" in reasons["nvml:0"]


def test_jetson_is_not_needed_where_nvml_measures_the_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", FakeNvml([FakeGpu()]))
    ina3221(tmp_path / "i2c", "1-0040", ORIN_NANO)
    request = SensorRequest(
        backends=("nvml", "jetson"),
        powercap_root=tmp_path / "class" / "powercap",
        i2c_drivers_root=tmp_path / "i2c",
    )
    found = discover(request, env={})
    assert [s.name for s in found.sensors] == ["nvml:0"]
    assert {s.name: s.reason for s in found.skipped}[
        "jetson"
    ] == "not needed: NVML counters cover GPU"


@pytest.mark.jetson
def test_real_jetson_rails() -> None:
    found = open_jetson(Path("/sys/bus/i2c/drivers"))
    if not found.sensors:
        pytest.skip(f"no readable Jetson rails here: {[s.reason for s in found.skipped]}")
    for sensor in found.sensors:
        power_w = sensor.read().power_w
        assert power_w is not None and 0 < power_w < sensor.max_power_w
