"""NVIDIA GPUs through NVML (nvidia-ml-py): the energy counter where supported, else power.

``nvmlDeviceGetTotalEnergyConsumption`` (mJ since the driver loaded, Volta and newer) is exact;
``nvmlDeviceGetPowerUsage`` (mW) is integrated only where the counter is not supported
(README, Method §8). A GPU neither can read is skipped with its reason, never read as zero.
The NVML module is passed in, so tests use a fake with the same names.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from ecoai import units
from ecoai.models import Component, SensorMethod, SensorScope, SensorSkip
from ecoai.sensors.base import Discovery, Reading, skip
from ecoai.sensors.mig import open_migs, split_visible


class NvmlSession:
    """nvmlInit once, nvmlShutdown when the last sensor closes."""

    def __init__(self, nvml: Any) -> None:
        self.nvml = nvml
        self.users = 0

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            # shutting down a library that is going away: nothing to report
            with contextlib.suppress(self.nvml.NVMLError):
                self.nvml.nvmlShutdown()


class NvmlSensor:
    """One GPU. Units: the counter is mJ, power mW; readings are J and W."""

    component: Component = "gpu"
    scope: SensorScope = "device"
    method: SensorMethod
    attribution_share: float | None = None
    """A MIG instance's share of this GPU (``mig.py``): attributed statically; None: whole or
    shared by measured utilisation."""

    def __init__(
        self,
        session: NvmlSession,
        handle: Any,
        index: int,
        use_counter: bool,
        facts: dict[str, str],
        clock: Callable[[], float],
    ) -> None:
        self.session = session
        self.nvml = session.nvml
        self.handle = handle
        self.index = index
        self.name = f"nvml:{index}"
        self.method = "counter" if use_counter else "power"
        self.facts = facts
        self.assumptions: list[str] = []
        if not use_counter:
            self.assumptions.append(
                "energy counter not supported on this GPU: power readings integrated over time"
            )
        self._clock = clock
        self._closed = False
        session.users += 1

    def read(self) -> Reading:
        t_s = self._clock()
        if self.method == "counter":
            energy_mj = self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle)
            return Reading(t_s, energy_j=units.mj_to_j(energy_mj))
        return Reading(t_s, power_w=units.mw_to_w(self.nvml.nvmlDeviceGetPowerUsage(self.handle)))

    def process_ids(self) -> set[int]:
        """PIDs with a compute or graphics context on this GPU (as NVML sees them)."""
        pids: set[int] = set()
        for getter in (
            "nvmlDeviceGetComputeRunningProcesses",
            "nvmlDeviceGetGraphicsRunningProcesses",
        ):
            pids.update(int(p.pid) for p in getattr(self.nvml, getter)(self.handle))
        return pids

    def sm_utilisation(self, since_us: int) -> tuple[dict[int, float], int]:
        """Per-process SM utilisation samples newer than ``since_us`` (NVML time stamps, us)."""
        try:
            samples = self.nvml.nvmlDeviceGetProcessUtilization(self.handle, since_us)
        except self.nvml.NVMLError as error:
            if getattr(error, "value", None) == self.nvml.NVML_ERROR_NOT_FOUND:
                return {}, since_us  # no new samples: nothing ran on the GPU since then
            raise
        by_pid: dict[int, float] = {}
        latest = since_us
        for sample in samples:
            by_pid[int(sample.pid)] = by_pid.get(int(sample.pid), 0.0) + float(sample.smUtil)
            latest = max(latest, int(sample.timeStamp))
        return by_pid, latest

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.session.release()


def open_nvml(
    nvml: Any, visible: str | None, clock: Callable[[], float] | None = None
) -> Discovery:
    """Open a sensor per GPU the child can see; every GPU or failure not used is a skip."""
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as error:
        return Discovery(skipped=[skip("nvml", f"NVML did not initialise: {error}")])
    session = NvmlSession(nvml)
    session.users += 1  # held while opening
    found = Discovery()
    try:
        driver = str(nvml.nvmlSystemGetDriverVersion())
        count = int(nvml.nvmlDeviceGetCount())
        rest, migs = split_visible(visible)
        indexes, skipped = select_devices(nvml, count, rest) if rest or not migs else ([], [])
        found.skipped.extend(skipped)
        for index in indexes:
            _open_one(session, index, driver, clock or time.monotonic, found)
        if migs:  # measured as the parent GPU, attributed by the instance's slices
            open_migs(
                nvml,
                migs,
                set(indexes),
                lambda index: _open_one(
                    session, index, driver, clock or time.monotonic, found, process_aware=False
                ),
                found,
            )
    except nvml.NVMLError as error:
        found.skipped.append(skip("nvml", f"NVML query failed: {error}"))
    finally:
        session.release()
    if not found.sensors and not found.skipped:
        found.skipped.append(skip("nvml", "no GPU visible"))
    return found


def _open_one(
    session: NvmlSession,
    index: int,
    driver: str,
    clock: Callable[[], float],
    found: Discovery,
    process_aware: bool = True,
) -> NvmlSensor | None:
    nvml = session.nvml
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    facts = {
        "index": str(index),
        "device_name": str(nvml.nvmlDeviceGetName(handle)),
        "uuid": str(nvml.nvmlDeviceGetUUID(handle)),
        "driver": driver,
    }
    use_counter = _works(nvml, nvml.nvmlDeviceGetTotalEnergyConsumption, handle)
    if not use_counter and not _works(nvml, nvml.nvmlDeviceGetPowerUsage, handle):
        found.skipped.append(
            skip(f"nvml:{index}", "neither the energy counter nor power readings are supported")
        )
        return None
    sensor = NvmlSensor(session, handle, index, use_counter, facts, clock)
    found.sensors.append(sensor)
    if process_aware:
        found.process_aware.append(sensor)
    return sensor


def _works(nvml: Any, getter: Callable[[Any], Any], handle: Any) -> bool:
    try:
        getter(handle)
    except nvml.NVMLError:
        return False
    return True


def select_devices(
    nvml: Any, count: int, visible: str | None
) -> tuple[list[int], list[SensorSkip]]:
    """NVML indexes of the GPUs named by CUDA_VISIBLE_DEVICES (indexes or UUID prefixes).

    Like CUDA, parsing stops at the first entry that names no device. None means all GPUs.
    """
    if visible is None:
        return list(range(count)), []
    tokens = [token.strip() for token in visible.split(",") if token.strip()]
    if not tokens:
        return [], [skip("nvml", "CUDA_VISIBLE_DEVICES is empty: the command sees no GPU")]
    uuids: list[str] | None = None
    chosen: list[int] = []
    for token in tokens:
        if token.isdigit():
            index = int(token)
        else:
            if uuids is None:
                uuids = [
                    str(nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetHandleByIndex(i)))
                    for i in range(count)
                ]
            matches = [i for i, uuid in enumerate(uuids) if uuid.startswith(token)]
            index = matches[0] if len(matches) == 1 else -1
        if not 0 <= index < count:
            return chosen, [
                skip(
                    "nvml",
                    f"CUDA_VISIBLE_DEVICES entry {token!r} names no "
                    "usable GPU; later entries "
                    "ignored, as CUDA does",
                )
            ]
        if index not in chosen:
            chosen.append(index)
    return chosen, []
