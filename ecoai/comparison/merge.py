"""Pure: add up the measured reports of one job's ranks or nodes into one ``merged`` report.

Each report's IT energy is turned into facility energy, water and carbon with *its own* host's
factors (README, Method §8), then summed; the same GPU (host + UUID) may be counted only once,
and so may the same measurement: a copy, a symlink or ``./`` of one report, or a merged report
together with one of its own parts, is refused (a measured report is identified by the SHA-256
of its canonical JSON, so re-indenting it changes nothing; a merged report by the identities
of its parts, recorded in ``extra.merged_from[].runs``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecoai import units
from ecoai.errors import InputError
from ecoai.footprint import Multipliers, footprint_point
from ecoai.models import Footprint, Method, Report, Stat, WaterStat, plain

_FACTORS = ("pue", "wue_site_l_per_kwh", "wue_source_l_per_kwh", "cif_kg_per_kwh")


@dataclass(frozen=True)
class Part:
    """One report to merge and where it was read from."""

    origin: str
    report: Report


def merge(
    parts: Sequence[Part], *, version: str, now: datetime, queries: int | None = None
) -> Report:
    """Sum measured reports; refuse the same GPU twice; record what was merged."""
    if len(parts) < 2:
        raise InputError("merge needs at least two reports", "give every rank's or node's report")
    _refuse_duplicates(parts)
    _refuse_same_run(parts)
    totals = [_recomputed(part) for part in parts]
    total = sum_footprints(totals)
    notes = [f"merged {len(parts)} reports", *_part_notes(parts), *failed_notes(parts)]
    runs = _runs(parts, notes)
    counted = [part.report.queries for part in parts]
    if queries is None and all(isinstance(n, int) and n > 0 for n in counted):
        queries = sum(n for n in counted if n is not None)
        notes.append(
            f"queries: {queries:,}, the sum of each report's count ("
            + " + ".join(f"{n:,}" for n in counted if n is not None)
            + "); --queries N overrides it"
        )
    elif queries is None:
        missing = [part.origin for part, n in zip(parts, counted, strict=True) if not n]
        notes.append(
            f"no per-query figures: {', '.join(missing)} counted no queries;"
            " pass --queries N with the job's query count"
        )
    return Report.trusted(
        kind="merged",
        ecoai_version=version,
        created_at=now,
        label=_label(parts),
        method=Method.trusted(
            statistic="merged", description="sum of measured reports, per-host factors"
        ),
        inputs=_common_inputs(parts),
        queries=queries,
        per_query=None if queries is None else total.scaled(1.0 / queries),
        total=total,
        runs=runs,
        notes=notes,
        extra={"merged_from": [_record(part, fp) for part, fp in zip(parts, totals, strict=True)]},
    )


def _label(parts: Sequence[Part]) -> str:
    """What was merged, for the title: the files' names (up to 3), else their number."""
    if len(parts) > 3:
        return f"{len(parts)} reports"
    return " + ".join("stdin" if p.origin == "-" else p.origin.rsplit("/", 1)[-1] for p in parts)


def failed_status(report: Report) -> int | None:
    """The exit status of the first measured command of ``report`` that failed, else None: a
    measured report's own, or a merged report's first failing part (recorded by ``merge`` in
    ``extra.merged_from[].exit_status``; a merge written before 0.2 records none)."""
    if report.measurement is not None:
        status = report.measurement.exit_status
        return status if status != 0 else None
    merged = report.extra.get("merged_from")
    if report.kind == "merged" and isinstance(merged, list):
        for record in merged:
            recorded = record.get("exit_status") if isinstance(record, dict) else None
            if isinstance(recorded, int) and not isinstance(recorded, bool) and recorded != 0:
                return recorded
    return None


def failed_notes(parts: Sequence[Part]) -> list[str]:
    """A note for each part whose measured command failed: its figures are not the workload's
    (a rank that crashed early drew less than the job would have)."""
    return [
        f"{part.origin}: the measured command failed (exit status {status}): the merged figures"
        " are not the whole workload's"
        for part in parts
        if (status := failed_status(part.report)) is not None
    ]


