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
    "nvmlDeviceGetMigDeviceHandleByIndex",
    "nvmlDeviceGetGpuInstanceId",
    "nvmlGpmQueryDeviceSupport",
    "nvmlGpmSampleAlloc",
    "nvmlGpmMigSampleGet",
    "nvmlGpmMetricsGet",
    "nvmlGpmSampleFree",
    "c_nvmlGpmMetricsGet_t",
    "NVML_GPM_METRICS_GET_VERSION",
    "NVML_GPM_METRIC_GRAPHICS_UTIL",
)


@dataclass
class FakeMig:
    """A MIG device (compute instance) of ``parent`` with ``slices`` compute slices."""

    uuid: str
    parent: FakeGpu
    slices: int
    gi: int = 0
    """Its GPU instance id."""
    busy_s: float = 0.0
    """Time its compute/graphics engines were busy (advance it to simulate work). Units: s."""


class FakeMigNvml(FakeNvml):
    NVML_GPM_METRICS_GET_VERSION = 1
    NVML_GPM_METRIC_GRAPHICS_UTIL = 1

    def __init__(
        self, gpus: list[FakeGpu], migs: list[FakeMig], total_slices: int = 7, gpm: bool = False
    ) -> None:
        super().__init__(gpus)
        self.migs = migs
        self.total_slices = total_slices
        self.gpm = gpm
        """Whether the GPU supports GPM (Hopper and newer)."""
        self.now_s = 0.0
        """The GPU's clock for GPM samples (advance it with the instances' busy_s)."""
        self.samples_alive = 0

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

    def nvmlDeviceGetMigDeviceHandleByIndex(self, parent: FakeGpu, index: int) -> FakeMig:
        mine = [mig for mig in self.migs if mig.parent is parent]
        if index >= len(mine):
            raise NVMLError(NVML_ERROR_NOT_FOUND)
        return mine[index]

    def nvmlDeviceGetGpuInstanceId(self, handle: Any) -> int:
        if not isinstance(handle, FakeMig):
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return handle.gi

    def nvmlGpmQueryDeviceSupport(self, handle: FakeGpu) -> Any:
        return SimpleNamespace(version=1, isSupportedDevice=int(self.gpm))

    def nvmlGpmSampleAlloc(self) -> Any:
        self.samples_alive += 1
        return SimpleNamespace(gi=None, busy_s=None, t_s=None)

    def nvmlGpmSampleFree(self, sample: Any) -> None:
        self.samples_alive -= 1

    def nvmlGpmMigSampleGet(self, parent: FakeGpu, gi: int, sample: Any) -> Any:
        if not self.gpm:
            raise NVMLError(3)  # NOT_SUPPORTED
        (mig,) = [m for m in self.migs if m.parent is parent and m.gi == gi]
        sample.gi, sample.busy_s, sample.t_s = gi, mig.busy_s, self.now_s
        return sample

    def c_nvmlGpmMetricsGet_t(self) -> Any:
        metrics = [SimpleNamespace(metricId=0, nvmlReturn=0, value=0.0) for _ in range(4)]
        return SimpleNamespace(version=0, numMetrics=0, sample1=None, sample2=None, metrics=metrics)

    def nvmlGpmMetricsGet(self, request: Any) -> Any:
        first, second = request.sample1, request.sample2
        for metric in request.metrics[: request.numMetrics]:
            if metric.metricId != self.NVML_GPM_METRIC_GRAPHICS_UTIL or second.t_s <= first.t_s:
                metric.nvmlReturn = 3  # NOT_SUPPORTED
                continue
            metric.value = (second.busy_s - first.busy_s) / (second.t_s - first.t_s) * 100
        return request
