"""The CLI's fast path (issue 16): a parse table generated from the typer app, a small parser
over it that gives typer's exact arguments or gives up, and pre-rendered --help.

Every CLI test also checks the fast parser against typer (tests/conftest.py sets
ECOAI_CHECK_FAST_PARSE=1); these are the edge cases, one by one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, cli_env, run_probe

from ecoai.commands import argv as fast
from ecoai.completion import SPEC_DIR


def typer_kwargs(args: list[str]) -> tuple[str, dict[str, Any]] | None:
    """The command and the arguments typer passes its function for ``args`` (None: refused)."""
    from ecoai.cli import _typer_app

    app = _typer_app()
    captured = fast.capture(lambda: app(args=args, prog_name="ecoai", standalone_mode=False))
    return None if captured is None else (captured.name, captured.kwargs)


def same_as_typer(args: list[str]) -> fast.Parsed:
    parsed = fast.parse(args)
    assert parsed is not None, f"the fast path gave up on {args}"
    theirs = typer_kwargs(args)
    assert theirs is not None
    assert theirs[0] == parsed.name
    assert {k: repr(v) for k, v in parsed.kwargs.items()} == {
        k: repr(v) for k, v in theirs[1].items()
    }
    return parsed


def test_the_checked_in_parse_table_and_help_are_fresh() -> None:
    from ecoai.commands.specgen import modules

    for name, text in modules().items():
        assert (SPEC_DIR / name).read_text(encoding="utf-8") == text, (
            f"ecoai/commands/{name} is stale: run python -m ecoai.completion completions"
        )


@pytest.mark.parametrize("columns", [None, "120", "x", "-3", "60"])
def test_terminal_columns_are_shutils(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    import shutil

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert fast.terminal_columns() == shutil.get_terminal_size().columns


@pytest.mark.parametrize(
    "args",
    [
        ["estimate"],
        ["estimate", "--model", "gpt-4o", "--prompt", "short"],
        ["estimate", "--model=gpt-4o", "--prompt=short", "--json"],
        # the last of a repeated plain option wins; a repeatable one keeps every value
        ["estimate", "--model", "a", "--model", "gpt-4o", "--profiles", "p1", "--profiles=p2"],
        ["estimate", "-o-", "-fjson"],
        ["estimate", "-o", "-", "-f", "csv", "--force", "--explain"],
        ["estimate", "--u-gpu-min", "-0.5", "--pue=-1"],  # a value may start with a dash
        ["estimate", "--model", "--json"],  # an option's value is the next word, whatever it is
        ["estimate", "--embodied", "--no-embodied"],
        ["estimate", "--no-embodied"],
        ["estimate", "scenario.toml", "--json"],
        ["estimate", "--json", "scenario.toml", "--model", "x"],  # interspersed
        ["estimate", "--", "--scenario-named-like-an-option.toml"],
        ["estimate", "--save-scenario", "s.toml", "--tps-quantiles", "1,2,3,4,5"],
        ["estimate", "--debug", "--model", "gpt-4o"],
        ["estimate", "--model", ""],
        ["profile", "--", "python", "-c", "pass"],
        ["profile", "-q", "--", "cmd", "--json", "-o", "x", "--", "y"],  # all the child's
        ["profile", "-q", "cmd", "--json", "--debug"],  # options after COMMAND are its own
        ["profile", "-qo", "r.json", "--repeat", "2", "--interval-s=0.5", "--", "true"],
        ["profile", "--log", "mlflow", "--log", "wandb", "--", "true"],
        ["profile", "--queries", "1e3", "--cpu-tdp-w", "65", "--timeline", "t.csv", "--", "x"],
        ["profile", "--host", "aws-us-east-1", "--pue", "1.2", "--scope", "machine", "--", "x"],
        ["profile", "--powercap-root", "/nonexistent", "--list-sensors"],
        ["profile", "-"],
        ["profile"],
    ],
)
def test_the_fast_parser_gives_typers_arguments(args: list[str]) -> None:
    same_as_typer(args)


def test_values_are_converted_as_typer_converts_them() -> None:
    kwargs = same_as_typer(["profile", "--repeat", "3", "--timeline", "t.csv", "--", "x"]).kwargs
    assert kwargs["repeat"] == 3 and kwargs["timeline"] == Path("t.csv")
    assert kwargs["command"] == ["x"] and kwargs["powercap_root"] == Path("/sys/class/powercap")
    kwargs = same_as_typer(["estimate", "--profiles", "a", "--profiles", "b"]).kwargs
    assert kwargs["profiles_dir"] == [Path("a"), Path("b")] and kwargs["embodied"] is None


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--version"],
        ["compare", "a.json"],  # not a fast command
        ["estimate", "--bogus"],
        ["estimate", "--modle", "gpt-4o"],  # misspelled
        ["estimate", "--json=yes"],  # a flag takes no value
        ["estimate", "--model"],  # no value
        ["estimate", "-x"],
        ["estimate", "--help"],
        ["estimate", "--model", "gpt-4o", "-h"],
        ["estimate", "a.toml", "b.toml"],  # one scenario only
        ["estimate", "-f", "model-card"],  # the format check refuses it
        ["profile", "--queries", "0", "--", "x"],  # the parser refuses it
        ["profile", "--repeat", "two", "--", "x"],
        ["profile", "--interval-s", "nan", "--", "x"],
    ],
)
def test_the_fast_parser_gives_up_where_typer_must_answer(args: list[str]) -> None:
    assert fast.parse(args) is None


def test_an_unreadable_path_is_left_to_typer(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    secret = tmp_path / "secret.toml"
    secret.write_text("")
    secret.chmod(0)
    assert fast.parse(["estimate", str(secret)]) is None


def test_debug_is_remembered_only_when_the_command_runs() -> None:
    from ecoai.commands import debug

    debug.reset()
    assert fast.parse(["estimate", "--debug", "--bogus"]) is None
    assert not debug.requested()
    parsed = fast.parse(["estimate", "--debug"])
    assert parsed is not None and not debug.requested()
    assert parsed.effects  # run by Parsed.call, before the command


def test_a_difference_from_typer_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is not vacuous: a wrong default in the table stops the command (exit 70)."""
    from ecoai import cli
    from ecoai.commands import spec

    estimate = dict(spec.COMMANDS["estimate"])
    estimate["params"] = [
        {**p, "default": True} if p["name"] == "explain" else p for p in estimate["params"]
    ]
    monkeypatch.setitem(spec.COMMANDS, "estimate", estimate)
    monkeypatch.setenv(fast.CHECK_ENV, "1")
    with pytest.raises(SystemExit) as stopped:
        cli.main(["estimate", "--model", "gpt-4o", "--prompt", "short"])
    assert stopped.value.code == 70


