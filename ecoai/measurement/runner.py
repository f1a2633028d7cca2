"""Run the wrapped command like ``time`` does: untouched stdio, its exit status, signals passed on.

No shell: argv is executed as given. The child inherits stdin, stdout, stderr, environment and
working directory. Exit status: the child's own; 127 when the command is not found, 126 when it
cannot be executed, 128 + N when a signal N killed it, 130 when ecoai was interrupted. SIGTERM,
SIGHUP and SIGINT reach the child (SIGINT from a terminal already reaches the whole foreground
process group, so it is forwarded only when ecoai is not in the terminal's foreground group);
after SIGINT or SIGTERM, a child that outlives ``grace_s`` is sent SIGTERM, then SIGKILL. After
SIGHUP ecoai waits: a child that ignores hang-ups (nohup) is meant to outlive the terminal.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType

from ecoai.errors import ExitStatus


@dataclass(frozen=True)
class RunResult:
    """How the child ended. Units: s."""

    exit_status: int
    """What ecoai exits with (see the module docstring)."""
    returncode: int | None
    """The child's own status (negative: killed by that signal); None if it never started."""
    signal: int | None
    interrupted: bool
    duration_s: float
    child_cpu_s: float
    """CPU time (user + system) of the child and the descendants it waited for."""
    error: str | None = None
    survivors: tuple[int, ...] = ()
    """Processes the child started that were still running when it exited (Linux only)."""


class _Forwarder:
    """Signal handlers that pass SIGINT/SIGTERM to the child and escalate after a grace period."""

    def __init__(self, child: subprocess.Popen[bytes], grace_s: float) -> None:
        self.child = child
        self.grace_s = grace_s
        self.received: int | None = None
        self._timer: threading.Timer | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum
        if signum != signal.SIGINT or not _terminal_foreground():
            self._send(signum)
        if self._timer is None and signum != signal.SIGHUP:
            self._timer = threading.Timer(self.grace_s, self._escalate, args=(signal.SIGTERM,))
            self._timer.daemon = True
            self._timer.start()

    def _escalate(self, signum: int) -> None:
        if self.child.poll() is not None:
            return
        self._send(signum)
        if signum == signal.SIGTERM:
            self._timer = threading.Timer(self.grace_s, self._escalate, args=(signal.SIGKILL,))
            self._timer.daemon = True
            self._timer.start()

    def _send(self, signum: int) -> None:
        if self.child.poll() is None:
            # it may exit between poll and kill: then there is nothing left to signal
            with contextlib.suppress(ProcessLookupError):
                self.child.send_signal(signum)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _terminal_foreground() -> bool:
    """True when ecoai's process group owns the terminal, so a Ctrl-C also hit the child."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


def run(
    argv: Sequence[str],
    grace_s: float = 10.0,
    on_start: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    env: Mapping[str, str] | None = None,
) -> RunResult:
    """Run ``argv`` to completion and return how it ended (see the module docstring).

    ``env`` replaces the inherited environment (None: inherit ecoai's, unchanged).
    """
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    _become_subreaper()
    start_s = clock()
    try:
        child = subprocess.Popen(list(argv), env=None if env is None else dict(env))
    except FileNotFoundError:
        return _failed(ExitStatus.NOT_FOUND, f"{argv[0]}: command not found", start_s, clock)
    except (PermissionError, IsADirectoryError, OSError) as error:
        return _failed(ExitStatus.NOT_EXECUTABLE, f"{argv[0]}: {error.strerror}", start_s, clock)
    forwarder = _Forwarder(child, grace_s)
    forwarded = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, forwarder) for s in forwarded}
    try:
        if on_start is not None:
            on_start(child.pid)
        returncode = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        forwarder.cancel()
    duration_s = clock() - start_s
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (usage.ru_utime - usage0.ru_utime) + (usage.ru_stime - usage0.ru_stime)
    killed_by = -returncode if returncode < 0 else None
    survivors = orphans()
    return RunResult(
        exit_status=exit_status(returncode, forwarder.received),
        returncode=returncode,
        signal=killed_by,
        interrupted=forwarder.received is not None,
        duration_s=duration_s,
        child_cpu_s=cpu_s,
        survivors=survivors,
    )


def _become_subreaper() -> None:
    """Linux: orphaned descendants of the child are re-parented to ecoai, not init, so the
    ones that outlive it can be found (``orphans``). Elsewhere a no-op."""
    if sys.platform != "linux":
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


def orphans() -> tuple[int, ...]:
    """PIDs of ecoai's own child processes still alive (zombies excluded), from /proc."""
    me = os.getpid()
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
            if int(fields[1]) == me and fields[0] != b"Z":
                found.append(int(entry.name))
    return tuple(sorted(found))


def exit_status(returncode: int, received: int | None) -> int:
    """ecoai's exit status: 130 after Ctrl-C, 128 + N for signal N, else the child's code."""
    if received == signal.SIGINT:
        return int(ExitStatus.INTERRUPTED)
    if returncode < 0:
        return 128 - returncode
    return returncode


def _failed(
    status: ExitStatus, message: str, start_s: float, clock: Callable[[], float]
) -> RunResult:
    return RunResult(int(status), None, None, False, clock() - start_s, 0.0, message)
