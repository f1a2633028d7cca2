"""FakeNvml with MIG instances: the pynvml names ecoai's MIG path calls (checked against the
real module). A MIG handle answers only what NVML answers for one: no energy, no power."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from fakes.nvml import FakeGpu, FakeNvml, NVMLError

NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_INVALID_ARGUMENT = 2

MIG_NAMES = (
    "nvmlDeviceGetHandleByUUID",
    "nvmlDeviceIsMigDeviceHandle",
    "nvmlDeviceGetDeviceHandleFromMigDeviceHandle",
    "nvmlDeviceGetIndex",
    "nvmlDeviceGetAttributes",
    "nvmlDeviceGetMaxMigDeviceCount",
)


@dataclass
class FakeMig:
    """A MIG device (compute instance) of ``parent`` with ``slices`` compute slices."""

    uuid: str
    parent: FakeGpu
    slices: int


class FakeMigNvml(FakeNvml):
    def __init__(self, gpus: list[FakeGpu], migs: list[FakeMig], total_slices: int = 7) -> None:
        super().__init__(gpus)
        self.migs = migs
        self.total_slices = total_slices

    def nvmlDeviceGetHandleByUUID(self, uuid: str) -> Any:
        for handle in [*self.gpus, *self.migs]:
            if handle.uuid == uuid:
                return handle
        raise NVMLError(NVML_ERROR_NOT_FOUND)

    def nvmlDeviceIsMigDeviceHandle(self, handle: Any) -> bool:
        return isinstance(handle, FakeMig)

    def nvmlDeviceGetDeviceHandleFromMigDeviceHandle(self, handle: Any) -> FakeGpu:
        if not isinstance(handle, FakeMig):
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return handle.parent

    def nvmlDeviceGetIndex(self, handle: FakeGpu) -> int:
        return self.gpus.index(handle)

    def nvmlDeviceGetAttributes(self, handle: Any) -> Any:
        if not isinstance(handle, FakeMig):
            raise NVMLError(3)  # NOT_SUPPORTED: attributes are for MIG handles only
        return SimpleNamespace(
            multiprocessorCount=handle.slices * 16,
            gpuInstanceSliceCount=handle.slices,
            computeInstanceSliceCount=handle.slices,
        )

    def nvmlDeviceGetMaxMigDeviceCount(self, handle: FakeGpu) -> int:
        return self.total_slices