def help_of(args: list[str], columns: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecoai", *args],
        capture_output=True,
        text=True,
        env=cli_env(COLUMNS=str(columns)),
        cwd=REPO_ROOT,
    )


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["estimate", "--help"], ["profile", "-h"]])
def test_the_prerendered_help_is_typers(args: list[str]) -> None:
    from ecoai.cli import _typer_app

    app = _typer_app()
    text = fast.help_text(args)
    assert text is not None
    probe = (
        "import io, contextlib, os\n"
        "os.environ['COLUMNS'] = '120'\n"
        "from ecoai.cli import _typer_app\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    _typer_app()(args={args!r}, prog_name='ecoai', standalone_mode=False)\n"
        "print(out.getvalue(), end='')\n"
    )
    assert run_probe(probe).stdout == text
    assert help_of(args, 120).stdout == text
    assert app is not None


def test_help_on_a_narrow_terminal_comes_from_typer() -> None:
    assert fast.help_text(["--help"]) is not None
    narrow = help_of(["estimate", "--help"], 60).stdout
    assert narrow != fast.help_text(["estimate", "--help"])
    assert max(len(line) for line in narrow.splitlines()) <= 58


def test_bare_ecoai_prints_the_help_on_stderr_and_exits_2() -> None:
    done = help_of([], 100)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == fast.help_text(["--help"])


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["estimate", "--help"],
        ["estimate", "--output-tokens", "300", "--tps", "96", "--json"],
        ["profile", "--help"],
    ],
)
def test_the_fast_path_imports_no_typer(argv: list[str]) -> None:
    probe = (
        "import sys, io, contextlib\n"
        f"sys.argv = ['ecoai', *{argv!r}]\n"
        "from ecoai.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click')))\n"
    )
    assert run_probe(probe).stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "rich"),
    [
        (["profile", "-q", "--", "true"], False),
        (["profile", "-q", "-o", "r.txt", "--", "true"], True),
    ],
)
def test_profile_quiet_loads_no_table_renderer(tmp_path: Path, argv: list[str], rich: bool) -> None:
    """`ecoai profile -q` prints no table: neither typer nor rich is loaded, before the command
    or after it; with -o r.txt (a table) rich is loaded (while the command runs)."""
    probe = (
        "import os, sys\n"
        f"os.chdir({str(tmp_path)!r})\n"
        f"sys.argv = ['ecoai', *{argv!r}]\n"
        "from ecoai.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'typer', 'click'}))\n"
    )
    assert run_probe(probe).stdout.strip().splitlines()[-1] == ("['rich']" if rich else "[]")


def test_a_shell_completion_request_goes_to_typer() -> None:
    """click answers _ECOAI_COMPLETE before parsing; the fast path must not run the command."""
    env = {"_ECOAI_COMPLETE": "bash_complete", "COMP_WORDS": "ecoai estimate --wue-si",
           "COMP_CWORD": "2"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "ecoai", "estimate", "--json"],
        capture_output=True, text=True, env=cli_env(**env), cwd=REPO_ROOT,
    )  # fmt: skip
    assert "schema_version" not in done.stdout  # no estimate ran: typer answered
    assert (done.returncode, done.stderr) == (1, "Shell complete not supported.\n")


def test_a_stale_prerendered_help_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecoai import cli
    from ecoai.commands import spec_help

    monkeypatch.setitem(spec_help.HELP, "estimate", "stale help\n")
    monkeypatch.setenv(fast.CHECK_ENV, "1")
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as stopped:
        cli.main(["estimate", "--help"])
    assert stopped.value.code == 70
