"""A CPU and DRAM power model for machines without energy counters (VMs, RAPL unreadable).

CPU: ``power_w = idle_w + utilisation x (max_w - idle_w)``, the Cloud Carbon Footprint compute
model. Because it is linear in utilisation, its energy over any interval depends only on the busy
CPU time: ``energy_j = idle_w x t + (max_w - idle_w) / n_cpus x busy_cpu_s``, so the model is
read as a counter and nothing is lost between samples. Each step's busy time is capped at
``n_cpus x`` its wall time (carrying the excess to later steps): /proc/stat advances in clock
ticks, so over a short step it can read above 100 % utilisation, and the model must never exceed
its own ``max_w``. ``max_w`` is the CPU's TDP (``--cpu-tdp-w`` or profiles/cpus.toml, with
idle_w = 0; a guest that sees N logical CPUs of a part with T threads per package is charged
TDP x N / T) or, for a CPU not in the profiles, Cloud Carbon Footprint's per-vCPU coefficients.
DRAM: a constant power per GB of memory (installed, or the container's memory limit when one
applies); the measurement attributes it by the process tree's share of memory in use.
Inside a container or pod (``host.container_cpu``) the CPU model covers the container's cgroup,
not the host: the CPUs its quota (``cpu.max``) or cpuset allows, its busy time from its own
``cpu.stat`` (scope ``cgroup``), and the measurement attributes by the tree's share of that.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from ecoai.sensors.base import Discovery, Reading
from ecoai.sensors.host import CgroupCpu, CpuFacts, busy_cpu_reader, read_cpu_facts

if TYPE_CHECKING:
    from ecoai.models import Component, SensorMethod, SensorScope

CCF_URL = "https://www.cloudcarbonfootprint.org/docs/methodology/"
VCPU_MIN_W = 0.74
"""Idle power per vCPU, Cloud Carbon Footprint's AWS average from SPECpower (methodology)."""
VCPU_MAX_W = 3.5
"""Full-load power per vCPU, Cloud Carbon Footprint's AWS average from SPECpower (methodology)."""
DRAM_W_PER_GB = 0.392
"""DRAM power per GB: Cloud Carbon Footprint, the mean of Crucial's 3 W per 8 GB (0.375 W/GB)
and Micron's DDR4 power note TN-40-07 (0.4083 W/GB)."""


class CpuModelSensor:
    """Modelled CPU energy from busy CPU time (a counter). Units: W, s, J."""

    component: Component = "cpu"
    method: SensorMethod = "model"
    scope: SensorScope = "machine"
    may_hang = False
    """Reads the clock and /proc/stat (or its cgroup's cpu.stat) only: on the sampler's thread."""

    def __init__(
        self,
        idle_w: float,
        max_w: float,
        logical_cpus: float,
        busy_cpu_s: Callable[[], float],
        clock: Callable[[], float],
        facts: dict[str, str],
        assumptions: list[str],
    ) -> None:
        self.name = "cpu-model"
        self.idle_w = idle_w
        self.max_w = max_w
        self.logical_cpus = logical_cpus
        self.facts = facts
        self.assumptions = assumptions
        self._busy_cpu_s = busy_cpu_s
        self.busy_cpu_s = busy_cpu_s
        """The busy-CPU-time counter the model runs on (s): /proc/stat, or a container's cgroup."""
        self._clock = clock
        self._t0_s = self._last_s = clock()
        self._busy0_s = busy_cpu_s()
        self._counted_busy_s = 0.0

    def read(self) -> Reading:
        """Cumulative energy; busy time counted at most ``logical_cpus x`` the elapsed time."""
        t_s = self._clock()
        owed_s = self._busy_cpu_s() - self._busy0_s - self._counted_busy_s
        cap_s = self.logical_cpus * max(0.0, t_s - self._last_s)
        self._counted_busy_s += min(max(0.0, owed_s), cap_s)
        self._last_s = max(self._last_s, t_s)
        dynamic_w_per_cpu = (self.max_w - self.idle_w) / self.logical_cpus
        return Reading(
            t_s,
            energy_j=self.idle_w * (t_s - self._t0_s) + dynamic_w_per_cpu * self._counted_busy_s,
        )

    def close(self) -> None:
        """Close the /proc/stat reader, if it is one."""
        close = getattr(self._busy_cpu_s, "close", None)
        if close is not None:
            close()


