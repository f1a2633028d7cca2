"""Render a Comparison as a string: table (rich), markdown (a PR comment), CSV, JSON. No I/O."""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING, assert_never

from ecoai.comparison.model import (
    Amount,
    Cell,
    Comparison,
    GateResult,
    ItemSaving,
    Row,
    Savings,
)
from ecoai.errors import InputError
from ecoai.metrics import FOOTPRINT_HEADINGS, METRIC_BY_NAME
from ecoai.render import MEASURED_RUN_FORMATS, Format, format_names
from ecoai.render.quantity import fmt
from ecoai.render.text import csv_cell, md_cell, printable

if TYPE_CHECKING:
    from rich.console import Console

SCOPE_HEADINGS = {**FOOTPRINT_HEADINGS, "per_1k_output_tokens": "per 1,000 output tokens"}
"""The heading of each comparison scope (``models.FigureScope``)."""


def render_comparison(
    comparison: Comparison, fmt: Format, *, width: int = 100, color: bool = False
) -> str:
    """Render ``comparison`` in ``fmt``; the table is ``width`` columns wide.

    Every member of ``Format`` renders or refuses with an InputError (``assert_never`` makes
    mypy prove it is handled). Raises InputError for the formats of one measured run, and
    ``ecoai.sanity.ImplausibleReportError`` for a negative or non-finite figure.
    """
    from ecoai.sanity import check_before_writing, comparison_is_plain

    if not comparison_is_plain(comparison):  # else the dump below would find nothing
        check_before_writing(comparison.model_dump(), "comparison", comparison=True)
    match fmt:
        case Format.JSON:
            return comparison.model_dump_json(indent=2)
        case Format.MARKDOWN:
            return render_comparison_markdown(comparison)
        case Format.CSV:
            return render_comparison_csv(comparison)
        case Format.TABLE:
            return render_comparison_table(comparison, width=width, color=color)
        case Format.CODECARBON_CSV | Format.MODEL_CARD:
            raise InputError(
                f"--format {fmt.value} describes one measured run, not a comparison",
                f"choose {format_names(COMPARISON_FORMATS)}",
            )
        case _:
            assert_never(fmt)


COMPARISON_FORMATS = tuple(f for f in Format if f not in MEASURED_RUN_FORMATS)
"""The formats a comparison renders in; the others refuse."""


def value_text(cell: Cell, metric: str, sep: str = " ") -> str:
    """The value of ``metric`` with a readable unit and its spread (± std) or range [min–max]."""
    kind = METRIC_BY_NAME[metric].quantity
    text = fmt(cell.mean, kind)
    if cell.std:
        text += f" ± {fmt(cell.std, kind)}"
    elif cell.min != cell.max:
        text += f"{sep}[{fmt(cell.min, kind)} – {fmt(cell.max, kind)}]"
    return text


def ratio_text(cell: Cell, is_baseline: bool) -> str:
    """``1.00`` for the baseline, ``1.10× (+10.0%)`` for the others."""
    if is_baseline:
        return "1.00 (baseline)"
    if cell.ratio is None or cell.change_pct is None:
        return "n/a"
    return f"{cell.ratio:.2f}× ({cell.change_pct:+.1f}%)"


def row_title(row: Row) -> str:
    return f"{row.label} ({SCOPE_HEADINGS[row.scope]})"


def gate_text(gate: GateResult) -> str:
    """One gate verdict on one line, e.g. ``FAIL energy=5% [new]: +10.0% vs max +5.0%``."""
    value, limit = _seen(gate)
    seen = f"{value} vs {limit}"
    test = ""
    if gate.test is not None:
        t = gate.test
        if t.p_value is not None:
            evidence = f"p={t.p_value:.3g}"
        elif t.interval is not None:
            # the ratio of the item to the gate's limit, between the bootstrap's (1 - c) and c
            # percentiles: significant at c (one-sided) when the low end is above 1
            low_pct, high_pct = 100 * (1 - t.confidence), 100 * t.confidence
            evidence = (
                f"ratio to the limit P{low_pct:.3g}–P{high_pct:.3g} "
                f"{t.interval[0]:.3f}–{t.interval[1]:.3f}"
            )
        else:
            evidence = ""
        verdict = "significant" if t.significant else "not significant"
        test = f" ({t.name} {evidence}, {verdict})"
    scope = "" if gate.scope == "per_query" else " " + SCOPE_HEADINGS[gate.scope]
    return f"{gate.verdict.upper()} {gate.spec} [{gate.item}{scope}]: {seen}{test}"


