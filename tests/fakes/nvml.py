"""A fake of the parts of the ``pynvml`` module ecoai calls (tests check each name is real)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_LIBRARY_NOT_FOUND = 12


class NVMLError(Exception):
    """Like pynvml.NVMLError: carries the NVML return code in ``value``."""

    def __init__(self, value: int) -> None:
        super().__init__(f"NVML error {value}")
        self.value = value


@dataclass
class FakeGpu:
    """One GPU: advance ``energy_mj`` / set ``power_mw`` between reads to simulate work."""

    name: str = "NVIDIA H100 80GB HBM3"
    uuid: str = "GPU-00000000-0000-0000-0000-000000000000"
    energy_mj: int = 1_000_000
    power_mw: int = 100_000
    counter_supported: bool = True
    power_supported: bool = True
    power_limit_mw: int | None = 700_000
    """The enforced power limit (None: not supported); the H100 SXM's default, 700 W."""
    limit_constraints_mw: tuple[int, int] | None = (200_000, 700_000)
    """The (min, max) power limit the board allows (None: not supported)."""
    pci_bus_id: str = ""
    """nvmlDeviceGetPciInfo().busId; empty: derived from the index (PCI order = NVML order)."""
    compute_pids: list[int] = field(default_factory=list)
    graphics_pids: list[int] = field(default_factory=list)
    util_samples: list[tuple[int, int, int]] = field(default_factory=list)
    """(pid, time stamp us, SM utilisation %)."""


class FakeNvml:
    """Module-like object with the pynvml names ecoai uses."""

    NVMLError = NVMLError
    NVML_ERROR_NOT_FOUND = NVML_ERROR_NOT_FOUND
    NVML_ERROR_NOT_SUPPORTED = NVML_ERROR_NOT_SUPPORTED

    def __init__(self, gpus: list[FakeGpu], driver: str = "550.54.15", init_error: int = 0):
        self.gpus = gpus
        self.driver = driver
        self.init_error = init_error
        self.initialised = 0
        self.shutdowns = 0
        self.calls: list[str] = []

    def nvmlInit(self) -> None:
        if self.init_error:
            raise NVMLError(self.init_error)
        self.initialised += 1

    def nvmlShutdown(self) -> None:
        self.shutdowns += 1

    def nvmlSystemGetDriverVersion(self) -> str:
        return self.driver

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeGpu:
        if not 0 <= index < len(self.gpus):
            raise NVMLError(2)
        return self.gpus[index]

    def nvmlDeviceGetName(self, handle: FakeGpu) -> str:
        return handle.name

    def nvmlDeviceGetUUID(self, handle: FakeGpu) -> str:
        return handle.uuid

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: FakeGpu) -> int:
        self.calls.append("energy")
        if not handle.counter_supported:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return handle.energy_mj

    def nvmlDeviceGetPowerUsage(self, handle: FakeGpu) -> int:
        self.calls.append("power")
        if not handle.power_supported:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return handle.power_mw

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: FakeGpu) -> int:
        if handle.power_limit_mw is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return handle.power_limit_mw

    def nvmlDeviceGetPowerManagementLimitConstraints(self, handle: FakeGpu) -> list[int]:
        if handle.limit_constraints_mw is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return list(handle.limit_constraints_mw)

    def nvmlDeviceGetPciInfo(self, handle: FakeGpu) -> Any:
        bus_id = handle.pci_bus_id or f"00000000:{self.gpus.index(handle) + 1:02X}:00.0"
        return SimpleNamespace(busId=bus_id.encode(), bus=0, device=0, domain=0)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: FakeGpu) -> list[Any]:
        return [SimpleNamespace(pid=pid, usedGpuMemory=0) for pid in handle.compute_pids]

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle: FakeGpu) -> list[Any]:
        return [SimpleNamespace(pid=pid, usedGpuMemory=0) for pid in handle.graphics_pids]

    def nvmlDeviceGetProcessUtilization(self, handle: FakeGpu, since_us: int) -> list[Any]:
        fresh = [s for s in handle.util_samples if s[1] > since_us]
        if not fresh:
            raise NVMLError(NVML_ERROR_NOT_FOUND)
        return [
            SimpleNamespace(pid=p, timeStamp=t, smUtil=u, memUtil=0, encUtil=0, decUtil=0)
            for p, t, u in fresh
        ]


FAKED_NAMES = [name for name in vars(FakeNvml) if name.startswith(("nvml", "NVML"))]
