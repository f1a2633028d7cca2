"""What every sensor backend shares: the Sensor protocol, its Reading, and a Discovery's result.

A sensor reports cumulative energy (a counter, J) or instantaneous power (W) at a time stamp.
A backend (nvml, rapl, cpu_model, fake) imports this module and the vocabulary of
``ecoai.models`` (component, method and scope literals, for its annotations) only;
``ecoai.sensors`` opens the backends. A skipped backend or zone is a ``Skip`` (name, reason),
which the report stores as a ``models.SensorSkip``, and a sensor is described to the report as a
``models.SensorInfo`` (``describe``).

Discovery runs before the measured command starts, so this module and the backends do not import
``ecoai.models`` at run time (only for type checking): the report model is loaded while the
command runs (issue 16: the wrapping cost before the command starts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
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
    skipped: list[Skip] = field(default_factory=list)
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


@dataclass(frozen=True, slots=True)
class Skip:
    """A backend or zone that was not used, and why (``stored`` gives the report's shape)."""

    name: str
    reason: str


def skip(name: str, reason: str) -> Skip:
    """A backend or zone that was not used, and why."""
    return Skip(name, reason)


def stored(skipped: Skip | SensorSkip) -> SensorSkip:
    """A skip as the report stores it (``models.SensorSkip``; one already in that shape as is)."""
    from ecoai.models import SensorSkip

    if isinstance(skipped, SensorSkip):
        return skipped
    return SensorSkip.trusted(name=skipped.name, reason=skipped.reason)


def describe(sensor: Sensor) -> SensorInfo:
    """The static description of a sensor, as the report stores it."""
    from ecoai.models import SensorInfo

    return SensorInfo.trusted(
        name=sensor.name,
        component=sensor.component,
        method=sensor.method,
        scope=sensor.scope,
        facts=dict(sensor.facts),
        assumptions=list(sensor.assumptions),
    )