def _seen(gate: GateResult) -> tuple[str, str]:
    """The gate's value and its limit as text, e.g. ('+10.0%', 'max +5.0%')."""
    if gate.gate == "max_increase":
        return f"{gate.value:+.1f}%", f"max {gate.threshold:+.1f}%"
    kind = METRIC_BY_NAME[gate.metric].quantity
    return fmt(gate.value, kind), f"budget {fmt(gate.threshold, kind)}"


def comparison_summary(comparison: Comparison) -> str:
    """The human summary for stderr: how many gates, and each failure."""
    total = len(comparison.gates)
    if total == 0:
        return f"ecoai: compared {len(comparison.items)} items; no gates"
    failed = [g for g in comparison.gates if g.verdict == "fail"]
    head = f"ecoai: {total - len(failed)} of {total} gates passed"
    return "\n".join([head, *(f"  {gate_text(g)}" for g in failed)])


def render_comparison_table(
    comparison: Comparison, *, width: int = 100, color: bool = False
) -> str:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    title = f"ecoai compare — baseline: {escape(printable(comparison.baseline))}"
    table = Table(title=title, title_justify="left")
    table.add_column("Metric", overflow="fold")
    for item in comparison.items:
        table.add_column(escape(printable(item.label)), justify="right", overflow="fold")
    base = _baseline_index(comparison)
    for row in comparison.rows:
        cells = []
        for index, cell in enumerate(row.cells):
            if cell is None:
                cells.append("—")
                continue
            mark = "  ✗ FAIL" if cell.failed else ""
            ratio = ratio_text(cell, index == base)
            text = f"{value_text(cell, row.metric, sep=chr(10))}\n{ratio}{mark}"
            cells.append(f"[red]{text}[/red]" if cell.failed else text)
        table.add_row(row_title(row), *cells)
    console = Console(
        file=io.StringIO(),
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        highlight=False,
    )
    console.print(table)
    if comparison.savings is not None and comparison.savings.items:
        render_savings_table(comparison.savings, console)
    for gate in comparison.gates:
        console.print(gate_text(gate), markup=False)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def render_comparison_markdown(comparison: Comparison) -> str:
    failed = sum(g.verdict == "fail" for g in comparison.gates)
    if not comparison.gates:
        status = "no gates"
    elif failed:
        status = f"❌ {failed} of {len(comparison.gates)} gates failed"
    else:
        status = f"✅ all {len(comparison.gates)} gates passed"
    base = _baseline_index(comparison)
    labels = [
        _md(i.label) + (" (baseline)" if n == base else "") for n, i in enumerate(comparison.items)
    ]
    lines = [
        f"### ecoai compare — {status}",
        "",
        "| Metric | " + " | ".join(labels) + " |",
        "|---|" + "---:|" * len(labels),
    ]
    for row in comparison.rows:
        cells = [_md_cell(cell, row.metric, n == base) for n, cell in enumerate(row.cells)]
        lines.append(f"| {row_title(row)} | " + " | ".join(cells) + " |")
    if comparison.gates:
        lines += ["", "| Gate | Item | Seen | Test | Verdict |", "|---|---|---|---|---|"]
        lines += [_md_gate(g) for g in comparison.gates]
    if comparison.savings is not None and comparison.savings.items:
        lines += ["", render_savings_markdown(comparison.savings).rstrip("\n")]
    return "\n".join(lines) + "\n"


