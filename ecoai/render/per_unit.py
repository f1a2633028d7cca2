"""The per-query, per-token and per-phase part of a measured summary (plain text)."""

from __future__ import annotations

from ecoai.models import Footprint, Report, Workload
from ecoai.render.quantity import fmt
from ecoai.render.text import md_cell, printable


def _cells(footprint: Footprint) -> str:
    return (
        f"{fmt(footprint.energy_wh.mean, 'energy'):>11} {fmt(footprint.water_ml.mean, 'water'):>11}"
        f" {fmt(footprint.carbon_g.mean, 'carbon'):>11}"
    )


def workload_section(report: Report) -> str:
    """Per query, per 1,000 output tokens, throughput, phases and event-file problems."""
    m = report.measurement
    work = m.workload if m else None
    if m is None or work is None:
        return ""
    lines = [_per_unit(report, work)]
    if work.queries_per_s or work.output_tokens_per_s:
        lines.append("throughput: " + _throughput(work))
    lines += _serving_lines(work)
    if work.phases:
        lines.append(
            f"  {'phase':<18}{'windows':>8}{'time':>9}{'share':>7} "
            f"{'energy':>11} {'water':>11} {'carbon':>11}"
        )
        for phase in [*work.phases, *([work.outside_phases] if work.outside_phases else [])]:
            windows = f"{phase.windows:g}" if phase.windows else ""
            lines.append(
                f"  {printable(phase.name)[:18]:<18}{windows:>8}{phase.duration_s:>8.2f}s"
                f"{phase.share:>7.1%} {_cells(phase.footprint)}"
            )
    lines += _event_notes(report)
    return "\n".join(lines)


def _per_unit(report: Report, work: Workload) -> str:
    source = {
        "events": "from the event file",
        "server": "from the server's metrics",
        "flag": "from --queries",
    }[work.queries_from]
    head = f"per unit ({work.queries:g} queries {source}"
    if work.output_tokens:
        head += f", {work.output_tokens:g} output tokens"
    lines = [head + "):", f"  {'':<18}{'':>31}{'energy':>11} {'water':>11} {'carbon':>11}"]
    if report.per_query is not None:
        lines.append(f"  {'per query':<49}{_cells(report.per_query)}")
    if work.per_1k_output_tokens is not None:
        lines.append(f"  {'per 1,000 output tokens':<49}{_cells(work.per_1k_output_tokens)}")
    return "\n".join(lines)


def _throughput(work: Workload, serving: bool = False) -> str:
    parts = []
    queries_per_s = work.serving_queries_per_s if serving else work.queries_per_s
    tokens_per_s = work.serving_output_tokens_per_s if serving else work.output_tokens_per_s
    if queries_per_s:
        parts.append(f"{queries_per_s:.3g} queries/s")
    if tokens_per_s:
        parts.append(f"{tokens_per_s:,.0f} output tokens/s")
    return ", ".join(parts)


def _serving_lines(work: Workload) -> list[str]:
    """The serving window (first to last query event) and the start-up before it."""
    lines = []
    if work.serving_per_query is not None and work.serving_s is not None:
        lines.append(
            f"serving window (first to last query event, {work.serving_s:.2f} s, "
            f"{work.serving_queries or 0:g} queries after the first):"
        )
        lines.append(f"  {'per query':<49}{_cells(work.serving_per_query)}")
        if work.serving_per_1k_output_tokens is not None:
            per_1k = work.serving_per_1k_output_tokens
            lines.append(f"  {'per 1,000 output tokens':<49}{_cells(per_1k)}")
        for name, footprint in work.serving_per_request.items():
            label = f"per request, {name} (split by tokens{_weight(work)})"
            lines.append(f"  {label:<49}{_cells(footprint)}")
        if work.serving_queries_per_s or work.serving_output_tokens_per_s:
            lines.append("  throughput: " + _throughput(work, serving=True))
    if work.startup is not None:
        lines.append(
            f"start-up (run start to the first query event, {work.startup.duration_s:.2f} s, "
            f"{work.startup.share:.1%} of the energy):"
        )
        lines.append(f"  {'start-up':<49}{_cells(work.startup.footprint)}")
    if work.idle is not None:
        lines.append(
            f"idle (last query event to the run's end, {work.idle.duration_s:.2f} s, "
            f"{work.idle.share:.1%} of the energy):"
        )
        lines.append(f"  {'idle':<49}{_cells(work.idle.footprint)}")
    return lines


