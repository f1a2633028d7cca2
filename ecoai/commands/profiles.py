"""`ecoai profiles list [KIND]` and `ecoai profiles show ID`: the built-in and user presets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ecoai.commands.options import JSON_OPTION, PROFILES_OPTION
from ecoai.inputs.preset_kinds import KIND_TABLES, kind_list

profiles_app = typer.Typer(
    help=f"List and show the built-in and user profiles: {kind_list('and')}.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(profiles_app, name="profiles")


@profiles_app.command("list")
def list_command(
    kind: str | None = typer.Argument(None, help=f"{kind_list()} (default: all)."),
    profiles: list[Path] | None = PROFILES_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List preset ids with a one-line summary, where each comes from (built-in or user)."""
    from ecoai.commands.values import require_stdout
    from ecoai.inputs.catalog import kind_of, load_catalog

    require_stdout()
    catalog = load_catalog(profiles or ())
    kinds = [kind_of(kind)] if kind else list(KIND_TABLES)
    rows = [
        {"kind": k, "id": e.id, "name": e.name, "summary": e.summary(), "origin": e.origin}
        for k in kinds
        for e in catalog.entries(k)
    ]
    if "models" in kinds:  # the open models of the measured data are models too
        from ecoai.inputs.open_catalog import open_model_rows

        at = max((i + 1 for i, row in enumerate(rows) if row["kind"] == "models"), default=0)
        rows[at:at] = open_model_rows()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    columns = ("id", "summary", "origin") if kind else ("kind", "id", "summary", "origin")
    _print_table(columns, [[str(row[c] or "") for c in columns] for row in rows])


@profiles_app.command("show")
def show_command(
    id: str = typer.Argument(..., help="A preset id or alias, e.g. gpt-4.1, dgx-h100, FRA."),
    kind: str | None = typer.Option(None, "--kind", help="Look only in this kind."),
    profiles: list[Path] | None = PROFILES_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show every field of one preset, with its sources and origin."""
    from ecoai.commands.values import require_stdout
    from ecoai.inputs.catalog import kind_of, load_catalog
    from ecoai.inputs.open_catalog import open_model_detail
    from ecoai.render.catalog import detail_rows, field_rows, find_any

    require_stdout()
    catalog = load_catalog(profiles or ())
    in_models = kind is None or kind_of(kind) == "models"
    open_model = open_model_detail(id) if in_models and catalog.find("models", id) is None else None
    if open_model is not None:  # a model of the measured data, not a preset
        if as_json:
            typer.echo(json.dumps(open_model, indent=2))
            return
        _print_table(("field", "value"), field_rows(open_model))
        return
    found_kind, entry = find_any(catalog, id, kind)
    if as_json:
        from ecoai.validation import dump

        fields = dump(entry, mode="json", exclude_none=True)
        data: dict[str, Any] = {"kind": found_kind, **fields}
        typer.echo(json.dumps(data, indent=2))
        return
    _print_table(("field", "value"), detail_rows(found_kind, entry))


def _print_table(columns: tuple[str, ...], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns, box=None, show_edge=False, pad_edge=False)
    for row in rows:
        table.add_row(*row)
    Console(highlight=False).print(table)
