"""The pytest plugin (issue 14), run as users run it: pytest in a subprocess loads the plugin
through its ``pytest11`` entry point; scripted sensors draw a known power."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_env
from integration_helpers import sensor_script

TESTS = """\
import time
import pytest

DURATIONS = iter([0.1, 0.5, 0.1])


@pytest.mark.energy_budget(wh=100, carbon_g=50)
def test_within_budget():
    time.sleep(0.2)


@pytest.mark.energy_budget(wh=0.01, pue=1.2)
def test_over_energy_budget():
    time.sleep(0.2)


@pytest.mark.energy_budget(carbon_g=0.0001)
def test_over_carbon_budget():
    time.sleep(0.2)


@pytest.mark.energy_budget(wh=0.25, pue=1.2)
def test_noisy(request):
    time.sleep(next(DURATIONS))


def test_unmarked():
    time.sleep(0.1)


@pytest.mark.energy_budget(wh=1, flux=3)
def test_bad_marker():
    pass


@pytest.mark.energy_budget(wh="lots")
def test_bad_budget():
    pass
"""


def run_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_budgets.py").write_text(TESTS)
    env = cli_env(**sensor_script(tmp_path, power_w=3600.0))  # 3600 W: 1 Wh per second
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def outcome(run: subprocess.CompletedProcess[str], test: str) -> str:
    for line in run.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PASSED", "FAILED", "ERROR") and (
            rest.endswith(f"::{test}") or f"::{test} - " in rest
        ):
            return word
    raise AssertionError(f"no outcome for {test}:\n{run.stdout}")


def test_budgets_pass_and_fail_with_a_clear_message(tmp_path: Path) -> None:
    run = run_pytest(tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert outcome(run, "test_within_budget") == "PASSED"
    assert outcome(run, "test_unmarked") == "PASSED"
    assert outcome(run, "test_over_energy_budget") == "FAILED"
    assert outcome(run, "test_over_carbon_budget") == "FAILED"
    assert outcome(run, "test_bad_marker") == "FAILED"
    # 3600 W for ~0.2 s is ~0.2 Wh IT energy, x PUE 1.2: far over 0.01 Wh.
    assert "ecoai: over budget: energy " in run.stdout
    assert "over the budget wh=0.01 Wh" in run.stdout
    assert "over the budget carbon_g=0.0001 gCO2e" in run.stdout
    assert "energy_budget: unknown argument 'flux' (budgets: wh, it_wh, water_ml, carbon_g;" in (
        run.stdout
    )  # the budgets a typo may have meant are named beside the footprint arguments
    assert outcome(run, "test_bad_budget") == "FAILED"
    assert "energy_budget: malformed threshold in 'wh=lots'" in run.stdout
    assert "Traceback" not in run.stdout and "During handling" not in run.stdout
    assert "= ecoai =" in run.stdout  # the summary: one line per measured test
    assert "test_budgets.py::test_within_budget" in run.stdout.split("= ecoai =")[1]


def test_ecoai_report_writes_one_report_per_test_for_compare(tmp_path: Path) -> None:
    run = run_pytest(tmp_path, "--ecoai-report", "reports", "-k", "within or unmarked")
    assert run.returncode == 0, run.stdout + run.stderr
    written = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert written == [
        "test_budgets.py__test_unmarked.json",
        "test_budgets.py__test_within_budget.json",
    ]
    data = json.loads((tmp_path / "reports" / written[1]).read_text())
    assert data["kind"] == "measured" and data["label"] == "test_budgets.py::test_within_budget"
    # 3600 W x ~0.2 s = ~0.2 Wh of IT energy (the scripted sensor), not zero, not a guess.
    assert 0.15 < data["total"]["it_energy_wh"]["mean"] < 0.5
    reports = [str(tmp_path / "reports" / name) for name in written]
    compare = subprocess.run(
        [
            sys.executable,
            "-m",
            "ecoai",
            "compare",
            *reports,
            "--max-increase",
            "total.energy=1000%",
        ],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
    )
    assert compare.returncode == 0, compare.stderr


def test_repeat_fails_a_budget_only_on_a_significant_excess(tmp_path: Path) -> None:
    run = run_pytest(tmp_path, "--ecoai-repeat", "3", "-k", "noisy or over_energy")
    # test_noisy: runs of ~0.12, 0.6, 0.12 Wh: the mean (~0.28) is over 0.25 but not significantly.
    assert outcome(run, "test_noisy") == "PASSED", run.stdout
    assert outcome(run, "test_over_energy_budget") == "FAILED"
    assert "(mean of 3 runs; one-sample-t p=" in run.stdout


def test_the_plugin_costs_pytest_sessions_nothing_until_a_test_is_measured() -> None:
    probe = (
        "import sys\n"
        "import ecoai.integrations.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'rich', 'typer')"
        " or m in ('ecoai.models', 'ecoai.api', 'ecoai.measurement')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env(), check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("flag", [["--ecoai-repeat", "0"], ["--ecoai-confidence", "2"]])
def test_bad_options_are_one_line_usage_errors(tmp_path: Path, flag: list[str]) -> None:
    run = run_pytest(tmp_path, *flag)
    assert run.returncode == 4
    assert flag[0] in run.stderr and "Traceback" not in run.stderr
