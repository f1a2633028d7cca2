"""Sensors: discovery of the energy sensors a machine offers, and their backends.

- ``base``: the Sensor protocol, its Reading and Discovery (the literals are in ``ecoai.models``);
- ``host``: facts about the machine (CPU model, CPUs, memory, busy CPU time, ``host_info``);
- ``nvml`` (NVIDIA GPUs), ``amdsmi`` (AMD GPUs), ``intel_gpu`` (Intel GPUs, hwmon), ``jetson``
  (Jetson power rails), ``apple`` (Apple Silicon through powermetrics or macmon), ``rapl``
  (CPU and DRAM counters), ``cpu_model`` (a CPU and DRAM model),
  ``fake`` (scripted sensors for end-to-end tests): the backends, importing ``base`` (and
  ``host``, ``sysfs``, and ``counters``: the plausibility check of every interval, which the
  sampler applies), never this package.

A sensor reports cumulative energy (a counter, J) or instantaneous power (W) at a time stamp.
Discovery tries the backends of ``BACKENDS`` in order of preference (GPU: NVML, amdsmi, Intel
hwmon, then Jetson rails where no GPU was measured; Apple Silicon: powermetrics as root, else
macmon; CPU and DRAM: RAPL, then a model) and
records every skip with its reason; a sensor the user asked for by name that is unavailable
raises SensorError before the child starts. A new backend is one module plus one row of
``BACKENDS`` (``--sensors`` and the completions follow the table). A sensor whose reading
contains more than its component (a Jetson rail feeding CPU and GPU) says so in ``covers``.

An edge (NVML, sysfs, /proc). May import the vocabulary at the top of ``ecoai`` only; never
``files``, ``inputs``, ``estimation``, ``measurement``, ``comparison``, ``render``, ``watch``,
``commands`` or ``cli`` (checked by ``lint-imports``).
"""

from __future__ import annotations

import os
import sys
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
    hip_visible: str | None = None
    """HIP_VISIBLE_DEVICES of the child (AMD; CUDA_VISIBLE_DEVICES where unset, as HIP does)."""
    rocr_visible: str | None = None
    """ROCR_VISIBLE_DEVICES of the child (AMD, applied before HIP_VISIBLE_DEVICES)."""
    gpu_order: str | None = None
    """CUDA_DEVICE_ORDER of the child (PCI_BUS_ID, FASTEST_FIRST; None: CUDA's default)."""
    powercap_root: Path = Path("/sys/class/powercap")
    """RAPL zones; its sibling ``hwmon`` (``/sys/class/hwmon``) holds the Intel GPUs."""
    i2c_drivers_root: Path = Path("/sys/bus/i2c/drivers")
    """Where the Jetson power monitors (ina3221, ina238) live."""
    proc_cgroup: Path = Path("/proc/self/cgroup")
    cgroup_root: Path = Path("/sys/fs/cgroup")
    """ecoai's cgroup and the cgroup hierarchy: inside a container the CPU model covers the
    container's cgroup (its CPU quota and cpu.stat), not the host."""
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


NVML_LIBRARY = "libnvidia-ml.so.1"
"""The library pynvml's ``nvmlInit`` loads, on every system but Windows."""
NVML_NOT_FOUND = "NVML Shared Library Not Found"
"""pynvml's message for NVML_ERROR_LIBRARY_NOT_FOUND (a test checks it against pynvml's)."""


def _nvml_library_missing() -> bool:
    """Whether ``nvmlInit`` would fail with ``NVML_NOT_FOUND``, known without importing pynvml
    (~8 ms before the command starts, on every machine without an NVIDIA driver).

    Only where the import is left to do: pynvml already imported (or a test's fake in
    ``sys.modules``) is used as is, and a pynvml that cannot be found is imported to say why.
    Then ``nvmlInit`` would load ``NVML_LIBRARY`` with ctypes, as this does, and fail the same way.
    """
    if "pynvml" in sys.modules or sys.platform.startswith("win"):
        return False
    import importlib.util

    if importlib.util.find_spec("pynvml") is None:
        return False
    import ctypes

    try:
        ctypes.CDLL(NVML_LIBRARY)
    except OSError:
        return True
    return False


def _open_nvml(request: SensorRequest, have: frozenset[str]) -> Discovery:
    if _nvml_library_missing():
        return Discovery(skipped=[skip("nvml", f"NVML did not initialise: {NVML_NOT_FOUND}")])
    try:
        import pynvml
    except ImportError as error:  # nvidia-ml-py is a dependency, but be explicit about it
        return Discovery(skipped=[skip("nvml", f"cannot import pynvml: {error}")])
    from ecoai.sensors.nvml import open_nvml

    return open_nvml(pynvml, request.gpu_visible, clock=request.clock, order=request.gpu_order)


