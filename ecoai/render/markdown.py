"""Markdown renderer: a report ready to paste into a pull-request comment."""

from __future__ import annotations

from ecoai.models import Report
from ecoai.render.quantity import assumptions, fmt, fmt_range, rows, scopes_present
from ecoai.render.text import md_cell, printable


def render_markdown(report: Report, *, explain: bool = False) -> str:
    """The report's figures and assumptions as GitHub-flavoured markdown tables."""
    scopes = scopes_present(report)
    from ecoai.render.measured import title_kind

    kind = title_kind(report)
    lines = [f"### ecoai {kind}" + (f": {md_cell(report.label)}" if report.label else ""), ""]
    if scopes:
        head = ["metric", scopes[0][1], "range (min – max)"] + [h for _k, h, _f in scopes[1:]]
        lines += [_row(head), _row(["---"] + ["---:"] * (len(head) - 1))]
        others = [rows(fp) for _k, _h, fp in scopes[1:]]
        for index, (label, kind, stat) in enumerate(rows(scopes[0][2])):
            cells = [label.strip(), fmt(stat.mean, kind), fmt_range(stat, kind) or "—"]
            cells += [fmt(o[index][2].mean, kind) for o in others if index < len(o)]
            lines.append(_row(cells))
    from ecoai.render.per_unit import workload_markdown

    lines += workload_markdown(report)
    lines += ["", "| input | value | source |", "| --- | --- | --- |"]
    table, citations = assumptions(report)
    lines += [_row([f"`{name}`", value, source]) for name, value, source in table]
    if citations:
        lines += [""] + [f"[{i}] {printable(text)}  " for i, text in enumerate(citations, 1)]
    if explain and report.intermediate:
        lines += ["", "| quantity | value |", "| --- | ---: |"]
        lines += [_row([f"`{k}`", f"{v:.6g}"]) for k, v in report.intermediate.items()]
    lines += [""] + [f"> note: {printable(note)}" for note in report.notes]
    return "\n".join(lines).rstrip() + "\n"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(md_cell(cell) for cell in cells) + " |"
