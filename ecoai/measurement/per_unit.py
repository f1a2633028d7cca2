"""Pure: per-query, per-1,000-output-token and per-phase figures of a measured run.

A phase's IT energy is its per-sensor energy scaled by that sensor's attribution in the run
(the process tree's share), so phases and the run total are attributed alike and add up. The
footprint of each unit follows from its IT energy with the run's multipliers (README, Method §8).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ecoai.footprint import Multipliers, footprint_point
from ecoai.models import (
    Footprint,
    PhaseEnergy,
    PhaseFootprint,
    RunMeasurement,
    RunWork,
    SensorEnergy,
    Workload,
)

if TYPE_CHECKING:
    from ecoai.measurement.work import WorkRecord


def ratios(sensors: Sequence[SensorEnergy], machine: bool) -> dict[str, float]:
    """Per sensor, the fraction of its energy the report counts (1 for the machine scope)."""
    return {
        s.name: 1.0 if machine or s.energy_j <= 0 else s.attributed_energy_j / s.energy_j
        for s in sensors
    }


def counted_j(energy_j: dict[str, float], ratio: dict[str, float]) -> float:
    """IT energy counted from per-sensor energy, each sensor scaled by its ratio. Units: J."""
    return sum(j * ratio.get(name, 1.0) for name, j in energy_j.items())


def run_work(record: WorkRecord, ratio: dict[str, float]) -> RunWork:
    """One run's events as the report keeps them."""
    return RunWork(
        queries=record.queries,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        events=record.events,
        malformed_events=record.malformed,
        malformed_examples=record.examples,
        phases=[
            PhaseEnergy(
                name=name,
                windows=p.windows,
                duration_s=p.duration_s,
                energy_j=counted_j(p.energy_j, ratio),
            )
            for name, p in record.phases.items()
        ],
        any_phase_energy_j=counted_j(record.any_phase.energy_j, ratio),
        any_phase_duration_s=record.any_phase.duration_s,
        unclosed_phases=record.unclosed,
        unmatched_phase_ends=record.unmatched_ends,
    )


def workload(
    runs: Sequence[RunMeasurement],
    it_j: Sequence[float],
    total: Footprint,
    factors: Multipliers,
    flag_queries: int | None,
) -> Workload | None:
    """Mean per-unit figures over ``runs``; events win over ``--queries`` when they count any."""
    works = [r.work for r in runs if r.work is not None]
    n = len(runs)
    duration_s = sum(r.duration_s for r in runs) / n
    mean_it_j = sum(it_j) / n
    from_events = len(works) == n and any(w.queries for w in works)
    if not from_events and not flag_queries and not any(w.phases for w in works):
        return None
    queries = sum(w.queries for w in works) / n if from_events else float(flag_queries or 0)
    output = sum(w.output_tokens for w in works) / n if works else 0.0
    return Workload(
        queries_from="events" if from_events else "flag",
        queries=queries,
        input_tokens=sum(w.input_tokens for w in works) / n if works else None,
        output_tokens=output if works else None,
        queries_per_s=queries / duration_s if duration_s > 0 and queries else None,
        output_tokens_per_s=output / duration_s if duration_s > 0 and output else None,
        per_1k_output_tokens=total.scaled(1000.0 / output) if output else None,
        phases=_phases(works, n, mean_it_j, factors),
        outside_phases=_outside(works, runs, mean_it_j, factors),
    )


def _phases(
    works: Sequence[RunWork], n: int, mean_it_j: float, factors: Multipliers
) -> list[PhaseFootprint]:
    names = list(dict.fromkeys(p.name for w in works for p in w.phases))
    phases = []
    for name in names:
        chosen = [p for w in works for p in w.phases if p.name == name]
        energy_j = sum(p.energy_j for p in chosen) / n
        phases.append(
            _phase(
                name,
                sum(p.windows for p in chosen) / n,
                sum(p.duration_s for p in chosen) / n,
                energy_j,
                mean_it_j,
                factors,
            )
        )
    return phases


def _outside(
    works: Sequence[RunWork], runs: Sequence[RunMeasurement], mean_it_j: float, factors: Multipliers
) -> PhaseFootprint | None:
    if not any(w.phases for w in works):
        return None
    n = len(runs)
    inside_j = sum(w.any_phase_energy_j for w in works) / n
    inside_s = sum(w.any_phase_duration_s for w in works) / n
    outside_s = max(0.0, sum(r.duration_s for r in runs) / n - inside_s)
    outside_j = max(0.0, mean_it_j - inside_j)
    return _phase("(outside phases)", 0.0, outside_s, outside_j, mean_it_j, factors)


def _phase(
    name: str,
    windows: float,
    duration_s: float,
    energy_j: float,
    total_j: float,
    factors: Multipliers,
) -> PhaseFootprint:
    return PhaseFootprint(
        name=name,
        windows=windows,
        duration_s=duration_s,
        it_energy_j=energy_j,
        share=energy_j / total_j if total_j > 0 else 0.0,
        footprint=footprint_point(energy_j, factors),
    )
