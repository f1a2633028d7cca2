"""Options shared by the commands: output options, --profiles, and those built from scenario keys.

Each shared option is declared once here, with one help text, and used as the default of a
parameter in every command that takes it (estimate, compare, merge, profile, profiles).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

import typer

from ecoai.commands.values import (
    flag_values,
    format_check,
    number_parser,
    output_target,
    terminal_width,
)
from ecoai.inputs.keys import BY_NAME, Key
from ecoai.render import EXTENSIONS_HELP, MEASURED_RUN_FORMATS, Format, format_names

__all__ = [
    "FORCE_OPTION",
    "FORMAT_OPTION",
    "JSON_OPTION",
    "OUTPUT_OPTION",
    "PROFILES_OPTION",
    "REPORT_FORMAT_OPTION",
    "declare",
    "flag_values",
    "format_option",
    "key_parameters",
    "number_parser",
    "output_target",
    "terminal_width",
    "with_parameters",
]


def format_option(formats: tuple[Format, ...]) -> Any:
    """``--format/-f`` listing only ``formats``, those the command writes (checked on parse)."""
    run_only = [f.value for f in MEASURED_RUN_FORMATS if f in formats]
    return typer.Option(
        None,
        "--format",
        "-f",
        show_default=False,
        metavar="FORMAT",
        callback=format_check(tuple(f.value for f in formats)),  # InputError naming the formats
        help=(
            f"Output format: {format_names(formats)}"
            + (f" ({', '.join(run_only)}: one measured run only)." if run_only else ".")
            + f" {EXTENSIONS_HELP}"
        ),
    )


FORMAT_OPTION: Any = format_option(tuple(Format))
"""Every format: ``ecoai profile`` (a measured run)."""
REPORT_FORMAT_OPTION: Any = format_option(tuple(f for f in Format if f not in MEASURED_RUN_FORMATS))
"""The formats of an estimate, a merge or a comparison (no run-only ones)."""
OUTPUT_OPTION: Any = typer.Option(
    None,
    "--output",
    "-o",
    show_default=False,
    metavar="FILE",
    help="Write to FILE instead of stdout ('-' = stdout).",
)
JSON_OPTION: Any = typer.Option(False, "--json", help="JSON output instead of a table.")
FORCE_OPTION: Any = typer.Option(False, "--force", help="Overwrite an existing output file.")
PROFILES_OPTION: Any = typer.Option(
    None,
    "--profiles",
    show_default=False,
    metavar="DIR",
    help="Extra profile directory overlaying the built-ins (repeatable; wins over ECOAI_PROFILES).",
)


# Numbers arrive as text and are parsed by ``keys.parse_number``: one wording for every bad
# value, ``1e6`` accepted for a count, and large counts kept exact.
_TYPES: dict[str, type] = {"float": str, "int": str, "str": str, "bool": bool, "quantiles": str}
_METAVARS = {"float": "FLOAT", "int": "INTEGER", "quantiles": "P5,P25,P50,P75,P95"}


def key_parameters(names: Iterable[str], panel: str = "Scenario") -> list[inspect.Parameter]:
    """One keyword parameter per scenario key, with its flag, unit and help, defaulting to None."""
    return [_parameter(BY_NAME[name], panel) for name in names]


def _parameter(key: Key, panel: str) -> inspect.Parameter:
    unit = f" ({key.unit})" if key.unit and key.unit not in ("fraction",) else ""
    decls = [f"{key.flag}/--no-{key.flag[2:]}"] if key.kind == "bool" else [key.flag]
    option = typer.Option(
        None,
        *decls,
        help=key.help + unit,
        rich_help_panel=panel,
        show_default=False,
        metavar=_METAVARS.get(key.kind),
    )
    return inspect.Parameter(
        key.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=_TYPES[key.kind] | None
    )


def with_parameters(func: Callable[..., Any], extra: list[inspect.Parameter]) -> Callable[..., Any]:
    """Give ``func`` (taking ``**kwargs``) a signature of its own params plus ``extra``."""
    own = [
        p
        for p in inspect.signature(func, eval_str=True).parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    func.__signature__ = inspect.Signature(own + extra)  # type: ignore[attr-defined]
    func.__annotations__ = {}
    return func


def declare(
    name: str,
    body: Callable[..., Any],
    declared: dict[str, Any],
    extra: list[inspect.Parameter] = (),  # type: ignore[assignment]
) -> Callable[..., Any]:
    """The function typer registers for command ``name``: ``body``'s parameters with the
    declarations in ``declared`` (``typer.Option``/``typer.Argument`` by parameter name) as
    their defaults, plus ``extra``; calling it runs ``body`` through ``argv.typer_called``.

    The body itself stays free of typer, so the fast path (``ecoai.commands.argv``) calls it
    with the same arguments without importing typer."""
    from ecoai.commands.argv import typer_called

    own = []
    for p in inspect.signature(body, eval_str=True).parameters.values():
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        own.append(p.replace(default=declared.pop(p.name)))
    if declared:
        raise TypeError(f"{name}: declared options without a parameter: {sorted(declared)}")

    def command(**kwargs: Any) -> Any:
        return typer_called(name, body, kwargs)

    command.__name__ = body.__name__
    command.__doc__ = body.__doc__
    command.__signature__ = inspect.Signature(own + list(extra))  # type: ignore[attr-defined]
    command.fast_target = (body.__module__, body.__qualname__)  # type: ignore[attr-defined]
    return command


def panelled() -> Any:
    """The command class of a command whose options have panels (``rich_help_panel``): plain
    click help (no rich: see ``ecoai.cli``) with each panel's options under its own heading
    ("Measurement:", "Scenario:" ...) after the ungrouped "Options:". Formatting only: the
    fast path prints this help pre-rendered (``ecoai.commands.spec_help``)."""
    from typer.core import TyperCommand

    class PanelledCommand(TyperCommand):
        def format_options(self, ctx: Any, formatter: Any) -> None:
            arguments = []
            panels: dict[str, list[tuple[str, str]]] = {"Options": []}
            for param in self.get_params(ctx):
                record = param.get_help_record(ctx)
                if record is None:
                    continue
                if param.param_type_name == "argument":
                    arguments.append(record)
                else:
                    panel = getattr(param, "rich_help_panel", None) or "Options"
                    panels.setdefault(panel, []).append(record)
            if arguments:
                with formatter.section("Arguments"):
                    formatter.write_dl(arguments)
            for title, records in panels.items():
                if records:
                    with formatter.section(title):
                        formatter.write_dl(records)

    return PanelledCommand
