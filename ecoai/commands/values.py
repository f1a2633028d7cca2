"""What the command bodies use from their options, without typer: output target, terminal
width, the scenario values given as flags, and the value parsers and checks of the options.

``ecoai.commands.options`` declares the options (typer) with the parsers and checks made here;
each parser and check carries ``fast_spec`` (how to make it again: a name and arguments), which
the generated parse table (``ecoai.commands.spec``) records so that ``ecoai.commands.argv`` can
apply the same conversion without importing typer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from ecoai.errors import InputError
from ecoai.inputs.keys import BY_NAME, EXAMPLES, Key, parse_number

if TYPE_CHECKING:
    from ecoai.models import ParamValue
    from ecoai.render import Format


def output_target(
    format_name: str | None, json_flag: bool, output: str | None, force: bool
) -> tuple[Format, str]:
    """The format and destination (``'-'`` = stdout) the output options ask for.

    Raises InputError for an unknown format, or an existing file without ``--force``, before
    any work is done, so no result is lost to a bad flag.
    """
    from ecoai.files import check_writable
    from ecoai.render import choose_format

    if output is not None and not output.strip():
        raise InputError("-o: the file name is empty", "give a file name, or -o - for stdout")
    fmt = choose_format(format_name, json_flag, output)
    destination = output or "-"
    check_writable(destination, force)
    return fmt, destination


def require_stdout() -> None:
    """Raise ReportWriteError when standard output is closed (``>&-``): a command that prints
    to it would otherwise write nothing and exit 0. Commands that write through
    ``files.write_text`` get the same error from there."""
    import sys

    from ecoai.errors import ReportWriteError

    if sys.stdout is None:
        raise ReportWriteError(
            "cannot write to standard output: it is closed", "redirect it to a file (> FILE)"
        )


def terminal_width(destination: str = "-") -> int:
    """Columns for a table: the terminal's width (80 to 160) on a terminal, 100 in a file.

    ``destination`` is the output path; ``'-'`` means stdout (or stderr, for a summary).
    """
    if destination != "-":
        return 100
    import shutil

    return max(80, min(160, shutil.get_terminal_size((100, 24)).columns))


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

    bounds = {"low": low, "low_open": low_open, "high": high, "example": example}
    parse.fast_spec = ("number_parser", (flag, kind, unit, help), bounds)  # type: ignore[attr-defined]
    return parse


def format_check(names: tuple[str, ...]) -> Callable[[str | None], str | None]:
    """The check of ``--format``: an InputError naming the formats the command writes
    (``names``) for any other, on parse."""

    def check(value: str | None) -> str | None:
        if value is not None:
            from ecoai.render import Format, choose_format

            choose_format(value, False, None, tuple(Format(name) for name in names))
        return value

    check.fast_spec = ("format_check", (tuple(names),), {})  # type: ignore[attr-defined]
    return check


MAKERS: dict[str, Callable[..., Callable[[Any], Any]]] = {
    "number_parser": number_parser,
    "format_check": format_check,
}
"""The makers a ``fast_spec`` may name."""
