"""Discovery: order of preference, skips with reasons, explicit requests, the fake switch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.powercap import typical_tree

from ecoai.errors import SensorError
from ecoai.sensors import FAKE_ENV, SensorRequest, discover, parse_backends

NO_GPU = {"CUDA_VISIBLE_DEVICES": ""}


def test_without_counters_the_model_covers_cpu_and_dram(tmp_path: Path) -> None:
    found = discover(SensorRequest(powercap_root=tmp_path / "none", cpu_tdp_w=100), env=NO_GPU)
    assert [s.name for s in found.sensors if s.component != "gpu"] == ["cpu-model", "dram-model"]
    assert any(s.name == "rapl" and "does not exist" in s.reason for s in found.skipped)
    found.close()


def test_rapl_is_preferred_over_the_model(tmp_path: Path) -> None:
    typical_tree(tmp_path)
    found = discover(SensorRequest(powercap_root=tmp_path), env=NO_GPU)
    names = [s.name for s in found.sensors if s.component != "gpu"]
    assert names == ["rapl:package-0", "rapl:package-0/dram", "rapl:package-1"]
    assert any(s.name == "cpu-model" and "not needed" in s.reason for s in found.skipped)


def test_explicitly_requested_unavailable_sensor_is_an_error(tmp_path: Path) -> None:
    request = SensorRequest(backends=["rapl"], powercap_root=tmp_path / "none")
    with pytest.raises(SensorError) as error:
        discover(request, env=NO_GPU)
    assert "'rapl' is unavailable" in error.value.message
    assert error.value.hint and "chmod" in error.value.hint


def test_explicit_backends_limit_discovery(tmp_path: Path) -> None:
    typical_tree(tmp_path)
    found = discover(SensorRequest(backends=["cpu-model"], powercap_root=tmp_path), env=NO_GPU)
    assert [s.name for s in found.sensors] == ["cpu-model", "dram-model"]


def test_unknown_backend_name_suggests_the_closest() -> None:
    with pytest.raises(SensorError) as error:
        parse_backends("nvml,rapel")
    assert "rapel" in error.value.message and "rapl" in (error.value.hint or "")
    assert parse_backends(" ") == ["auto"]


def test_fake_switch_swaps_in_scripted_sensors(tmp_path: Path) -> None:
    script = tmp_path / "sensors.json"
    script.write_text(
        json.dumps(
            {
                "sensors": [{"name": "fake-gpu", "component": "gpu", "power_w": 100.0}],
                "skipped": [{"name": "rapl", "reason": "scripted"}],
            }
        )
    )
    found = discover(SensorRequest(), env={FAKE_ENV: str(script)})
    assert [s.name for s in found.sensors] == ["fake-gpu"]
    assert found.skipped[0].reason == "scripted"
