"""Every ecoai command that a message names exists and works (faults R20).

The hints are found in the source (string literals with a backquoted `ecoai ...`), so a new hint
is checked without anyone listing it. A hint that is a complete command is run and must succeed;
one that names a command with some of its flags (``ecoai profile --per-node``) must name flags
that command has.
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest
import typer
from conftest import REPO_ROOT, CliRunner

from ecoai.cli import app
from ecoai.inputs.catalog_schema import SCHEMAS

SUBCOMMANDS = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]

HINT = re.compile(r"`(ecoai [^`]*)`")
COMMAND = re.compile(r"ecoai( [-\w{}().]+)+")  # a whole literal that is a command (a `listing`)
# Placeholders in the hints and every value each may take at run time.
PLACEHOLDERS: dict[str, list[str]] = {
    "{kind}": list(SCHEMAS),
    "{target}": list(SCHEMAS),
    "{kind_of(kind)}": list(SCHEMAS),
    "{listing}": [],  # a variable holding a whole command: checked where it is built
    "ID": ["gpt-4.1", "dgx-h100", "FRA"],
}
# Hints that name a command only to say which one wrote a file or how to call it; the flags
# they name are checked, the command is not run (it needs a report file or a command to run).
FRAGMENTS = {
    "ecoai compare",
    "ecoai profile",
    "ecoai profile -o",
    "ecoai profile --per-node",
    "ecoai profile --log",
    "ecoai profile --queries N",
    "ecoai profile --json -- cmd | jq",
    "ecoai estimate --json",
    "ecoai profile -- cmd --debug",
    "ecoai profile cmd --debug",
    "ecoai calibrate",
    "ecoai estimate --calibrate REPORT",
    "ecoai estimate --profiles DIR",
    "ecoai profile -o report.json -- your server",
}


def _text(node: ast.AST) -> str | None:
    """A string literal, with an f-string's fields as ``{expression}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append("{" + ast.unparse(value.value) + "}")
        return "".join(parts)
    return None


def named_commands() -> set[str]:
    """Every `ecoai ...` named in a string of ecoai/ that is not a docstring."""
    found: set[str] = set()
    for path in (REPO_ROOT / "ecoai").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            text = _text(node)
            if text is None or id(node) in docstrings:
                continue
            text = " ".join(text.split())
            found.update(HINT.findall(text))
            if COMMAND.fullmatch(text) and text.split()[1] in SUBCOMMANDS:
                found.add(text)
    return found


def concrete(command: str) -> list[str]:
    """``command`` with each placeholder replaced by each value it may take."""
    for placeholder, values in PLACEHOLDERS.items():
        if placeholder in command:
            return [c for v in values for c in concrete(command.replace(placeholder, v))]
    assert "{" not in command, f"hint {command!r}: add its placeholder to PLACEHOLDERS"
    return [command]


def test_the_hints_are_found() -> None:
    found = named_commands()
    assert "ecoai profiles list {kind}" in found and "ecoai estimate --help" in found
    assert "ecoai profiles list" in found and "ecoai profile --per-node" in found


@pytest.mark.parametrize("command", sorted(named_commands()))
def test_a_named_command_works(ecoai_cli: CliRunner, command: str) -> None:
    # `ecoai completion fish > FILE`: the command is what must work, not the redirection
    for line in concrete(command.split(" > ")[0]):
        argv = shlex.split(line)[1:]
        if line in FRAGMENTS:
            path = [a for a in argv if not a.startswith("-")][:1]
            flags = [a.split("=")[0] for a in argv if a.startswith("-") and a != "--"]
            usage = ecoai_cli(*path, "--help")
            assert usage.returncode == 0, usage.stderr
            for flag in flags:
                if flag != "--debug":  # hidden on purpose
                    assert flag in usage.stdout, f"{line}: no {flag} in `ecoai {path[0]} --help`"
            continue
        done = ecoai_cli(*argv)
        assert done.returncode == 0, f"`{line}` failed: {done.stderr}"


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        # (not "scenario": difflib finds it half like "calibrations", and suggests that)
        (["profiles", "list", "zzzzqq"], "known: models, size_classes, hardware"),
        (["profiles", "show", "zzzzqq"], "`ecoai profiles list` lists the known ids"),
        (["profiles", "show", "zzzzqq", "--kind", "grid"], "`ecoai profiles list grids`"),
        (["estimate", "--model", "zzzzqq"], "`ecoai profiles list models`"),
    ],
)
def test_an_unknown_id_or_kind_hints_a_command_that_works(
    ecoai_cli: CliRunner, argv: list[str], hint: str
) -> None:
    done = ecoai_cli(*argv)
    assert done.returncode == 2 and hint in done.stderr, done.stderr
    listed = HINT.search(done.stderr)
    if listed:
        again = ecoai_cli(*shlex.split(listed.group(1))[1:])
        assert again.returncode == 0, again.stderr


def test_an_unknown_scenario_key_lists_the_keys(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text("zzzzqq = 1\n")
    done = ecoai_cli("estimate", "s.toml")
    assert done.returncode == 2 and "unknown scenario key 'zzzzqq'" in done.stderr, done.stderr
    assert "hint: known: " in done.stderr and "output_tokens" in done.stderr
    assert "ecoai profiles list" not in done.stderr
