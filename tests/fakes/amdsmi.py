"""A fake of the parts of the ``amdsmi`` module ecoai calls (a test checks each name is real).

Shapes follow amdsmi 7 (``py-interface/amdsmi_interface.py``): ``amdsmi_get_energy_count`` ->
``energy_accumulator`` x ``counter_resolution`` uJ; ``amdsmi_get_power_info`` -> W, ``"N/A"``
where a board lacks a field; ``amdsmi_get_power_cap_info`` -> uW.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

FAKED_NAMES = (
    "AmdSmiException",
    "AmdSmiInitFlags",
    "amdsmi_init",
    "amdsmi_shut_down",
    "amdsmi_get_processor_handles",
    "amdsmi_get_gpu_device_uuid",
    "amdsmi_get_gpu_device_bdf",
    "amdsmi_get_gpu_asic_info",
    "amdsmi_get_gpu_driver_info",
    "amdsmi_get_energy_count",
    "amdsmi_get_power_info",
    "amdsmi_get_power_cap_info",
    "amdsmi_get_gpu_process_list",
)


class AmdSmiException(Exception):
    """Like amdsmi.AmdSmiException (the base of AmdSmiLibraryException)."""


class AmdSmiInitFlags(IntEnum):
    INIT_AMD_GPUS = 2


@dataclass
class FakeAmdGpu:
    """One GPU: advance ``ticks`` / set ``power_w`` between reads to simulate work."""

    name: str = "AMD Instinct MI300X"
    uuid: str = "1fff74b5-0000-1000-80e9-b8c6c5a9e3f1"
    serial: str = "0x6a1c3e4d5f607182"
    bdf: str = "0000:0c:00.0"
    ticks: int = 1_000_000
    resolution_uj: float = 15.3
    power_w: Any = 300
    counter_supported: bool = True
    power_cap_uw: int = 750_000_000
    processes: dict[int, int] | None = None
    """PID -> GFX engine time (ns) since it started; None: the process list fails."""


class FakeAmdSmi:
    """Module-like object with the amdsmi names ecoai uses."""

    AmdSmiException = AmdSmiException
    AmdSmiInitFlags = AmdSmiInitFlags

    def __init__(
        self, gpus: list[FakeAmdGpu], driver: str = "6.10.5", init_error: Exception | None = None
    ) -> None:
        self.gpus = gpus
        self.driver = driver
        self.init_error = init_error
        self.initialised = 0
        self.shutdowns = 0

    def amdsmi_init(self, flag: int = AmdSmiInitFlags.INIT_AMD_GPUS) -> None:
        if self.init_error is not None:
            raise self.init_error
        self.initialised += 1

    def amdsmi_shut_down(self) -> None:
        self.shutdowns += 1

    def amdsmi_get_processor_handles(self) -> list[FakeAmdGpu]:
        return list(self.gpus)

    def amdsmi_get_gpu_device_uuid(self, handle: FakeAmdGpu) -> str:
        return handle.uuid

    def amdsmi_get_gpu_device_bdf(self, handle: FakeAmdGpu) -> str:
        return handle.bdf

    def amdsmi_get_gpu_asic_info(self, handle: FakeAmdGpu) -> dict[str, Any]:
        return {"market_name": handle.name, "asic_serial": handle.serial, "vendor_id": 0x1002}

    def amdsmi_get_gpu_driver_info(self, handle: FakeAmdGpu) -> dict[str, Any]:
        return {"driver_name": "amdgpu", "driver_version": self.driver, "driver_date": "N/A"}

    def amdsmi_get_energy_count(self, handle: FakeAmdGpu) -> dict[str, Any]:
        if not handle.counter_supported:
            raise AmdSmiException("AMDSMI_STATUS_NOT_SUPPORTED")
        return {
            "energy_accumulator": handle.ticks,
            "counter_resolution": handle.resolution_uj,
            "timestamp": 0,
        }

    def amdsmi_get_power_info(self, handle: FakeAmdGpu) -> dict[str, Any]:
        return {
            "socket_power": handle.power_w,
            "current_socket_power": "N/A",
            "average_socket_power": "N/A",
            "power_limit": handle.power_cap_uw,
        }

    def amdsmi_get_power_cap_info(self, handle: FakeAmdGpu) -> dict[str, Any]:
        return {
            "power_cap": handle.power_cap_uw,
            "default_power_cap": handle.power_cap_uw,
            "dpm_cap": 0,
            "min_power_cap": 0,
            "max_power_cap": handle.power_cap_uw,
        }

    def amdsmi_get_gpu_process_list(self, handle: FakeAmdGpu) -> list[dict[str, Any]]:
        if handle.processes is None:
            raise AmdSmiException("AMDSMI_STATUS_NO_PERM")
        return [
            {
                "name": f"proc{pid}",
                "pid": pid,
                "mem": 0,
                "engine_usage": {"gfx": gfx_ns, "enc": 0},
                "memory_usage": {"gtt_mem": 0, "cpu_mem": 0, "vram_mem": 0},
                "cu_occupancy": "N/A",
            }
            for pid, gfx_ns in handle.processes.items()
        ]
