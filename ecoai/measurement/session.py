"""Measure a command: discover -> baseline -> sample -> run -> integrate -> footprint -> Report.

``measure`` is the edge (threads, processes, sensors); ``ecoai.measurement.report.build_report`` is
the pure step that turns what was measured into the shared report model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ecoai.footprint import Multipliers
from ecoai.measurement.gpu_share import GpuShareTracker, process_tree
from ecoai.measurement.runner import RunResult, run
from ecoai.measurement.sampler import Listener, Mark, Sampler, Timeline
from ecoai.sensors.base import Discovery, ProcessAwareSensor, Sensor
from ecoai.sensors.host import machine_busy_cpu_s

if TYPE_CHECKING:
    from ecoai.measurement.work import WorkMeter, WorkRecord

Scope = Literal["process-tree", "machine"]


@dataclass(frozen=True)
class ProfileRequest:
    """Everything ``ecoai profile`` was asked to do."""

    command: list[str]
    factors: Multipliers
    interval_s: float = 0.1
    baseline_s: float = 0.0
    scope: Scope = "process-tree"
    repeat: int = 1
    queries: int | None = None
    grace_s: float = 10.0
    label: str | None = None
    env: Mapping[str, str] | None = None
    """The child's whole environment (None: inherit ecoai's)."""


@dataclass
class RunRecord:
    """What one run produced, before it becomes a RunMeasurement. Units: s, J."""

    result: RunResult
    energy_j: dict[str, float]
    samples: dict[str, int]
    errors: dict[str, int]
    last_errors: dict[str, str | None]
    peak_power_w: dict[str, float | None]
    machine_busy_cpu_s: float | None
    gpu_shared: list[str]
    gpu_share: dict[str, float]
    gap_count: int
    gap_s: float
    gaps: list[tuple[float, float]]
    overhead_cpu_s: float
    timeline: list[tuple[float, float]]
    work: WorkRecord | None = None
    """Queries, tokens and phases the command reported (the event file)."""


@dataclass
class Measured:
    """The raw outcome of ``measure``: the sensors, the idle baseline and every run."""

    sensors: list[Sensor]
    baseline_power_w: dict[str, float] = field(default_factory=dict)
    runs: list[RunRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What was lost and why: sensors that stopped answering, processes that outlived a run."""


def measure(
    request: ProfileRequest,
    found: Discovery,
    busy_cpu_s: Callable[[], float] | None = None,
    runner: Callable[..., RunResult] = run,
    tree: Callable[[int], set[int]] = process_tree,
    listeners: Sequence[Listener] = (),
    on_start: Callable[[int], None] | None = None,
    work: WorkMeter | None = None,
) -> Measured:
    """Sample ``found.sensors`` on a thread while the command runs ``request.repeat`` times.

    ``listeners`` see every round of readings (a live view, a streamed timeline, metrics);
    ``on_start`` is called with each child's PID on the main thread while the child runs;
    ``work`` reads the events the command reports during each run.
    """
    busy = busy_cpu_s or machine_busy_cpu_s
    sampler = Sampler(found.sensors, interval_s=request.interval_s)
    measured = Measured(list(found.sensors))
    for listener in listeners:
        sampler.add_listener(listener)
    if work is not None:
        sampler.add_listener(work)
    origin = sampler.start()
    try:
        if request.baseline_s > 0:
            time.sleep(request.baseline_s)
            measured.baseline_power_w = baseline_power(origin, sampler.mark())
        for _ in range(request.repeat):
            measured.runs.append(
                _one_run(request, sampler, found.process_aware, busy, runner, tree, on_start, work)
            )
            measured.notes += survivors_note(measured.runs[-1].result)
            if measured.runs[-1].result.interrupted:
                break
    finally:
        sampler.stop()
    measured.notes += lost_sensors(sampler, origin.t_s)
    return measured


