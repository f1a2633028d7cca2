"""RAPL sensors against a fake powercap tree under tmp_path, plus a contract test (rapl)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.powercap import add_zone, set_energy, typical_tree

from ecoai.sensors.rapl import open_rapl, read_text


def test_packages_and_dram_only_no_nesting_no_duplicates(tmp_path: Path) -> None:
    typical_tree(tmp_path)
    found = open_rapl(tmp_path, clock=FakeClock())
    assert [(s.name, s.component) for s in found.sensors] == [
        ("rapl:package-0", "cpu"),
        ("rapl:package-0/dram", "dram"),
        ("rapl:package-1", "cpu"),
    ]
    reasons = {skip.name: skip.reason for skip in found.skipped}
    assert "inside its package" in reasons["rapl:intel-rapl:0:0"]  # core
    assert "inside its package" in reasons["rapl:intel-rapl:0:1"]  # uncore
    assert "psys" in reasons["rapl:intel-rapl:2"]
    assert "MMIO duplicate" in reasons["rapl:intel-rapl-mmio:0"]


def test_energy_is_the_counter_difference_in_joules(tmp_path: Path) -> None:
    zones = typical_tree(tmp_path)
    clock = FakeClock()
    sensor = open_rapl(tmp_path, clock=clock).sensors[0]
    assert sensor.read().energy_j == 0.0
    set_energy(zones["package-0"], 1_000_000 + 35_500_000)
    clock.advance(1.0)
    reading = sensor.read()
    assert reading.energy_j == pytest.approx(35.5) and reading.t_s == clock.now_s


def test_one_wrap_between_reads(tmp_path: Path) -> None:
    zone = add_zone(tmp_path, "intel-rapl:0", "package-0", energy_uj=900, max_range_uj=1000)
    sensor = open_rapl(tmp_path).sensors[0]
    set_energy(zone, 100)  # 100 to the top, 100 after the wrap
    assert sensor.read().energy_j == pytest.approx(200e-6)


def test_many_wraps_over_a_run_one_per_interval(tmp_path: Path) -> None:
    zone = add_zone(tmp_path, "intel-rapl:0", "package-0", energy_uj=0, max_range_uj=1000)
    sensor = open_rapl(tmp_path).sensors[0]
    raw, expected_uj = 0, 0
    for step_uj in [700, 700, 999, 1, 650, 350, 0, 999]:  # wraps several times
        raw = (raw + step_uj) % 1000
        expected_uj += step_uj
        set_energy(zone, raw)
        reading = sensor.read()
    assert reading.energy_j == pytest.approx(expected_uj * 1e-6)
    assert sensor.wraps == 4  # type: ignore[attr-defined]


def test_permission_error_is_explained_with_its_fix(tmp_path: Path) -> None:
    typical_tree(tmp_path)

    def root_only(path: Path) -> str:
        if path.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(path))
        return read_text(path)

    found = open_rapl(tmp_path, reader=root_only)
    assert found.sensors == []
    denied = [s for s in found.skipped if "permission denied" in s.reason]
    assert [s.name for s in denied] == [
        "rapl:intel-rapl:0",
        "rapl:intel-rapl:0:2",
        "rapl:intel-rapl:1",
    ]
    reason = denied[0].reason
    assert "sudo chmod -R a+r /sys/class/powercap/intel-rapl" in reason
    assert "5.10" in reason and "root" in reason


def test_missing_root_and_broken_zone_are_skips(tmp_path: Path) -> None:
    assert "does not exist" in open_rapl(tmp_path / "nope").skipped[0].reason
    zone = add_zone(tmp_path, "intel-rapl:0", "package-0")
    (zone / "energy_uj").write_text("garbage\n")
    found = open_rapl(tmp_path)
    assert found.sensors == [] and "unreadable" in found.skipped[0].reason


def test_duplicate_zone_names_are_counted_once(tmp_path: Path) -> None:
    add_zone(tmp_path, "intel-rapl:0", "package-0")
    add_zone(tmp_path, "intel-rapl:1", "package-0")
    found = open_rapl(tmp_path)
    assert [s.name for s in found.sensors] == ["rapl:package-0"]
    assert "duplicate" in found.skipped[0].reason


@pytest.mark.rapl
def test_real_rapl_counters_rise() -> None:
    found = open_rapl(Path("/sys/class/powercap"))
    if not found.sensors:
        pytest.skip(f"no readable RAPL here: {[s.reason for s in found.skipped]}")
    first = [s.read().energy_j or 0.0 for s in found.sensors]
    time.sleep(0.5)
    second = [s.read().energy_j or 0.0 for s in found.sensors]
    assert any(b > a for a, b in zip(first, second, strict=True))
