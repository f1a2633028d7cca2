"""The CI action (issue 14): .github/actions/ecoai-gate/gate.sh run as the action runs it, with
the real ecoai and scripted sensors; GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are plain files."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, cli_env
from integration_helpers import sensor_script

ACTION = REPO_ROOT / ".github" / "actions" / "ecoai-gate"
GATES = "[max_increase.total]\nenergy = 10\n"


def gate(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    (tmp_path / "gates.toml").write_text(GATES)
    env = cli_env(
        **sensor_script(tmp_path, power_w=3600.0),
        ECOAI=f"{shlex.quote(sys.executable)} -m ecoai",
        WORK_DIR=str(tmp_path / "work"),
        GITHUB_OUTPUT=str(tmp_path / "output"),
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
        **inputs,
    )
    done = subprocess.run(
        ["bash", str(ACTION / "gate.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = tmp_path / "output"
    return done, parse_output(output.read_text()) if output.exists() else {}


def parse_output(text: str) -> dict[str, str]:
    """GitHub's $GITHUB_OUTPUT syntax: name=value lines and name<<DELIMITER blocks."""
    values, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        else:
            name, _, value = line.partition("=")
            values[name] = value
    return values


@pytest.mark.slow
def test_a_regression_between_two_commands_fails_with_a_markdown_summary(tmp_path: Path) -> None:
    done, outputs = gate(
        tmp_path,
        BASELINE_COMMAND="sleep 0.2",
        CANDIDATE_COMMAND="sleep 0.8",  # 4x the time at the same scripted power: 4x the energy
        GATES=str(tmp_path / "gates.toml"),
        PROFILE_ARGS="--pue 1.2 --cif 0.4",
    )
    assert done.returncode == 1, done.stderr
    assert outputs["verdict"] == "fail"
    assert "| total.energy" in outputs["summary"] or "energy" in outputs["summary"]
    assert outputs["summary"] == (tmp_path / "summary.md").read_text().rstrip("\n")
    assert Path(outputs["comparison"]).exists()
    assert "FAIL" in outputs["summary"].upper()
    assert done.stderr.rstrip().endswith("ecoai-gate: fail")


@pytest.mark.slow
def test_reports_that_pass_and_a_failure_that_is_only_reported(tmp_path: Path) -> None:
    done, _ = gate(tmp_path, BASELINE_COMMAND="sleep 0.2", CANDIDATE_COMMAND="sleep 0.8")
    assert done.returncode == 0, done.stderr
    base, cand = tmp_path / "work" / "baseline.json", tmp_path / "work" / "candidate.json"
    (tmp_path / "output").unlink()
    same, outputs = gate(tmp_path, BASELINE=str(base), CANDIDATE=str(base), GATES="gates.toml")
    assert same.returncode == 0, same.stderr
    assert outputs["verdict"] == "pass"
    (tmp_path / "output").unlink()
    worse, outputs = gate(
        tmp_path, BASELINE=str(base), CANDIDATE=str(cand), GATES="gates.toml",
        FAIL_ON_REGRESSION="false",
    )  # fmt: skip
    assert worse.returncode == 0 and outputs["verdict"] == "fail"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"CANDIDATE": "x.json"}, "ecoai-gate: error: no baseline"),
        ({"BASELINE": "a.json", "BASELINE_COMMAND": "true"}, "give baseline or baseline-command"),
        ({"BASELINE": "missing.json", "CANDIDATE": "x.json"}, "baseline report missing.json"),
        (
            {"BASELINE_COMMAND": "exit 3", "CANDIDATE": "x.json"},
            "the baseline command failed (exit status 3)",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, inputs: dict[str, str], message: str
) -> None:
    done, outputs = gate(tmp_path, **inputs)
    assert done.returncode == 2
    assert f"ecoai-gate: error: {message}" in done.stderr or message in done.stderr
    assert done.stderr.startswith("ecoai-gate: error: ") or "ecoai: error" not in done.stderr
    assert "Traceback" not in done.stderr
    assert outputs == {}


def test_the_action_passes_every_input_the_script_reads_and_maps_its_outputs() -> None:
    action = (ACTION / "action.yml").read_text()
    script = (ACTION / "gate.sh").read_text()
    header = script.split("set -uo pipefail")[0]
    step = action.split("id: gate", 1)[1]
    read = set(re.findall(r"\$\{([A-Z_]+):-", script))
    read -= {"ECOAI", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"}  # set by the runner / for tests
    passed = set(re.findall(r"^\s+([A-Z_]+): \$\{\{", step, re.M))
    assert read == passed, read ^ passed
    for name in passed:
        assert name in header  # documented at the top of the script
    for output in ("verdict", "summary", "comparison"):
        assert f"steps.gate.outputs.{output}" in action
        assert f'"{output}=' in script or f'"{output}<<' in script
