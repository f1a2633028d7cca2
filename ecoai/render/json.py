"""JSON renderer: the machine contract (see ``ecoai schema``)."""

from __future__ import annotations

from ecoai.models import Report, plain


def render_json(report: Report) -> str:
    """The report as indented JSON; every key present, units in the key names.

    Validated first: a report ecoai built without validation (``Frozen.trusted``) is written
    only as the schema that ``compare`` and ``merge`` read back accepts it.
    """
    checked = Report.model_validate(plain(report))
    return checked.model_dump_json(indent=2) + "\n"
