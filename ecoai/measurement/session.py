"""Measure a command: prepare -> discover -> baseline -> sample -> run -> integrate -> Report.

``prepare`` builds the request from the footprint inputs, for ``ecoai profile`` and
``ecoai.measure`` alike; ``measure`` is the edge (threads, processes, sensors) and hands
``records.Measured`` to ``ecoai.measurement.report.build_report``, the pure step that turns what
was measured into the shared report model.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ecoai.errors import InputError
from ecoai.inputs.keys import FOOTPRINT_KEYS
from ecoai.measurement.gpu_share import GpuShareTracker, process_tree
from ecoai.measurement.memory_share import MemoryShareTracker
from ecoai.measurement.records import Measured, ProfileRequest, RunRecord, SensorRun
from ecoai.measurement.runner import RunResult, run
from ecoai.measurement.sampler import DEFAULT_INTERVAL_S, Listener, Mark, Sampler, Timeline
from ecoai.sensors.base import Discovery, ProcessAwareSensor, describe
from ecoai.sensors.host import machine_busy_cpu_s

if TYPE_CHECKING:
    from ecoai.inputs.catalog import Catalog
    from ecoai.measurement.work import WorkMeter
    from ecoai.models import ParamValue

__all__ = [
    "Measured",
    "ProfileRequest",
    "RunRecord",
    "SensorRun",
    "measure",
    "plan",
    "prepare",
    "resolve_inputs",
]


DEFAULT_SCOPE = "process-tree"
"""The scope ``ecoai profile`` measures unless told otherwise (one of ``ATTRIBUTION_SCOPES``)."""


def prepare(
    command: list[str],
    footprint: Mapping[str, ParamValue | None],
    *,
    catalog: Catalog | None = None,
    scope: str = DEFAULT_SCOPE,
    interval_s: float = DEFAULT_INTERVAL_S,
    baseline_s: float = 0.0,
    repeat: int = 1,
    queries: int | None = None,
    grace_s: float = 10.0,
    label: str | None = None,
) -> ProfileRequest:
    """The request for measuring ``command``, its footprint inputs resolved once.

    ``footprint`` holds the given ``FOOTPRINT_KEYS`` (host, grid, PUE, WUE, CIF; None: not
    given); the profiles fill in the rest (``catalog``, else the built-in ones). The request
    carries both the resolved inputs (with their sources) and the multipliers made from them.
    Raises InputError for an unknown scope or key, a value out of bounds, or a factor missing.
    """
    request = plan(
        command,
        scope=scope,
        interval_s=interval_s,
        baseline_s=baseline_s,
        repeat=repeat,
        queries=queries,
        grace_s=grace_s,
        label=label,
    )
    return resolve_inputs(request, footprint, catalog)


def plan(
    command: list[str],
    *,
    scope: str = DEFAULT_SCOPE,
    interval_s: float = DEFAULT_INTERVAL_S,
    baseline_s: float = 0.0,
    repeat: int = 1,
    queries: int | None = None,
    grace_s: float = 10.0,
    label: str | None = None,
) -> ProfileRequest:
    """The request for measuring ``command`` without its footprint inputs (``factors`` None):
    all a measurement needs until its report. ``resolve_inputs`` adds them, e.g. while the
    command runs. Raises InputError for an unknown scope."""
    if scope != DEFAULT_SCOPE:
        from ecoai.models import ATTRIBUTION_SCOPES  # the default needs no check (tested)

        if scope not in ATTRIBUTION_SCOPES:
            choices = " or ".join(ATTRIBUTION_SCOPES)
            raise InputError(f"unknown scope {scope!r}", "choose " + choices)
    return ProfileRequest(
        command=list(command),
        factors=None,
        interval_s=interval_s,
        baseline_s=baseline_s,
        scope="machine" if scope == "machine" else "process-tree",
        repeat=repeat,
        queries=queries,
        grace_s=grace_s,
        label=label,
    )


def resolve_inputs(
    request: ProfileRequest,
    footprint: Mapping[str, ParamValue | None],
    catalog: Catalog | None = None,
) -> ProfileRequest:
    """``request`` with its footprint inputs resolved (see ``prepare``): ``inputs`` with their
    sources and ``factors`` made from them. Raises InputError for an unknown key, a value out of
    bounds, or a factor missing."""
    from ecoai.inputs.keys import multipliers
    from ecoai.inputs.resolve import resolve

    unknown = sorted(set(footprint) - set(FOOTPRINT_KEYS))
    if unknown:
        raise InputError(
            f"{unknown[0]!r} is not a footprint input", "choose from " + ", ".join(FOOTPRINT_KEYS)
        )
    params = resolve(None, footprint, catalog=catalog)
    return replace(
        request,
        factors=multipliers(params),
        inputs={name: param for name, param in params.items() if name in FOOTPRINT_KEYS},
    )


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
    busy = busy_cpu_s or cgroup_busy(found.sensors) or machine_busy_cpu_s
    sampler = Sampler(found.sensors, interval_s=request.interval_s)
    baseline_w: dict[str, float] = {}
    runs: list[RunRecord] = []
    notes: list[str] = []
    for listener in listeners:
        sampler.add_listener(listener)
    if work is not None:
        sampler.add_listener(work)
    origin = sampler.start()
    try:
        if request.baseline_s > 0:
            time.sleep(request.baseline_s)
            baseline_w = baseline_power(origin, sampler.mark())
        for _ in range(request.repeat):
            runs.append(
                _one_run(request, sampler, found.process_aware, busy, runner, tree, on_start, work)
            )
            notes += survivors_note(runs[-1].result)
            if runs[-1].result.interrupted:
                break
    finally:
        sampler.stop()
    faults = counter_faults(sampler)  # before describe(): it adds to the sensors' assumptions
    from datetime import UTC, datetime

    return Measured(
        sensors=[describe(sensor) for sensor in found.sensors],
        ended_at=datetime.now(UTC),
        baseline_power_w=baseline_w,
        runs=runs,
        notes=notes + lost_sensors(sampler, origin.t_s) + faults,
    )


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


def cgroup_busy(sensors: Sequence[Any]) -> Callable[[], float] | None:
    """The busy-CPU-time counter of a CPU model that covers a container's cgroup: the CPU share
    is then the tree's part of the cgroup's CPU time, as the modelled energy is the cgroup's."""
    for sensor in sensors:
        if sensor.component == "cpu" and sensor.scope == "cgroup":
            reader: Callable[[], float] | None = getattr(sensor, "busy_cpu_s", None)
            return reader
    return None


