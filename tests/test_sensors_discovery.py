"""Discovery: order of preference, skips with reasons, explicit requests, the fake switch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.powercap import typical_tree

from ecoai.errors import SensorError
from ecoai.sensors import FAKE_ENV, NVML_NOT_FOUND, SensorRequest, discover, parse_backends

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


def test_the_nvml_library_message_is_pynvmls_own() -> None:
    import pynvml

    assert str(pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)) == NVML_NOT_FOUND


NVML_PROBE = """
import ctypes, json, sys
from ecoai.sensors import NVML_LIBRARY, SensorRequest, discover
found = discover(SensorRequest(backends=["auto"]), env={})
quick = [s.reason for s in found.skipped if s.name == "nvml"]
imported = "pynvml" in sys.modules
found.close()
import pynvml
from ecoai.sensors.nvml import open_nvml
slow = open_nvml(pynvml, None)
try:
    ctypes.CDLL(NVML_LIBRARY)
    library = True
except OSError:
    library = False
print(json.dumps({"quick": quick, "imported": imported, "library": library,
                  "slow": [s.reason for s in slow.skipped if s.name == "nvml"]}))
slow.close()
"""


def test_nvml_is_skipped_without_pynvml_exactly_as_pynvml_would_skip_it() -> None:
    """Without the NVIDIA library, discovery skips NVML with pynvml's own reason without
    importing pynvml (a fresh interpreter); with it, pynvml is imported and used as before."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", NVML_PROBE], capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout)
    if seen["library"]:
        assert seen["imported"]
    else:
        assert not seen["imported"]
        assert seen["quick"] == seen["slow"] == ["NVML did not initialise: " + NVML_NOT_FOUND]


def test_an_injected_pynvml_is_used_whatever_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    class Refusing:
        class NVMLError(Exception):
            pass

        def nvmlInit(self) -> None:
            raise self.NVMLError("from the fake")

    monkeypatch.setitem(sys.modules, "pynvml", Refusing())
    found = discover(SensorRequest(backends=["auto"], cpu_tdp_w=100), env=NO_GPU)
    assert [s.reason for s in found.skipped if s.name == "nvml"] == [
        "NVML did not initialise: from the fake"
    ]
    found.close()