class DramModelSensor:
    """Modelled DRAM energy: constant power per GB of the machine's (or container's) memory.
    Units: W, J."""

    component: Component = "dram"
    method: SensorMethod = "model"
    scope: SensorScope = "machine"
    may_hang = False
    """Reads the clock only: read on the sampler's own thread."""

    def __init__(
        self,
        power_w: float,
        clock: Callable[[], float],
        facts: dict[str, str],
        assumptions: list[str],
    ) -> None:
        self.name = "dram-model"
        self.power_w = power_w
        self.facts = facts
        self.assumptions = assumptions
        self._clock = clock
        self._t0_s = clock()

    def read(self) -> Reading:
        t_s = self._clock()
        return Reading(t_s, energy_j=self.power_w * (t_s - self._t0_s))

    def close(self) -> None:
        """Nothing to release."""


def open_cpu_model(
    cpu_tdp_w: float | None,
    dram_w_per_gb: float | None,
    skip_components: set[str],
    clock: Callable[[], float] | None = None,
    facts: CpuFacts | None = None,
    busy_cpu_s: Callable[[], float] | None = None,
    lookup: TdpLookup | None = None,
    container: CgroupCpu | None = None,
) -> Discovery:
    """Build the model sensors for the components no counter covers; ``container``: the cgroup
    ecoai runs in when inside a container (the CPU model then covers it, not the host)."""
    clock = clock or time.monotonic
    facts = facts or read_cpu_facts()
    found = Discovery()
    if "cpu" not in skip_components:
        found.sensors.append(
            cpu_sensor(
                facts,
                cpu_tdp_w,
                busy_cpu_s or _usage_reader(container) or busy_cpu_reader(),
                clock,
                lookup,
                container,
            )
        )
    if "dram" not in skip_components:
        per_gb = DRAM_W_PER_GB if dram_w_per_gb is None else dram_w_per_gb
        source = (
            "--dram-w-per-gb"
            if dram_w_per_gb is not None
            else "Cloud Carbon Footprint memory coefficient"
        )
        memory = "of the container's memory limit" if facts.memory_limited else "installed"
        assumptions = [
            f"DRAM draws {per_gb} W per GB {memory} ({facts.memory_gb:.1f} GB), constantly "
            f"({source}); the process tree is charged its share of the memory in use"
        ]
        found.sensors.append(
            DramModelSensor(
                per_gb * facts.memory_gb,
                clock,
                {"memory_gb": f"{facts.memory_gb:.1f}", "source": CCF_URL},
                assumptions,
            )
        )
    return found


def _usage_reader(container: CgroupCpu | None) -> Callable[[], float] | None:
    """The container's CPU usage counter, kept open (``host.CgroupUsage``); None on a host."""
    if container is None:
        return None
    try:
        return container.reader()
    except OSError:  # unreadable now: read by path each time, which says why when it fails
        return container


