"""Read report JSON files (or stdin) with one-line errors for every way they can be wrong."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from ecoai.errors import InputError
from ecoai.files import read_user_text
from ecoai.models import SCHEMA_VERSION, Report, non_finite_path


def read_report(path: str, stdin: TextIO | None = None) -> Report:
    """Read one report; ``-`` reads standard input (e.g. ``ecoai estimate --json | ...``)."""
    name = "<stdin>" if path == "-" else path
    text = _read_text(path, stdin)
    try:
        # Fast path (pydantic parses the JSON itself); on any problem, diagnose it below.
        report = Report.model_validate_json(text)
        if report.schema_version == SCHEMA_VERSION:
            return _finite(report, name)
    except ValidationError:
        pass
    try:
        data = json.loads(text)
    except RecursionError:
        raise InputError(
            f"{name}: nested too deeply to be a report",
            "give a report written by `ecoai estimate --json` or `ecoai profile -o`",
        ) from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{name}: not JSON ({error.msg} at line {error.lineno})",
            "give a report written by `ecoai estimate --json` or `ecoai profile -o`",
        ) from None
    return parse_report(data, name)


def _read_text(path: str, stdin: TextIO | None) -> str:
    if path == "-":
        return (stdin or sys.stdin).read()
    return read_user_text(Path(path), "a report JSON file")


def parse_report(data: Any, name: str) -> Report:
    """Validate parsed JSON as a Report, naming what is wrong in one line."""
    if not isinstance(data, dict) or "schema_version" not in data:
        raise InputError(
            f"{name}: not an ecoai report (no schema_version)",
            "give a report written by `ecoai estimate --json` or `ecoai profile -o`",
        )
    if data.get("kind") == "comparison":
        raise InputError(
            f"{name}: is a comparison, not a report", "compare the reports it came from"
        )
    version = data["schema_version"]
    if version != SCHEMA_VERSION:
        raise InputError(
            f"{name}: report schema_version {version!r}; this ecoai reads {SCHEMA_VERSION}",
            "regenerate the report with this version of ecoai",
        )
    try:
        return _finite(Report.model_validate(data), name)
    except ValidationError as error:
        problems = [
            f"{name}: invalid report: {_dotted(detail['loc']) or 'report'}: {detail['msg']}"
            for detail in error.errors()
        ]
        shown = problems[:10] + (
            [f"... and {len(problems) - 10} more"] if len(problems) > 10 else []
        )
        raise InputError(
            shown[0],
            f"{len(problems)} problem(s); regenerate it with this ecoai",
            details=shown[1:],
        ) from None


def _finite(report: Report, name: str) -> Report:
    """``report`` if every number in it is finite (NaN or 1e400 would poison every ratio) and
    no energy, water or carbon figure is negative or out of order (``ecoai.sanity``)."""
    from ecoai.sanity import report_problem

    data = report.model_dump()
    found = report_problem(data)
    if found is None:  # no problem, so no NaN or infinity either: one walk, not two
        return report
    where = non_finite_path(data)
    if where is not None:
        raise InputError(
            f"{name}: invalid report: {_dotted(where)}: not a finite number",
            "regenerate it with this ecoai",
        )
    raise InputError(
        f"{name}: invalid report: {_dotted(found[0])}: {found[1]}",
        "energy, water and carbon are never negative; regenerate it with this ecoai",
    )


def _dotted(loc: Sequence[str | int]) -> str:
    """A validation location as ``total.energy_wh.mean``; odd keys quoted."""
    return ".".join(str(p) if str(p).isidentifier() or isinstance(p, int) else repr(p) for p in loc)
