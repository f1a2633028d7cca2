"""Scripted sensors for end-to-end tests, switched on by ECOAI_FAKE_SENSORS=<script.json>.

The script: ``{"sensors": [{"name", "component", "method", "power_w", "fail_every"?,
"facts"?}], "skipped": [{"name", "reason"}]}``. A sensor draws a constant ``power_w``: as a
counter (method ``counter`` or ``model``) it reports ``power_w x elapsed`` J, as ``power`` it
reports the power itself. ``fail_every: N`` makes every Nth read raise OSError.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecoai.errors import InputError
from ecoai.sensors.base import Discovery, Reading, Sensor, skip

if TYPE_CHECKING:
    from ecoai.models import Component, SensorMethod, SensorScope


class ScriptedSensor:
    """A sensor with a constant, known power. Units: W, J."""

    component: Component
    method: SensorMethod
    scope: SensorScope

    def __init__(self, spec: dict[str, Any], clock: Callable[[], float]) -> None:
        self.name = str(spec["name"])
        self.component = spec.get("component", "gpu")
        self.method = spec.get("method", "counter")
        self.scope = spec.get("scope", "device" if self.component == "gpu" else "machine")
        self.power_w = float(spec["power_w"])
        self.fail_every = int(spec.get("fail_every", 0))
        self.facts = {str(k): str(v) for k, v in spec.get("facts", {}).items()}
        self.assumptions = ["scripted test sensor (ECOAI_FAKE_SENSORS)"]
        self._clock = clock
        self._t0_s = clock()
        self.reads = 0

    def read(self) -> Reading:
        self.reads += 1
        if self.fail_every and self.reads % self.fail_every == 0:
            raise OSError(f"scripted read failure {self.reads}")
        t_s = self._clock()
        if self.method == "power":
            return Reading(t_s, power_w=self.power_w)
        return Reading(t_s, energy_j=self.power_w * (t_s - self._t0_s))

    def close(self) -> None:
        """Nothing to release."""


def load_script(path: Path, clock: Callable[[], float] | None = None) -> Discovery:
    """Build the scripted sensors and skips of ``path``."""
    try:
        script = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the fake sensor script {path}: {error}") from None
    clock = clock or time.monotonic
    return Discovery(
        sensors=[_sensor(spec, clock) for spec in script.get("sensors", [])],
        skipped=[skip(str(s["name"]), str(s["reason"])) for s in script.get("skipped", [])],
    )


def _sensor(spec: dict[str, Any], clock: Callable[[], float]) -> Sensor:
    return ScriptedSensor(spec, clock)