def _open_amdsmi(request: SensorRequest, have: frozenset[str]) -> Discovery:
    import contextlib
    import io

    said = io.StringIO()  # amdsmi prints its loader's failure on stdout: keep it off ours
    try:
        with contextlib.redirect_stdout(said):
            import amdsmi  # the optional extra ecoai[amd]; needs ROCm's libamd_smi.so
    except ImportError as error:
        return Discovery(skipped=[skip("amdsmi", f"cannot import amdsmi: {error}")])
    except Exception as error:  # amdsmi 7 raises KeyError('libamd_smi.so') without ROCm
        detail = (said.getvalue().strip().splitlines() or [repr(error)])[0]
        reason = f"amdsmi is installed but cannot load ROCm's libamd_smi.so: {detail}"
        return Discovery(skipped=[skip("amdsmi", reason)])
    from ecoai.sensors.amdsmi import open_amdsmi

    hip = request.hip_visible if request.hip_visible is not None else request.gpu_visible
    return open_amdsmi(amdsmi, request.rocr_visible, hip, clock=request.clock)


def _open_intel_gpu(request: SensorRequest, have: frozenset[str]) -> Discovery:
    from ecoai.sensors.intel_gpu import open_intel_gpu

    return open_intel_gpu(request.powercap_root.parent / "hwmon", clock=request.clock)


def _open_jetson(request: SensorRequest, have: frozenset[str]) -> Discovery:
    from ecoai.sensors.jetson import open_jetson

    return open_jetson(request.i2c_drivers_root, clock=request.clock)


def _open_powermetrics(request: SensorRequest, have: frozenset[str]) -> Discovery:
    from ecoai.sensors.apple import open_apple

    return open_apple("powermetrics", clock=request.clock)


def _open_macmon(request: SensorRequest, have: frozenset[str]) -> Discovery:
    from ecoai.sensors.apple import open_apple

    return open_apple("macmon", clock=request.clock)


def _open_rapl(request: SensorRequest, have: frozenset[str]) -> Discovery:
    from ecoai.sensors.rapl import open_rapl

    return open_rapl(request.powercap_root, clock=request.clock)


def _open_model(request: SensorRequest, have: frozenset[str]) -> Discovery:
    from ecoai.sensors.cpu_model import open_cpu_model
    from ecoai.sensors.host import container_cpu

    container = None
    if "cpu" not in have:
        container = container_cpu(proc_cgroup=request.proc_cgroup, root=request.cgroup_root)
    return open_cpu_model(
        request.cpu_tdp_w,
        request.dram_w_per_gb,
        skip_components=set(have),
        clock=request.clock,
        lookup=request.cpu_tdp_lookup,
        container=container,
    )


BACKENDS: tuple[Backend, ...] = (
    Backend("nvml", _open_nvml, "install the NVIDIA driver, or check CUDA_VISIBLE_DEVICES"),
    Backend(
        "amdsmi",
        _open_amdsmi,
        "pip install 'ecoai[amd]' (the amdsmi package of your ROCm version, ROCm >= 6.0), add the "
        "user to the render and video groups, or check HIP_VISIBLE_DEVICES/ROCR_VISIBLE_DEVICES",
    ),
    Backend(
        "intel-gpu",
        _open_intel_gpu,
        "needs an Intel discrete GPU on the i915 (Linux >= 6.2) or xe (Linux >= 6.8) driver; "
        "energy1_input may be root-only: run as root; --powercap-root's sibling hwmon/ is read",
    ),
    Backend(
        "jetson",
        _open_jetson,
        "needs a Jetson with the ina3221/ina238 hwmon drivers (JetPack >= 5); run as root if "
        "the rails are unreadable",
        only_for=frozenset({"gpu"}),
    ),
    Backend(
        "powermetrics",
        _open_powermetrics,
        "needs Apple Silicon and root: run `sudo ecoai profile ...`, or use macmon "
        "(--sensors macmon, `brew install macmon`) without root",
    ),
    Backend(
        "macmon",
        _open_macmon,
        "needs Apple Silicon and macmon on PATH: `brew install macmon` (no root needed)",
        only_for=frozenset({"cpu", "gpu"}),
    ),
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
            for component in getattr(sensor, "covers", None) or (sensor.component,):
                covered_by.setdefault(component, backend.name)
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