def survivors_note(result: RunResult) -> list[str]:
    """A note when processes the command started were still running after it exited."""
    if not result.survivors:
        return []
    pids = ", ".join(str(pid) for pid in result.survivors[:5])
    return [
        f"{len(result.survivors)} process(es) the command started outlived it (PID {pids}): "
        "ecoai left them running and did not measure them after the command exited"
    ]


def lost_sensors(sampler: Sampler, origin_s: float) -> list[str]:
    """A note for each sensor whose reads failed (or hung) up to the end of sampling."""
    return [
        f"{name} stopped answering {tally.failing_since_s - origin_s:.1f} s into sampling "
        f"({tally.last_error}): its energy after its last good read is missing"
        for name, tally in sampler.tallies.items()
        if tally.failing_since_s is not None
    ]


def _one_run(
    request: ProfileRequest,
    sampler: Sampler,
    process_aware: Sequence[ProcessAwareSensor],
    busy: Callable[[], float],
    runner: Callable[..., RunResult],
    tree: Callable[[int], set[int]],
    on_start: Callable[[int], None] | None,
    work: WorkMeter | None = None,
) -> RunRecord:
    timeline = Timeline()
    tracker = GpuShareTracker(process_aware, tree=tree)
    sampler.add_listener(timeline)
    if tracker.sensors:
        sampler.add_listener(tracker)
    before = _Counts.of(sampler)
    busy0_s = _safe(busy)
    start = sampler.mark()
    if work is not None:
        work.begin(start)

    def started(pid: int) -> None:
        tracker.root_pid = pid
        if on_start is not None:
            on_start(pid)

    extra: dict[str, Any] = {} if request.env is None else {"env": request.env}
    result = runner(request.command, grace_s=request.grace_s, on_start=started, **extra)
    if tracker.sensors:
        tracker.poll()
    end = sampler.mark()
    record_work = work.end(end) if work is not None else None
    busy1_s = _safe(busy)
    sampler.remove_listener(timeline)
    sampler.remove_listener(tracker)
    after = _Counts.of(sampler)
    return RunRecord(
        result=result,
        energy_j=start.until(end),
        samples={n: after.samples[n] - before.samples[n] for n in after.samples},
        errors={n: after.errors[n] - before.errors[n] for n in after.errors},
        last_errors={n: t.last_error for n, t in sampler.tallies.items()},
        peak_power_w={n: t.peak_power_w for n, t in sampler.tallies.items()},
        machine_busy_cpu_s=None if busy0_s is None or busy1_s is None else busy1_s - busy0_s,
        gpu_shared=sorted(tracker.shared),
        gpu_share=tracker.shares(),
        gap_count=after.gap_count - before.gap_count,
        gap_s=after.gap_s - before.gap_s,
        gaps=[(g.start_s, g.duration_s) for g in sampler.gaps[before.gaps :]],
        overhead_cpu_s=after.overhead_cpu_s - before.overhead_cpu_s,
        timeline=[(t - start.t_s, p) for t, p in timeline.snapshot()],
        work=record_work,
    )


@dataclass(frozen=True)
class _Counts:
    samples: dict[str, int]
    errors: dict[str, int]
    gap_count: int
    gap_s: float
    gaps: int
    overhead_cpu_s: float

    @classmethod
    def of(cls, sampler: Sampler) -> _Counts:
        return cls(
            {n: t.samples for n, t in sampler.tallies.items()},
            {n: t.errors for n, t in sampler.tallies.items()},
            sampler.gap_count,
            sampler.gap_s,
            len(sampler.gaps),
            sampler.thread_cpu_s(),
        )


def _safe(read: Callable[[], float]) -> float | None:
    try:
        return read()
    except Exception:  # CPU times unavailable: the CPU share is then unknown, not fatal
        return None


def baseline_power(start: Mark, end: Mark) -> dict[str, float]:
    """Mean power per sensor between two marks. Units: W."""
    span_s = end.t_s - start.t_s
    if span_s <= 0:
        return {}
    return {name: energy_j / span_s for name, energy_j in start.until(end).items()}
