"""Counters that misbehave (faults F1, F2): every interval is checked against the device's bounds.

A stuck counter while power is drawn, a reset, a spike above the device's maximum power, a RAPL
zone without a range: each ends in a plausible energy and a note, never a silent 0 or a negative.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.nvml import FakeGpu, FakeNvml
from fakes.powercap import add_zone, set_energy

from ecoai import cli
from ecoai.errors import SensorError
from ecoai.measurement.sampler import Sampler
from ecoai.sensors import SensorRequest, discover
from ecoai.sensors.base import Reading
from ecoai.sensors.counters import STALL_S, IntervalCheck, unwrap_uj
from ecoai.sensors.nvml import FALLBACK_MAX_POWER_W, open_nvml
from ecoai.sensors.rapl import open_rapl

PY = sys.executable


def stuck_gpu_sampler(power_w: float = 300.0) -> tuple[Sampler, FakeClock, FakeGpu]:
    """F1: an H100 whose energy counter never moves while NVML reads ``power_w``."""
    gpu = FakeGpu(energy_mj=900_000_000, power_mw=int(power_w * 1000))
    clock = FakeClock()
    found = open_nvml(FakeNvml([gpu]), None, clock=clock)
    return Sampler(found.sensors, interval_s=0.1, clock=clock), clock, gpu


def ticks(sampler: Sampler, clock: FakeClock, n: int, step_s: float = 0.1) -> None:
    for _ in range(n):
        clock.advance(step_s)
        sampler.tick()


def test_f1_a_stuck_nvml_counter_at_300_w_is_bridged_with_power_600_j_for_2_s() -> None:
    sampler, clock, _ = stuck_gpu_sampler()
    sampler.tick()
    ticks(sampler, clock, 20)  # 2.0 s
    tally = sampler.tallies["nvml:0"]
    assert tally.energy_j == pytest.approx(600.0)  # 300 W x 2.00 s, not 0
    (line,) = sampler.counter_faults()["nvml:0"]
    assert line.startswith("nvml:0: the counter did not advance while power was drawn in 20 ")
    assert "600 J counted instead (20 bridged with power readings)" in line


def test_f1_a_short_pause_of_a_coarse_counter_is_not_counted_twice() -> None:
    sampler, clock, gpu = stuck_gpu_sampler()
    sampler.tick()
    ticks(sampler, clock, 5)  # 0.5 s without an update: under STALL_S, trusted to catch up
    gpu.energy_mj += 180_000  # the counter catches up: 0.6 s at 300 W
    ticks(sampler, clock, 1)
    assert sampler.tallies["nvml:0"].energy_j == pytest.approx(180.0)
    assert sampler.counter_faults() == {}


def test_f1_a_stall_bridged_then_caught_up_counts_the_counter_once() -> None:
    sampler, clock, gpu = stuck_gpu_sampler()
    sampler.tick()
    ticks(sampler, clock, 15)  # 1.5 s stuck: bridged with 450 J
    assert sampler.tallies["nvml:0"].energy_j == pytest.approx(450.0)
    gpu.energy_mj += 480_000  # the counter jumps by the whole 1.6 s
    ticks(sampler, clock, 1)
    assert sampler.tallies["nvml:0"].energy_j == pytest.approx(480.0)
    gpu.energy_mj += 30_000  # and goes on normally
    ticks(sampler, clock, 1)
    assert sampler.tallies["nvml:0"].energy_j == pytest.approx(510.0)


def test_f1_end_to_end_the_report_holds_300_w_times_the_run_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeNvml([FakeGpu(energy_mj=900_000_000, power_mw=300_000)])  # stuck counter
    monkeypatch.setitem(sys.modules, "pynvml", fake)  # type: ignore[arg-type]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.delenv("ECOAI_FAKE_SENSORS", raising=False)
    monkeypatch.chdir(tmp_path)
    command = ["--", PY, "-c", f"import time; time.sleep({STALL_S + 0.3})"]
    try:
        cli.main(["profile", "-q", "--sensors", "nvml", "-o", "f1.json", *command])
    except SystemExit as done:
        assert done.code in (0, None)
    report = json.loads((tmp_path / "f1.json").read_text())
    (run,) = report["measurement"]["runs"]
    assert run["energy_j"] == pytest.approx(300.0 * run["duration_s"], rel=0.1)
    assert report["total"]["it_energy_wh"]["mean"] > 0 and report["total"]["carbon_g"]["mean"] > 0
    (note,) = [n for n in report["notes"] if "did not advance while power was drawn" in n]
    (sensor,) = report["measurement"]["sensors"]
    assert note in sensor["assumptions"]


def test_a_counter_reset_is_bridged_with_power_never_negative() -> None:
    sampler, clock, gpu = stuck_gpu_sampler()
    sampler.tick()
    gpu.energy_mj += 30_000
    ticks(sampler, clock, 1)
    gpu.energy_mj = 5_000  # driver reload: the counter restarts near 0
    ticks(sampler, clock, 1)
    gpu.energy_mj += 30_000
    ticks(sampler, clock, 1)
    assert sampler.tallies["nvml:0"].energy_j == pytest.approx(90.0)  # 30 J bridged by 300 W
    (line,) = sampler.counter_faults()["nvml:0"]
    assert "stepped backwards (a reset, not a wrap) in 1 interval(s)" in line


def test_a_spike_above_the_power_limit_is_bridged_and_the_limit_named() -> None:
    sampler, clock, gpu = stuck_gpu_sampler()
    sampler.tick()
    gpu.energy_mj += 10_000_000  # 10 kJ in 0.1 s: 100 kW from a 700 W GPU
    ticks(sampler, clock, 1)
    assert sampler.tallies["nvml:0"].energy_j == pytest.approx(30.0)
    (line,) = sampler.counter_faults()["nvml:0"]
    assert "more than the device's maximum power allows (1400 W: 2 x the highest power" in line


def test_nvml_ceiling_from_the_power_limits_else_a_stated_fallback() -> None:
    limited = FakeGpu(power_limit_mw=350_000, limit_constraints_mw=(100_000, 400_000))
    unknown = FakeGpu(power_limit_mw=None, limit_constraints_mw=None)
    first, second = open_nvml(FakeNvml([limited, unknown]), None, clock=FakeClock()).sensors
    assert first.max_power_w == 800.0  # type: ignore[attr-defined]
    assert second.max_power_w == FALLBACK_MAX_POWER_W  # type: ignore[attr-defined]


# --- RAPL (F2) -----------------------------------------------------------------------------------


@pytest.mark.parametrize("range_uj", [0, -5])
def test_f2_a_rapl_zone_without_a_range_is_refused_and_the_model_takes_over(
    tmp_path: Path, range_uj: int
) -> None:
    add_zone(tmp_path, "intel-rapl:0", "package-0", 19_900_000, max_range_uj=range_uj)
    found = open_rapl(tmp_path, clock=FakeClock())
    assert found.sensors == []
    (skipped,) = found.skipped
    assert skipped.name == "rapl:intel-rapl:0"
    assert f"max_energy_range_uj is {range_uj}" in skipped.reason
    auto = discover(SensorRequest(powercap_root=tmp_path, cpu_tdp_w=100.0), env={})
    assert {s.name for s in auto.sensors if s.component == "cpu"} == {"cpu-model"}
    with pytest.raises(SensorError, match=f"max_energy_range_uj is {range_uj}"):
        discover(SensorRequest(backends=("rapl",), powercap_root=tmp_path), env={})


def test_f2_cli_with_rapl_asked_for_is_one_line_error_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add_zone(tmp_path / "pc", "intel-rapl:0", "package-0", 19_900_000, max_range_uj=0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.delenv("ECOAI_FAKE_SENSORS", raising=False)
    argv = ["profile", "-q", "--scope", "machine", "--sensors", "rapl", "--powercap-root", "pc"]
    with pytest.raises(SystemExit) as done:
        cli.main([*argv, "-o", "f2.json", "--", "touch", "ran"])
    assert done.value.code == 2 and not (tmp_path / "ran").exists()
    err = capsys.readouterr().err
    assert err.startswith("ecoai: error: sensor 'rapl' is unavailable: max_energy_range_uj is 0")


def test_a_rapl_reset_read_as_a_wrap_is_a_spike_bridged_with_the_last_power(
    tmp_path: Path,
) -> None:
    zone = add_zone(tmp_path, "intel-rapl:0", "package-0", 10_000_000)
    (tmp_path / "intel-rapl:0" / "constraint_0_max_power_uw").write_text("125000000\n")
    clock = FakeClock()
    (sensor,) = open_rapl(tmp_path, clock=clock).sensors
    assert sensor.max_power_w == 250.0  # type: ignore[attr-defined]
    sampler = Sampler([sensor], interval_s=0.1, clock=clock)
    sampler.tick()
    for raw in (15_000_000, 20_000_000, 100_000, 5_100_000):  # 50 W, a reset to 0, 50 W
        set_energy(zone, raw)
        ticks(sampler, clock, 1)
    assert sampler.tallies["rapl:package-0"].energy_j == pytest.approx(20.0)
    (line,) = sampler.counter_faults()["rapl:package-0"]
    assert "maximum power allows (250 W: 2 x the zone's highest max power, 125 W)" in line
    assert "bridged with the latest plausible interval's power" in line


@pytest.mark.parametrize(
    ("last", "raw", "range_uj", "step"),
    [
        (10, 25, 100, 15),
        (90, 5, 100, 15),
        (90, 5, 0, None),
        (90, 5, None, None),
        (90, 150, 100, 60),
    ],
)
def test_a_wrap_needs_a_known_positive_range(
    last: int, raw: int, range_uj: int | None, step: int | None
) -> None:
    assert unwrap_uj(last, raw, range_uj) == step


def test_power_readings_negative_or_non_finite_are_bridged() -> None:
    check = IntervalCheck(max_power_w=500.0)
    assert check.energy_j(Reading(0.0, power_w=100.0), Reading(1.0, power_w=100.0)) == 100.0
    assert check.energy_j(Reading(1.0, power_w=100.0), Reading(2.0, power_w=-50.0)) == 100.0
    nan = check.energy_j(Reading(2.0, power_w=math.nan), Reading(3.0, power_w=100.0))
    big = check.energy_j(Reading(3.0, power_w=100.0), Reading(4.0, power_w=1e9))
    assert (nan, big) == (100.0, 100.0)
    assert set(check.faults) == {"invalid", "spike"}
