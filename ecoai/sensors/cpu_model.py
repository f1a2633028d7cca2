"""A CPU and DRAM power model for machines without energy counters (VMs, RAPL unreadable).

CPU: ``power_w = idle_w + utilisation x (max_w - idle_w)``, the Cloud Carbon Footprint compute
model. Because it is linear in utilisation, its energy over any interval depends only on the busy
CPU time: ``energy_j = idle_w x t + (max_w - idle_w) / n_cpus x busy_cpu_s``, so the model is
read as a counter and nothing is lost between samples. ``max_w`` is the CPU's TDP (``--cpu-tdp-w``
or profiles/cpus.toml, with idle_w = 0) or, for a CPU not in the profiles, Cloud Carbon
Footprint's per-vCPU coefficients. DRAM: a constant power per GB installed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Protocol

from ecoai.models import Component, SensorMethod, SensorScope
from ecoai.sensors.base import Discovery, Reading
from ecoai.sensors.host import CpuFacts, busy_cpu_reader, read_cpu_facts

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

    def __init__(
        self,
        idle_w: float,
        max_w: float,
        logical_cpus: int,
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
        self._clock = clock
        self._t0_s = clock()
        self._busy0_s = busy_cpu_s()

    def read(self) -> Reading:
        t_s = self._clock()
        busy_s = self._busy_cpu_s() - self._busy0_s
        dynamic_w_per_cpu = (self.max_w - self.idle_w) / self.logical_cpus
        return Reading(t_s, energy_j=self.idle_w * (t_s - self._t0_s) + dynamic_w_per_cpu * busy_s)

    def close(self) -> None:
        """Close the /proc/stat reader, if it is one."""
        close = getattr(self._busy_cpu_s, "close", None)
        if close is not None:
            close()


class DramModelSensor:
    """Modelled DRAM energy: constant power per GB installed. Units: W, J."""

    component: Component = "dram"
    method: SensorMethod = "model"
    scope: SensorScope = "machine"

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
) -> Discovery:
    """Build the model sensors for the components no counter covers."""
    clock = clock or time.monotonic
    facts = facts or read_cpu_facts()
    found = Discovery()
    if "cpu" not in skip_components:
        found.sensors.append(
            cpu_sensor(facts, cpu_tdp_w, busy_cpu_s or busy_cpu_reader(), clock, lookup)
        )
    if "dram" not in skip_components:
        per_gb = DRAM_W_PER_GB if dram_w_per_gb is None else dram_w_per_gb
        source = (
            "--dram-w-per-gb"
            if dram_w_per_gb is not None
            else "Cloud Carbon Footprint memory coefficient"
        )
        assumptions = [f"DRAM draws {per_gb} W per GB installed, constantly ({source})"]
        found.sensors.append(
            DramModelSensor(
                per_gb * facts.memory_gb,
                clock,
                {"memory_gb": f"{facts.memory_gb:.1f}", "source": CCF_URL},
                assumptions,
            )
        )
    return found


def cpu_sensor(
    facts: CpuFacts,
    cpu_tdp_w: float | None,
    busy_cpu_s: Callable[[], float],
    clock: Callable[[], float],
    lookup: TdpLookup | None = None,
) -> CpuModelSensor:
    """The CPU model with its power bounds from the flag, the profiles, or per-vCPU figures."""
    described = {
        "model_name": facts.model_name,
        "logical_cpus": str(facts.logical_cpus),
        "sockets": str(facts.sockets),
    }
    linear = "power scales linearly with CPU utilisation"
    if cpu_tdp_w is not None:
        max_w, idle_w = cpu_tdp_w * facts.sockets, 0.0
        notes = [
            f"{linear} from 0 W idle to the TDP {cpu_tdp_w} W x {facts.sockets} socket(s) "
            "(--cpu-tdp-w)"
        ]
    elif lookup is not None and (profile := lookup(facts.model_name)) is not None:
        tdp_w, profile_id = profile
        max_w, idle_w = tdp_w * facts.sockets, 0.0
        notes = [
            f"{linear} from 0 W idle to the TDP {tdp_w} W x {facts.sockets} socket(s) "
            f"(profiles: cpus.{profile_id})",
            "a VM that sees part of a package is over-estimated: set --cpu-tdp-w",
        ]
    else:
        idle_w, max_w = VCPU_MIN_W * facts.logical_cpus, VCPU_MAX_W * facts.logical_cpus
        notes = [
            f"CPU {facts.model_name!r} has no TDP in the profiles: {linear} from "
            f"{VCPU_MIN_W} to {VCPU_MAX_W} W per logical CPU (Cloud Carbon Footprint's "
            "SPECpower averages); --cpu-tdp-w overrides"
        ]
        described["source"] = CCF_URL
    return CpuModelSensor(idle_w, max_w, facts.logical_cpus, busy_cpu_s, clock, described, notes)


class CpuProfile(Protocol):
    """A profiles/cpus.toml entry, as the model reads it."""

    @property
    def id(self) -> str: ...

    @property
    def match(self) -> list[str]: ...

    @property
    def tdp_w(self) -> float: ...


TdpLookup = Callable[[str], "tuple[float, str] | None"]
"""CPU model name -> (TDP in W, profile id), or None when the profiles do not know it."""


def match_cpu(model_name: str, entries: Iterable[CpuProfile]) -> tuple[float, str] | None:
    """TDP (W) and id of the first profile whose ``match`` substrings occur in ``model_name``."""
    for entry in entries:
        if any(pattern in model_name for pattern in entry.match):
            return float(entry.tdp_w), entry.id
    return None