def _md_cell(cell: Cell | None, metric: str, is_baseline: bool) -> str:
    if cell is None:
        return "—"
    text = f"{value_text(cell, metric)}<br>{ratio_text(cell, is_baseline)}"
    return text + " ❌" if cell.failed else text


def _md_gate(gate: GateResult) -> str:
    value, limit = _seen(gate)
    seen = f"{value} ({limit})"
    test = "—"
    if gate.test is not None:
        t = gate.test
        evidence = (
            f"p = {t.p_value:.3g}"
            if t.p_value is not None
            else (f"{t.interval[0]:.3f}–{t.interval[1]:.3f}" if t.interval else "")
        )
        test = f"{t.name} {evidence}"
    verdict = "✅ pass" if gate.verdict == "pass" else "❌ fail"
    scope = "" if gate.scope == "per_query" else gate.scope + "."
    spec = gate.spec if gate.spec.startswith(scope) else scope + gate.spec
    return f"| `{spec}` | {_md(gate.item)} | {seen} | {test} | {verdict} |"


def _md(text: str) -> str:
    return md_cell(text)


def render_comparison_csv(comparison: Comparison) -> str:
    """Long format: one line per metric, scope and item."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "scope",
            "metric",
            "unit",
            "item",
            "baseline",
            "mean",
            "min",
            "max",
            "std",
            "ratio",
            "change_pct",
            "failed",
        ]
    )
    base = _baseline_index(comparison)
    for row in comparison.rows:
        for index, cell in enumerate(row.cells):
            if cell is None:
                continue
            writer.writerow(
                [
                    row.scope,
                    row.metric,
                    row.unit,
                    csv_cell(comparison.items[index].label),
                    index == base,
                    cell.mean,
                    cell.min,
                    cell.max,
                    "" if cell.std is None else cell.std,
                    "" if cell.ratio is None else cell.ratio,
                    "" if cell.change_pct is None else cell.change_pct,
                    cell.failed,
                ]
            )
    if comparison.savings is not None and comparison.savings.items:
        writer.writerows(savings_csv_rows(comparison.savings))
    return out.getvalue()


def _baseline_index(comparison: Comparison) -> int:
    return [i.label for i in comparison.items].index(comparison.baseline)


# --- Savings (compare --queries-per-day / --queries): what each item avoids ---

_QUANTITY_OF_UNIT = {metric.unit: metric.quantity for metric in METRIC_BY_NAME.values()}
_SAVING_SCOPES: tuple[tuple[str, str], ...] = (
    ("per_query", "per query"),
    ("per_day", "per day"),
    ("per_year", "per year"),
    ("over_queries", "over {queries:,} queries"),
)


def saving_text(amount: Amount, unit: str, sep: str = " ") -> str:
    """An avoided amount with a readable unit and its range; an increase says so.

    ``1.20 kWh [1.00 kWh – 1.40 kWh]`` avoided; ``500 Wh increase [400 Wh – 600 Wh]`` when the
    item uses more (the range then given as an increase too).
    """
    kind = _QUANTITY_OF_UNIT[unit]
    if amount.mean < 0:
        text, low, high = f"{fmt(-amount.mean, kind)} increase", -amount.max, -amount.min
    else:
        text, low, high = fmt(amount.mean, kind), amount.min, amount.max
    if low != high:
        text += f"{sep}[{fmt(low, kind)} – {fmt(high, kind)}]"
    return text


def _saving_columns(savings: Savings) -> list[tuple[str, str]]:
    """(MetricSaving field, heading) for the scopes this Savings has."""
    present = {
        "per_query": True,
        "per_day": savings.queries_per_day is not None,
        "per_year": savings.queries_per_day is not None,
        "over_queries": savings.queries is not None,
    }
    return [
        (key, heading.format(queries=savings.queries or 0))
        for key, heading in _SAVING_SCOPES
        if present[key]
    ]


def traffic_text(savings: Savings) -> str:
    """'1,000,000 queries a day' and/or '1,000 queries'."""
    parts = []
    rate = savings.queries_per_day
    if rate is not None:
        whole = rate == int(rate) and rate < 1e15
        parts.append(f"{int(rate):,} queries a day" if whole else f"{rate:,.6g} queries a day")
    if savings.queries is not None:
        parts.append(f"{savings.queries:,} queries")
    return " and ".join(parts)


def power_saving_text(item: ItemSaving) -> str | None:
    """'avoids 12.3 kW running constantly = 1.33e-05 power plants of 1 GW' (or 'adds')."""
    from ecoai.render.equivalence import plants_text, power_text

    power, plants = item.avoided_power_w, item.avoided_plants
    if power is None or plants is None:
        return None
    verb, sign = ("avoids", 1.0) if power.mean >= 0 else ("adds", -1.0)
    text = f"{verb} {power_text(sign * power.mean)}"
    if power.min != power.max:
        low, high = sorted((sign * power.min, sign * power.max))
        text += f" [{power_text(low)} – {power_text(high)}]"
    return f"{text} running constantly = {plants_text(sign * plants.mean)} power plants of 1 GW"


def saving_notes(savings: Savings) -> list[str]:
    """The rules behind every saving: traffic, year, range rule, the power plant's source."""
    notes = [
        f"traffic: {traffic_text(savings)}"
        + (
            f"; a year is {savings.days_per_year:g} days"
            if savings.queries_per_day is not None
            else ""
        ),
        f"range: {savings.range_rule}",
    ]
    if any(item.avoided_power_w is not None for item in savings.items):
        notes.append("continuous power: facility energy per day / 24 h; " + savings.plant_source)
    return notes


