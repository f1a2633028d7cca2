"""The fast path of the CLI: parse a command line without typer, or give up.

``parse(args)`` reads ``args`` with the parse table generated from the typer app
(``ecoai.commands.spec``; one definition, the typer declarations) and returns the command and
exactly the keyword arguments typer would pass to its function, or ``None`` for anything it
does not handle in full: another command, an unknown or misspelled option, ``--help``, a value
its conversion or check refuses, a missing value, an extra argument. On ``None`` the typer app
runs as before, so every message and exit status of a refused command line is typer's own.

The parser is a port of click's (the one typer vendors) for what the table holds: long options
(``--opt value``, ``--opt=value``), short ones (``-o value``, ``-ovalue``, ``-qo value``), flags
and ``--flag/--no-flag`` pairs, repeatable options (the last of a plain option wins), ``--``,
and one positional argument (one value, or every remaining value). ``ECOAI_CHECK_FAST_PARSE=1``
(the test suite sets it) makes ``ecoai.cli.main`` also parse with typer and fail on any
difference.

``help_text(args)`` returns the pre-rendered ``--help`` of the table (rendered from the typer
app when the table was generated) when it is exactly what click would print here.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import Any

# Imports stay few and light here (no dataclasses, pathlib or shutil at load): this module is
# all that `ecoai --help` loads besides the generated table.

CHECK_ENV = "ECOAI_CHECK_FAST_PARSE"
"""Set to 1: parse every command line both ways and fail on a difference (the test suite)."""
COMPLETE_ENV = "_ECOAI_COMPLETE"
"""click's shell-completion request (typer answers it before parsing): the fast path stands
aside while it is set."""


def stands_aside() -> bool:
    """Whether typer must answer whatever the command line (a shell-completion request)."""
    return bool(os.environ.get(COMPLETE_ENV))


_capturing = [False]


class Captured(BaseException):
    """Raised instead of running a command while ``capture`` parses with typer."""

    def __init__(self, name: str, kwargs: dict[str, Any]) -> None:
        super().__init__(name)
        self.name = name
        self.kwargs = kwargs


def typer_called(name: str, body: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """What the function typer registers for command ``name`` does: run ``body``, or, while
    ``capture`` runs, hand typer's arguments back instead."""
    if _capturing[0]:
        raise Captured(name, dict(kwargs))
    return body(**kwargs)


def capture(run: Callable[[], Any]) -> Captured | None:
    """Run the typer app (``run``) up to the call of a command function: the command and the
    arguments typer would pass (None if typer never got that far)."""
    _capturing[0] = True
    try:
        run()
    except Captured as captured:
        return captured
    except (Exception, SystemExit):  # typer refused the command line: no call
        return None
    finally:
        _capturing[0] = False
    return None


class _GiveUp(Exception):
    """The fast path does not handle this command line: typer does."""


class Parsed:
    """A command line the fast path read: the command and its function's arguments."""

    def __init__(
        self,
        name: str,
        target: tuple[str, str],
        kwargs: dict[str, Any],
        effects: list[Callable[[bool], bool]],
    ) -> None:
        self.name = name
        self.target = target
        self.kwargs = kwargs
        self.effects = effects

    def call(self) -> Any:
        """Run the command's function (after the callbacks with effects, as click would)."""
        import importlib

        for effect in self.effects:
            effect(True)
        module = importlib.import_module(self.target[0])
        return getattr(module, self.target[1])(**self.kwargs)


def parse(args: Sequence[str]) -> Parsed | None:
    """The command and typer's keyword arguments for ``args`` (argv without the program name),
    or None when the fast path does not handle this command line."""
    if not args:
        return None
    from ecoai.commands.spec import COMMANDS

    spec = COMMANDS.get(args[0])
    if spec is None:
        return None
    try:
        return _parse(args[0], spec, list(args[1:]))
    except Exception:  # _GiveUp, or a value a conversion or check refused: typer says why
        return None


