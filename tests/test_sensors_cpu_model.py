"""The CPU and DRAM model: energy from busy CPU time; TDP from a flag, profiles or vCPU figures."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from fakes.clock import FakeClock

from ecoai.sensors.cpu_model import (
    DRAM_W_PER_GB,
    VCPU_MAX_W,
    VCPU_MIN_W,
    match_cpu,
    open_cpu_model,
)
from ecoai.sensors.host import CpuFacts, read_cpu_facts

FACTS = CpuFacts(
    "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", logical_cpus=4, sockets=1, memory_gb=16.0
)


class Busy:
    """Machine busy CPU-seconds, moved by the test."""

    def __init__(self) -> None:
        self.cpu_s = 500.0

    def __call__(self) -> float:
        return self.cpu_s


def test_tdp_flag_scales_with_utilisation_from_zero() -> None:
    clock, busy = FakeClock(), Busy()
    found = open_cpu_model(150.0, None, {"dram"}, clock, FACTS, busy)
    (cpu,) = found.sensors
    clock.advance(10.0)
    busy.cpu_s += 20.0  # 2 of 4 CPUs busy for 10 s: 50 % utilisation
    assert cpu.read().energy_j == pytest.approx(150.0 * 0.5 * 10.0)
    assert (cpu.method, cpu.scope, cpu.component) == ("model", "machine", "cpu")
    assert "--cpu-tdp-w" in cpu.assumptions[0]


def test_profile_tdp_is_used_when_the_model_name_matches() -> None:
    entries = [SimpleNamespace(id="xeon-gold-6248", match=["Xeon(R) Gold 6248 "], tdp_w=150)]

    def lookup(name: str) -> tuple[float, str] | None:
        return match_cpu(name, entries)  # type: ignore[arg-type]

    clock, busy = FakeClock(), Busy()
    (cpu,) = open_cpu_model(None, None, {"dram"}, clock, FACTS, busy, lookup).sensors
    clock.advance(4.0)
    busy.cpu_s += 16.0  # fully busy
    assert cpu.read().energy_j == pytest.approx(150.0 * 4.0)
    assert "cpus.xeon-gold-6248" in cpu.assumptions[0]


def test_unknown_cpu_uses_sourced_per_vcpu_figures() -> None:
    clock, busy = FakeClock(), Busy()
    (cpu,) = open_cpu_model(None, None, {"dram"}, clock, FACTS, busy).sensors
    clock.advance(10.0)
    busy.cpu_s += 10.0  # 1 of 4 CPUs: 25 %
    idle_w, max_w = 4 * VCPU_MIN_W, 4 * VCPU_MAX_W
    assert cpu.read().energy_j == pytest.approx((idle_w + 0.25 * (max_w - idle_w)) * 10.0)
    assert "Cloud Carbon Footprint" in cpu.assumptions[0]


def test_dram_model_is_constant_power_per_gb() -> None:
    clock = FakeClock()
    (dram,) = open_cpu_model(None, None, {"cpu"}, clock, FACTS, Busy()).sensors
    clock.advance(2.0)
    assert dram.read().energy_j == pytest.approx(DRAM_W_PER_GB * 16.0 * 2.0)
    (custom,) = open_cpu_model(None, 0.5, {"cpu"}, clock, FACTS, Busy()).sensors
    clock.advance(2.0)
    assert custom.read().energy_j == pytest.approx(0.5 * 16.0 * 2.0)
    assert "--dram-w-per-gb" in custom.assumptions[0]


def test_match_cpu_takes_the_first_matching_entry() -> None:
    entries = [
        SimpleNamespace(id="a", match=["EPYC 7742 "], tdp_w=225),
        SimpleNamespace(id="b", match=["EPYC"], tdp_w=1),
    ]
    assert match_cpu("AMD EPYC 7742 64-Core Processor", entries) == (225.0, "a")  # type: ignore[arg-type]
    assert match_cpu("Intel Core", entries) is None  # type: ignore[arg-type]


def test_cpu_facts_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: AMD EPYC 7742 64-Core Processor\n"
        "physical id\t: 0\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7742 "
        "64-Core Processor\nphysical id\t: 1\n"
    )
    facts = read_cpu_facts(cpuinfo)
    assert facts.model_name == "AMD EPYC 7742 64-Core Processor" and facts.sockets == 2
    assert facts.memory_gb > 0 and facts.logical_cpus >= 1
    assert read_cpu_facts(tmp_path / "missing").model_name == "unknown CPU"


def test_built_in_cpu_profiles_are_found_by_model_name() -> None:
    from ecoai.commands.profile import tdp_lookup
    from ecoai.inputs.catalog import load_catalog

    lookup = tdp_lookup(load_catalog())
    assert lookup("AMD EPYC 7742 64-Core Processor") == (225.0, "epyc-7742")
    assert lookup("AMD EPYC") is None  # this test machine's anonymised name: no guess