def render_savings_table(savings: Savings, console: Console) -> None:
    """Print the savings table, each item's continuous power and the notes on ``console``."""
    from rich.markup import escape
    from rich.table import Table

    columns = _saving_columns(savings)
    table = Table(  # item labels are text, never rich markup (``[exp1]`` would vanish)
        title=f"avoided against {escape(printable(savings.baseline))} at {traffic_text(savings)}",
        title_justify="left",
    )
    table.add_column("Item", overflow="fold")
    table.add_column("Metric", overflow="fold")
    for _key, heading in columns:
        table.add_column(heading, justify="right", overflow="fold")
    for item in savings.items:
        for index, metric in enumerate(item.metrics):
            cells = [
                saving_text(amount, metric.unit, sep="\n") if amount is not None else "—"
                for amount in (getattr(metric, key) for key, _heading in columns)
            ]
            table.add_row(escape(printable(item.item)) if index == 0 else "", metric.label, *cells)
        table.add_section()
    console.print(table)
    for item in savings.items:
        power = power_saving_text(item)
        if power is not None:
            console.print(f"≈ {item.item}: {power}", markup=False)
    for note in saving_notes(savings):
        console.print(note, markup=False)


# Fixed units for a sustainability report: kWh, m³ and tCO2e, whatever the size.
_REPORT_UNITS = {"energy_wh": 1e3, "water_ml": 1e6, "carbon_g": 1e6}


