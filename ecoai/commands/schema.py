"""`ecoai schema`: print the JSON Schema of a report or a comparison, the contracts CI relies on."""

from __future__ import annotations

import json

import typer


def schema_command(
    document: str = typer.Argument(
        "report", help="report (estimate, profile, merge) or comparison (compare --json)."
    ),
) -> None:
    """Print the JSON Schema of ecoai's report or comparison (schema_version and all fields)."""
    from ecoai.errors import InputError

    if document == "report":
        from ecoai.models import Report
        from ecoai.validation import json_schema

        schema = json_schema(Report)
    elif document == "comparison":
        from ecoai.comparison.model import Comparison

        schema = Comparison.model_json_schema()
    else:
        raise InputError(f"unknown document {document!r}", "choose report or comparison")
    print(json.dumps(schema, indent=2, sort_keys=True))


def register(app: typer.Typer) -> None:
    """Add `ecoai schema` to ``app``."""
    app.command("schema", help="Print the JSON Schema of a report or a comparison.")(schema_command)
