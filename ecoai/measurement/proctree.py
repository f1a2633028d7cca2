"""The measured process tree, read cheaply from /proc: its PIDs and their resident memory.

The memory and GPU shares walk the tree a few times a second for the whole run, on the
sampler's thread, so a walk must cost what the tree holds, not what the machine runs. On Linux
each process's children come from ``/proc/PID/task/TID/children`` (one small read per thread of
the tree), and a resident set from ``/proc/PID/statm``, with bare system calls. psutil's
``children(recursive=True)`` reads the stat file of every process on the machine instead
(1.3 ms a walk on a machine of 80 processes, measured; issue 16); it is the fallback where the
children files are missing (another OS, a kernel without ``CONFIG_PROC_CHILDREN``).
A process that exits during a walk is skipped, as psutil skips it.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ecoai.measurement.sampler import Sample

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@functools.cache
def _children_files() -> bool:
    """Whether this kernel has the ``children`` files (Linux 3.5+, CONFIG_PROC_CHILDREN)."""
    pid = os.getpid()
    return os.path.exists(f"/proc/{pid}/task/{pid}/children")


def _read(path: str) -> bytes | None:
    """The start of a small procfs file, or None if it is gone (the process exited)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)


def children(pid: int) -> list[int]:
    """PIDs of ``pid``'s children: each of its threads lists those it forked (and the orphans
    re-parented to it, for a subreaper). Empty once ``pid`` is gone. Linux only."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    for tid in tids:
        text = _read(f"/proc/{pid}/task/{tid}/children")
        if text:
            found += (int(child) for child in text.split())
    return found


def descendants(root_pid: int) -> list[int]:
    """``root_pid``'s live descendants (children first), without ``root_pid`` itself."""
    if not _children_files():
        return _psutil_descendants(root_pid)
    found: list[int] = []
    seen = {root_pid}
    todo = [root_pid]
    while todo:
        for child in children(todo.pop()):
            if child not in seen:
                seen.add(child)
                found.append(child)
                todo.append(child)
    return found


def _psutil_descendants(root_pid: int) -> list[int]:
    import psutil

    try:
        return [child.pid for child in psutil.Process(root_pid).children(recursive=True)]
    except psutil.Error:
        return []


def alive(pid: int) -> bool:
    """Whether ``pid`` exists (a zombie counts: it has not been reaped)."""
    if _children_files():
        return os.path.exists(f"/proc/{pid}")
    import psutil

    return bool(psutil.pid_exists(pid))


def rss_bytes(pid: int) -> int | None:
    """Resident set size of ``pid`` (None once it is gone). Units: bytes."""
    if not _children_files():
        import psutil

        try:
            return int(psutil.Process(pid).memory_info().rss)
        except psutil.Error:
            return None
    text = _read(f"/proc/{pid}/statm")
    fields = text.split() if text else []
    return int(fields[1]) * _PAGE_BYTES if len(fields) > 1 else None


class TreePoller:
    """A sampler listener that polls the measured tree at most once per ``every_s`` of the
    samples' time, once the command has started (``root_pid`` set): the memory and GPU shares.
    Subclasses (dataclasses) declare the three attributes and ``poll``."""

    root_pid: int | None
    every_s: float
    _last_s: float | None

    def __call__(self, sample: Sample) -> None:
        if self.root_pid is None:
            return
        if self._last_s is not None and sample.t_s - self._last_s < self.every_s:
            return
        self._last_s = sample.t_s
        self.poll()

    def poll(self) -> None:
        raise NotImplementedError
