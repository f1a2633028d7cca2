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
from typing import TYPE_CHECKING, Any

from ecoai import units
from ecoai.sensors.base import Discovery, Reading, Skip, skip
from ecoai.sensors.counters import HEADROOM
from ecoai.sensors.mig import open_migs, split_visible

if TYPE_CHECKING:
    from ecoai.models import Component, SensorMethod, SensorScope

FALLBACK_MAX_POWER_W = 2000.0
"""A GPU's ceiling when NVML reads no power limit: twice the highest board power of current
data-centre GPUs (NVIDIA B200: 1000 W, datasheet), so only impossible intervals are caught."""


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
    gpm: Any = None
    """A MIG instance's GPM engine activity (``mig.GpmActivity``): its share per run, where the
    GPU has GPM; None: the static share applies."""

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
        # the ceiling each interval is checked against (ecoai.sensors.counters). Units: W.
        self.max_power_w, self.max_power_source = max_power(self.nvml, handle)
        self._clock = clock
        self._closed = False
        session.users += 1

    def read(self) -> Reading:
        t_s = self._clock()
        if self.method == "counter":
            energy_mj = self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle)
            return Reading(t_s, energy_j=units.mj_to_j(energy_mj))
        return Reading(t_s, power_w=units.mw_to_w(self.nvml.nvmlDeviceGetPowerUsage(self.handle)))

    def read_power_w(self) -> float:
        """The GPU's power now (NVML's own averaging window). Units: W."""
        return units.mw_to_w(self.nvml.nvmlDeviceGetPowerUsage(self.handle))

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
            if self.gpm is not None:
                self.gpm.close()
            self.session.release()


def open_nvml(
    nvml: Any,
    visible: str | None,
    clock: Callable[[], float] | None = None,
    order: str | None = None,
) -> Discovery:
    """Open a sensor per GPU the child can see; every GPU or failure not used is a skip.

    ``visible`` and ``order`` are the child's CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER; an
    index mapping that CUDA's order leaves ambiguous is said in ``notes`` (``order_note``).
    """
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
        note = order_note(nvml, count, visible, order, indexes)
        found.notes.extend([note] if note else [])
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


def max_power(nvml: Any, handle: Any) -> tuple[float, str]:
    """The GPU's ceiling for one interval's mean power (W), and where it comes from.

    ``HEADROOM`` x the highest of the enforced power limit and the largest limit the board
    allows (``nvmlDeviceGetPowerManagementLimitConstraints``); ``FALLBACK_MAX_POWER_W`` when
    NVML reads neither.
    """
    limits_mw: list[float] = []
    unreadable = (nvml.NVMLError, AttributeError, TypeError, ValueError, IndexError)
    with contextlib.suppress(*unreadable):
        limits_mw.append(float(nvml.nvmlDeviceGetEnforcedPowerLimit(handle)))
    with contextlib.suppress(*unreadable):
        limits_mw.append(float(nvml.nvmlDeviceGetPowerManagementLimitConstraints(handle)[1]))
    usable = [units.mw_to_w(mw) for mw in limits_mw if mw > 0 and mw == mw and mw < 1e9]
    if not usable:
        return FALLBACK_MAX_POWER_W, "no power limit readable: a generous bound for any GPU"
    return HEADROOM * max(usable), f"{HEADROOM:g} x the highest power limit, {max(usable):.0f} W"


def _works(nvml: Any, getter: Callable[[Any], Any], handle: Any) -> bool:
    try:
        getter(handle)
    except nvml.NVMLError:
        return False
    return True


def select_devices(nvml: Any, count: int, visible: str | None) -> tuple[list[int], list[Skip]]:
    """NVML indexes of the GPUs named by CUDA_VISIBLE_DEVICES (indexes or UUID prefixes).

    Like CUDA, parsing stops at the first entry that names no device. None means all GPUs.
    A numeric entry is CUDA's index into the GPUs sorted by PCI bus id (``pci_order``): exact
    with CUDA_DEVICE_ORDER=PCI_BUS_ID. CUDA's default ``FASTEST_FIRST`` only fixes its device 0
    ("the rest unspecified", CUDA C Programming Guide, CUDA Environment Variables) and matches
    PCI order when every GPU is the same model; ``order_note`` says when it may not.
    """
    if visible is None:
        return list(range(count)), []
    tokens = [token.strip() for token in visible.split(",") if token.strip()]
    if not tokens:
        return [], [skip("nvml", "CUDA_VISIBLE_DEVICES is empty: the command sees no GPU")]
    uuids: list[str] | None = None
    chosen: list[int] = []
    by_cuda: list[int] | None = None
    for token in tokens:
        if token.isdigit():
            if by_cuda is None:
                by_cuda = pci_order(nvml, count)
            index = by_cuda[int(token)] if int(token) < count else -1
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


def pci_order(nvml: Any, count: int) -> list[int]:
    """NVML indexes sorted by PCI bus id (CUDA_DEVICE_ORDER=PCI_BUS_ID); NVML's own order where
    a bus id cannot be read (NVML enumerates by PCI bus id, but does not promise it)."""
    bus_ids: list[str] = []
    for index in range(count):
        try:
            bus_id = nvml.nvmlDeviceGetPciInfo(nvml.nvmlDeviceGetHandleByIndex(index)).busId
        except (nvml.NVMLError, AttributeError):
            return list(range(count))
        bus_ids.append(bus_id.decode() if isinstance(bus_id, bytes) else str(bus_id))
    return sorted(range(count), key=lambda index: (bus_ids[index].lower(), index))


def order_note(
    nvml: Any, count: int, visible: str | None, order: str | None, chosen: list[int]
) -> str | None:
    """A note when CUDA_VISIBLE_DEVICES names GPUs by index, CUDA_DEVICE_ORDER is not
    PCI_BUS_ID, and the host's GPUs are not all one model: CUDA's FASTEST_FIRST order may then
    differ from the PCI order ecoai measured by."""
    if visible is None or (order or "").strip() == "PCI_BUS_ID":
        return None
    if not any(token.strip().isdigit() for token in visible.split(",")):
        return None  # UUIDs name one GPU whatever the order
    names = [str(nvml.nvmlDeviceGetName(nvml.nvmlDeviceGetHandleByIndex(i))) for i in range(count)]
    if len(set(names)) < 2:
        return None  # identical GPUs tie, and CUDA breaks the tie by PCI bus id
    measured = ", ".join(f"NVML {i} ({names[i]})" for i in chosen) or "none"
    setting = f"CUDA_DEVICE_ORDER={order}" if order else "CUDA_DEVICE_ORDER unset"
    return (
        f"CUDA_VISIBLE_DEVICES={visible} names GPUs by index with {setting} (CUDA's "
        f"FASTEST_FIRST order) on a host with different GPUs ({', '.join(sorted(set(names)))}): "
        f"CUDA's index may name another GPU than the one measured, {measured}. Set "
        "CUDA_DEVICE_ORDER=PCI_BUS_ID for the command, or name GPUs by UUID in "
        "CUDA_VISIBLE_DEVICES (nvidia-smi -L lists them)"
    )
