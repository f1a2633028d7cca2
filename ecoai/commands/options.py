"""Options shared by the commands: output options, --profiles, and those built from scenario keys.

Each shared option is declared once here, with one help text, and used as the default of a
parameter in every command that takes it (estimate, compare, merge, profile, profiles).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

import typer

from ecoai.errors import InputError
from ecoai.inputs.keys import BY_NAME, EXAMPLES, Key, parse_number
from ecoai.render import (
    EXTENSIONS_HELP,
    MEASURED_RUN_FORMATS,
    Format,
    choose_format,
    format_names,
)

if TYPE_CHECKING:
    from ecoai.models import ParamValue


def format_option(formats: tuple[Format, ...]) -> Any:
    """``--format/-f`` listing only ``formats``, those the command writes (checked on parse)."""
    run_only = [f.value for f in MEASURED_RUN_FORMATS if f in formats]

    def check(value: str | None) -> str | None:
        if value is not None:
            choose_format(value, False, None, formats)  # InputError naming the formats
        return value

    return typer.Option(
        None,
        "--format",
        "-f",
        show_default=False,
        callback=check,
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
    help="Extra profile directory overlaying the built-ins (repeatable; wins over ECOAI_PROFILES).",
)


def output_target(
    format_name: str | None, json_flag: bool, output: str | None, force: bool
) -> tuple[Format, str]:
    """The format and destination (``'-'`` = stdout) the output options ask for.

    Raises InputError for an unknown format, or an existing file without ``--force``, before
    any work is done, so no result is lost to a bad flag.
    """
    from ecoai.files import check_writable
    from ecoai.render import choose_format

    fmt = choose_format(format_name, json_flag, output)
    destination = output or "-"
    check_writable(destination, force)
    return fmt, destination


def terminal_width(destination: str = "-") -> int:
    """Columns for a table: the terminal's width (80 to 160) on a terminal, 100 in a file.

    ``destination`` is the output path; ``'-'`` means stdout (or stderr, for a summary).
    """
    if destination != "-":
        return 100
    import shutil

    return max(80, min(160, shutil.get_terminal_size((100, 24)).columns))


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


def flag_values(kwargs: dict[str, Any], names: Iterable[str]) -> dict[str, ParamValue | None]:
    """The scenario values given on the command line (quantile lists parsed from 'a,b,c,d,e')."""
    values: dict[str, ParamValue | None] = {}
    for name in names:
        raw = kwargs.get(name)
        key = BY_NAME[name]
        if raw is not None and key.kind == "quantiles":
            raw = _quantiles(key, str(raw))
        elif isinstance(raw, str) and key.kind in ("int", "float"):
            raw = parse_number(key, raw, key.flag)
        values[name] = raw
    return values


def _quantiles(key: Key, text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise InputError(
            f"{key.flag}: expected 5 comma-separated numbers, got {text!r}",
            f"e.g. {key.flag} {EXAMPLES[key.name]}",
        ) from None


def number_parser(
    flag: str,
    kind: Literal["int", "float"],
    unit: str,
    help: str,
    *,
    low: float | None = None,
    low_open: bool = False,
    high: float | None = None,
    example: str | None = None,
) -> Callable[[Any], Any]:
    """A ``typer.Option(parser=...)`` for a numeric flag that is not a scenario key: the same
    parsing (``1e6`` for a count, big counts exact, NaN refused) and wording as the keys'."""
    from ecoai.inputs.keys import coerce

    name = flag.removeprefix("--").replace("-", "_")
    key = Key(name, kind, unit, help, low=low, low_open=low_open, high=high, example=example)

    def parse(raw: Any) -> Any:
        if not isinstance(raw, str):  # the declared default, already typed
            return raw
        return coerce(key, parse_number(key, raw, flag), flag)

    parse.__name__ = "integer" if kind == "int" else "float"  # click's metavar for the type
    return parse
