"""Shared-GPU detection and attribution by the process tree's share of GPU utilisation.

Every ``every_s`` seconds (a sampler listener, so it runs on the sampler thread) it asks NVML
which processes hold a context on each GPU and for the per-process SM utilisation samples since
the last poll. A GPU with a process outside the command's tree is *shared*; its attributed
energy is the whole-device energy x (the tree's SM utilisation / all processes' SM utilisation).
In a container NVML reports host PIDs, which match no PID of the tree: such GPUs read as shared
with a zero share, and the report says so.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ecoai.measurement.proctree import TreePoller, alive, descendants
from ecoai.sensors.base import ProcessAwareSensor


def process_tree(root_pid: int) -> set[int]:
    """PIDs of ``root_pid`` and all its descendants still alive (empty once it is gone)."""
    if not alive(root_pid):
        return set()
    return {root_pid, *descendants(root_pid)}


@dataclass
class GpuShareTracker(TreePoller):
    """A sampler listener accumulating, per GPU, the tree's and everyone's SM utilisation."""

    sensors: Sequence[ProcessAwareSensor]
    tree: Callable[[int], set[int]] = process_tree
    every_s: float = 1.0
    root_pid: int | None = None
    shared: set[str] = field(default_factory=set)
    tree_util: dict[str, float] = field(default_factory=dict)
    all_util: dict[str, float] = field(default_factory=dict)
    errors: int = 0
    _since_us: dict[str, int] = field(default_factory=dict)
    _last_s: float | None = None

    def poll(self) -> None:
        """One round of NVML process queries; NVML errors are counted, never raised."""
        if self.root_pid is None:
            return
        mine = self.tree(self.root_pid) | {os.getpid()}
        for sensor in self.sensors:
            try:
                self._poll_one(sensor, mine)
            except Exception:  # an NVML hiccup must not stop the measurement
                self.errors += 1

    def _poll_one(self, sensor: ProcessAwareSensor, mine: set[int]) -> None:
        if sensor.process_ids() - mine:
            self.shared.add(sensor.name)
        util, self._since_us[sensor.name] = sensor.sm_utilisation(
            self._since_us.get(sensor.name, 0)
        )
        self.all_util[sensor.name] = self.all_util.get(sensor.name, 0.0) + sum(util.values())
        tree_util = sum(value for pid, value in util.items() if pid in mine)
        self.tree_util[sensor.name] = self.tree_util.get(sensor.name, 0.0) + tree_util

    def shares(self) -> dict[str, float]:
        """Per shared GPU with utilisation samples: the tree's share of them (0 to 1)."""
        return {
            name: self.tree_util.get(name, 0.0) / self.all_util[name]
            for name in sorted(self.shared)
            if self.all_util.get(name, 0.0) > 0
        }
