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


FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class SignalGuard:
    """Hold SIGINT, SIGTERM and SIGHUP from before the child starts until the report is written.

    A signal that arrives while no child runs (sensor discovery, the baseline, building and
    writing the report) is recorded in ``received`` instead of killing ecoai half-way: the
    report is still written and the caller exits 128 + N. A signal received before a run
    starts stops that run from starting (``run`` returns an interrupted result). Outside the
    main thread it does nothing (Python allows handlers there only).
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum

    def __enter__(self) -> SignalGuard:
        global _guard
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in FORWARDED}
            _guard = self
        return self

    def __exit__(self, *exc: object) -> None:
        global _guard
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous = {}
        if _guard is self:
            _guard = None


_guard: SignalGuard | None = None


class _Forwarder:
    """Signal handlers that pass SIGINT/SIGTERM to the child and escalate after a grace period.

    Installed before the child is started: a signal that arrives while ``Popen`` runs is
    passed on as soon as the child exists (``attach``).
    """

    def __init__(self, child: subprocess.Popen[bytes] | None, grace_s: float) -> None:
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

    def attach(self, child: subprocess.Popen[bytes]) -> None:
        self.child = child
        if self.received is not None and (
            self.received != signal.SIGINT or not _terminal_foreground()
        ):
            self._send(self.received)

    def _escalate(self, signum: int) -> None:
        if self.child is None or self.child.poll() is not None:
            return
        self._send(signum)
        if signum == signal.SIGTERM:
            self._timer = threading.Timer(self.grace_s, self._escalate, args=(signal.SIGKILL,))
            self._timer.daemon = True
            self._timer.start()

    def _send(self, signum: int) -> None:
        if self.child is not None and self.child.poll() is None:
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
    held = _guard
    if held is not None and held.received is not None:
        return _not_started(held.received, start_s, clock)
    forwarder = _Forwarder(None, grace_s)
    previous = _install(forwarder)  # before Popen: no window where a signal kills ecoai
    try:
        try:
            child = subprocess.Popen(list(argv), env=None if env is None else dict(env))
        except FileNotFoundError:
            return _failed(ExitStatus.NOT_FOUND, f"{argv[0]}: command not found", start_s, clock)
        except (PermissionError, IsADirectoryError, OSError) as error:
            return _failed(
                ExitStatus.NOT_EXECUTABLE, f"{argv[0]}: {error.strerror}", start_s, clock
            )
        forwarder.attach(child)
        if on_start is not None:
            on_start(child.pid)
        returncode = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
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


def _install(forwarder: _Forwarder) -> dict[int, object]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.signal(s, forwarder) for s in FORWARDED}


def _not_started(signum: int, start_s: float, clock: Callable[[], float]) -> RunResult:
    name = signal.Signals(signum).name
    return RunResult(
        exit_status=exit_status(-signum, signum),
        returncode=None,
        signal=None,
        interrupted=True,
        duration_s=clock() - start_s,
        child_cpu_s=0.0,
        error=f"{name} received before the command started: it was not run",
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
