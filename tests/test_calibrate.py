"""`ecoai calibrate`: a measured report (scripted sensors) -> a profile entry estimates use."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRunner

PY = sys.executable
GPU_W = 300.0
SERVE = (  # 2,000 output tokens in 4 queries over about 2 s
    "import time\nfrom ecoai import track\n"
    "for _ in range(4):\n    time.sleep(0.5)\n    track.query(1, output_tokens=500)\n"
)


def _script(tmp_path: Path, device_name: str = "NVIDIA H100 80GB HBM3") -> dict[str, str]:
    script = tmp_path / "sensors.json"
    sensors = [
        {"name": "fake-gpu", "component": "gpu", "power_w": GPU_W,
         "facts": {"uuid": "GPU-fake", "device_name": device_name}},
        {"name": "fake-cpu", "component": "cpu", "power_w": 50.0},
    ]  # fmt: skip
    script.write_text(json.dumps({"sensors": sensors}))
    return {"ECOAI_FAKE_SENSORS": str(script)}


@pytest.fixture
def report(ecoai_cli: CliRunner, tmp_path: Path) -> dict[str, Any]:
    done = ecoai_cli("profile", "--scope", "machine", "-q", "-o", "r.json", "--", PY, "-c",
                     SERVE, env=_script(tmp_path), timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads((tmp_path / "r.json").read_text())
    return data


def _sensor_j_per_token(report: dict[str, Any]) -> float:
    """The scripted GPU sensor's J/token: the energy it reported over the tokens counted; its
    constant power x the run's time agrees within the sampler's edges (5 % on a loaded CI)."""
    run = report["measurement"]["runs"][0]
    tokens = report["measurement"]["workload"]["output_tokens"]
    energy_j = next(s["energy_j"] for s in run["sensors"] if s["name"] == "fake-gpu")
    assert energy_j / tokens == pytest.approx(GPU_W * run["duration_s"] / tokens, rel=0.05)
    return float(energy_j / tokens)


def _estimate(cli: CliRunner, *args: str) -> dict[str, Any]:
    done = cli("estimate", "--params-b", "8", "--hardware", "h100-sxm", "--output-tokens", "100",
               "--json", *args)  # fmt: skip
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_round_trip_through_the_toml_and_profiles(
    ecoai_cli: CliRunner, tmp_path: Path, report: dict[str, Any]
) -> None:
    (tmp_path / "cal").mkdir()
    done = ecoai_cli("calibrate", "r.json", "--params-b", "8", "--batch-size", "8", "-o", "cal")
    assert done.returncode == 0, done.stderr
    assert "the data's estimate was" in done.stderr
    files = list((tmp_path / "cal").glob("*.toml"))
    assert len(files) == 1 and "calibrations" in files[0].read_text()
    expected = _sensor_j_per_token(report)
    calibrated = _estimate(ecoai_cli, "--batch-size", "8", "--profiles", "cal")
    per_token = calibrated["intermediate"]["gpu_energy_per_token_j"]
    assert per_token == pytest.approx(expected, rel=0.01)
    source = calibrated["inputs"]["gpu_energy_per_token_j"]["source"]["ref"]
    assert source.startswith("calibrated: ") and "r.json" in source
    ratio = calibrated["intermediate"]["uncalibrated_ratio"]
    plain = _estimate(ecoai_cli, "--batch-size", "8")
    assert plain["intermediate"]["gpu_energy_per_token_j"] / per_token == pytest.approx(ratio)
    assert any(f"{ratio:.3g}x the measurement" in note for note in calibrated["notes"])
    # another batch: scaled by the data's batch curve, with a range
    other = _estimate(ecoai_cli, "--batch-size", "32", "--profiles", "cal")["intermediate"]
    assert other["gpu_energy_per_token_j_min"] < other["gpu_energy_per_token_j"]
    # another model size or GPU count: the calibration does not apply
    bigger = _estimate(ecoai_cli, "--batch-size", "8", "--profiles", "cal", "--gpu-count", "2")
    assert bigger["inputs"]["gpu_energy_per_token_j"]["source"]["ref"].startswith("fitted")


def test_calibrate_for_one_run(ecoai_cli: CliRunner, report: dict[str, Any]) -> None:
    got = _estimate(ecoai_cli, "--batch-size", "8", "--calibrate", "r.json")
    assert got["intermediate"]["gpu_energy_per_token_j"] == pytest.approx(
        _sensor_j_per_token(report), rel=0.01
    )
    assert got["inputs"]["calibration_gpu_energy_per_token_j"]["source"]["ref"] == "--calibrate"


def test_an_unknown_gpu_needs_hardware(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    done = ecoai_cli("profile", "--scope", "machine", "-q", "-o", "r.json", "--", PY, "-c", SERVE,
                     env=_script(tmp_path, "Fake GPU 9000"), timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    refused = ecoai_cli("calibrate", "r.json", "--params-b", "8", "--batch-size", "8")
    assert refused.returncode == 2 and "cannot tell the hardware" in refused.stderr
    assert "hint: pass --hardware" in refused.stderr
    ok = ecoai_cli("calibrate", "r.json", "--params-b", "8", "--batch-size", "8",
                   "--hardware", "dgx-h100")  # fmt: skip
    assert ok.returncode == 0 and 'hardware = "h100-sxm"' in ok.stdout


def test_a_gpu_is_recognised_by_its_profile_name(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    done = ecoai_cli("profile", "--scope", "machine", "-q", "-o", "r.json", "--", PY, "-c", SERVE,
                     env=_script(tmp_path, "NVIDIA B200"), timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    ok = ecoai_cli("calibrate", "r.json", "--params-b", "8", "--batch-size", "8")
    assert ok.returncode == 0 and 'hardware = "b200"' in ok.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "8"], "does not say the model's size"),
        (["--params-b", "8"], "does not say how many requests"),
        (["--params-b", "8", "--active-params-b", "9", "--batch-size", "8"], "active-params-b"),
        (["--params-b", "8", "--batch-size", "8", "--precision", "int3"], "unknown precision"),
        (["--params-b", "-1", "--batch-size", "8"], "--params-b"),
    ],
)
def test_bad_flags_are_one_line_errors(
    ecoai_cli: CliRunner, report: dict[str, Any], args: list[str], message: str
) -> None:
    done = ecoai_cli("calibrate", "r.json", *args)
    assert done.returncode == 2 and message in done.stderr
    assert done.stderr.startswith("ecoai: error:") and "Traceback" not in done.stderr


def test_reports_that_cannot_calibrate(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    estimate = ecoai_cli("estimate", "--model", "gpt-4o", "--prompt", "short", "-o", "e.json")
    assert estimate.returncode == 0, estimate.stderr
    done = ecoai_cli("calibrate", "e.json", "--params-b", "8", "--batch-size", "8")
    assert done.returncode == 2 and "not a measurement" in done.stderr
    silent = ecoai_cli("profile", "--scope", "machine", "-q", "-o", "s.json", "--", PY, "-c",
                       "import time; time.sleep(0.2)", env=_script(tmp_path))  # fmt: skip
    assert silent.returncode == 0, silent.stderr
    done = ecoai_cli("calibrate", "s.json", "--params-b", "8", "--batch-size", "8")
    assert done.returncode == 2 and "counts no output tokens" in done.stderr


def test_an_existing_output_is_kept_without_force(
    ecoai_cli: CliRunner, tmp_path: Path, report: dict[str, Any]
) -> None:
    (tmp_path / "c.toml").write_text("keep")
    done = ecoai_cli("calibrate", "r.json", "--params-b", "8", "--batch-size", "8", "-o", "c.toml")
    assert done.returncode == 2 and (tmp_path / "c.toml").read_text() == "keep"
    forced = ecoai_cli("calibrate", "r.json", "--params-b", "8", "--batch-size", "8",
                       "-o", "c.toml", "--force")  # fmt: skip
    assert forced.returncode == 0 and "calibrations" in (tmp_path / "c.toml").read_text()


def test_a_model_of_the_data_gives_size_and_precision(
    ecoai_cli: CliRunner, tmp_path: Path, report: dict[str, Any]
) -> None:
    done = ecoai_cli("calibrate", "r.json", "--model", "qwen3-8b", "--batch-size", "16",
                     "-o", "q.toml")  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "q.toml").read_text()
    assert 'model = "Qwen/Qwen3-8B"' in text and 'precision = "bf16"' in text
    (tmp_path / "cal").mkdir()
    (tmp_path / "q.toml").rename(tmp_path / "cal" / "q.toml")
    got = ecoai_cli("estimate", "--model", "Qwen/Qwen3-8B", "--hardware", "h100-sxm",
                    "--batch-size", "16", "--output-tokens", "100", "--profiles", "cal",
                    "--json")  # fmt: skip
    assert got.returncode == 0, got.stderr
    per_token = json.loads(got.stdout)["intermediate"]["gpu_energy_per_token_j"]
    assert per_token == pytest.approx(_sensor_j_per_token(report), rel=0.01)


def test_a_report_of_another_gpu_is_refused(ecoai_cli: CliRunner, report: dict[str, Any]) -> None:
    done = ecoai_cli("estimate", "--params-b", "8", "--hardware", "b200", "--output-tokens",
                     "100", "--batch-size", "8", "--calibrate", "r.json")  # fmt: skip
    assert done.returncode == 2 and "measured h100-sxm GPUs, not b200" in done.stderr