def devices_of(report: Report) -> list[tuple[str, str]]:
    """The (host, GPU UUID) pairs a report measured, including those of an earlier merge."""
    merged = report.extra.get("merged_from")
    if isinstance(merged, list):
        return [(str(m["host"]), str(u)) for m in merged for u in m.get("gpu_uuids", [])]
    info = _measurement(report)
    host = _hostname(info)
    return [
        (host, str(sensor["facts"]["uuid"]))
        for sensor in info.get("sensors", [])
        if sensor.get("component") == "gpu" and sensor.get("facts", {}).get("uuid")
    ]


def run_ids(report: Report) -> list[str]:
    """The measurements a report holds: itself, or every part an earlier merge recorded.

    A measured report is ``sha256:`` and the digest of its canonical JSON (what a copy, a link
    or a re-indented file cannot change; two ranks differ in their figures and times).
    """
    merged = report.extra.get("merged_from")
    if report.kind == "merged" and isinstance(merged, list):
        return [str(i) for m in merged if isinstance(m, dict) for i in m.get("runs", [])]
    import hashlib

    from ecoai.validation import dump_json

    return ["sha256:" + hashlib.sha256(dump_json(report).encode()).hexdigest()]


def _refuse_same_run(parts: Sequence[Part]) -> None:
    """One measurement counted twice: the same file twice, a copy, or a merge and its part."""
    seen: dict[str, Part] = {}
    for part in parts:
        for run in run_ids(part.report):
            first = seen.setdefault(run, part)
            if first is part:
                continue
            merged = [p.origin for p in (first, part) if p.report.kind == "merged"]
            why = (
                f"{merged[0]} is a merge that already includes the other"
                if len(merged) == 1
                else "they hold the same measurement"
            )
            raise InputError(
                f"{first.origin} and {part.origin} would count one measurement twice: {why}",
                "give each rank's or node's report once (a copy or link of a report is the same "
                "report; a merged report already holds its parts)",
            )


def _part_notes(parts: Sequence[Part]) -> list[str]:
    """Each part's notes, prefixed with where it came from (a merged part's already are)."""
    notes = []
    for part in parts:
        for note in part.report.notes:
            if part.report.kind == "merged" and note.startswith("merged "):
                continue
            notes.append(note if part.report.kind == "merged" else f"{part.origin}: {note}")
    return list(dict.fromkeys(notes))


def _measurement(report: Report) -> dict[str, Any]:
    # Read as plain data: merge needs only the host, the GPU UUIDs and the energy scope.
    return plain(report.measurement) if report.measurement else {}


def _hostname(info: dict[str, Any]) -> str:
    host = info.get("host") or {}
    return str(host.get("hostname") or "unknown host")


def _refuse_duplicates(parts: Sequence[Part]) -> None:
    seen: dict[tuple[str, str], str] = {}
    machines: dict[str, str] = {}
    for part in parts:
        if part.report.kind == "estimate":
            raise InputError(
                f"{part.origin}: an estimate cannot be merged",
                "merge reports written by `ecoai profile`",
            )
        for device in devices_of(part.report):
            if device in seen:
                raise InputError(
                    f"GPU {device[1]} on {device[0]} is in both {seen[device]} and {part.origin}",
                    "measure each node's GPUs once: `ecoai profile --per-node` samples them "
                    "from local rank 0 only",
                )
            seen[device] = part.origin
        _refuse_whole_machine_twice(part, machines)


def _refuse_whole_machine_twice(part: Part, machines: dict[str, str]) -> None:
    """Two ``--scope machine`` reports of one host would count all its energy twice."""
    info = _measurement(part.report)
    if info.get("scope") != "machine":
        return
    host = _hostname(info)
    if host in machines:
        raise InputError(
            f"{machines[host]} and {part.origin} both measured the whole machine {host}",
            "keep one whole-machine report per host, or profile with --scope process-tree",
        )
    machines[host] = part.origin


def multipliers_of(part: Part) -> Multipliers:
    """The host's factors a measured report was computed with (its resolved inputs)."""
    missing = [name for name in _FACTORS if name not in part.report.inputs]
    if missing:
        raise InputError(
            f"{part.origin}: the report lacks {', '.join(missing)}",
            "regenerate it with `ecoai profile`",
        )
    value = {name: float(part.report.inputs[name].value) for name in _FACTORS}  # type: ignore[arg-type]
    return Multipliers(
        value["pue"],
        value["wue_site_l_per_kwh"],
        value["wue_source_l_per_kwh"],
        units.kg_to_g(value["cif_kg_per_kwh"]),
    )


