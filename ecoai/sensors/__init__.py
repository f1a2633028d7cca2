"""Sensors: discovery of the energy sensors a machine offers, and their backends.

- ``base``: the Sensor protocol, its Reading and Discovery (the literals are in ``ecoai.models``);
- ``host``: facts about the machine (CPU model, CPUs, memory, busy CPU time, ``host_info``);
- ``nvml`` (GPUs), ``rapl`` (CPU and DRAM counters), ``cpu_model`` (a CPU and DRAM model),
  ``fake`` (scripted sensors for end-to-end tests): the backends, importing ``base`` (and
  ``host``, and ``counters``: the plausibility check of every interval, which the sampler
  applies), never this package.

A sensor reports cumulative energy (a counter, J) or instantaneous power (W) at a time stamp.
Discovery tries the backends of ``BACKENDS`` in order of preference (GPU: NVML; CPU and DRAM:
RAPL, then a model) and records every skip with its reason; a sensor the user asked for by name
that is unavailable raises SensorError before the child starts. A new backend (say AMD GPUs
through amdsmi) is one module plus one row of ``BACKENDS``.

An edge (NVML, sysfs, /proc). May import the vocabulary at the top of ``ecoai`` only; never
``files``, ``inputs``, ``estimation``, ``measurement``, ``comparison``, ``render``, ``watch``,
``commands`` or ``cli`` (checked by ``lint-imports``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecoai.errors import SensorError
from ecoai.sensors.base import (
    Discovery,
    ProcessAwareSensor,
    Reading,
    Sensor,
    describe,
    skip,
)

__all__ = [
    "BACKENDS",
    "FAKE_ENV",
    "Backend",
    "Discovery",
    "ProcessAwareSensor",
    "Reading",
    "Sensor",
    "SensorRequest",
    "describe",
    "discover",
    "parse_backends",
    "skip",
]

FAKE_ENV = "ECOAI_FAKE_SENSORS"
"""Hidden switch: a JSON file scripting fake sensors, for end-to-end tests (see fake.py)."""


@dataclass(frozen=True)
class SensorRequest:
    """What the user asked for: backends by name (or auto) and the model's parameters."""

    backends: Sequence[str] = ("auto",)
    gpu_visible: str | None = None
    """CUDA_VISIBLE_DEVICES of the child (indexes or UUIDs); None means every GPU."""
    gpu_order: str | None = None
    """CUDA_DEVICE_ORDER of the child (PCI_BUS_ID, FASTEST_FIRST; None: CUDA's default)."""
    powercap_root: Path = Path("/sys/class/powercap")
    cpu_tdp_w: float | None = None
    dram_w_per_gb: float | None = None
    cpu_tdp_lookup: Callable[[str], tuple[float, str] | None] | None = None
    """CPU model name -> (TDP W, profile id) from profiles/cpus.toml, read only if needed."""
    clock: Callable[[], float] | None = None

    @property
    def explicit(self) -> set[str]:
        return {name for name in self.backends if name != "auto"}


Opener = Callable[[SensorRequest, frozenset[str]], Discovery]
"""Open a backend's sensors: the request, and the components earlier backends already cover."""


@dataclass(frozen=True)
class Backend:
    """One row of the discovery table."""

    name: str
    """The ``--sensors`` name."""
    opener: Opener
    hint: str
    """How to make the backend available, shown when it was asked for by name and is not."""
    only_for: frozenset[str] = frozenset()
    """Components it stands in for: skipped as not needed when earlier backends cover them all
    (empty: always tried)."""


def _open_nvml(request: SensorRequest, have: frozenset[str]) -> Discovery:
    try:
        import pynvml
    except ImportError as error:  # nvidia-ml-py is a dependency, but be explicit about it
        return Discovery(skipped=[skip("nvml", f"cannot import pynvml: {error}")])
    from ecoai.sensors.nvml import open_nvml

    return open_nvml(pynvml, request.gpu_visible, clock=request.clock, order=request.gpu_order)


def _open_rapl(request: SensorRequest, have: frozenset[str]) -> Discovery:
    from ecoai.sensors.rapl import open_rapl

    return open_rapl(request.powercap_root, clock=request.clock)


def _open_model(request: SensorRequest, have: frozenset[str]) -> Discovery:
    from ecoai.sensors.cpu_model import open_cpu_model

    return open_cpu_model(
        request.cpu_tdp_w,
        request.dram_w_per_gb,
        skip_components=set(have),
        clock=request.clock,
        lookup=request.cpu_tdp_lookup,
    )


BACKENDS: tuple[Backend, ...] = (
    Backend("nvml", _open_nvml, "install the NVIDIA driver, or check CUDA_VISIBLE_DEVICES"),
    Backend(
        "rapl",
        _open_rapl,
        "sudo chmod -R a+r /sys/class/powercap/intel-rapl (Linux >= 5.10 makes energy_uj "
        "root-only), or run as root; --powercap-root for a container mount",
    ),
    Backend("cpu-model", _open_model, "pass --cpu-tdp-w", only_for=frozenset({"cpu", "dram"})),
)
"""The backends in order of preference."""

_NAMES = [backend.name for backend in BACKENDS]


def parse_backends(text: str) -> list[str]:
    """Parse ``--sensors`` (comma-separated backend names or ``auto``); unknown names are errors."""
    names = [part.strip() for part in text.split(",") if part.strip()] or ["auto"]
    for name in names:
        if name != "auto" and name not in _NAMES:
            from ecoai.errors import closest

            near = closest(name, [*_NAMES, "auto"])
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise SensorError(
                f"unknown sensor {name!r}", hint + "choose from " + ", ".join([*_NAMES, "auto"])
            )
    return names


def discover(request: SensorRequest, env: dict[str, str] | None = None) -> Discovery:
    """Open the sensors the request allows, in order of preference; cheap (no slow probing)."""
    env = dict(os.environ) if env is None else env
    if env.get(FAKE_ENV):
        from ecoai.sensors.fake import load_script

        return load_script(Path(env[FAKE_ENV]), request.clock)
    wanted = request.explicit or set(_NAMES)
    found = Discovery()
    covered_by: dict[str, str] = {}  # component -> the backend whose sensors cover it
    for backend in BACKENDS:
        if backend.name not in wanted:
            continue
        if backend.only_for and backend.only_for <= covered_by.keys():
            found.skipped.append(skip(backend.name, _not_needed(backend, covered_by)))
            continue
        opened = _try(backend, request, frozenset(covered_by))
        for sensor in opened.sensors:
            covered_by.setdefault(sensor.component, backend.name)
        found.merge(opened)
    return found


def _not_needed(backend: Backend, covered_by: dict[str, str]) -> str:
    """E.g. 'not needed: RAPL counters cover CPU and DRAM'."""
    by = " and ".join(sorted({covered_by[c].upper() for c in backend.only_for}))
    what = " and ".join(c.upper() for c in sorted(backend.only_for))
    return f"not needed: {by} counters cover {what}"


def _try(backend: Backend, request: SensorRequest, have: frozenset[str]) -> Discovery:
    found = backend.opener(request, have)
    if not found.sensors and backend.name in request.explicit:
        found.close()
        reasons = "; ".join(s.reason for s in found.skipped) or "no device found"
        raise SensorError(f"sensor {backend.name!r} is unavailable: {reasons}", backend.hint)
    return found