def cpu_sensor(
    facts: CpuFacts,
    cpu_tdp_w: float | None,
    busy_cpu_s: Callable[[], float],
    clock: Callable[[], float],
    lookup: TdpLookup | None = None,
    container: CgroupCpu | None = None,
) -> CpuModelSensor:
    """The CPU model with its power bounds from the flag, the profiles, or per-vCPU figures;
    in a container, for the CPUs its cgroup may use (a fraction of the host's packages)."""
    described = {
        "model_name": facts.model_name,
        "logical_cpus": str(facts.logical_cpus),
        "sockets": str(facts.sockets),
    }
    cpus: float = facts.logical_cpus
    part = 1.0  # the fraction of the host's packages the model covers
    if container is not None:
        cpus = min(container.cpus, float(facts.logical_cpus))
        part = cpus / facts.logical_cpus
        described |= {
            "cgroup": container.path,
            "cgroup_cpus": f"{cpus:g}",
            "cgroup_cpus_from": container.limited_by,
        }
    linear = "power scales linearly with CPU utilisation"
    if cpu_tdp_w is not None:
        max_w, idle_w = cpu_tdp_w * facts.sockets * part, 0.0
        share = "" if container is None else f" x {cpus:g}/{facts.logical_cpus} CPUs"
        notes = [
            f"{linear} from 0 W idle to the TDP {cpu_tdp_w} W x {facts.sockets} socket(s)"
            f"{share} (--cpu-tdp-w)"
        ]
    elif lookup is not None and (profile := lookup(facts.model_name)) is not None:
        tdp_w, profile_id = profile
        packages, how = packages_seen(facts, getattr(profile, "threads_per_package", None))
        if container is not None:
            packages, how = packages * part, f"{how}, of which the container may use {cpus:g} CPUs"
        packages_seen_text = f"{packages:.4g} package(s)"
        max_w, idle_w = tdp_w * packages, 0.0
        notes = [
            f"{linear} from 0 W idle to the TDP {tdp_w} W x {packages_seen_text}, {how} "
            f"(profiles: cpus.{profile_id}); --cpu-tdp-w overrides",
        ]
    else:
        idle_w, max_w = VCPU_MIN_W * cpus, VCPU_MAX_W * cpus
        notes = [
            f"CPU {facts.model_name!r} has no TDP in the profiles: {linear} from "
            f"{VCPU_MIN_W} to {VCPU_MAX_W} W per logical CPU (Cloud Carbon Footprint's "
            "SPECpower averages); --cpu-tdp-w overrides"
        ]
        described["source"] = CCF_URL
    sensor = CpuModelSensor(idle_w, max_w, cpus, busy_cpu_s, clock, described, notes)
    if container is not None:
        sensor.scope = "cgroup"
        notes.append(
            f"inside a container: the model covers its cgroup {container.path} "
            f"({cpus:g} CPUs, from {container.limited_by}) and its busy time is the cgroup's "
            f"({container.usage_file.name}), not the host's; the process tree is charged its "
            "share of the cgroup's CPU time"
        )
    return sensor


def packages_seen(facts: CpuFacts, threads_per_package: int | None) -> tuple[float, str]:
    """How many CPU packages' TDP the machine may draw, and why (a sentence for the report).

    A guest (cpuinfo's ``hypervisor`` flag) seeing N logical CPUs of a part with T threads per
    package is charged N / T packages; a host is charged its sockets. Without T (a user
    profile that omits it) the sockets count, and the report says a guest may be over-charged.
    """
    if threads_per_package is None:
        how = "the part's thread count is unknown, so a VM is charged whole packages"
        return float(facts.sockets), how
    if facts.hypervisor:
        n, t = facts.logical_cpus, threads_per_package
        return n / t, f"a VM seeing {n} of the part's {t} threads per package is charged {n}/{t}"
    return float(facts.sockets), f"{facts.sockets} socket(s) of {threads_per_package} threads"


class CpuMatch(tuple[float, str]):
    """(TDP in W, profile id) of a matched CPU profile, with its threads per package and cores
    (None when the profile does not give them)."""

    threads_per_package: int | None
    cores: int | None

    def __new__(
        cls, tdp_w: float, profile_id: str, threads: int | None = None, cores: int | None = None
    ) -> CpuMatch:
        match = super().__new__(cls, (tdp_w, profile_id))
        match.threads_per_package, match.cores = threads, cores
        return match


class CpuProfile(Protocol):
    """A profiles/cpus.toml entry, as the model reads it."""

    @property
    def id(self) -> str: ...

    @property
    def match(self) -> list[str]: ...

    @property
    def tdp_w(self) -> float: ...


TdpLookup = Callable[[str], "tuple[float, str] | None"]
"""CPU model name -> (TDP in W, profile id), or None when the profiles do not know it; a
``CpuMatch`` also carries the threads per package."""


def match_cpu(model_name: str, entries: Iterable[CpuProfile]) -> CpuMatch | None:
    """TDP (W), id, threads per package and cores of the first profile whose ``match``
    substrings occur in ``model_name``."""
    for entry in entries:
        if any(pattern in model_name for pattern in entry.match):
            return CpuMatch(
                float(entry.tdp_w),
                entry.id,
                getattr(entry, "threads_per_package", None),
                getattr(entry, "cores", None),
            )
    return None
