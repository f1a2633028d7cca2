"""`ecoai schema`: print the JSON Schema of the report, the contract CI scripts rely on."""

from __future__ import annotations

import json

import typer


def schema_command() -> None:
    """Print the JSON Schema of ecoai's report (schema_version and all fields)."""
    from ecoai.models import Report

    schema = Report.model_json_schema()
    print(json.dumps(schema, indent=2, sort_keys=True))


def register(app: typer.Typer) -> None:
    """Add `ecoai schema` to ``app``."""
    app.command("schema", help="Print the JSON Schema of the report (the CI contract).")(
        schema_command
    )
