"""Pure: per-query, per-1,000-output-token and per-phase figures of a measured run.

A phase's IT energy is its per-sensor energy scaled by that sensor's attribution in the run
(the process tree's share), so phases and the run total are attributed alike and add up. The
footprint of each unit follows from its IT energy with the run's multipliers (README, Method §8).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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

PROMPT_TOKEN_WEIGHT = 0.25
"""A prompt (prefill) token's cost relative to an output (decode) token, for splitting a
serving window's energy across requests. Source: OpenAI's API list prices for GPT-4o, $2.50
per 1M input tokens against $10.00 per 1M output tokens (openai.com/api/pricing), a provider's
cost ratio: prefill runs a prompt's tokens through the model in one batched, compute-bound pass,
decode one memory-bound step per output token. A price, not a measured energy ratio: the split
is an allocation, the window's total is measured."""
SPLIT_METHOD = (
    "per request under batching: the serving window's measured energy split across requests "
    "by tokens, an output token weighing 1 and a prompt token 0.25 (the prefill/decode cost "
    "ratio of OpenAI's GPT-4o list prices, $2.50 vs $10.00 per 1M tokens, openai.com/api/"
    "pricing); percentiles from the server's histogram of output tokens per request, prompt "
    "tokens at the window's mean per request"
)


def ratios(sensors: Sequence[SensorEnergy], machine: bool) -> dict[str, float]:
    """Per sensor, the fraction of its energy the report counts (1 for the machine scope)."""
    return {
        s.name: 1.0 if machine or s.energy_j <= 0 else s.attributed_energy_j / s.energy_j
        for s in sensors
    }


def counted_j(energy_j: dict[str, float], ratio: dict[str, float]) -> float:
    """IT energy counted from per-sensor energy, each sensor scaled by its ratio. Units: J."""
    return sum(j * ratio.get(name, 1.0) for name, j in energy_j.items())


def _between(start_j: dict[str, float], end_j: dict[str, float]) -> dict[str, float]:
    return {name: j - start_j.get(name, 0.0) for name, j in end_j.items()}


def _serving(record: WorkRecord, ratio: dict[str, float]) -> dict[str, Any]:
    """The serving window (first to last query event) and the start-up before it, counted."""
    first, last = record.first_query, record.last_query
    if first is None:
        return {}
    out: dict[str, Any] = {
        "first_query_s": first[0] - record.started_s,
        "startup_energy_j": max(0.0, counted_j(_between(record.started_j, first[3]), ratio)),
    }
    if last is None or last[0] <= first[0] or record.queries <= first[1]:
        return out  # one query event: no window to serve in
    return out | {
        "last_query_s": last[0] - record.started_s,
        "serving_queries": record.queries - first[1],
        "serving_output_tokens": record.output_tokens - first[2],
        "serving_input_tokens": record.input_tokens - record.first_query_input_tokens,
        "serving_energy_j": max(0.0, counted_j(_between(first[3], last[1]), ratio)),
    }


