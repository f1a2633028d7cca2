"""Table renderer: the human summary, through rich (the only module that imports rich.table)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecoai.models import Report
from ecoai.render.equivalence import equivalences
from ecoai.render.quantity import assumptions, fmt, fmt_range, rows, scopes_present
from ecoai.render.text import printable
from ecoai.units import HOURS_PER_YEAR

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text


def render_table(
    report: Report, *, width: int = 100, color: bool = False, explain: bool = False
) -> str:
    """The report as rich tables, returned as a string (ANSI styles only when ``color``).

    Every cell is a ``rich.text.Text``, never markup: a value or a source such as a scenario
    file's path ``runs/[exp1]/s.toml`` is shown as it is (as markup, ``[exp1]`` was taken for a
    style and vanished), and no cell is parsed for markup and emoji codes.
    """
    import io

    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    console = Console(
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        file=out,
        highlight=False,
    )
    console.print(_title(report))
    console.print(_figures(report))
    for line in _largest_equivalences(report):
        console.print(Text(f"≈ {line}", style="dim"))
    console.print(_assumptions(report))
    if explain and report.intermediate:
        console.print(_intermediate(report))
    if report.kind == "measured":
        from ecoai.render.measured import measured_section

        console.print(measured_section(report), markup=False)
    for note in report.notes:
        console.print(f"note: {printable(note)}", style="yellow", markup=False)
    return out.getvalue()


def _title(report: Report) -> Text:
    what = report.label or ", ".join(
        str(report.inputs[k].value)
        for k in ("model", "prompt", "task", "host", "grid")
        if k in report.inputs
    )
    if not what and report.measurement is not None:
        import shlex

        what = shlex.join(report.measurement.command)
    from ecoai.render.measured import title_kind

    kind = title_kind(report)
    method: str = "modelled" if kind == "modelled" else report.method.statistic
    if report.method.samples:
        method += f", {report.method.samples:,} draws, seed {report.method.seed}"
    method_text = "" if method == kind else f" ({method})"  # "merged (merged)" says it twice
    from rich.text import Text  # a command or label is text, never rich markup

    return Text.assemble(
        (f"ecoai {kind}", "bold"), f"{': ' + printable(what) if what else ''}{method_text}"
    )


def _figures(report: Report) -> Table:
    from rich.table import Table
    from rich.text import Text

    scopes = scopes_present(report)
    table = Table(show_edge=False, header_style="bold")
    table.add_column("", overflow="fold")
    first = scopes[0][2] if scopes else None
    for _key, heading, _fp in scopes:
        table.add_column(heading, justify="right", overflow="fold")
        if _key == scopes[0][0]:
            table.add_column("range (min – max)", justify="right", style="dim", overflow="fold")
            if first is not None and first.energy_wh.std is not None:
                table.add_column("std", justify="right", style="dim", overflow="fold")
    if first is None:
        return table
    has_std = first.energy_wh.std is not None
    for index, (label, kind, stat) in enumerate(rows(first)):
        cells = [label, fmt(stat.mean, kind), fmt_range(stat, kind)]
        if has_std:
            cells.append(fmt(stat.std, kind) if stat.std is not None else "")
        for _key, _heading, fp in scopes[1:]:
            other = rows(fp)
            cells.append(fmt(other[index][2].mean, kind) if index < len(other) else "")
        table.add_row(*(Text(cell) for cell in cells))
    return table


def _largest_equivalences(report: Report) -> list[str]:
    # Per-day and per-year totals are rates too: they get the continuous power line.
    periods = ((report.per_year, HOURS_PER_YEAR), (report.total, None), (report.per_day, 24.0))
    for footprint, hours in periods:
        if footprint is not None:
            return equivalences(footprint, hours)
    return []


def _assumptions(report: Report) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="assumptions", title_justify="left", show_edge=False, header_style="bold")
    for heading in ("input", "value", "source"):
        table.add_column(heading, overflow="fold")
    rows_, citations = assumptions(report)
    for row in rows_:
        table.add_row(*(Text(printable(cell)) for cell in row))
    if citations:
        table.caption = Text(
            "\n".join(f"[{i}] {printable(text)}" for i, text in enumerate(citations, 1)),
            style="table.caption",  # what rich gives a caption given as a string
        )
        table.caption_justify = "left"
    return table


def _intermediate(report: Report) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="intermediate values", title_justify="left", show_edge=False)
    table.add_column("quantity", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    for name, number in report.intermediate.items():
        table.add_row(Text(name), Text(f"{number:.6g}"))
    return table
