"""Intel GPU sensors against a fake hwmon tree under tmp_path, plus a contract test (intel_gpu)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.hwmon import add_hwmon, intel_card, set_file

from ecoai.sensors import SensorRequest, discover
from ecoai.sensors.intel_gpu import FALLBACK_MAX_POWER_W, open_intel_gpu
from ecoai.sensors.sysfs import read_text


def test_only_xe_and_i915_cards_are_opened_with_their_facts(tmp_path: Path) -> None:
    root = tmp_path / "hwmon"
    add_hwmon(root, 0, "coretemp", temp1_input=45000)
    add_hwmon(root, 1, "nvme")
    intel_card(root, 2, "xe")
    add_hwmon(root, 10, "i915", energy1_input=1, power1_max=225_000_000)
    found = open_intel_gpu(root, clock=FakeClock())
    assert [(s.name, s.component, s.method, s.scope) for s in found.sensors] == [
        ("intel-gpu:0", "gpu", "counter", "device"),
        ("intel-gpu:1", "gpu", "counter", "device"),
    ]
    assert found.sensors[0].facts == {"hwmon": "hwmon2", "driver": "xe", "pci_slot": "0000:03:00.0"}
    assert found.sensors[1].facts == {"hwmon": "hwmon10", "driver": "i915"}
    assert found.skipped == []


def test_energy1_input_is_microjoules(tmp_path: Path) -> None:
    root, clock = tmp_path / "hwmon", FakeClock()
    card = intel_card(root, energy_uj=5_000_000)
    (sensor,) = open_intel_gpu(root, clock=clock).sensors
    assert sensor.read().energy_j == 0.0
    set_file(card / "energy1_input", 5_000_000 + 42_500_000)
    clock.advance(0.5)
    reading = sensor.read()
    assert reading.energy_j == pytest.approx(42.5) and reading.t_s == clock.now_s


def test_ceiling_is_twice_the_highest_limit_else_the_stated_bound(tmp_path: Path) -> None:
    root = tmp_path / "hwmon"
    intel_card(root)  # power1_max 150 W, power1_crit 400 W
    (sensor,) = open_intel_gpu(root).sensors
    assert sensor.max_power_w == 800.0 and "400 W" in sensor.max_power_source
    bare = tmp_path / "bare"
    add_hwmon(bare, 0, "i915", energy1_input=1)
    (plain,) = open_intel_gpu(bare).sensors
    assert plain.max_power_w == FALLBACK_MAX_POWER_W


def test_a_backwards_counter_is_a_reset_never_negative(tmp_path: Path) -> None:
    root, clock = tmp_path / "hwmon", FakeClock()
    card = intel_card(root, energy_uj=1_000_000)
    (sensor,) = open_intel_gpu(root, clock=clock).sensors
    sensor.read()
    set_file(card / "energy1_input", 3_000_000)
    clock.advance(1)
    assert sensor.read().energy_j == pytest.approx(2.0)
    set_file(card / "energy1_input", 100)  # driver reloaded
    clock.advance(1)
    assert sensor.read().energy_j == pytest.approx(2.0) and sensor.resets == 1
    set_file(card / "energy1_input", 1_000_100)
    clock.advance(1)
    assert sensor.read().energy_j == pytest.approx(3.0)
    assert "stepped backwards 1 time(s)" in sensor.assumptions[0]


def test_permission_denied_is_a_skip_with_the_fix(tmp_path: Path) -> None:
    root = tmp_path / "hwmon"
    intel_card(root)

    def reader(path: Path) -> str:
        if path.name == "energy1_input":
            raise PermissionError(13, "Permission denied", str(path))
        return read_text(path)

    found = open_intel_gpu(root, reader=reader)
    assert found.sensors == []
    (skipped,) = found.skipped
    assert skipped.name == "intel-gpu:0" and "permission denied" in skipped.reason
    assert "run as root" in skipped.reason and "chmod a+r" in skipped.reason


def test_a_card_without_energy_and_a_machine_without_one_say_why(tmp_path: Path) -> None:
    root = tmp_path / "hwmon"
    add_hwmon(root, 3, "i915", power1_max=1)
    (skipped,) = open_intel_gpu(root).skipped
    assert "no energy1_input" in skipped.reason and "6.2" in skipped.reason
    other = tmp_path / "other"
    add_hwmon(other, 0, "coretemp")
    assert "no xe or i915" in open_intel_gpu(other).skipped[0].reason
    assert "does not exist" in open_intel_gpu(tmp_path / "none").skipped[0].reason


def test_garbage_in_the_counter_is_a_skip(tmp_path: Path) -> None:
    root = tmp_path / "hwmon"
    add_hwmon(root, 0, "xe", energy1_input="not a number")
    (skipped,) = open_intel_gpu(root).skipped
    assert "unreadable" in skipped.reason


def test_discovery_reads_hwmon_beside_the_powercap_root(tmp_path: Path) -> None:
    intel_card(tmp_path / "class" / "hwmon")
    request = SensorRequest(
        backends=("intel-gpu",),
        powercap_root=tmp_path / "class" / "powercap",
        clock=FakeClock(),
    )
    found = discover(request, env={})
    assert [s.name for s in found.sensors] == ["intel-gpu:0"]


@pytest.mark.intel_gpu
def test_real_intel_gpu_counter_rises() -> None:
    found = open_intel_gpu(Path("/sys/class/hwmon"))
    if not found.sensors:
        pytest.skip(f"no readable Intel GPU here: {[s.reason for s in found.skipped]}")
    for sensor in found.sensors:
        first = sensor.read().energy_j or 0.0
        time.sleep(0.5)
        second = sensor.read().energy_j or 0.0
        assert 0 <= second - first < sensor.max_power_w * 0.6
