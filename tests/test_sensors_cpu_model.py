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


def test_modelled_cpu_power_never_exceeds_the_model_maximum() -> None:
    # /proc/stat advances in clock ticks: over a short step it can read more busy time than
    # n_cpus x the step (seen: 21.1 W against a 16.9 W maximum); the excess is carried over
    clock, busy = FakeClock(), Busy()
    (cpu,) = open_cpu_model(None, None, {"dram"}, clock, FACTS, busy).sensors
    max_w = 4 * VCPU_MAX_W
    steps = [(0.05, 0.5), (0.05, 0.0), (0.1, 0.1), (0.1, 0.8), (1.0, 4.0), (1.0, 0.0)]
    energy_j = 0.0
    for dt_s, busy_s in steps:
        clock.advance(dt_s)
        busy.cpu_s += busy_s
        now_j = cpu.read().energy_j or 0.0
        assert now_j - energy_j <= max_w * dt_s + 1e-9  # never above the model's own maximum
        energy_j = now_j
    # nothing lost: the 5.4 busy CPU-s all count once the idle last second has room for them
    assert energy_j == pytest.approx(4 * VCPU_MIN_W * 2.3 + (VCPU_MAX_W - VCPU_MIN_W) * 5.4)


@pytest.mark.parametrize(
    ("hypervisor", "logical", "sockets", "max_w"),
    [(True, 2, 1, 280 * 2 / 128), (True, 8, 1, 280 * 8 / 128), (False, 256, 2, 560.0)],
)
def test_a_guest_is_charged_its_share_of_the_package(
    hypervisor: bool, logical: int, sockets: int, max_w: float
) -> None:
    from ecoai.commands.profile import tdp_lookup
    from ecoai.inputs.catalog import load_catalog

    facts = CpuFacts(
        "AMD EPYC 7763 64-Core Processor", logical, sockets, 16.0, hypervisor=hypervisor
    )
    clock, busy = FakeClock(), Busy()
    (cpu,) = open_cpu_model(
        None, None, {"dram"}, clock, facts, busy, tdp_lookup(load_catalog())
    ).sensors
    clock.advance(2.0)
    busy.cpu_s += 2.0 * logical  # full load
    assert cpu.read().energy_j == pytest.approx(max_w * 2.0)
    assert "cpus.epyc-7763" in cpu.assumptions[0]
    assert ("a VM seeing" in cpu.assumptions[0]) == hypervisor


def test_every_built_in_cpu_has_its_threads_and_cores() -> None:
    from ecoai.inputs.catalog import load_catalog
    from ecoai.inputs.catalog_schema import CpuEntry

    entries = [e for e in load_catalog().entries("cpus") if isinstance(e, CpuEntry)]
    assert entries
    for entry in entries:
        assert entry.cores and entry.threads_per_package, entry.id
        assert entry.cores <= entry.threads_per_package <= 2 * entry.cores
        assert any("threads" in source for source in entry.sources), entry.id


def test_hypervisor_flag_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: X\nflags\t\t: fpu sse hypervisor avx\n")
    assert read_cpu_facts(cpuinfo).hypervisor
    cpuinfo.write_text("processor\t: 0\nmodel name\t: X\nflags\t\t: fpu sse avx\n")
    assert not read_cpu_facts(cpuinfo).hypervisor


def test_container_memory_limit_replaces_installed_memory(tmp_path: Path) -> None:
    from ecoai.sensors.host import memory_limit_gb

    proc = tmp_path / "cgroup"
    root = tmp_path / "fs"
    # cgroup v2: the tightest limit over the cgroup and its ancestors; "max" is no limit
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "memory.max").write_text("8000000000\n")
    (root / "a" / "b" / "memory.max").write_text("max\n")
    proc.write_text("0::/a/b\n")
    assert memory_limit_gb(proc, root) == pytest.approx(8.0)
    # cgroup v1: memory.limit_in_bytes, whose "no limit" is a number near 2**63
    (root / "memory" / "c").mkdir(parents=True)
    (root / "memory" / "c" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    proc.write_text("4:memory:/c\n")
    assert memory_limit_gb(proc, root) is None
    (root / "memory" / "c" / "memory.limit_in_bytes").write_text("2000000000\n")
    assert memory_limit_gb(proc, root) == pytest.approx(2.0)
    assert memory_limit_gb(tmp_path / "missing", root) is None
