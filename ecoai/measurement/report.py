"""Pure: what ``ecoai profile`` measured -> the shared Report (``kind = "measured"``).

Attribution to the command's process tree: CPU energy by the tree's share of the machine's busy
CPU time, DRAM energy by its share of memory in use (ecoai.measurement.memory_share), a shared
GPU by the tree's share of its SM-utilisation samples, an unshared GPU whole. Facility energy,
water and carbon follow from IT energy (README, Method §8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ecoai.footprint import footprint_point, footprint_samples
from ecoai.measurement.records import Measured, ProfileRequest, RunRecord, SensorRun
from ecoai.models import (
    COMPONENTS,
    HostInfo,
    Measurement,
    Method,
    Param,
    Report,
    RunMeasurement,
    SensorEnergy,
)
from ecoai.sensors.base import Skip, stored

if TYPE_CHECKING:
    from ecoai.models import SensorSkip


def cpu_share(child_cpu_s: float, machine_busy_cpu_s: float | None) -> float | None:
    """The process tree's share of the machine's busy CPU time, within [0, 1]."""
    if machine_busy_cpu_s is None or machine_busy_cpu_s <= 0:
        return None
    return min(1.0, max(0.0, child_cpu_s / machine_busy_cpu_s))


def attributed_j(
    component: str,
    name: str,
    energy_j: float,
    share_cpu: float | None,
    gpu_share: Mapping[str, float],
    share_memory: float | None = None,
) -> float:
    """Energy attributed to the process tree: CPU by CPU-time share, DRAM by the tree's share
    of memory in use (by CPU-time share when memory was not sampled), GPUs by SM share.

    A GPU nobody else used is the tree's whole; a share that cannot be known counts whole.
    """
    if component == "gpu":
        return energy_j * gpu_share.get(name, 1.0)
    if component == "dram" and share_memory is not None:
        return energy_j * share_memory
    return energy_j if share_cpu is None else energy_j * share_cpu


def first_failure(statuses: Sequence[int]) -> int:
    """The status ecoai exits with after several runs: the first non-zero, else 0."""
    return next((status for status in statuses if status != 0), 0)


def build_report(
    request: ProfileRequest,
    measured: Measured,
    skipped: Sequence[Skip | SensorSkip],
    host: HostInfo,
    inputs: Mapping[str, Param],
    notes: Sequence[str] = (),
) -> Report:
    """Turn what was measured into the shared report (pure).

    ``skipped``: the sensors discovery did not use; ``inputs``: the report's inputs section
    (``request.inputs`` for a request from ``session.prepare``); ``notes``: the caller's, first.
    The report is dated ``measured.ended_at``.
    """
    from ecoai import __version__

    factors = request.factors
    if factors is None:  # a request from session.plan whose inputs were never resolved
        raise ValueError("the request's footprint inputs were not resolved (resolve_inputs)")
    runs = [run_measurement(request, measured, record) for record in measured.runs]
    it_j = [r.energy_j if request.scope == "machine" else r.attributed_energy_j for r in runs]
    footprints = [footprint_point(energy_j, factors) for energy_j in it_j]
    total = (
        footprints[0]
        if len(footprints) == 1
        else footprint_samples(it_j, [min(it_j)] * len(it_j), [max(it_j)] * len(it_j), factors)
    )
    from ecoai.measurement.per_unit import workload

    work = workload(runs, it_j, total, factors, request.queries)
    queries = round(work.queries) if work and work.queries else request.queries
    per_query_n = work.queries if work and work.queries else queries
    return Report.trusted(
        kind="measured",
        ecoai_version=__version__,
        created_at=measured.ended_at,
        label=request.label,
        method=Method.trusted(
            statistic="measured",
            description=_describe(request, len(runs))
            + (f"; {work.per_request_split}" if work and work.per_request_split else ""),
        ),
        inputs=dict(inputs),
        queries=queries,
        total=total,
        per_query=None if not per_query_n else total.scaled(1.0 / per_query_n),
        runs=footprints if len(footprints) > 1 else None,
        intermediate=_intermediate(runs, it_j),
        measurement=Measurement.trusted(
            command=[printable_arg(arg) for arg in request.command],
            scope=request.scope,
            interval_s=request.interval_s,
            baseline_s=request.baseline_s,
            host=host,
            sensors=list(measured.sensors),
            skipped=[stored(skip) for skip in skipped],
            runs=runs,
            exit_status=first_failure([r.exit_status for r in runs]),
            workload=work,
        ),
        notes=[*notes, *_notes(runs, measured)],
    )


def run_measurement(request: ProfileRequest, measured: Measured, rec: RunRecord) -> RunMeasurement:
    """One run's figures: per sensor whole, attributed and above-idle energy."""
    share = cpu_share(rec.result.child_cpu_s, rec.machine_busy_cpu_s)
    duration_s = rec.result.duration_s
    sensors = []
    for sensor in measured.sensors:
        counted = rec.sensors.get(sensor.name) or SensorRun(energy_j=0.0, samples=0, read_errors=0)
        whole_j = counted.energy_j
        idle_w = measured.baseline_power_w.get(sensor.name)
        sensors.append(
            SensorEnergy.trusted(
                name=sensor.name,
                component=sensor.component,
                energy_j=whole_j,
                attributed_energy_j=attributed_j(
                    sensor.component, sensor.name, whole_j, share, rec.gpu_share, rec.memory_share
                ),
                baseline_power_w=idle_w,
                above_idle_energy_j=None if idle_w is None else whole_j - idle_w * duration_s,
                peak_power_w=counted.peak_power_w,
                samples=counted.samples,
                read_errors=counted.read_errors,
                last_error=counted.last_error,
            )
        )
    above = [s.above_idle_energy_j for s in sensors]
    work = None
    if rec.work is not None:
        from ecoai.measurement.per_unit import ratios, run_work

        work = run_work(rec.work, ratios(sensors, request.scope == "machine"))
    return RunMeasurement.trusted(
        exit_status=rec.result.exit_status,
        returncode=rec.result.returncode,
        signal=rec.result.signal,
        interrupted=rec.result.interrupted,
        error=rec.result.error,
        duration_s=duration_s,
        energy_j=sum(s.energy_j for s in sensors),
        attributed_energy_j=sum(s.attributed_energy_j for s in sensors),
        above_idle_energy_j=None if not above or None in above else sum(a or 0.0 for a in above),
        child_cpu_s=rec.result.child_cpu_s,
        machine_busy_cpu_s=rec.machine_busy_cpu_s,
        cpu_share=share,
        cpu_time_method=rec.result.cpu_time_method,
        memory_share=rec.memory_share,
        gpu_share=rec.gpu_share,
        gpu_shared=rec.gpu_shared,
        sensors=sensors,
        samples=max((s.samples for s in rec.sensors.values()), default=0),
        read_errors=sum(s.read_errors for s in rec.sensors.values()),
        gap_count=rec.gap_count,
        gap_s=rec.gap_s,
        gaps=list(rec.gaps),
        overhead_cpu_s=rec.overhead_cpu_s,
        timeline=rec.timeline,
        work=work,
    )


