"""The Sensor protocol, its Reading, and discovery of the sensors a machine offers.

A sensor reports cumulative energy (a counter, J) or instantaneous power (W) at a time stamp.
Discovery tries backends in order of preference (GPU: NVML; CPU and DRAM: RAPL, then a model)
and records every skip with its reason; a sensor the user asked for by name that is
unavailable raises SensorError before the child starts.

An edge (NVML, sysfs, /proc). May import the vocabulary at the top of ``ecoai`` only; never
``files``, ``inputs``, ``estimation``, ``measurement``, ``comparison``, ``render``, ``watch``,
``commands`` or ``cli`` (checked by ``lint-imports``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ecoai.errors import SensorError
from ecoai.models import Component, SensorMethod, SensorScope

BACKENDS = ("nvml", "rapl", "cpu-model")
FAKE_ENV = "ECOAI_FAKE_SENSORS"
"""Hidden switch: a JSON file scripting fake sensors, for end-to-end tests (see fake.py)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading: time (s, the sampler's clock), cumulative energy (J) and/or power (W)."""

    t_s: float
    energy_j: float | None = None
    power_w: float | None = None


class Sensor(Protocol):
    """What the sampler needs from a sensor. ``facts`` and ``assumptions`` go into the report."""

    name: str
    component: Component
    method: SensorMethod
    scope: SensorScope
    facts: dict[str, str]
    assumptions: list[str]

    def read(self) -> Reading: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Skip:
    """A backend or zone that was not used, and why."""

    name: str
    reason: str


@dataclass
class Discovery:
    """The sensors found, and every skip with its reason."""

    sensors: list[Sensor] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def close(self) -> None:
        """Close every sensor (idempotent)."""
        for sensor in self.sensors:
            sensor.close()


@dataclass(frozen=True)
class SensorRequest:
    """What the user asked for: backends by name (or auto) and the model's parameters."""

    backends: Sequence[str] = ("auto",)
    gpu_visible: str | None = None
    """CUDA_VISIBLE_DEVICES of the child (indexes or UUIDs); None means every GPU."""
    powercap_root: Path = Path("/sys/class/powercap")
    cpu_tdp_w: float | None = None
    dram_w_per_gb: float | None = None
    cpu_tdp_lookup: Callable[[str], tuple[float, str] | None] | None = None
    """CPU model name -> (TDP W, profile id) from profiles/cpus.toml, read only if needed."""
    clock: Callable[[], float] | None = None

    @property
    def explicit(self) -> set[str]:
        return {name for name in self.backends if name != "auto"}


def parse_backends(text: str) -> list[str]:
    """Parse ``--sensors`` (comma-separated backend names or ``auto``); unknown names are errors."""
    names = [part.strip() for part in text.split(",") if part.strip()] or ["auto"]
    for name in names:
        if name != "auto" and name not in BACKENDS:
            from ecoai.errors import closest

            near = closest(name, [*BACKENDS, "auto"])
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise SensorError(
                f"unknown sensor {name!r}", hint + "choose from " + ", ".join([*BACKENDS, "auto"])
            )
    return names


def discover(request: SensorRequest, env: dict[str, str] | None = None) -> Discovery:
    """Open the sensors the request allows, in order of preference; cheap (no slow probing)."""
    env = dict(os.environ) if env is None else env
    if env.get(FAKE_ENV):
        from ecoai.sensors.fake import load_script

        return load_script(Path(env[FAKE_ENV]), request.clock)
    wanted = request.explicit or set(BACKENDS)
    found = Discovery()
    if "nvml" in wanted:
        _merge(found, _try("nvml", request, _open_nvml))
    if "rapl" in wanted:
        _merge(found, _try("rapl", request, _open_rapl))
    have: set[str] = {s.component for s in found.sensors}
    if "cpu-model" in wanted:
        if {"cpu", "dram"} - have:
            _merge(found, _try("cpu-model", request, lambda r: _open_model(r, have)))
        else:
            found.skipped.append(Skip("cpu-model", "not needed: RAPL counters cover CPU and DRAM"))
    return found


def _try(
    name: str, request: SensorRequest, opener: Callable[[SensorRequest], Discovery]
) -> Discovery:
    found = opener(request)
    if not found.sensors and name in request.explicit:
        found.close()
        reasons = "; ".join(skip.reason for skip in found.skipped) or "no device found"
        hint = _HINTS.get(name, "run without --sensors to let ecoai choose")
        raise SensorError(f"sensor {name!r} is unavailable: {reasons}", hint)
    return found


_HINTS = {
    "nvml": "install the NVIDIA driver, or check CUDA_VISIBLE_DEVICES",
    "rapl": "sudo chmod -R a+r /sys/class/powercap/intel-rapl (Linux >= 5.10 makes energy_uj "
    "root-only), or run as root; --powercap-root for a container mount",
    "cpu-model": "pass --cpu-tdp-w",
}


def _merge(into: Discovery, other: Discovery) -> None:
    into.sensors.extend(other.sensors)
    into.skipped.extend(other.skipped)
    into.notes.extend(other.notes)


def _open_nvml(request: SensorRequest) -> Discovery:
    try:
        import pynvml
    except ImportError as error:  # nvidia-ml-py is a dependency, but be explicit about it
        return Discovery(skipped=[Skip("nvml", f"cannot import pynvml: {error}")])
    from ecoai.sensors.nvml import open_nvml

    return open_nvml(pynvml, request.gpu_visible, clock=request.clock)


def _open_rapl(request: SensorRequest) -> Discovery:
    from ecoai.sensors.rapl import open_rapl

    return open_rapl(request.powercap_root, clock=request.clock)


def _open_model(request: SensorRequest, have: set[str]) -> Discovery:
    from ecoai.sensors.cpu_model import open_cpu_model

    return open_cpu_model(
        request.cpu_tdp_w,
        request.dram_w_per_gb,
        skip_components=have,
        clock=request.clock,
        lookup=request.cpu_tdp_lookup,
    )


def sensor_facts(sensor: Sensor) -> dict[str, Any]:
    """The static description of a sensor, as the report stores it."""
    return {
        "name": sensor.name,
        "component": sensor.component,
        "method": sensor.method,
        "scope": sensor.scope,
        "facts": dict(sensor.facts),
        "assumptions": list(sensor.assumptions),
    }
