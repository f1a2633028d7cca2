"""`ecoai merge`: add up the measured reports of one job's ranks or nodes into one report."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime

import typer

from ecoai.commands import options
from ecoai.commands.debug import debug_option

HELP = """Add up measured reports from the ranks or nodes of one job (torchrun, Slurm).

Each report's IT energy is converted with its own host's PUE, WUE and grid carbon intensity,
then summed. The same GPU (host and UUID) in two reports is refused: with `ecoai profile
--per-node` only local rank 0 of each node measures its devices. The merged report records which
reports it came from; `ecoai compare` reads it like any other.
"""


def merge_command(
    reports: list[str] = typer.Argument(..., help="Measured report .json files ('-' = stdin)."),
    *,
    queries: int | None = typer.Option(
        None,
        "--queries",
        parser=options.number_parser("--queries", "int", "queries", "queries served", low=1),
        show_default=False,
        help="Queries the whole job served, for per-query figures.",
    ),
    label: str | None = typer.Option(None, "--label", show_default=False, help="Report label."),
    json_output: bool = options.JSON_OPTION,
    format_name: str | None = options.REPORT_FORMAT_OPTION,
    output: str | None = options.OUTPUT_OPTION,
    force: bool = options.FORCE_OPTION,
    debug: bool = debug_option(),
) -> None:
    from ecoai import __version__
    from ecoai.comparison.merge import Part, merge
    from ecoai.errors import InputError
    from ecoai.files import check_not_an_input, write_text
    from ecoai.render import render
    from ecoai.report_files import read_report

    fmt, destination = options.output_target(format_name, json_output, output, force)
    check_not_an_input("-o", destination, reports)
    if len(set(reports)) != len(reports):
        raise InputError("a report is given twice", "give each rank's report once")
    parts = [Part(path, read_report(path, sys.stdin)) for path in reports]
    merged = merge(parts, version=__version__, now=datetime.now(UTC), queries=queries)
    from ecoai.comparison.merge import failed_notes

    for note in failed_notes(parts):  # also in the report's notes; a gate refuses it
        print(f"ecoai: warning: {note}", file=sys.stderr)
    if label is not None:
        merged = replace(merged, label=label)
    write_text(destination, render(merged, fmt, width=100, color=False), overwrite=force)
    total = merged.total
    assert total is not None
    from ecoai.render.quantity import fmt as quantity

    print(  # the table's own formatter: the same units on stderr as in the report
        f"ecoai: merged {len(parts)} reports: {quantity(total.energy_wh.mean, 'energy')}, "
        f"{quantity(total.water_ml.mean, 'water')}, {quantity(total.carbon_g.mean, 'carbon')} CO2e",
        file=sys.stderr,
    )


def register(app: typer.Typer) -> None:
    """Add `ecoai merge` to ``app``."""
    app.command("merge", help=HELP)(merge_command)