def _recomputed(part: Part) -> Footprint:
    """The part's total, recomputed from its IT energy with its own host's factors."""
    total = part.report.total
    if total is None:
        raise InputError(f"{part.origin}: the report has no total", "was this rank measured?")
    footprint = footprint_point(units.wh_to_j(total.it_energy_wh.mean), multipliers_of(part))
    it_std = total.it_energy_wh.std
    if it_std is None:
        return footprint
    # Every output is linear in IT energy, so its spread scales like the mean.
    return _with_std(
        footprint, it_std / total.it_energy_wh.mean if total.it_energy_wh.mean else 0.0
    )


def _with_std(footprint: Footprint, relative: float) -> Footprint:
    def spread(stat: Stat) -> dict[str, Any]:
        return {**plain(stat), "std": stat.mean * relative}

    water = footprint.water_ml
    return Footprint(
        energy_wh=Stat(**spread(footprint.energy_wh)),
        it_energy_wh=Stat(**spread(footprint.it_energy_wh)),
        water_ml=WaterStat(
            **{
                **spread(water),
                "site": Stat(**spread(water.site)),
                "source": Stat(**spread(water.source)),
            }
        ),
        carbon_g=Stat(**spread(footprint.carbon_g)),
    )


def sum_stats(stats: Sequence[Stat]) -> Stat:
    """Sum of quantities: means, mins and maxes add; std adds in quadrature (independent parts)."""
    stds = [s.std for s in stats]
    return Stat(
        mean=math.fsum(s.mean for s in stats),
        min=math.fsum(s.min for s in stats),
        max=math.fsum(s.max for s in stats),
        std=None
        if any(s is None for s in stds)
        else math.sqrt(math.fsum(s * s for s in stds if s)),
    )


def sum_footprints(footprints: Sequence[Footprint]) -> Footprint:
    """Add footprints figure by figure (embodied carbon only when every part has it)."""
    embodied = [f.embodied_carbon_g for f in footprints]
    return Footprint(
        energy_wh=sum_stats([f.energy_wh for f in footprints]),
        it_energy_wh=sum_stats([f.it_energy_wh for f in footprints]),
        water_ml=WaterStat(
            **plain(sum_stats([f.water_ml for f in footprints])),
            site=sum_stats([f.water_ml.site for f in footprints]),
            source=sum_stats([f.water_ml.source for f in footprints]),
        ),
        carbon_g=sum_stats([f.carbon_g for f in footprints]),
        embodied_carbon_g=None
        if None in embodied
        else sum_stats([e for e in embodied if e is not None]),
    )


def _runs(parts: Sequence[Part], notes: list[str]) -> list[Footprint] | None:
    """Run i of the job is run i of every rank, recomputed per host; only if counts agree."""
    counts = {len(p.report.runs or []) for p in parts}
    if counts == {0}:
        return None
    if len(counts) != 1:
        notes.append(f"per-run figures dropped: the reports hold {sorted(counts)} runs")
        return None
    per_part = [
        [
            footprint_point(units.wh_to_j(run.it_energy_wh.mean), multipliers_of(p))
            for run in p.report.runs or []
        ]
        for p in parts
    ]
    return [sum_footprints(list(runs)) for runs in zip(*per_part, strict=True)]


def _common_inputs(parts: Sequence[Part]) -> dict[str, Any]:
    """The inputs every merged report shares (e.g. the grid of a one-site job)."""
    first = parts[0].report.inputs
    return {
        k: v
        for k, v in first.items()
        if all(k in p.report.inputs and p.report.inputs[k].value == v.value for p in parts)
    }


def _record(part: Part, recomputed: Footprint) -> dict[str, Any]:
    host_uuids = devices_of(part.report)
    return {
        "origin": part.origin,
        "label": part.report.label,
        "host": host_uuids[0][0] if host_uuids else None,
        "gpu_uuids": [uuid for _, uuid in host_uuids],
        "runs": run_ids(part.report),
        "exit_status": failed_status(part.report) or 0,
        "it_energy_wh": recomputed.it_energy_wh.mean,
        "energy_wh": recomputed.energy_wh.mean,
        "carbon_g": recomputed.carbon_g.mean,
    }
