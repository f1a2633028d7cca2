"""MIG: an instance named in ``CUDA_VISIBLE_DEVICES`` (``MIG-<uuid>``) measured as its parent
GPU's energy, attributed to the command by the instance's share of the GPU's compute slices.

NVML reads energy and power for a whole GPU only; a MIG instance has neither. So the parent's
counter is read (the whole-GPU energy, as for any GPU) and the report attributes the instance's
share, per run, by the first of:

1. GPU engine activity from NVML's GPM metrics (Hopper and newer, ``nvmlGpmQueryDeviceSupport``):
   a GPM sample of every GPU instance on the parent (``nvmlGpmMigSampleGet``) when the run starts
   and ends, and ``NVML_GPM_METRIC_GRAPHICS_UTIL`` (% of the interval the instance's compute or
   graphics engines were busy) between them (``nvmlGpmMetricsGet``). Each instance's busy share
   of the whole GPU is its activity x its slices / the GPU's slices; the command's instances get
   their part of the sum over every instance. A run in which no instance was busy falls back to:
2. compute slices: ``computeInstanceSliceCount`` of the instance (``nvmlDeviceGetAttributes``)
   over the GPU's slices (``nvmlDeviceGetMaxMigDeviceCount``: 7 on A100/H100/H200/B200, 4 on A30,
   one instance per slice at most, NVIDIA MIG User Guide, "Supported MIG Profiles"): a static
   share of compute, stated as such.

Memory and copy engines are not told apart either way. Which one was used is stated.

NVML names: ``nvmlDeviceGetHandleByUUID`` (accepts a MIG UUID, driver R470 and newer),
``nvmlDeviceIsMigDeviceHandle``, ``nvmlDeviceGetDeviceHandleFromMigDeviceHandle``,
``nvmlDeviceGetIndex``, ``nvmlDeviceGetAttributes``, ``nvmlDeviceGetMaxMigDeviceCount``,
``nvmlDeviceGetMigDeviceHandleByIndex``, ``nvmlDeviceGetGpuInstanceId``, and GPM's
``nvmlGpmQueryDeviceSupport``, ``nvmlGpmSampleAlloc``, ``nvmlGpmMigSampleGet``,
``nvmlGpmMetricsGet``, ``nvmlGpmSampleFree``, ``c_nvmlGpmMetricsGet_t``,
``NVML_GPM_METRICS_GET_VERSION``, ``NVML_GPM_METRIC_GRAPHICS_UTIL``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ecoai.sensors.base import Discovery, skip


@dataclass(frozen=True)
class MigInstance:
    """A MIG instance: its UUID, its parent's NVML index, and its compute slices of the GPU's."""

    uuid: str
    parent_index: int
    slices: int
    total_slices: int
    handle: Any = None
    parent: Any = None

    @property
    def share(self) -> float:
        """The instance's share of the parent GPU's compute slices (0 to 1)."""
        return self.slices / self.total_slices


def split_visible(visible: str | None) -> tuple[str | None, list[str]]:
    """``CUDA_VISIBLE_DEVICES`` without its MIG entries (None stays None), and the MIG entries."""
    if visible is None:
        return None, []
    tokens = [token.strip() for token in visible.split(",") if token.strip()]
    migs = [token for token in tokens if token.startswith("MIG-")]
    return ",".join(token for token in tokens if not token.startswith("MIG-")), migs


def resolve(nvml: Any, token: str) -> MigInstance | str:
    """The instance ``token`` names, or the reason it cannot be measured."""
    try:
        handle = nvml.nvmlDeviceGetHandleByUUID(token)
        if not nvml.nvmlDeviceIsMigDeviceHandle(handle):
            return f"{token} is not a MIG instance"
        parent = nvml.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(handle)
        parent_index = int(nvml.nvmlDeviceGetIndex(parent))
        slices = int(nvml.nvmlDeviceGetAttributes(handle).computeInstanceSliceCount)
        total = int(nvml.nvmlDeviceGetMaxMigDeviceCount(parent))
    except nvml.NVMLError as error:
        return f"NVML cannot resolve MIG instance {token}: {error}"
    if not 0 < slices <= total:
        return f"MIG instance {token} reports {slices} of {total} slices: no share to attribute"
    return MigInstance(token, parent_index, slices, total, handle, parent)


@dataclass
class GpmActivity:
    """Engine activity of every GPU instance on one parent GPU over a run, from NVML's GPM.

    ``begin`` samples every instance; ``share`` samples them again and returns the command's
    instances' part of the GPU's busy engine time (None when no instance was busy, or GPM
    failed: the slices then apply). Units: fractions (0 to 1)."""

    nvml: Any
    parent: Any
    slices: dict[int, int]
    """GPU instance id -> its slices, for every instance on the parent."""
    ours: frozenset[int]
    """The GPU instance ids of the command's MIG instances."""
    total_slices: int
    last: dict[int, float] = field(default_factory=dict)
    """Each instance's engine activity (%) over the latest run."""
    _start: dict[int, Any] = field(default_factory=dict)

    def begin(self) -> None:
        """Take a GPM sample of every instance (the run starts)."""
        self._free(self._start)
        self._start = self._samples()

    def share(self) -> float | None:
        """The command's instances' share of the GPU's busy engine time since ``begin``."""
        start, self._start = self._start, {}
        end = self._samples()
        try:
            self.last = {}
            for gi, first in start.items():
                if gi in end and (util := self._util(first, end[gi])) is not None:
                    self.last[gi] = util
        finally:
            self._free(start)
            self._free(end)
        if not self.ours <= self.last.keys():
            return None  # an instance of ours was not measured: the slices apply
        busy = {gi: util / 100 * self.slices[gi] for gi, util in self.last.items()}
        total = sum(busy.values())
        if total <= 0:
            return None
        return min(1.0, sum(busy[gi] for gi in self.ours) / total)

    def _samples(self) -> dict[int, Any]:
        samples: dict[int, Any] = {}
        for gi in self.slices:
            try:
                sample = self.nvml.nvmlGpmSampleAlloc()
            except self.nvml.NVMLError:
                continue
            try:
                self.nvml.nvmlGpmMigSampleGet(self.parent, gi, sample)
            except self.nvml.NVMLError:
                self._free({gi: sample})
                continue
            samples[gi] = sample
        return samples

    def _util(self, first: Any, second: Any) -> float | None:
        request = self.nvml.c_nvmlGpmMetricsGet_t()
        request.version = self.nvml.NVML_GPM_METRICS_GET_VERSION
        request.numMetrics = 1
        request.sample1, request.sample2 = first, second
        request.metrics[0].metricId = self.nvml.NVML_GPM_METRIC_GRAPHICS_UTIL
        try:
            self.nvml.nvmlGpmMetricsGet(request)
        except self.nvml.NVMLError:
            return None
        metric = request.metrics[0]
        value = float(metric.value)
        if metric.nvmlReturn != 0 or not math.isfinite(value) or not 0 <= value <= 100.5:
            return None
        return min(100.0, value)

    def _free(self, samples: dict[int, Any]) -> None:
        for sample in samples.values():
            with contextlib.suppress(Exception):  # freeing is best effort
                self.nvml.nvmlGpmSampleFree(sample)

    def close(self) -> None:
        self._free(self._start)
        self._start = {}


