"""The typer app: flags -> request -> core/edges -> renderer -> exit code. No logic here.

Each subcommand lives in ``ecoai/commands/<name>.py``; those modules import nothing heavy at
module level, so ``ecoai --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from ecoai import __version__
from ecoai.commands import debug as debug_flag
from ecoai.errors import EcoaiError, ExitStatus, format_error

app = typer.Typer(
    name="ecoai",
    help="Energy, water and carbon of AI workloads: estimate, measure, compare, gate in CI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"ecoai {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Energy, water and carbon of AI workloads: estimate, measure, compare, gate in CI."""


def _register() -> None:
    # Registration block: one line per subcommand module.
    from ecoai.commands import estimate, profile, profiles, schema

    estimate.register(app)
    profile.register(app)
    schema.register(app)
    profiles.register(app)
    from ecoai.commands import compare, merge

    compare.register(app)
    merge.register(app)
    from ecoai.commands import calibrate

    calibrate.register(app)
    from ecoai.commands import completion

    completion.register(app)
    from ecoai.commands import serve

    serve.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app, turning EcoaiError into one line and its exit code."""
    debug_flag.reset()
    _reserve_std_descriptors()
    try:
        # Without standalone mode click returns typer.Exit's code instead of exiting with it.
        code = app(args=argv, prog_name="ecoai", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except EcoaiError as error:
        if debug_flag.requested():
            raise
        print(format_error(error), file=sys.stderr)
        sys.exit(int(error.exit_status))
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        print("ecoai: interrupted", file=sys.stderr)
        sys.exit(int(ExitStatus.INTERRUPTED))
    except KeyboardInterrupt:
        print("ecoai: interrupted", file=sys.stderr)
        sys.exit(int(ExitStatus.INTERRUPTED))
    except Exception as error:  # click usage errors arrive here in non-standalone mode
        _usage_or_raise(error, debug_flag.requested())


def _unknown_option(error: Exception) -> tuple[str, str] | None:
    """(message, hint) for an option the command does not have, naming the closest real one."""
    name = getattr(error, "option_name", None)  # click's NoSuchOption (typer vendors click)
    if not isinstance(name, str) or type(error).__name__ != "NoSuchOption":
        return None
    ctx: Any = getattr(error, "ctx", None)
    known = [o for p in (ctx.command.params if ctx else []) for o in [*p.opts, *p.secondary_opts]]
    import difflib

    close = getattr(error, "possibilities", None) or difflib.get_close_matches(name, known, 1, 0.3)
    where = f"`{ctx.command_path} --help`" if ctx else "--help"
    hint = f"did you mean {close[0]}? {where} lists the options" if close else f"see {where}"
    if ctx is not None and ctx.info_name == "profile":
        hint += "; the command to measure goes after --"
    return f"unknown option {name}", hint


def _reserve_std_descriptors() -> None:
    """Started with stdin, stdout or stderr closed (``2>&-``): point the descriptor at
    /dev/null, so no file ecoai opens takes its number (and a child writing "to stderr" cannot
    write into a report), and give Python a stderr: messages then vanish instead of landing on
    stdout (``print(file=None)`` writes to stdout) or failing after the command ran. A closed
    stdout stays ``None``: writing a report there is a one-line error."""
    import os

    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # the lowest free number: ``fd`` itself
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def _usage_or_raise(error: Exception, debug: bool) -> None:
    if type(error).__name__ == "NoArgsIsHelpError":
        # A group run bare (``ecoai``, ``ecoai profiles``): typer has printed its help already
        # (the error's message is what is left of it); that help is the whole answer, exit 2.
        text = getattr(error, "format_message", lambda: "")()
        if text and text.strip():
            print(text, file=sys.stderr)
        sys.exit(int(ExitStatus.USAGE))
    unknown = _unknown_option(error)
    if unknown is not None and not debug:
        print(f"ecoai: error: {unknown[0]}", file=sys.stderr)
        print(f"hint: {unknown[1]}", file=sys.stderr)
        sys.exit(int(ExitStatus.USAGE))
    if isinstance(error, typer.TyperException) and not debug:
        text = getattr(error, "format_message", lambda: str(error))()
        # One line, all of it: click splits a list of choices over lines ("Choose from:\n\tbash,").
        message = " ".join(text.split()) if text else type(error).__name__
        print(f"ecoai: error: {message}", file=sys.stderr)
        print("hint: run with --help to see the options", file=sys.stderr)
        sys.exit(int(getattr(error, "exit_code", ExitStatus.USAGE)))
    if debug:
        raise error
    print(f"ecoai: internal error: {type(error).__name__}: {error}", file=sys.stderr)
    print(
        "hint: this is a bug in ecoai; re-run with --debug and report the traceback",
        file=sys.stderr,
    )
    sys.exit(int(ExitStatus.INTERNAL))
