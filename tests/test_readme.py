"""The README is the front door: its test command is exactly what CI runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
CI = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def readme_test_command() -> str:
    match = re.search(r"<!-- test-command -->\s*```(?:sh|bash|console)?\n(.+?)\n```", README, re.S)
    assert match, "README.md lost its <!-- test-command --> block"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    command = readme_test_command()
    last = [line for line in CI.splitlines() if line.strip() and not line.startswith("#")][-1]
    assert last.strip() == command


def test_ci_installs_torch_in_a_fresh_venv_first() -> None:
    assert "python3 -m venv" in CI
    assert CI.index("pip install --quiet torch==2.13.0") < CI.index(readme_test_command())


def test_the_test_command_checks_the_import_contracts() -> None:
    assert "lint-imports" in readme_test_command().split(" && ")


def test_ci_requires_the_torch_tests_and_removes_its_venv() -> None:
    assert CI.index("export ECOAI_REQUIRE_TORCH=1") < CI.index(readme_test_command())
    assert "trap cleanup EXIT" in CI and 'rm -rf "$scratch"' in CI


TORCH_USE = re.compile(r"torch_serve\.py|torch_infer\.py|import torch|importorskip\(\"torch\"\)")


def test_every_test_that_needs_torch_is_marked() -> None:
    """Unmarked, a torch test would fail without torch instead of skipping."""
    import ast

    for path in sorted((REPO_ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            marks = {ast.unparse(d) for d in node.decorator_list}
            if TORCH_USE.search(ast.unparse(node)) and "pytest.mark.torch" not in marks:
                raise AssertionError(f"{path.name}::{node.name} needs @pytest.mark.torch")


PROBE = """
import pytest

@pytest.mark.torch
def test_marked():
    pytest.skip("pretend torch is missing")

def test_other():
    pytest.skip("no GPU")
"""


@pytest.mark.parametrize(
    ("require", "code", "outcomes"),
    # with torch installed the probe's own skip fails in the test's call ("1 failed"); without
    # torch conftest's skip marker fails it at set-up, which pytest counts as "1 error"
    [("", 0, ("2 skipped",)), ("1", 1, ("1 failed", "1 error"))],
)
def test_a_skipped_torch_test_fails_when_torch_is_required(
    tmp_path: Path, require: str, code: int, outcomes: tuple[str, ...]
) -> None:
    for name in ("conftest.py", "casecount.py"):
        (tmp_path / name).write_text((REPO_ROOT / "tests" / name).read_text(encoding="utf-8"))
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOAI_")}
    env["ECOAI_REQUIRE_TORCH"] = require
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "torch or not torch",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert any(outcome in done.stdout for outcome in outcomes), done.stdout


def test_every_method_citation_names_a_section_of_the_readme() -> None:
    """Docstrings, profiles and tests cite "README, Method §N"; the section must exist."""
    sections = set(re.findall(r"^### (§\d+) ", README, re.M))
    assert sections == {f"§{n}" for n in range(1, 10)}
    cited = 0
    for folder in ("ecoai", "profiles", "tests"):
        for path in (REPO_ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".toml") or path.name == "test_readme.py":
                continue
            text = path.read_text(encoding="utf-8")
            assert "FORMULAS.md" not in text, f"{path} cites a file the repository does not have"
            for cite in re.findall(r"README, Method ((?:§\d+(?:-§\d+)?(?:, | and )?)+)", text):
                numbers = re.findall(r"§(\d+)", cite)
                assert {f"§{n}" for n in numbers} <= sections, f"{path}: Method {cite}"
                cited += 1
    assert cited >= 11


def test_every_test_the_readme_cites_exists() -> None:
    """The README's claims point at tests (the fault tables): a renamed test must not leave a
    pointer to nothing. Code blocks (examples of user tests) are not claims."""
    prose = re.sub(r"```.*?```", "", README, flags=re.S)
    cited = set(re.findall(r"\b(test_[a-z0-9_]+[a-z0-9])\b(?!\.py)", prose))
    sources = "".join(
        path.read_text(encoding="utf-8") for path in (REPO_ROOT / "tests").rglob("*.py")
    )
    missing = sorted(name for name in cited if f"def {name}(" not in sources)
    assert cited and not missing, missing


def test_the_test_extra_pulls_no_torch() -> None:
    """The README's set-up must work on a machine without torch: nothing in the test extra may
    require torch (accelerate does, so .ci/run installs it beside torch instead)."""
    import tomllib

    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    test = extras["project"]["optional-dependencies"]["test"]
    names = {re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower() for spec in test}
    assert not names & {"torch", "accelerate", "ecoai[torch]"}, names
    assert "'accelerate>=1.1'" in CI.split("# README test command")[0]
