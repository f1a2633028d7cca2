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
    assert sensor.read().energy_j == pytest.approx(5.0)  # the counter as it is, in J
    set_file(card / "energy1_input", 5_000_000 + 42_500_000)
    clock.advance(0.5)
    reading = sensor.read()
    assert reading.energy_j == pytest.approx(47.5) and reading.t_s == clock.now_s


def test_ceiling_is_twice_the_highest_limit_else_the_stated_bound(tmp_path: Path) -> None:
    root = tmp_path / "hwmon"
    intel_card(root)  # power1_max 150 W, power1_crit 400 W
    (sensor,) = open_intel_gpu(root).sensors
    assert sensor.max_power_w == 800.0 and "400 W" in sensor.max_power_source
    bare = tmp_path / "bare"
    add_hwmon(bare, 0, "i915", energy1_input=1)
    (plain,) = open_intel_gpu(bare).sensors
    assert plain.max_power_w == FALLBACK_MAX_POWER_W


def test_a_backwards_counter_is_bridged_never_negative(tmp_path: Path) -> None:
    from ecoai.measurement.sampler import Sampler

    root, clock = tmp_path / "hwmon", FakeClock()
    card = intel_card(root, energy_uj=1_000_000)
    (sensor,) = open_intel_gpu(root, clock=clock).sensors
    sampler = Sampler([sensor], interval_s=0.1, clock=clock)
    sampler.tick()
    for raw_uj in (3_000_000, 100, 2_000_100):  # 2 W, the driver reloaded, 2 W
        set_file(card / "energy1_input", raw_uj)
        clock.advance(1)
        sampler.tick()
    # the reset's second is bridged with the latest plausible interval's power (2 W)
    assert sampler.tallies["intel-gpu:0"].energy_j == pytest.approx(6.0)
    (line,) = sampler.counter_faults()["intel-gpu:0"]
    assert "stepped backwards (a reset, not a wrap) in 1 interval(s)" in line
    assert "bridged with the latest plausible interval's power" in line


def test_a_spike_above_the_cards_ceiling_is_bridged(tmp_path: Path) -> None:
    from ecoai.measurement.sampler import Sampler

    root, clock = tmp_path / "hwmon", FakeClock()
    card = intel_card(root, energy_uj=1_000_000)
    (sensor,) = open_intel_gpu(root, clock=clock).sensors
    sampler = Sampler([sensor], interval_s=0.1, clock=clock)
    sampler.tick()
    set_file(card / "energy1_input", 51_000_000)  # 50 J in 1 s: 50 W
    clock.advance(1)
    sampler.tick()
    set_file(card / "energy1_input", 5_051_000_000)  # 5 kJ in 1 s, over 2 x the 400 W limit
    clock.advance(1)
    sampler.tick()
    assert sampler.tallies["intel-gpu:0"].energy_j == pytest.approx(100.0)
    (line,) = sampler.counter_faults()["intel-gpu:0"]
    assert "more than the device's maximum power allows" in line


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
