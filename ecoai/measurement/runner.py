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
from ecoai.measurement.cputime import (
    CpuTimeMethod,
    RunCgroup,
    become_subreaper,
    children_of,
    live_tree_cpu_s,
    reap_adopted,
)


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
    """CPU time (user + system) of the child and every descendant, waited for or not, alive or
    gone (``cpu_time_method`` says how it was counted; see ecoai.measurement.cputime)."""
    error: str | None = None
    survivors: tuple[int, ...] = ()
    """Processes the child started that were still running when it exited (Linux only)."""
    cpu_time_method: CpuTimeMethod | None = None
    """How child_cpu_s was counted (None: not by the runner, e.g. the Python API's block)."""


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
    cgroup: bool = True,
) -> RunResult:
    """Run ``argv`` to completion and return how it ended (see the module docstring).

    ``env`` replaces the inherited environment (None: inherit ecoai's, unchanged).
    ``cgroup``: count the tree's CPU time in a cgroup of its own where the kernel allows one
    (False: the subreaper route; see ecoai.measurement.cputime).
    """
    subreaper = become_subreaper()
    earlier = set(_left_running)  # survivors of an earlier run, reaped here: not this run's
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    group = RunCgroup.create() if cgroup else None
    start_s = clock()
    held = _guard
    if held is not None and held.received is not None:
        if group is not None:
            group.close()
        return _not_started(held.received, start_s, clock)
    forwarder = _Forwarder(None, grace_s)
    previous = _install(forwarder)  # before Popen: no window where a signal kills ecoai
    try:
        inside = group is not None and group.enter()
        failed: OSError | None = None
        try:
            child = subprocess.Popen(list(argv), env=None if env is None else dict(env))
        except OSError as error:
            failed = error
        finally:
            if group is not None and not (group.leave() and inside and failed is None):
                group.close()  # not used: the command did not start, or ecoai could not get out
                group = None
        if isinstance(failed, FileNotFoundError):
            return _failed(ExitStatus.NOT_FOUND, f"{argv[0]}: command not found", start_s, clock)
        if failed is not None:
            return _failed(
                ExitStatus.NOT_EXECUTABLE, f"{argv[0]}: {failed.strerror}", start_s, clock
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
    earlier_s = reap_adopted(earlier) if subreaper else 0.0
    alive = orphans()
    survivors = tuple(pid for pid in alive if pid not in earlier)
    _left_running.intersection_update(alive)
    _left_running.update(survivors)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (usage.ru_utime - usage0.ru_utime) + (usage.ru_stime - usage0.ru_stime) - earlier_s
    method: CpuTimeMethod = "rusage"
    if group is not None and (in_group_s := group.cpu_s()) is not None:
        cpu_s, method = in_group_s, "cgroup"
    elif subreaper:
        cpu_s, method = cpu_s + live_tree_cpu_s(list(survivors)), "subreaper"
    if group is not None:
        group.close()
    killed_by = -returncode if returncode < 0 else None
    return RunResult(
        exit_status=exit_status(returncode, forwarder.received),
        returncode=returncode,
        signal=killed_by,
        interrupted=forwarder.received is not None,
        duration_s=duration_s,
        child_cpu_s=cpu_s,
        survivors=survivors,
        cpu_time_method=method,
    )


_left_running: set[int] = set()
"""PIDs that outlived an earlier run in this process (``--repeat``), still ecoai's children."""


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


def orphans() -> tuple[int, ...]:
    """PIDs of ecoai's own child processes still alive (zombies excluded), from /proc."""
    return tuple(pid for pid, state in children_of(os.getpid()) if state != b"Z")


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
