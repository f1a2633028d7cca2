"""Renderers: pure functions from a Report to a string, one per output format.

Holds the ``Format`` enum beside its dispatch, so a new format is one member here plus one
module in this folder. Renderers never open files or print; they may import the vocabulary
(``ecoai.models``, ``ecoai.units``, ``ecoai.metrics``, ``ecoai.errors``), the contracts they
render (``comparison.model``, ``inputs.catalog_schema``) and rich; never ``files``, the input
edges, ``measurement``, ``sensors``, ``watch``, ``estimation``, ``commands`` or ``cli``
(checked by ``lint-imports``; ``catalog`` still imports ``inputs.catalog``, listed there).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

from ecoai.errors import InputError

if TYPE_CHECKING:
    from ecoai.models import Report


class Format(StrEnum):
    """Output formats; every member has a renderer (tested)."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    CSV = "csv"
    CODECARBON_CSV = "codecarbon-csv"
    MODEL_CARD = "model-card"


MEASURED_RUN_FORMATS = (Format.CODECARBON_CSV, Format.MODEL_CARD)
"""Formats that describe one measured run: an estimate, a merge without runs and a comparison
refuse them with an InputError."""


def format_names(formats: Iterable[Format] = Format) -> str:
    """The formats' names for help and hints, e.g. ``table, json, markdown or csv``."""
    names = [f.value for f in formats]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


_EXTENSIONS = {
    ".json": Format.JSON,
    ".md": Format.MARKDOWN,
    ".csv": Format.CSV,
    ".txt": Format.TABLE,
}


EXTENSIONS_HELP = (
    "Default: by the -o extension (.json, .md, .csv; .txt = table), json for a file without one,"
    " table on stdout; another extension is an error unless --format is given."
)
"""What the help of -f/--format says ``choose_format`` does without it."""


def choose_format(
    requested: str | None,
    json_flag: bool,
    output: str | None,
    accepted: Iterable[Format] = Format,
) -> Format:
    """Pick the format: --json, then --format, then the output file's extension, then table.

    A file without an extension (``-o report``, ``-o /dev/stdout``) gets JSON; an extension
    that names no format (``.html``) is an InputError naming those that do, so nothing is
    written in a format the user did not ask for. ``accepted`` are the command's formats.
    """
    accepted = tuple(accepted)
    if requested is not None and not requested.strip():
        raise InputError("--format: the format name is empty", f"choose {format_names(accepted)}")
    if json_flag:
        if requested is not None and requested != Format.JSON:
            raise InputError(
                f"--json and --format {requested} ask for two formats",
                "give one of them (--json is --format json)",
            )
        return Format.JSON
    if requested is not None:
        try:
            chosen = Format(requested)
        except ValueError:
            chosen = None
        if chosen is None or chosen not in accepted:
            raise InputError(
                f"unknown format {requested!r}"
                if chosen is None
                else f"--format {requested} needs a measured report: not one this command writes",
                f"choose {format_names(accepted)}",
            )
        return chosen
    if output and output != "-":
        suffix = Path(output).suffix.lower()
        if not suffix:
            return Format.JSON
        if suffix not in _EXTENSIONS:
            raise InputError(
                f"-o {output}: {suffix} names no output format",
                "name the file .json, .md, .csv or .txt, or choose the format with --format"
                " (--help lists them)",
            )
        return _EXTENSIONS[suffix]
    return Format.TABLE


def render(
    report: Report, fmt: Format, *, width: int = 100, color: bool = False, explain: bool = False
) -> str:
    """Render ``report`` in ``fmt``; never opens files or prints.

    Every member of ``Format`` is handled (``assert_never`` makes mypy prove it). A negative or
    non-finite energy, water or carbon figure raises ``ImplausibleReportError`` instead
    (``ecoai.sanity``: the one check before any report is written).
    """
    from ecoai.models import plain
    from ecoai.sanity import check_before_writing

    check_before_writing(plain(report))
    match fmt:
        case Format.JSON:
            from ecoai.render.json import render_json

            return render_json(report)
        case Format.MARKDOWN:
            from ecoai.render.markdown import render_markdown

            return render_markdown(report, explain=explain)
        case Format.CSV:
            from ecoai.render.csv import render_csv

            return render_csv(report)
        case Format.CODECARBON_CSV:
            from ecoai.render.interop import render_codecarbon_csv

            return render_codecarbon_csv(report)
        case Format.MODEL_CARD:
            from ecoai.render.interop import render_model_card

            return render_model_card(report)
        case Format.TABLE:
            from ecoai.render.table import render_table

            return render_table(report, width=width, color=color, explain=explain)
        case _:
            assert_never(fmt)
