"""Render a Comparison as a string: table (rich), markdown (a PR comment), CSV, JSON. No I/O."""

from __future__ import annotations

import csv
import io
from typing import assert_never

from ecoai.comparison.model import Cell, Comparison, GateResult, Row
from ecoai.errors import InputError
from ecoai.metrics import FOOTPRINT_HEADINGS, METRIC_BY_NAME
from ecoai.render import MEASURED_RUN_FORMATS, Format, format_names
from ecoai.render.quantity import fmt


def render_comparison(
    comparison: Comparison, fmt: Format, *, width: int = 100, color: bool = False
) -> str:
    """Render ``comparison`` in ``fmt``; the table is ``width`` columns wide.

    Every member of ``Format`` renders or refuses with an InputError (``assert_never`` makes
    mypy prove it is handled). Raises InputError for the formats of one measured run.
    """
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
    return f"{row.label} ({FOOTPRINT_HEADINGS[row.scope]})"


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
            evidence = f"{t.confidence:.0%} interval {t.interval[0]:.3f}–{t.interval[1]:.3f}"
        else:
            evidence = ""
        verdict = "significant" if t.significant else "not significant"
        test = f" ({t.name} {evidence}, {verdict})"
    scope = "" if gate.scope == "per_query" else " total"
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
    from rich.table import Table

    table = Table(title=f"ecoai compare — baseline: {comparison.baseline}", title_justify="left")
    table.add_column("Metric")
    for item in comparison.items:
        table.add_column(item.label, justify="right")
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
    scope = "" if gate.scope == "per_query" else "total."
    spec = gate.spec if gate.spec.startswith(scope) else scope + gate.spec
    return f"| `{spec}` | {_md(gate.item)} | {seen} | {test} | {verdict} |"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


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
                    comparison.items[index].label,
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
    return out.getvalue()


def _baseline_index(comparison: Comparison) -> int:
    return [i.label for i in comparison.items].index(comparison.baseline)
