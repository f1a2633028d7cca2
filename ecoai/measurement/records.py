"""The records a measurement hands from the edge (``session``) to the pure step (``report``).

``ProfileRequest`` is what was asked (``session.prepare`` builds it for the CLI and the Python
API alike); ``Measured`` is what came back: each sensor described once (``models.SensorInfo``),
the idle baseline, and per run one ``SensorRun`` per sensor. Skips and gaps keep the report's
shapes (``models.SensorSkip``, ``models.GapInfo``) from the sensor to the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ecoai.measurement.sampler import DEFAULT_INTERVAL_S

if TYPE_CHECKING:
    from datetime import datetime

    from ecoai.footprint import Multipliers
    from ecoai.measurement.runner import RunResult
    from ecoai.measurement.work import WorkRecord
    from ecoai.models import AttributionScope, GapInfo, Param, SensorInfo


@dataclass(frozen=True)
class ProfileRequest:
    """Everything a measurement was asked to do (``ecoai profile`` or ``ecoai.measure``)."""

    command: list[str]
    factors: Multipliers | None
    """PUE, WUE and CIF from ``inputs``; None until they are resolved (``session.plan`` leaves
    them to ``session.resolve_inputs``; ``report.build_report`` needs them)."""
    interval_s: float = DEFAULT_INTERVAL_S
    baseline_s: float = 0.0
    scope: AttributionScope = "process-tree"
    repeat: int = 1
    queries: int | None = None
    grace_s: float = 10.0
    label: str | None = None
    env: Mapping[str, str] | None = None
    """The child's whole environment (None: inherit ecoai's)."""
    inputs: Mapping[str, Param] = field(default_factory=dict)
    """The resolved footprint inputs with their sources, ``factors`` comes from (the report's
    ``inputs``)."""


@dataclass(frozen=True)
class SensorRun:
    """One sensor over one run, as the sampler counted it. Units: J, W."""

    energy_j: float
    """Whole-device energy between the run's first and last mark."""
    samples: int
    read_errors: int
    last_error: str | None = None
    peak_power_w: float | None = None


@dataclass
class RunRecord:
    """What one run produced, before it becomes a RunMeasurement. Units: s, J."""

    result: RunResult
    sensors: dict[str, SensorRun]
    """Per sensor name, in the order of ``Measured.sensors``."""
    machine_busy_cpu_s: float | None
    gpu_shared: list[str]
    gpu_share: dict[str, float]
    gap_count: int
    gap_s: float
    gaps: list[GapInfo]
    """The first gaps (at most ``sampler.MAX_GAPS`` over the sampler's life)."""
    overhead_cpu_s: float
    timeline: list[tuple[float, float]]
    work: WorkRecord | None = None
    """Queries, tokens and phases the command reported (the event file)."""
    memory_share: float | None = None
    """The process tree's share of memory in use (DRAM attribution); None: not sampled."""

    @property
    def energy_j(self) -> dict[str, float]:
        """Whole-device energy per sensor name. Units: J."""
        return {name: sensor.energy_j for name, sensor in self.sensors.items()}


@dataclass
class Measured:
    """The raw outcome of ``session.measure``: the sensors, the idle baseline and every run."""

    sensors: list[SensorInfo]
    ended_at: datetime
    """When sampling stopped: the report's ``created_at``."""
    baseline_power_w: dict[str, float] = field(default_factory=dict)
    runs: list[RunRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What was lost and why: sensors that stopped answering, processes that outlived a run."""
