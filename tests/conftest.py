"""Shared fixtures: run the real CLI in a subprocess, locate the repository."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_GOLDEN = os.environ.get("ECOAI_UPDATE_GOLDEN") == "1"

CliRunner = Callable[..., subprocess.CompletedProcess[str]]

# torch is optional: its tests (marked ``torch``) skip without it, so the README's test command
# passes on a fresh machine. .ci/run installs torch and sets ECOAI_REQUIRE_TORCH=1, which turns
# any skip of a torch test into a failure, so CI cannot go green without running them.
HAS_TORCH = importlib.util.find_spec("torch") is not None
REQUIRE_TORCH = os.environ.get("ECOAI_REQUIRE_TORCH") == "1"
NO_TORCH = "needs torch (pip install 'ecoai[torch]'; .ci/run installs it)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked ``torch`` when torch is not installed."""
    if HAS_TORCH:
        return
    for item in items:
        if item.get_closest_marker("torch"):
            item.add_marker(pytest.mark.skip(reason=NO_TORCH))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under ECOAI_REQUIRE_TORCH=1 a torch test that skips (marker or reason) fails instead."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_TORCH and report.skipped:
        longrepr = report.longrepr
        reason = str(longrepr[-1] if isinstance(longrepr, tuple) else longrepr)
        if item.get_closest_marker("torch") or "'torch'" in reason:  # or importorskip("torch")
            report.outcome = "failed"
            report.longrepr = f"ECOAI_REQUIRE_TORCH=1 but a torch test skipped: {reason}"


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: this checkout first on the path, no user profiles,
    and ECOAI_CHECK_FAST_PARSE=1: every command line the fast path parses is parsed by typer
    too, and a difference fails the command (exit 70), so every CLI test checks the fast
    parser against typer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOAI_")}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["XDG_CONFIG_HOME"] = str(REPO_ROOT / "tests" / "data" / "no-config")
    env["COLUMNS"] = "100"
    env["ECOAI_CHECK_FAST_PARSE"] = "1"
    env.update(extra)
    return env


@pytest.fixture
def ecoai_cli(tmp_path: Path) -> CliRunner:
    """Run ``python -m ecoai ARGS`` in ``tmp_path``; returns the completed process (text mode)."""

    def run(
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ecoai", *args],
            input=input,
            capture_output=True,
            text=True,
            cwd=cwd or tmp_path,
            env=cli_env(**(env or {})),
            timeout=timeout,
        )

    return run


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with tests/golden/NAME; ECOAI_UPDATE_GOLDEN=1 rewrites the file."""
    path = GOLDEN / name
    if UPDATE_GOLDEN or not path.exists():
        if not UPDATE_GOLDEN:
            pytest.fail(f"missing golden file {path}; run with ECOAI_UPDATE_GOLDEN=1 to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many bad-input cases the property tests generated, per input path."""
    from casecount import CASES

    if CASES:
        paths = ", ".join(f"{name} {n}" for name, n in sorted(CASES.items()))
        terminalreporter.write_line(f"bad-input cases: {sum(CASES.values())} ({paths})")


def run_probe(probe: str) -> subprocess.CompletedProcess[str]:
    """Run Python source ``probe`` in a fresh interpreter on this checkout; fail if it fails.
    Without the fast-parse check (it imports typer): probes look at what a run imports."""
    return subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=cli_env(ECOAI_CHECK_FAST_PARSE="0"),
        cwd=REPO_ROOT,
        check=True,
    )