def run_work(record: WorkRecord, ratio: dict[str, float]) -> RunWork:
    """One run's events as the report keeps them.

    The serving window runs from the first to the last query event; the queries it holds are
    those reported after the first event (the first event's were served before it, during
    what counts as start-up).
    """
    return RunWork.trusted(
        queries=record.queries,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        events=record.events,
        malformed_events=record.malformed,
        malformed_examples=record.examples,
        phases=[
            PhaseEnergy.trusted(
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
        dropped_phases=record.dropped_phases,
        early_events=record.early_events,
        future_events=record.future_events,
        counted_from="server" if record.source == "server" else "events",
        output_tokens_per_request=record.output_tokens_per_request,
        **_serving(record, ratio),
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
    server = bool(works) and all(w.counted_from == "server" for w in works)
    return Workload.trusted(
        queries_from=("server" if server else "events") if from_events else "flag",
        queries=queries,
        input_tokens=sum(w.input_tokens for w in works) / n if works else None,
        output_tokens=output if works else None,
        queries_per_s=queries / duration_s if duration_s > 0 and queries else None,
        output_tokens_per_s=output / duration_s if duration_s > 0 and output else None,
        per_1k_output_tokens=total.scaled(1000.0 / output) if output else None,
        phases=_phases(works, n, mean_it_j, factors),
        outside_phases=_outside(works, runs, mean_it_j, factors),
        idle=_idle(runs, it_j, mean_it_j, factors),
        **_serving_window(works, mean_it_j, factors),
    )


def _idle(
    runs: Sequence[RunMeasurement], it_j: Sequence[float], mean_it_j: float, factors: Multipliers
) -> PhaseFootprint | None:
    """After the last query event to the run's end: each run's energy less its start-up and
    serving window (mean over runs); None unless every run had a serving window."""
    works = [r.work for r in runs]
    parts = []
    for run, energy_j, work in zip(runs, it_j, works, strict=True):
        if work is None or work.last_query_s is None:
            return None
        if work.serving_energy_j is None or work.startup_energy_j is None:
            return None
        idle_j = energy_j - work.startup_energy_j - work.serving_energy_j
        parts.append((max(0.0, run.duration_s - work.last_query_s), max(0.0, idle_j)))
    if not parts:
        return None
    n = len(parts)
    duration_s = sum(d for d, _ in parts) / n
    energy_j = sum(j for _, j in parts) / n
    return _phase("(idle, after the last query)", 0.0, duration_s, energy_j, mean_it_j, factors)


def _serving_window(
    works: Sequence[RunWork], mean_it_j: float, factors: Multipliers
) -> dict[str, Any]:
    """Mean serving-window figures over the runs that had one, and the start-up energy.

    Per query = serving energy / serving queries; throughput = serving queries / window.
    """
    out: dict[str, Any] = {}
    started = [w for w in works if w.startup_energy_j is not None and w.first_query_s is not None]
    if started:
        energy_j = sum(w.startup_energy_j or 0.0 for w in started) / len(started)
        duration_s = sum(w.first_query_s or 0.0 for w in started) / len(started)
        out["startup"] = _phase(
            "(start-up, before the first query)", 0.0, duration_s, energy_j, mean_it_j, factors
        )
    served = [w for w in works if w.serving_energy_j is not None and w.serving_queries]
    if not served:
        return out
    k = len(served)
    window_s = sum((w.last_query_s or 0.0) - (w.first_query_s or 0.0) for w in served) / k
    queries = sum(w.serving_queries or 0 for w in served) / k
    tokens = sum(w.serving_output_tokens or 0 for w in served) / k
    energy = footprint_point(sum(w.serving_energy_j or 0.0 for w in served) / k, factors)
    prompt = sum(w.serving_input_tokens or 0 for w in served) / k
    weighted = tokens + PROMPT_TOKEN_WEIGHT * prompt
    quantiles = [w.output_tokens_per_request for w in served if w.output_tokens_per_request]
    per_request: dict[str, Footprint] = {}
    if quantiles and weighted > 0:
        prompt_per_request = prompt / queries
        per_request = {
            name: energy.scaled(
                (sum(q.get(name, 0.0) for q in quantiles) / len(quantiles)
                 + PROMPT_TOKEN_WEIGHT * prompt_per_request) / weighted
            )
            for name in quantiles[0]
        }  # fmt: skip
        out |= {"prompt_token_weight": PROMPT_TOKEN_WEIGHT, "per_request_split": SPLIT_METHOD}
    return out | {
        "serving_per_request": per_request,
        "serving_s": window_s,
        "serving_queries": queries,
        "serving_queries_per_s": queries / window_s if window_s > 0 else None,
        "serving_output_tokens_per_s": tokens / window_s if window_s > 0 and tokens else None,
        "serving_per_query": energy.scaled(1.0 / queries),
        "serving_per_1k_output_tokens": energy.scaled(1000.0 / tokens) if tokens else None,
    }


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
    return PhaseFootprint.trusted(
        name=name,
        windows=windows,
        duration_s=duration_s,
        it_energy_j=energy_j,
        share=energy_j / total_j if total_j > 0 else 0.0,
        footprint=footprint_point(energy_j, factors),
    )


def event_notes(work: RunWork) -> list[str]:
    """Report notes for event-file problems that changed what was counted (R7, R12, R19)."""
    notes = []
    if work.dropped_phases:
        notes.append(
            f"{work.dropped_phases} phase edge(s) with names beyond the first 100 were not "
            "tallied: their energy counts only outside phases"
        )
    if work.early_events:
        notes.append(
            f"{work.early_events} event(s) were stamped before the run started (t from "
            "time.monotonic()?): counted at the run's start; pass t as time.time()"
        )
    if work.future_events:
        notes.append(
            f"{work.future_events} event(s) were stamped over 60 s ahead of when ecoai read them "
            "(t in milliseconds?): counted when read; pass t as time.time() in seconds"
        )
    return notes
