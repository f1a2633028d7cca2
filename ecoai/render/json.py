"""JSON renderer: the machine contract (see ``ecoai schema``).

Written with the standard library, not pydantic (issue 16: ``ecoai estimate --json`` imports no
pydantic): the values are those of pydantic's dump of the validated report, which
``tests/test_report_json.py`` checks on every preset and golden report, and the result validates
against the schema that ``compare`` and ``merge`` read back. The text itself may differ from
pydantic's in ways JSON readers ignore (``1e-07`` for ``1e-7``).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from ecoai.models import Frozen, Report, plain


class _Unknown(Exception):
    """A value only pydantic knows how to write (something odd in ``Report.extra``)."""


def render_json(report: Report) -> str:
    """The report as indented JSON; every key present, units in the key names.

    As pydantic writes the validated report: fields in their order, None as null, a NaN or an
    infinity as null, a datetime in ISO 8601 (``Z`` for UTC). A value in ``extra`` that is not
    plain JSON (a date, a set ...) goes through pydantic instead, which writes it.
    """
    try:
        data = _jsonable(report)
    except _Unknown:
        from ecoai.validation import dump_json, validate

        return dump_json(validate(Report, plain(report)), indent=2) + "\n"
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _jsonable(node: Any) -> Any:
    kind = type(node)
    if kind is str or kind is int or kind is bool or node is None:
        return node
    if kind is float:
        return node if math.isfinite(node) else None
    if kind is list or kind is tuple:
        return [_jsonable(value) for value in node]
    if kind is dict:
        if not all(type(key) is str for key in node):
            raise _Unknown
        return {key: _jsonable(value) for key, value in node.items()}
    if isinstance(node, Frozen):
        return {key: _jsonable(value) for key, value in node.__dict__.items()}
    if kind is datetime:
        text = node.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    raise _Unknown
