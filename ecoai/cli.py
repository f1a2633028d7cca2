"""The typer app: flags -> request -> core/edges -> renderer -> exit code. No logic here.

Each subcommand lives in ``ecoai/commands/<name>.py``; those modules import nothing heavy at
module level, so ``ecoai --help`` stays fast.

``main`` first tries the fast path (``ecoai.commands.argv``): the pre-rendered ``--help``, and
``estimate`` and ``profile`` parsed from the parse table generated from this app, calling the
same command function with the same arguments typer would, without importing typer. Anything
the fast path does not handle in full goes to the typer app (``app``, built on first use), so
its messages and exit statuses are typer's.
"""

from __future__ import annotations

import os
import sys

from ecoai.commands import debug as debug_flag
from ecoai.errors import EcoaiError, ExitStatus, format_error

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on `ecoai --help`
if TYPE_CHECKING:
    from typing import Any

    import typer

HELP = "Energy, water and carbon of AI workloads: estimate, measure, compare, gate in CI."
_app: list[typer.Typer] = []


def __getattr__(name: str) -> Any:
    if name == "app":
        return _typer_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _typer_app() -> typer.Typer:
    """The typer app (built once, on first use: the fast path never needs it)."""
    if _app:
        return _app[0]
    import typer

    from ecoai import __version__

    app = typer.Typer(
        name="ecoai",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        # Plain click help: typer's rich help imports rich's markdown and layout modules, ~70 ms
        # of CPU time on every --help (issue 16: `ecoai --help` within 80 ms).
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def _version(value: bool) -> None:
        if value:
            print(f"ecoai {__version__}")
            raise typer.Exit()

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False,
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ) -> None:
        """Energy, water and carbon of AI workloads: estimate, measure, compare, gate in CI."""

    _register(app)
    _app.append(app)
    return app


def _register(app: typer.Typer) -> None:
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


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app, turning EcoaiError into one line and its exit code."""
    debug_flag.reset()
    _reserve_std_descriptors()
    args = sys.argv[1:] if argv is None else list(argv)
    from ecoai.commands import argv as fast

    if fast.stands_aside():
        _guarded(lambda: _typer_app()(args=args, prog_name="ecoai", standalone_mode=False))
        return
    text = fast.help_text(args or ["--help"])
    if text is not None and os.environ.get(fast.CHECK_ENV) == "1":
        _check_help(args or ["--help"], text)
    if text is not None and not args:  # `ecoai` alone: the help on stderr, exit 2 (as typer)
        print(text, end="", file=sys.stderr)
        sys.exit(int(ExitStatus.USAGE))
    if text is not None:
        _guarded(lambda: _echo(text), like_click=True)
        return
    parsed = fast.parse(args)
    if parsed is not None and os.environ.get(fast.CHECK_ENV) == "1":
        _check_fast_parse(args, parsed)
    if parsed is not None:
        _guarded(parsed.call, like_click=True)
        return
    _guarded(lambda: _typer_app()(args=args, prog_name="ecoai", standalone_mode=False))


def _echo(text: str) -> None:
    """Write ``text`` to stdout as click's ``echo`` does (nothing when stdout is closed)."""
    if sys.stdout is not None:
        sys.stdout.write(text)
        sys.stdout.flush()


def _like_click(run: Any) -> Any:
    """What click's ``main`` does around a command in non-standalone mode: EOFError is a blank
    line on stderr and Abort; Ctrl-C is exit status 130; a closed pipe exits 1 quietly."""
    try:
        return run()
    except EOFError:
        print(file=sys.stderr)
        print("ecoai: interrupted", file=sys.stderr)
        sys.exit(int(ExitStatus.INTERRUPTED))
    except KeyboardInterrupt:
        return 130
    except OSError as error:
        import errno

        if error.errno != errno.EPIPE:
            raise
        from ecoai.commands.argv import pacify_std_streams

        pacify_std_streams()
        sys.exit(1)


def _check_help(args: list[str], text: str) -> None:
    """ECOAI_CHECK_FAST_PARSE=1: the pre-rendered help must be what typer prints here."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(Exception):
        _typer_app()(args=args, prog_name="ecoai", standalone_mode=False)
    if out.getvalue() != text:
        print(f"ecoai: fast-path check failed for {args!r}: the help differs", file=sys.stderr)
        sys.exit(70)


def _check_fast_parse(args: list[str], parsed: Any) -> None:
    """ECOAI_CHECK_FAST_PARSE=1: typer must pass the fast path's arguments, value for value
    and type for type; else stop loudly (exit 70) naming the difference."""
    from ecoai.commands.argv import capture

    app = _typer_app()
    captured = capture(lambda: app(args=args, prog_name="ecoai", standalone_mode=False))
    debug_flag.reset()  # typer's parse ran the --debug callback; the fast path runs it again
    mine = {k: repr(v) for k, v in parsed.kwargs.items()}
    theirs = None if captured is None else {k: repr(v) for k, v in captured.kwargs.items()}
    if captured is not None and captured.name == parsed.name and theirs == mine:
        return
    if theirs is None:
        problem = "typer refused the command line the fast path accepted"
    else:
        keys = sorted(set(mine) | set(theirs))
        problem = "; ".join(
            f"{k}: fast {mine.get(k)} != typer {theirs.get(k)}"
            for k in keys
            if mine.get(k) != theirs.get(k)
        )
    print(f"ecoai: fast-parse check failed for {args!r}: {problem}", file=sys.stderr)
    sys.exit(70)


def _guarded(run: Any, like_click: bool = False) -> None:
    """Run ``run`` (the typer app, or with ``like_click`` a command function the fast path
    calls, treated as click's ``main`` treats one in non-standalone mode), turning what escapes
    it into one line and an exit status."""
    try:
        code = _like_click(run) if like_click else run()
        if isinstance(code, int) and code:
            sys.exit(code)
    except EcoaiError as error:
        if debug_flag.requested():
            raise
        print(format_error(error), file=sys.stderr)
        sys.exit(int(error.exit_status))
    except KeyboardInterrupt:
        print("ecoai: interrupted", file=sys.stderr)
        sys.exit(int(ExitStatus.INTERRUPTED))
    except Exception as error:  # click usage errors arrive here in non-standalone mode
        if "typer" in sys.modules:
            import typer

            if isinstance(error, typer.Exit):
                sys.exit(error.exit_code)
            if isinstance(error, typer.Abort):
                print("ecoai: interrupted", file=sys.stderr)
                sys.exit(int(ExitStatus.INTERRUPTED))
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
    if name == "--version":  # an option of ecoai itself, not of its commands
        hint = "`ecoai --version` prints the version (before the command)"
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
    import typer

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