def _event_notes(report: Report) -> list[str]:
    assert report.measurement is not None
    lines = []
    for run in report.measurement.runs:
        work = run.work
        if work is None:
            continue
        if work.malformed_events:
            example = work.malformed_examples[0] if work.malformed_examples else None
            first = f" (first: {printable(example)})" if example else ""
            lines.append(f"events: {work.malformed_events} malformed line(s) skipped{first}")
        if work.unclosed_phases:
            lines.append(
                "events: phase(s) never ended, closed at exit: "
                + ", ".join(printable(name) for name in work.unclosed_phases)
            )
        if work.unmatched_phase_ends:
            lines.append(f"events: {work.unmatched_phase_ends} phase end(s) without a start")
    return list(dict.fromkeys(lines))


def workload_scopes(report: Report) -> list[tuple[str, str, Footprint]]:
    """(scope key, heading, footprint) for per-1k-token and per-phase figures (CSV, markdown)."""
    work = report.measurement.workload if report.measurement else None
    if work is None:
        return []
    scopes = []
    if work.per_1k_output_tokens is not None:
        scopes.append(
            ("per_1k_output_tokens", "per 1,000 output tokens", work.per_1k_output_tokens)
        )
    if work.serving_per_query is not None:
        scopes.append(("serving_per_query", "per query, serving window", work.serving_per_query))
    if work.serving_per_1k_output_tokens is not None:
        scopes.append(
            (
                "serving_per_1k_output_tokens",
                "per 1,000 output tokens, serving window",
                work.serving_per_1k_output_tokens,
            )
        )
    for name, footprint in work.serving_per_request.items():
        heading = f"per request {name}, serving window (split by tokens{_weight(work)})"
        scopes.append((f"serving_per_request_{name}", heading, footprint))
    if work.startup is not None:
        scopes.append(("startup", "start-up, before the first query", work.startup.footprint))
    if work.idle is not None:
        scopes.append(("idle", "idle, after the last query", work.idle.footprint))
    for phase in [*work.phases, *([work.outside_phases] if work.outside_phases else [])]:
        scopes.append((f"phase:{phase.name}", f"phase {phase.name}", phase.footprint))
    return scopes


def workload_markdown(report: Report) -> list[str]:
    """Markdown rows: one per per-unit scope, with energy, water and carbon."""
    scopes = workload_scopes(report)
    if not scopes:
        return []
    lines = ["", "| per unit | energy | water | carbon |", "| --- | ---: | ---: | ---: |"]
    if report.per_query is not None:
        scopes = [("per_query", "per query", report.per_query), *scopes]
    for _key, heading, fp in scopes:
        lines.append(
            f"| {md_cell(heading)} | {fmt(fp.energy_wh.mean, 'energy')} | "
            f"{fmt(fp.water_ml.mean, 'water')}"
            f" | {fmt(fp.carbon_g.mean, 'carbon')} |"
        )
    work = report.measurement.workload if report.measurement else None
    if work is not None and work.serving_s is not None:
        rate = _throughput(work, serving=True)
        text = (
            f"Serving window (first to last query event): {work.serving_s:.2f} s, "
            f"{work.serving_queries or 0:g} queries after the first"
        )
        lines += ["", text + (f", {rate}" if rate else "")]
    return lines


def throughput_rows(report: Report) -> list[tuple[str, str, str, float]]:
    """(scope, metric, unit, value) rows of throughput for CSV: whole run and serving window."""
    work = report.measurement.workload if report.measurement else None
    if work is None:
        return []
    rows = [
        ("run", "queries_per_s", "1/s", work.queries_per_s),
        ("run", "output_tokens_per_s", "1/s", work.output_tokens_per_s),
        ("serving_window", "duration_s", "s", work.serving_s),
        ("serving_window", "queries_per_s", "1/s", work.serving_queries_per_s),
        ("serving_window", "output_tokens_per_s", "1/s", work.serving_output_tokens_per_s),
    ]
    return [(a, b, c, v) for a, b, c, v in rows if v is not None]


def _weight(work: Workload) -> str:
    """``, prompt x0.25``: the prompt token's weight in the per-request split."""
    weight = work.prompt_token_weight
    return f", prompt x{weight:g}" if weight is not None else ""
