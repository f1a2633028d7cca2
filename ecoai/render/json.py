"""JSON renderer: the machine contract (see ``ecoai schema``)."""

from __future__ import annotations

from ecoai.models import Report


def render_json(report: Report) -> str:
    """The report as indented JSON; every key present, units in the key names."""
    return report.model_dump_json(indent=2) + "\n"