def _parse(name: str, spec: dict[str, Any], rargs: list[str]) -> Parsed:
    params: list[dict[str, Any]] = spec["params"]
    long_opts: dict[str, tuple[dict[str, Any], Any]] = {}
    short_opts: dict[str, tuple[dict[str, Any], Any]] = {}
    for param in params:
        if param["kind"] != "option":
            continue
        for opts, const in ((param["opts"], True), (param["secondary_opts"], False)):
            for opt in opts:
                table = short_opts if len(opt) == 2 and opt[1] != "-" else long_opts
                table[opt] = (param, const)
    found: dict[str, Any] = {}
    largs: list[str] = []

    def take(opt: str, param: dict[str, Any], const: Any) -> None:
        if param["flag"]:
            found[param["name"]] = const
            return
        if not rargs:
            raise _GiveUp(f"{opt} needs a value")
        value = rargs.pop(0)
        if param["multiple"]:
            found.setdefault(param["name"], []).append(value)
        else:
            found[param["name"]] = value

    def short(arg: str) -> None:
        for index, char in enumerate(arg[1:], start=2):
            entry = short_opts.get("-" + char)
            if entry is None:
                raise _GiveUp(f"no option -{char}")
            param, const = entry
            if not param["flag"] and index < len(arg):
                rargs.insert(0, arg[index:])
                take("-" + char, param, const)
                return
            take("-" + char, param, const)

    while rargs:
        arg = rargs.pop(0)
        if arg == "--":
            break
        if arg[:1] == "-" and len(arg) > 1:
            opt, equals, explicit = arg.partition("=")
            entry = long_opts.get(opt)
            if entry is not None:
                param, const = entry
                if equals:
                    if param["flag"]:
                        raise _GiveUp(f"{opt} takes no value")
                    rargs.insert(0, explicit)
                take(opt, param, const)
            elif arg[:2] == "--":
                raise _GiveUp(f"no option {opt}")
            else:
                short(arg)
        elif spec["interspersed"]:
            largs.append(arg)
        else:
            rargs.insert(0, arg)
            break
    positional = largs + rargs
    for param in params:
        if param["kind"] != "argument":
            continue
        if param["nargs"] == -1:
            if positional:
                found[param["name"]] = positional
            positional = []
        elif positional:
            found[param["name"]] = positional.pop(0)
    if positional:
        raise _GiveUp("unexpected extra arguments")
    return _convert(name, spec, found)


def _convert(name: str, spec: dict[str, Any], found: dict[str, Any]) -> Parsed:
    kwargs: dict[str, Any] = {}
    effects: list[Callable[[bool], bool]] = []
    for param in spec["params"]:
        key = param["name"]
        if key not in found:
            if param["required"]:
                raise _GiveUp(f"{key} is required")
            kwargs[key] = param["default"]
            continue
        value = found[key]
        if not param["flag"]:
            convert = _converter(param["convert"])
            value = [convert(v) for v in value] if isinstance(value, list) else convert(value)
        check = param["callback"]
        if check is not None and check[0] == "debug":
            if value:
                from ecoai.commands.debug import _remember

                effects.append(_remember)
        elif check is not None:
            value = _make(check)(value)
        kwargs[key] = value
    return Parsed(name, spec["target"], kwargs, effects)


def _converter(convert: Any) -> Callable[[str], Any]:
    if convert == "str":
        return _string
    if convert == "path":
        return _path
    return _make(convert)


def _make(spec: Sequence[Any]) -> Callable[[Any], Any]:
    from ecoai.commands.values import MAKERS

    maker, args, kwargs = spec
    return MAKERS[maker](*args, **kwargs)


def _string(value: str) -> str:
    return value


def _path(value: str) -> Path:
    """typer's conversion of a ``Path`` value with the default checks: a path that exists
    must be readable (else typer refuses it: give up and let it say so)."""
    from pathlib import Path

    path = Path(value)
    try:
        os.stat(path)
    except OSError:
        return path
    if not os.access(path, os.R_OK):
        raise _GiveUp(f"{value} is not readable")
    return path


def help_text(args: Sequence[str]) -> str | None:
    """The pre-rendered help for ``ecoai --help`` / ``ecoai CMD --help`` (and ``-h``), when
    click would print the same here: its width is min(terminal columns, 80) - 2, so only
    where the terminal (``COLUMNS``, else the terminal, else 80) is at least 80 wide."""
    if not args or args[-1] not in ("--help", "-h") or len(args) > 2:
        return None
    if terminal_columns() < 80:
        return None
    from ecoai.commands.spec_help import HELP

    return HELP.get(" ".join(args[:-1]))


class _Pacified:
    """A stream whose flush ignores a closed pipe (what click does after EPIPE, so that
    Python's own flush at exit prints no second error)."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        import errno

        try:
            self.wrapped.flush()
        except OSError as error:
            if error.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def pacify_std_streams() -> None:
    """After a closed pipe: stdout and stderr ignore it when flushed (as click's main)."""
    import sys

    sys.stdout = _Pacified(sys.stdout)
    sys.stderr = _Pacified(sys.stderr)


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` (what click's help reads), without importing
    shutil (and with it bz2 and lzma): COLUMNS if a positive number, else the width of the
    terminal on ``sys.__stdout__``, else 80."""
    import sys

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80
    return size.columns or 80
