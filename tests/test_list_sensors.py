"""`ecoai profile --list-sensors`: what this machine would use and why each other sensor is
skipped, without running a command; `--sensors` takes every name of the discovery table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import CliRunner
from fakes.hwmon import intel_card

from ecoai.sensors import BACKENDS, parse_backends


def test_list_sensors_shows_used_and_skipped_and_runs_nothing(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    intel_card(tmp_path / "class" / "hwmon")
    marker = tmp_path / "ran"
    done = ecoai_cli(
        "profile",
        "--list-sensors",
        "--powercap-root",
        str(tmp_path / "class" / "powercap"),
        "--",
        sys.executable,
        "-c",
        f"open({str(marker)!r}, 'w')",
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    out = done.stdout
    assert "Would use:" in out and "intel-gpu:0: gpu counter, device" in out
    assert "driver=xe" in out
    skipped = out.split("Skipped:")[1]
    for name in ("nvml", "amdsmi", "jetson", "rapl"):
        assert f"  {name}" in skipped
    assert "powercap does not exist" in skipped


def test_list_sensors_json(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    intel_card(tmp_path / "class" / "hwmon")
    flags = ["--cpu-tdp-w", "100", "--powercap-root", str(tmp_path / "class" / "powercap")]
    done = ecoai_cli(
        "profile", "--list-sensors", "--json", "--sensors", "intel-gpu,cpu-model", *flags
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert [s["name"] for s in document["used"]] == ["intel-gpu:0", "cpu-model", "dram-model"]
    assert document["used"][0]["facts"]["driver"] == "xe" and document["skipped"] == []


def test_a_named_sensor_that_is_unavailable_is_the_same_error_as_in_a_run(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    flags = ["--powercap-root", str(tmp_path / "class" / "powercap")]
    done = ecoai_cli("profile", "--list-sensors", "--sensors", "jetson", *flags)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("ecoai: error: sensor 'jetson' is unavailable")
    assert "hint:" in done.stderr and "ina3221" in done.stderr


def test_profile_without_a_command_is_an_error_naming_list_sensors(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profile")
    assert done.returncode == 2
    assert done.stderr.startswith("ecoai: error: missing the command to measure")
    assert "--list-sensors" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("name", [backend.name for backend in BACKENDS])
def test_sensors_accepts_every_backend_name(name: str) -> None:
    assert parse_backends(f"{name},auto") == [name, "auto"]


def test_an_unknown_sensor_names_the_closest() -> None:
    from ecoai.errors import SensorError

    with pytest.raises(SensorError) as raised:
        parse_backends("amd-smi")
    assert "'amdsmi'" in (raised.value.hint or "")
