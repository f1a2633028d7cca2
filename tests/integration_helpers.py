"""Shared by the integration tests: a scripted sensor, a measured report, the CLI environment."""

from __future__ import annotations

import json
from pathlib import Path

from ecoai.models import Report
from ecoai.validation import validate_json

FACTORS = ["--pue", "1.2", "--wue-site", "0.5", "--wue-source", "3", "--cif", "0.4"]
WORK = """\
import ecoai.track as track, time
with track.phase("train"):
    time.sleep(0.3)
track.query(2, input_tokens=20, output_tokens=500)
"""


def sensor_script(tmp_path: Path, power_w: float = 200.0) -> dict[str, str]:
    """ECOAI_FAKE_SENSORS naming a one-GPU script drawing ``power_w``."""
    script = tmp_path / "sensors.json"
    script.write_text(
        json.dumps(
            {
                "sensors": [
                    {
                        "name": "fake-gpu",
                        "component": "gpu",
                        "power_w": power_w,
                        "facts": {"uuid": "GPU-fake"},
                    }
                ]
            }
        )
    )
    return {"ECOAI_FAKE_SENSORS": str(script)}


def work_script(tmp_path: Path) -> Path:
    """A command reporting a phase, two queries and 500 output tokens through ecoai.track."""
    path = tmp_path / "work.py"
    path.write_text(WORK)
    return path


def read_report(path: Path) -> Report:
    return validate_json(Report, path.read_text(encoding="utf-8"))
