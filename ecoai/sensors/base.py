"""What every sensor backend shares: the Sensor protocol, its Reading, and a Discovery's result.

A sensor reports cumulative energy (a counter, J) or instantaneous power (W) at a time stamp.
A backend (nvml, rapl, cpu_model, fake) imports this module and the vocabulary of
``ecoai.models`` (component, method and scope literals) only; ``ecoai.sensors`` opens the
backends. A skipped backend or zone is a ``models.SensorSkip`` from discovery to the report, and a
sensor is described to the report as a ``models.SensorInfo`` (``describe``): one shape each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ecoai.models import Component, SensorInfo, SensorMethod, SensorScope, SensorSkip


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading: time (s, the sampler's clock), cumulative energy (J) and/or power (W)."""

    t_s: float
    energy_j: float | None = None
    power_w: float | None = None


class Sensor(Protocol):
    """What the sampler needs from a sensor. ``facts`` and ``assumptions`` go into the report."""

    name: str
    component: Component
    method: SensorMethod
    scope: SensorScope
    facts: dict[str, str]
    assumptions: list[str]

    def read(self) -> Reading: ...

    def close(self) -> None: ...


def may_hang(sensor: Sensor) -> bool:
    """Whether a read of ``sensor`` can block (a device, a driver, a file system): the sampler
    then reads it on a thread of its own. A sensor whose ``read`` is arithmetic on the clock and
    procfs counters says ``may_hang = False`` and is read on the sampler's thread: a hand-off to
    a thread costs more CPU than such a read (tests/benchmarks, issue 16)."""
    return bool(getattr(sensor, "may_hang", True))


class ProcessAwareSensor(Protocol):
    """A GPU sensor that can tell which processes use its device (NVML), for shared-GPU attribution.

    A backend lists such sensors in ``Discovery.process_aware`` besides ``Discovery.sensors``.
    """

    name: str

    def process_ids(self) -> set[int]:
        """PIDs holding a compute or graphics context on the device now."""
        ...

    def sm_utilisation(self, since_us: int) -> tuple[dict[int, float], int]:
        """Per-PID SM utilisation (%) summed over the samples newer than ``since_us``, and the
        newest sample's time stamp (µs) to pass next time."""
        ...


@dataclass
class Discovery:
    """The sensors found, those of them that can list their processes, and every skip."""

    sensors: list[Sensor] = field(default_factory=list)
    skipped: list[SensorSkip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    process_aware: list[ProcessAwareSensor] = field(default_factory=list)
    """The sensors of ``sensors`` that can list their processes (a shared GPU's share)."""

    def close(self) -> None:
        """Close every sensor (idempotent)."""
        for sensor in self.sensors:
            sensor.close()

    def merge(self, other: Discovery) -> None:
        """Add ``other``'s sensors, skips and notes to this one."""
        self.sensors.extend(other.sensors)
        self.skipped.extend(other.skipped)
        self.notes.extend(other.notes)
        self.process_aware.extend(other.process_aware)


def skip(name: str, reason: str) -> SensorSkip:
    """A backend or zone that was not used, and why (as the report stores it)."""
    return SensorSkip.trusted(name=name, reason=reason)


def describe(sensor: Sensor) -> SensorInfo:
    """The static description of a sensor, as the report stores it."""
    return SensorInfo.trusted(
        name=sensor.name,
        component=sensor.component,
        method=sensor.method,
        scope=sensor.scope,
        facts=dict(sensor.facts),
        assumptions=list(sensor.assumptions),
    )
