"""MIG: an instance named in ``CUDA_VISIBLE_DEVICES`` (``MIG-<uuid>``) measured as its parent
GPU's energy, attributed to the command by the instance's share of the GPU's compute slices.

NVML reads energy and power for a whole GPU only; a MIG instance has neither. So the parent's
counter is read (the whole-GPU energy, as for any GPU) and the report attributes the instance's
share: ``computeInstanceSliceCount`` of the instance (``nvmlDeviceGetAttributes``) over the
GPU's slices (``nvmlDeviceGetMaxMigDeviceCount``: 7 on A100/H100/H200/B200, 4 on A30, one
instance per slice at most, NVIDIA MIG User Guide, "Supported MIG Profiles"). That is a static
share of compute, stated as such: the other instances' work, and memory and copy engines, are
not told apart (NVML's GPM engine activity per instance is not read yet).

NVML names: ``nvmlDeviceGetHandleByUUID`` (accepts a MIG UUID, driver R470 and newer),
``nvmlDeviceIsMigDeviceHandle``, ``nvmlDeviceGetDeviceHandleFromMigDeviceHandle``,
``nvmlDeviceGetIndex``, ``nvmlDeviceGetAttributes``, ``nvmlDeviceGetMaxMigDeviceCount``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ecoai.sensors.base import Discovery, skip


@dataclass(frozen=True)
class MigInstance:
    """A MIG instance: its UUID, its parent's NVML index, and its compute slices of the GPU's."""

    uuid: str
    parent_index: int
    slices: int
    total_slices: int

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
    return MigInstance(token, parent_index, slices, total)


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
        sensor.assumptions.append(
            f"MIG instance {names}: the parent GPU's whole energy is measured and the command is "
            f"attributed the instance's {slices} of {total} compute slices "
            f"({sensor.attribution_share:.1%}); other instances' load is not told apart"
        )
