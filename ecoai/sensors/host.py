"""Facts about the host machine, read cheaply: CPU model, CPUs, sockets, memory, busy CPU time.

The CPU model (``cpu_model``) and the measurement (the process tree's share of the machine's busy
CPU time, the report's ``HostInfo``) read them here. Linux first (/proc), psutil elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ecoai.models import HostInfo


@dataclass(frozen=True)
class CpuFacts:
    """What the model needs to know about the machine (read cheaply from /proc and psutil)."""

    model_name: str
    logical_cpus: int
    sockets: int
    memory_gb: float
    """Installed memory, or the container's memory limit when one applies (the smaller). GB."""
    hypervisor: bool = False
    """cpuinfo's ``hypervisor`` flag: a guest, which may see only part of a package."""
    memory_limited: bool = False
    """Whether memory_gb is a cgroup memory limit below the installed memory."""


class ProcStat:
    """Busy CPU time of the machine from /proc/stat's first line, kept open (one pread a call).

    Busy = user + nice + system + irq + softirq; idle, iowait and steal (time the hypervisor
    gave to other guests) are not this machine's work, and guest time is already in user.
    Units: s (from clock ticks). Cold, this costs a third of psutil.cpu_times (measured).
    """

    def __init__(self, path: Path = Path("/proc/stat")) -> None:
        self._fd: int | None = os.open(path, os.O_RDONLY)
        self._tick_s = 1.0 / os.sysconf("SC_CLK_TCK")

    def __call__(self) -> float:
        if self._fd is None:
            raise OSError("ProcStat is closed")
        first = os.pread(self._fd, 512, 0).split(b"\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq = (
            int(v) for v in (first + [b"0"] * 7)[:7]
        )
        return (user + nice + system + irq + softirq) * self._tick_s

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def machine_busy_cpu_s() -> float:
    """Busy CPU time of the whole machine, summed over CPUs (see ProcStat). Units: s."""
    try:
        reader = ProcStat()
    except OSError:  # not Linux: psutil knows the platform's counters
        import psutil

        times = psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))
    try:
        return reader()
    finally:
        reader.close()


def busy_cpu_reader() -> Callable[[], float]:
    """A reader of the machine's busy CPU time (s): /proc/stat kept open, else psutil."""
    try:
        return ProcStat()
    except OSError:
        return machine_busy_cpu_s


def read_cpu_facts(cpuinfo: Path = Path("/proc/cpuinfo")) -> CpuFacts:
    """Model name, logical CPUs, sockets and memory: one read of cpuinfo, two sysconf calls."""
    model_name, sockets, hypervisor = "unknown CPU", set(), False
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name" and model_name == "unknown CPU":
                model_name = value.strip()
            elif key == "physical id":
                sockets.add(value.strip())
            elif key == "flags" and not hypervisor:
                hypervisor = "hypervisor" in value.split()
    except OSError:
        pass  # not Linux: the name stays unknown and the per-vCPU figures apply
    installed_gb = _memory_gb()
    limit_gb = memory_limit_gb()
    limited = limit_gb is not None and limit_gb < installed_gb
    return CpuFacts(
        model_name,
        os.cpu_count() or 1,
        max(1, len(sockets)),
        limit_gb if limit_gb is not None and limited else installed_gb,
        hypervisor,
        limited,
    )


def memory_limit_gb(
    proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = Path("/sys/fs/cgroup")
) -> float | None:
    """The tightest cgroup memory limit over ecoai's cgroup and its ancestors (v2 ``memory.max``,
    v1 ``memory.limit_in_bytes``), or None when none applies. Units: GB (1e9 bytes)."""
    try:
        lines = proc_cgroup.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    limits = []
    for line in lines:
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        if controllers == "":  # v2: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts
            bases, name = [root, root / "unified"], "memory.max"
        elif "memory" in controllers.split(","):
            bases, name = [root / "memory"], "memory.limit_in_bytes"
        else:
            continue
        for base in bases:
            here = base / path.strip().lstrip("/")
            while True:
                limits.append(_bytes(here / name))
                if here == base or base not in here.parents:
                    break
                here = here.parent
    found = [b for b in limits if b is not None and b < 1 << 60]  # v1's "no limit" is ~2**63
    return min(found) / 1e9 if found else None


def _bytes(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdecimal() else None  # "max": no limit


def _memory_gb() -> float:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e9
    except (ValueError, OSError, AttributeError):  # not POSIX: psutil knows
        import psutil

        return float(psutil.virtual_memory().total) / 1e9


def host_info(rank: int | None = None, local_rank: int | None = None) -> HostInfo:
    """Facts about this machine, read after the run (nothing slow before the child starts)."""
    import platform
    import socket

    from ecoai.models import HostInfo

    facts = read_cpu_facts()
    return HostInfo(
        hostname=socket.gethostname(),
        platform=platform.platform(),
        cpu_model=facts.model_name,
        logical_cpus=facts.logical_cpus,
        memory_gb=round(facts.memory_gb, 2),
        rank=rank,
        local_rank=local_rank,
    )


def memory_in_use_gb(
    proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = Path("/sys/fs/cgroup")
) -> float | None:
    """Memory in use where the DRAM model's memory is counted: the container's cgroup usage
    (v2 ``memory.current``, v1 ``memory.usage_in_bytes``) when a memory limit applies, else the
    machine's total minus available (psutil). Units: GB (1e9 bytes); None if unreadable."""
    if memory_limit_gb(proc_cgroup, root) is not None:
        try:
            lines = proc_cgroup.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        for line in lines:
            _, controllers, path = [*line.split(":", 2), "", ""][:3]
            here = path.strip().lstrip("/")
            if controllers == "":
                candidates = [root / here / "memory.current"]
            elif "memory" in controllers.split(","):
                candidates = [root / "memory" / here / "memory.usage_in_bytes"]
            else:
                continue
            for candidate in candidates:
                used = _bytes(candidate)
                if used is not None:
                    return used / 1e9
    try:
        import psutil

        memory = psutil.virtual_memory()
        return float(memory.total - memory.available) / 1e9
    except (ImportError, OSError):
        return None