def gpm_activity(nvml: Any, parent: Any, ours: list[Any], total: int) -> GpmActivity | str:
    """GPM engine activity for the command's MIG handles ``ours`` on ``parent``, or the reason
    it is not available (an older GPU or driver, a pynvml without GPM)."""
    try:
        if not nvml.nvmlGpmQueryDeviceSupport(parent).isSupportedDevice:
            return "GPM is not supported on this GPU (Hopper and newer)"
        our_ids = frozenset(int(nvml.nvmlDeviceGetGpuInstanceId(handle)) for handle in ours)
        slices: dict[int, int] = {}
        for index in range(total):
            try:
                handle = nvml.nvmlDeviceGetMigDeviceHandleByIndex(parent, index)
            except nvml.NVMLError:
                continue  # an empty slot
            gi = int(nvml.nvmlDeviceGetGpuInstanceId(handle))
            slices[gi] = int(nvml.nvmlDeviceGetAttributes(handle).gpuInstanceSliceCount)
    except AttributeError as error:
        return f"this pynvml has no GPM ({error})"
    except nvml.NVMLError as error:
        return f"GPM unavailable: {error}"
    if not our_ids <= slices.keys():
        return "GPM: the instance is not among the parent's GPU instances"
    return GpmActivity(nvml, parent, slices, our_ids, total)


def open_migs(
    nvml: Any,
    tokens: list[str],
    measured_whole: set[int],
    open_parent: Callable[[int], Any],
    found: Discovery,
) -> None:
    """Open a sensor on each instance's parent GPU (``open_parent``: the sensor, or None with a
    skip recorded), unless the parent is already measured whole. Instances of one parent share
    its sensor, their slices added. Every instance that cannot be measured is a skip."""
    by_parent: dict[int, list[MigInstance]] = {}
    for token in tokens:
        instance = resolve(nvml, token)
        if isinstance(instance, str):
            found.skipped.append(skip(f"nvml:{token}", instance))
        elif instance.parent_index in measured_whole:
            reason = f"its parent GPU nvml:{instance.parent_index} is measured whole"
            found.skipped.append(skip(f"nvml:{token}", reason))
        elif all(i.uuid != token for i in by_parent.get(instance.parent_index, [])):
            by_parent.setdefault(instance.parent_index, []).append(instance)
    for parent_index, instances in by_parent.items():
        sensor = open_parent(parent_index)
        if sensor is None:
            continue
        slices = sum(i.slices for i in instances)
        total = instances[0].total_slices
        names = ", ".join(i.uuid for i in instances)
        sensor.name = f"nvml:{parent_index}/" + "+".join(i.uuid for i in instances)
        sensor.facts["mig_uuid"] = names
        sensor.facts["mig_slices"] = f"{slices} of {total}"
        sensor.attribution_share = min(1.0, slices / total)
        gpm = gpm_activity(nvml, instances[0].parent, [i.handle for i in instances], total)
        if isinstance(gpm, GpmActivity):
            sensor.gpm = gpm
            sensor.facts["mig_attribution"] = "gpm"
            sensor.assumptions.append(
                f"MIG instance {names}: the parent GPU's whole energy is measured and the "
                "command is attributed, per run, the instance's share of the GPU's busy engine "
                "time (NVML GPM graphics activity x slices, over every instance's); a run in "
                f"which no instance was busy falls back to its {slices} of {total} compute "
                f"slices ({sensor.attribution_share:.1%})"
            )
        else:
            sensor.facts["mig_attribution"] = "slices"
            sensor.assumptions.append(
                f"MIG instance {names}: the parent GPU's whole energy is measured and the "
                f"command is attributed the instance's {slices} of {total} compute slices "
                f"({sensor.attribution_share:.1%}); other instances' load is not told apart "
                f"({gpm})"
            )