def _report_number(value: float) -> str:
    """Three significant figures, thousands separated: 101,000 / 4.56 / 0.0123."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    digits = 2 - math.floor(math.log10(abs(value)))
    rounded = round(value, digits)
    return f"{rounded:,.{max(0, digits)}f}"


def _report_cell(amount: Amount | None, scale: float) -> str:
    if amount is None:
        return "—"
    mean, low, high = amount.mean / scale, amount.min / scale, amount.max / scale
    if mean < 0:  # an increase, stated as one (its range as an increase too)
        mean, low, high = -mean, -high, -low
    text = _report_number(mean) + (" increase" if amount.mean < 0 else "")
    if low != high:
        text += f" ({_report_number(low)} – {_report_number(high)})"
    return text


def render_savings_markdown(savings: Savings) -> str:
    """A short table of avoided kWh, m³ of water and tCO2e, assumptions and sources under it."""
    per_year = savings.queries_per_day is not None
    scope = "per_year" if per_year else "over_queries"
    if per_year:
        span = "per year at " + traffic_text(savings.model_copy(update={"queries": None}))
    else:
        span = f"over {savings.queries:,} queries"
    lines = [
        f"### Avoided against {_md(savings.baseline)} {span}",
        "",
        "| Item | Energy (kWh) | Water (m³) | Carbon (tCO₂e) |"
        + (" Continuous power | 1 GW power plants |" if per_year else ""),
        "|---|---:|---:|---:|" + ("---:|---:|" if per_year else ""),
    ]
    for item in savings.items:
        by_name = {m.metric: m for m in item.metrics}
        cells = [
            _report_cell(getattr(by_name[name], scope) if name in by_name else None, scale)
            for name, scale in _REPORT_UNITS.items()
        ]
        if per_year:
            from ecoai.render.equivalence import plants_text, power_text

            power, plants = item.avoided_power_w, item.avoided_plants
            cells += (
                ["—", "—"]
                if power is None or plants is None
                else [
                    power_text(abs(power.mean)) + (" increase" if power.mean < 0 else ""),
                    plants_text(abs(plants.mean)) + (" increase" if plants.mean < 0 else ""),
                ]
            )
        lines.append(f"| {_md(item.item)} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Figures are avoided amounts unless marked as an increase; ranges in parentheses.",
        "Energy is facility energy (IT energy × PUE); water is on-site cooling plus off-site "
        "electricity generation; carbon is operational, location-based.",
        "",
        "**Assumptions**",
        "",
        *(f"- {_md(note)}" for note in saving_notes(savings)),
    ]
    if savings.assumptions:
        lines += ["", *_assumption_lines(savings)]
    return "\n".join(lines) + "\n"


def _assumption_lines(savings: Savings) -> list[str]:
    """Inputs as a table (one row for the items sharing a value), numbered citations under it."""
    labels = list(dict.fromkeys(a.item for a in savings.assumptions))
    groups: dict[tuple[str, str, str, str | None], list[str]] = {}
    for a in savings.assumptions:
        groups.setdefault((a.input, a.value, a.source, a.citation), []).append(a.item)
    citations: list[str] = []
    lines = ["| Input | Value | Items | Source |", "|---|---|---|---|"]
    for (name, value, source, citation), items in groups.items():
        if citation:
            if citation not in citations:
                citations.append(citation)
            source += f" [{citations.index(citation) + 1}]"
        who = "all" if len(labels) > 1 and items == labels else ", ".join(items)
        lines.append(f"| {name} | {_md(value)} | {_md(who)} | {_md(source)} |")
    if citations:
        lines.append("")
        lines += [f"- [{n}] {_md(text)}" for n, text in enumerate(citations, 1)]
    return lines


def savings_csv_rows(savings: Savings) -> list[list[object]]:
    """Rows in the comparison CSV's columns: scope ``saved_per_day`` etc., then power/plants."""
    rows: list[list[object]] = []
    columns = _saving_columns(savings)
    for item in savings.items:
        for key, _heading in columns:
            for metric in item.metrics:
                amount = getattr(metric, key)
                if amount is None:
                    continue
                rows.append(
                    [f"saved_{key}", metric.metric, metric.unit, item.item, False, *_blank(amount)]
                )
        for name, unit, amount in (
            ("power_w", "W", item.avoided_power_w),
            ("power_plants_1gw", "plants", item.avoided_plants),
        ):
            if amount is not None:
                rows.append(["saved_continuous", name, unit, item.item, False, *_blank(amount)])
    return rows


def _blank(amount: Amount) -> list[object]:
    """mean, min, max, then std, ratio, change_pct and failed left empty (not a cell's)."""
    return [amount.mean, amount.min, amount.max, "", "", "", ""]
