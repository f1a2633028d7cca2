"""Read report JSON files (or stdin) with one-line errors for every way they can be wrong.

The one reader of reports, for ``compare``, ``merge``, ``calibrate`` and ``estimate --calibrate``
(an edge beside ``ecoai.files``: it reads files; no feature folder owns it).

A report is refused when it is not JSON, not a report of this schema version, invalid for the
``Report`` model, or implausible (``ecoai.sanity``: a NaN or infinite number, a negative energy,
water or carbon figure, a range out of order). ``compare`` reads 10,000 of them in one run, so a
report written by ecoai is first tried on a fast path (``_plausible``) that decides "valid and
plausible" without the walk over every number; anything it cannot decide goes through the full
path, which alone words the errors.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic_core import SchemaValidator

from ecoai.errors import InputError
from ecoai.files import read_user_text
from ecoai.models import SCHEMA_VERSION, Report, Stat, non_finite_path, plain
from ecoai.validation import ValidationError, adapter, validate_json


def read_report(path: str, stdin: TextIO | None = None) -> Report:
    """Read one report; ``-`` reads standard input (e.g. ``ecoai estimate --json | ...``)."""
    name = "<stdin>" if path == "-" else path
    text = _read_text(path, stdin)
    fast = _plausible(text)
    if fast is not None:
        return fast
    return read_report_text(text, name)


def read_report_text(text: str, name: str) -> Report:
    """The full path: validate ``text`` as a report named ``name``, every problem in one line."""
    try:
        # pydantic parses the JSON itself; on any problem, json.loads diagnoses it below.
        report = validate_json(Report, text, strict=True)  # "0.85" or true is not a number
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


_PLAUSIBLE: SchemaValidator | None = None


def _plausible(text: str) -> Report | None:
    """``text`` as a Report when it is decided valid and plausible on the fast path, else None.

    The fast path validates the JSON with a copy of the ``Report`` schema in strict mode in which
    every float must be finite and every number >= 0 (pydantic's own parser and checks, in C).
    When that passes, the full path accepts ``text`` too and yields the same Report:
    - strict mode only drops lax mode's conversions (a number in a string, a float for an int,
      a timestamp for a date), and a constraint only refuses, so the values are those of the
      lax ``validate_json(Report, text)``;
    - ``ecoai.sanity.report_problem`` then finds nothing: every float is finite and no number
      is negative (defaults are 0 or None), and the ranges it orders are the ``Stat``s (checked
      here, exactly: the full path allows a little rounding) and anything in ``extra``
      (which must be empty here).
    Everything else (a negative above-idle energy, a killed command's negative return code, a
    number written as a string ...) goes the full path, as before.
    """
    global _PLAUSIBLE
    if _PLAUSIBLE is None:
        _PLAUSIBLE = _plausible_validator()
    try:
        report = _PLAUSIBLE.validate_json(text, strict=True)
    except (ValidationError, ValueError, RecursionError):
        return None
    if not isinstance(report, Report) or report.schema_version != SCHEMA_VERSION:
        return None
    if report.extra:
        return None
    return report


def _plausible_validator() -> SchemaValidator:
    """The constrained copy of ``Report``'s validator (built once, about a millisecond).

    The models are stdlib dataclasses, so pydantic-core keeps no validator of its own on a
    class: the copy holds every constraint added to ``Report``'s core schema."""
    return SchemaValidator(_constrained(adapter(Report).core_schema))


def _constrained(schema: Any) -> Any:
    """A copy of a pydantic core schema in which floats are finite, numbers are >= 0 and every
    ``Stat`` is in order."""
    if isinstance(schema, list):
        return [_constrained(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    copy = {key: _constrained(value) for key, value in schema.items()}
    if copy.get("type") == "float":
        copy.update(allow_inf_nan=False, ge=0.0)
    elif copy.get("type") == "int":
        copy.update(ge=0)
    elif copy.get("type") == "dataclass" and issubclass(copy["cls"], Stat):
        ref = copy.pop("ref", None)
        wrapped = {"type": "function-after", "function": {"type": "no-info", "function": _in_order}}
        return {**wrapped, "schema": copy, **({"ref": ref} if ref else {})}
    return copy


def _in_order(stat: Stat) -> Stat:
    """``stat`` when min <= mean <= max exactly (the full path allows a little rounding)."""
    if stat.min <= stat.mean <= stat.max:
        return stat
    raise ValueError("out of order: decided on the full path")


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
        # strict JSON types ("0.85" or true is not a number); the parsed data, written back
        return _finite(validate_json(Report, json.dumps(data), strict=True), name)
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

    data = plain(report)
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
