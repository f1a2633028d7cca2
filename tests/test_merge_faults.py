"""R4: merge never counts one measurement twice; R19: the parts' notes survive a merge."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CliRunner
from fakes.reports import measured_report

from ecoai.comparison.merge import Part, merge, run_ids

FLAGS = ["--pue", "1.2", "--wue-site", "0.5", "--wue-source", "3", "--cif", "0.4"]


@pytest.fixture
def two_reports(ecoai_cli: CliRunner, tmp_path: Path) -> tuple[Path, Path]:
    """Two CPU-only process-tree reports of one host (no GPU UUID to tell them apart)."""
    script = tmp_path / "sensors.json"
    script.write_text(json.dumps({"sensors": [{"name": "cpu", "component": "cpu",
                                               "power_w": 30.0}]}))  # fmt: skip
    env = {"ECOAI_FAKE_SENSORS": str(script)}
    for name in ("a.json", "other.json"):
        code = "import time; time.sleep(0.2)"
        run = ecoai_cli("profile", "-q", "-o", name, *FLAGS, "--", sys.executable, "-c", code,
                        env=env)  # fmt: skip
        assert run.returncode == 0, run.stderr
    return tmp_path / "a.json", tmp_path / "other.json"


@pytest.mark.parametrize("how", ["./", "copy", "symlink", "reindented"])
def test_the_same_report_twice_is_refused(
    ecoai_cli: CliRunner, tmp_path: Path, two_reports: tuple[Path, Path], how: str
) -> None:
    a, _ = two_reports
    second = {
        "./": "./a.json",
        "copy": str(shutil.copy(a, tmp_path / "b.json")),
        "symlink": str(tmp_path / "c.json"),
        "reindented": str(tmp_path / "d.json"),
    }[how]
    if how == "symlink":
        (tmp_path / "c.json").symlink_to(a)
    if how == "reindented":
        (tmp_path / "d.json").write_text(json.dumps(json.loads(a.read_text()), indent=4))
    run = ecoai_cli("merge", "a.json", second, "-o", "m.json")
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(
        f"ecoai: error: a.json and {second} would count one measurement twice"
    )
    assert not (tmp_path / "m.json").exists()


def test_a_merged_report_with_its_own_part_is_refused(
    ecoai_cli: CliRunner, two_reports: tuple[Path, Path]
) -> None:
    assert ecoai_cli("merge", "a.json", "other.json", "-o", "m1.json").returncode == 0
    run = ecoai_cli("merge", "m1.json", "a.json")
    assert run.returncode == 2
    assert "m1.json is a merge that already includes the other" in run.stderr
    # and two merges that share a part
    assert ecoai_cli("merge", "a.json", "other.json", "-o", "m2.json").returncode == 0
    assert "would count one measurement twice" in ecoai_cli("merge", "m1.json", "m2.json").stderr


def test_two_distinct_runs_of_one_host_still_merge(
    ecoai_cli: CliRunner, two_reports: tuple[Path, Path]
) -> None:
    run = ecoai_cli("merge", "a.json", "other.json", "--json")
    assert run.returncode == 0, run.stderr
    merged = json.loads(run.stdout)
    parts = [json.loads(p.read_text()) for p in two_reports]
    assert merged["total"]["it_energy_wh"]["mean"] == pytest.approx(
        sum(p["total"]["it_energy_wh"]["mean"] for p in parts)
    )
    assert all(len(m["runs"]) == 1 for m in merged["extra"]["merged_from"])


def test_nested_merges_keep_every_part_identity() -> None:
    reports = [measured_report([float(i + 1)], host=f"n{i}", gpus=[f"GPU-{i}"]) for i in range(3)]
    inner = merge([Part("a", reports[0]), Part("b", reports[1])], version="t",
                  now=reports[0].created_at)  # fmt: skip
    outer = merge([Part("ab", inner), Part("c", reports[2])], version="t",
                  now=reports[0].created_at)  # fmt: skip
    assert run_ids(outer) == [*run_ids(reports[0]), *run_ids(reports[1]), *run_ids(reports[2])]


def test_the_parts_notes_reach_the_merged_report() -> None:
    a = replace(
        measured_report([1.0], host="a", gpus=["GPU-1"]),
        notes=["1 process(es) the command started outlived it (PID 42)"],
    )
    b = replace(
        measured_report([1.0], host="b", gpus=["GPU-2"]),
        notes=["2 sensor read(s) failed and were skipped"],
    )
    merged = merge([Part("a.json", a), Part("b.json", b)], version="t", now=a.created_at)
    assert "a.json: 1 process(es) the command started outlived it (PID 42)" in merged.notes
    assert "b.json: 2 sensor read(s) failed and were skipped" in merged.notes
    c = measured_report([1.0], host="c", gpus=["GPU-3"])
    again = merge([Part("ab.json", merged), Part("c.json", c)], version="t", now=a.created_at)
    assert "a.json: 1 process(es) the command started outlived it (PID 42)" in again.notes