def _static_shares(sensors: Sequence[Any]) -> dict[str, float]:
    """GPUs attributed by a fixed share (a MIG instance's compute slices, ``sensors.mig``)."""
    shares = {s.name: getattr(s, "attribution_share", None) for s in sensors}
    return {name: share for name, share in shares.items() if share is not None}


def _gpm_shares(sensors: Sequence[Any]) -> dict[str, float]:
    """MIG instances' shares of their GPU from GPM engine activity over the run just ended
    (``sensors.mig.GpmActivity``); an instance without one keeps its compute-slice share."""
    shares: dict[str, float] = {}
    for sensor in sensors:
        try:
            share = sensor.gpm.share()
        except Exception:  # GPM failing mid-run: the static share applies, as stated
            share = None
        if share is not None:
            shares[sensor.name] = share
    return shares


def counter_faults(sampler: Sampler) -> list[str]:
    """A note per sensor and kind of implausible interval that was bridged (a stuck or reset
    counter, a spike above the device's maximum power), also added to the sensor's assumptions."""
    notes: list[str] = []
    faults = sampler.counter_faults()
    for sensor in sampler.sensors:
        lines = faults.get(sensor.name, [])
        sensor.assumptions.extend(line for line in lines if line not in sensor.assumptions)
        notes += lines
    return notes


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
    memory = MemoryShareTracker()
    sampler.add_listener(timeline)
    if tracker.sensors:
        sampler.add_listener(tracker)
    if any(sensor.component == "dram" for sensor in sampler.sensors):
        sampler.add_listener(memory)
    before = _Counts.of(sampler)
    busy0_s = _safe(busy)
    start = sampler.mark()
    if work is not None:
        work.begin(start)

    def started(pid: int) -> None:
        tracker.root_pid = pid
        memory.root_pid = pid
        if on_start is not None:
            on_start(pid)

    extra: dict[str, Any] = {} if request.env is None else {"env": request.env}
    gpm: list[Any] = [s for s in sampler.sensors if getattr(s, "gpm", None) is not None]
    for sensor in gpm:
        with contextlib.suppress(Exception):  # GPM failing: the static share applies, as stated
            sensor.gpm.begin()
    result = runner(request.command, grace_s=request.grace_s, on_start=started, **extra)
    activity = _gpm_shares(gpm)
    if tracker.sensors:
        tracker.poll()
    end = sampler.mark()
    record_work = work.end(end) if work is not None else None
    busy1_s = _safe(busy)
    sampler.remove_listener(timeline)
    sampler.remove_listener(tracker)
    sampler.remove_listener(memory)
    after = _Counts.of(sampler)
    energy_j = start.until(end)
    return RunRecord(
        result=result,
        sensors={
            name: SensorRun(
                energy_j=energy_j.get(name, 0.0),
                samples=after.samples[name] - before.samples[name],
                read_errors=after.errors[name] - before.errors[name],
                last_error=tally.last_error,
                peak_power_w=tally.peak_power_w,
            )
            for name, tally in sampler.tallies.items()
        },
        machine_busy_cpu_s=None if busy0_s is None or busy1_s is None else busy1_s - busy0_s,
        gpu_shared=sorted(tracker.shared),
        gpu_share={**_static_shares(sampler.sensors), **activity, **tracker.shares()},
        gap_count=after.gap_count - before.gap_count,
        gap_s=after.gap_s - before.gap_s,
        gaps=sampler.gaps[before.gaps :],
        overhead_cpu_s=after.overhead_cpu_s - before.overhead_cpu_s,
        timeline=[(t - start.t_s, p) for t, p in timeline.snapshot()],
        work=record_work,
        memory_share=memory.share(),
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
