"""CPU time of the command's whole process tree: every descendant, waited for or not, alive or gone.

``RUSAGE_CHILDREN`` only counts descendants that were waited for, so a fire-and-forget ``Popen``
is lost. Three methods, best first (the report names the one used, ``cpu_time_method``):

* ``cgroup``: the command runs in a cgroup v2 of its own, created for the run beside ecoai's.
  The kernel's ``cpu.stat`` ``usage_usec`` counts every process that ever ran in it (children
  inherit the cgroup at fork): exact and cheap. Needs a writable cgroup v2 hierarchy (root on a
  host or VM; usually not in a container or as a user without delegation).
* ``subreaper``: Linux without a writable cgroup. ecoai is the child subreaper
  (``prctl(PR_SET_CHILD_SUBREAPER)``), so orphans are re-parented to it: after the command
  exits, ecoai reaps the adopted zombies (their CPU time then enters ``RUSAGE_CHILDREN``) and
  adds the CPU time, so far, of descendants still alive (from /proc through psutil).
* ``rusage``: elsewhere, only descendants that were waited for.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Literal

CpuTimeMethod = Literal["cgroup", "subreaper", "rusage"]

_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
_serial = itertools.count()


def become_subreaper() -> bool:
    """Linux: orphaned descendants are re-parented to ecoai, not init. False where not possible."""
    if sys.platform != "linux":
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def cgroup2_mount(mountinfo: Path = Path("/proc/self/mountinfo")) -> Path | None:
    """Where the cgroup v2 hierarchy is mounted (``/sys/fs/cgroup``, or ``.../unified`` on a
    hybrid v1/v2 system), or None."""
    try:
        lines = mountinfo.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields, _, fstype = line.partition(" - ")
        if fstype.split(" ", 1)[0] == "cgroup2":
            parts = fields.split()
            if len(parts) > 4:
                return Path(parts[4].replace("\\040", " "))
    return None


def own_cgroup2(mount: Path | None, proc_cgroup: Path = Path("/proc/self/cgroup")) -> Path | None:
    """The cgroup v2 directory ecoai runs in (from /proc/self/cgroup's ``0::`` line), or None."""
    if mount is None:
        return None
    try:
        lines = proc_cgroup.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            path = mount / line[3:].strip().lstrip("/")
            return path if (path / "cgroup.procs").is_file() else None
    return None


class RunCgroup:
    """A cgroup v2 made for one run; ``create`` returns None where the kernel does not allow it.

    ``enter()`` and ``leave()`` move ecoai into it around the fork, so the child starts inside
    (and every descendant with it). ``cpu_s()`` reads ``usage_usec``; ``close()``
    moves processes still inside back to ecoai's cgroup and removes the directory.
    """

    def __init__(self, path: Path, home: Path) -> None:
        self.path = path
        self.home = home

    @classmethod
    def create(cls, home: Path | None = None) -> RunCgroup | None:
        """A fresh cgroup beside ecoai's own, or None (no cgroup v2, read-only, no permission)."""
        if sys.platform != "linux":
            return None
        home = home or own_cgroup2(cgroup2_mount())
        if home is None or not os.access(home / "cgroup.procs", os.W_OK):
            return None
        path = home / f"ecoai-{os.getpid()}-{next(_serial)}"
        try:
            path.mkdir()
        except OSError:
            return None
        group = cls(path, home)
        if group.cpu_s() is None:
            group.close()
            return None
        return group

    def enter(self) -> bool:
        """Move ecoai into the cgroup, so a child forked now starts inside; False if it failed."""
        return _move(os.getpid(), self.path)

    def leave(self) -> bool:
        """Move ecoai back to its own cgroup; False if it failed (its CPU time would then count)."""
        return _move(os.getpid(), self.home)

    def pids(self) -> list[int]:
        """Processes in the cgroup now."""
        try:
            text = (self.path / "cgroup.procs").read_text(encoding="ascii")
        except OSError:
            return []
        return [int(line) for line in text.split()]

    def cpu_s(self) -> float | None:
        """CPU time (user + system) of every process that ran in the cgroup. Units: s."""
        try:
            for line in (self.path / "cpu.stat").read_text(encoding="ascii").splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
        except (OSError, ValueError):
            return None
        return None

    def close(self) -> None:
        """Move what is left back to ecoai's cgroup and remove the directory (best effort)."""
        for pid in self.pids():
            _move(pid, self.home)
        with contextlib.suppress(OSError):
            self.path.rmdir()


def _move(pid: int, group: Path) -> bool:
    try:
        with open(group / "cgroup.procs", "w", encoding="ascii") as procs:
            procs.write(str(pid))
        return True
    except OSError:
        return False


def reap_adopted(exclude: Collection[int] = ()) -> float:
    """Reap the zombies re-parented to ecoai (the subreaper); their CPU time, and that of the
    descendants they waited for, then counts in ``RUSAGE_CHILDREN``.

    ``exclude``: PIDs that were ecoai's children before this run (survivors of an earlier
    run); they are reaped too. Returns their CPU time (user + system, s), which the caller
    subtracts: it is not this run's.
    """
    excluded_s = 0.0
    for _ in range(8):  # repeat while zombies keep appearing (descendants exiting meanwhile)
        zombies = [pid for pid, state in children_of(os.getpid()) if state == b"Z"]
        if not zombies:
            break
        for pid in zombies:
            try:
                reaped, _status, usage = os.wait4(pid, os.WNOHANG)
            except (ChildProcessError, OSError):
                continue
            if reaped == pid and pid in exclude:
                excluded_s += usage.ru_utime + usage.ru_stime
    return excluded_s


def children_of(parent: int) -> list[tuple[int, bytes]]:
    """(PID, state letter) of each process whose parent is ``parent``, from /proc."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:  # exited meanwhile
                continue
            if int(fields[1]) == parent:
                found.append((int(entry.name), fields[0]))
    return sorted(found)


def live_tree_cpu_s(roots: list[int]) -> float:
    """CPU time so far (own and waited-for children's) of ``roots`` and their live descendants.
    Units: s. Processes that exit while being read are skipped."""
    import psutil

    total, seen = 0.0, set()
    for root in roots:
        try:
            procs = [psutil.Process(root)]
            procs += procs[0].children(recursive=True)
        except psutil.Error:
            continue
        for proc in procs:
            if proc.pid in seen:
                continue
            seen.add(proc.pid)
            try:
                t = proc.cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system + t.children_user + t.children_system
    return total
