"""The README is the front door: its test command is exactly what CI runs."""

from __future__ import annotations

import re

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
