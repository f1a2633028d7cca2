"""The process tree's share of memory in use, by which DRAM energy is attributed.

A sampler listener: every ``every_s`` seconds it sums the resident set size (RSS) of ecoai's
descendants (the command and everything it started; orphans are re-parented to ecoai, the
subreaper; for a Python API block, this process and its descendants) and reads the memory in
use (the container's cgroup usage when a memory limit applies, else the machine's total minus
available). The share is the ratio of the two sums, within [0, 1]; RSS counts pages shared
between the tree's processes once per process, so a tree of forked workers can read high, and
the share is capped at 1.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ecoai.measurement.proctree import TreePoller, descendants, rss_bytes
from ecoai.sensors.host import MemoryInUse


def tree_rss_gb(root_pid: int) -> float:
    """RSS summed over the measured tree. Units: GB.

    For a command (``root_pid`` is ecoai's child) that is every live descendant of ecoai, so
    orphans re-parented to ecoai count; for a block of the Python API (``root_pid`` is this
    process) it is this process and its descendants. Read from /proc (``proctree``).
    """
    me = os.getpid()
    pids = descendants(me)
    if root_pid == me:
        pids.append(me)
    total = 0
    for pid in pids:
        total += rss_bytes(pid) or 0  # None: exited meanwhile
    return total / 1e9


@dataclass
class MemoryShareTracker(TreePoller):
    """Sums, over the run's polls, the tree's RSS and the memory in use. Units: GB."""

    every_s: float = 0.5
    tree: Callable[[int], float] = tree_rss_gb
    in_use: Callable[[], float | None] = field(default_factory=MemoryInUse)
    """Memory in use (GB), its source found at the first poll: a cgroup file or /proc/meminfo."""
    tree_gb: float = 0.0
    in_use_gb: float = 0.0
    polls: int = 0
    root_pid: int | None = None
    """The command's PID (this process's for a Python API block); None until it started."""
    _last_s: float | None = None

    def poll(self) -> None:
        """One reading of the tree's RSS and the memory in use; errors skip the poll."""
        if self.root_pid is None:
            return
        try:
            in_use = self.in_use()
            tree = self.tree(self.root_pid)
        except Exception:  # a /proc hiccup must not stop the measurement
            return
        if in_use is None or in_use <= 0:
            return
        self.tree_gb += tree
        self.in_use_gb += in_use
        self.polls += 1

    def share(self) -> float | None:
        """The tree's share of memory in use over the run (0 to 1), None without a poll."""
        if not self.polls or self.in_use_gb <= 0:
            return None
        return min(1.0, max(0.0, self.tree_gb / self.in_use_gb))