def _describe(request: ProfileRequest, runs: int) -> str:
    scope = (
        "attributed to the command's process tree (CPU by CPU-time share, DRAM by share of "
        "memory in use, shared GPUs by SM-utilisation share)"
        if request.scope == "process-tree"
        else "of the whole machine and every GPU sampled"
    )
    repeat = f", mean of {runs} runs" if runs > 1 else ""
    return f"IT energy measured every {request.interval_s:g} s, {scope}{repeat}"


def _intermediate(runs: Sequence[RunMeasurement], it_j: Sequence[float]) -> dict[str, float]:
    n = len(runs)
    values = {
        "duration_s": sum(r.duration_s for r in runs) / n,
        "it_energy_j": sum(it_j) / n,
        "machine_it_energy_j": sum(r.energy_j for r in runs) / n,
        "attributed_it_energy_j": sum(r.attributed_energy_j for r in runs) / n,
        "overhead_cpu_s": sum(r.overhead_cpu_s for r in runs) / n,
    }
    for component in COMPONENTS:
        energies = [sum(s.energy_j for s in r.sensors if s.component == component) for r in runs]
        if any(s.component == component for s in runs[0].sensors):
            values[f"{component}_energy_j"] = sum(energies) / n
    return values


def _notes(runs: Sequence[RunMeasurement], measured: Measured) -> list[str]:
    notes = []
    if not measured.sensors:
        notes.append("no sensor was available: the energy is zero because nothing was measured")
    for run_ in runs:
        for name in run_.gpu_shared:
            how = (
                "attributed by the command's share of SM utilisation"
                if name in run_.gpu_share
                else "no per-process utilisation samples, so the whole GPU is attributed"
            )
            notes.append(f"{name} is shared with processes outside the command: {how}")
        if run_.read_errors:
            notes.append(f"{run_.read_errors} sensor read(s) failed and were skipped")
        has_dram = any(s.component == "dram" for s in run_.sensors)
        if has_dram and run_.memory_share is None:
            notes.append(
                "the command's memory was not sampled (it ended within the first poll): "
                "DRAM energy is attributed by CPU-time share"
            )
        if run_.cpu_time_method == "rusage":
            notes.append(
                "CPU time counts only the descendants the command waited for (no cgroup or "
                "subreaper on this platform): work it started and never waited for is missing"
            )
        if run_.gap_count:
            notes.append(f"{run_.gap_count} sampling gap(s), {run_.gap_s:.2f} s in all")
        if run_.work is not None:
            from ecoai.measurement.per_unit import event_notes

            notes += event_notes(run_.work)
    notes += measured.notes
    return list(dict.fromkeys(notes))


def printable_arg(arg: str) -> str:
    """A command-line argument as valid Unicode: bytes that were not UTF-8 (kept by Python as
    surrogates, e.g. a Latin-1 file name) become ``\\xff`` escapes, so the report serialises."""
    return arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
