"""The runner: exit statuses, signals forwarded and escalated, CPU time of the child."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from ecoai.measurement.runner import exit_status, run

DATA = Path(__file__).parent / "data"
PY = sys.executable


def test_child_exit_codes_pass_through() -> None:
    assert run([PY, "-c", "pass"]).exit_status == 0
    result = run([PY, "-c", "raise SystemExit(3)"])
    assert (result.exit_status, result.returncode, result.signal) == (3, 3, None)


def test_command_not_found_is_127(tmp_path: Path) -> None:
    result = run([str(tmp_path / "no-such-command")])
    assert result.exit_status == 127 and result.returncode is None
    assert result.error and "command not found" in result.error


def test_not_executable_is_126(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    result = run([str(script)])
    assert result.exit_status == 126 and "Permission denied" in (result.error or "")
    assert run([str(tmp_path)]).exit_status == 126  # a directory


def test_killed_by_a_signal_is_128_plus_n() -> None:
    result = run([PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    assert (result.exit_status, result.signal, result.interrupted) == (137, 9, False)
    assert exit_status(-15, None) == 143


def _signal_self_when_started(marker: Path, signum: int) -> threading.Thread:
    def send() -> None:
        deadline = time.monotonic() + 20
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signum)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_sigterm_is_forwarded_to_the_child(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    sender = _signal_self_when_started(marker, signal.SIGTERM)
    result = run([PY, str(DATA / "wait_for_signal.py"), str(marker)], grace_s=20)
    sender.join()
    assert (result.exit_status, result.signal, result.interrupted) == (143, 15, True)
    assert result.duration_s < 15


def test_sigint_is_forwarded_and_exits_130(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    sender = _signal_self_when_started(marker, signal.SIGINT)
    result = run([PY, str(DATA / "wait_for_signal.py"), str(marker)], grace_s=20)
    sender.join()
    assert result.exit_status == 130 and result.interrupted
    assert result.returncode is not None and result.returncode != 0


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    sender = _signal_self_when_started(marker, signal.SIGTERM)
    started = time.monotonic()
    result = run([PY, str(DATA / "wait_for_signal.py"), str(marker), "ignore-term"], grace_s=0.3)
    sender.join()
    assert (result.exit_status, result.signal) == (137, 9)
    assert time.monotonic() - started < 10


def test_handlers_are_restored_after_the_run() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    run([PY, "-c", "pass"])
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_child_cpu_time_is_measured() -> None:
    result = run([PY, str(DATA / "cpu_work.py"), "--cpu", "0.5"])  # 0.5 CPU-s, however loaded
    assert result.exit_status == 0
    assert 0.45 < result.child_cpu_s < result.duration_s + 0.2


@pytest.mark.parametrize("code", [0, 1, 42, 255])
def test_on_start_receives_the_child_pid(code: int) -> None:
    pids: list[int] = []
    result = run([PY, "-c", f"raise SystemExit({code})"], on_start=pids.append)
    assert result.exit_status == code and len(pids) == 1 and pids[0] > 0


def test_env_replaces_the_inherited_environment() -> None:
    code = "import os, sys; sys.exit(0 if os.environ.get('ECOAI_TEST_VAR') == 'yes' else 9)"
    assert run([PY, "-c", code], env={**os.environ, "ECOAI_TEST_VAR": "yes"}).exit_status == 0
    assert run([PY, "-c", code]).exit_status == 9


class FakeChild:
    def __init__(self) -> None:
        self.sent: list[int] = []

    def poll(self) -> None:
        return None

    def send_signal(self, signum: int) -> None:
        self.sent.append(signum)


@pytest.mark.parametrize(("foreground", "sent"), [(True, []), (False, [signal.SIGINT])])
def test_sigint_is_forwarded_only_when_the_terminal_did_not_send_it_to_the_child(
    monkeypatch: pytest.MonkeyPatch, foreground: bool, sent: list[int]
) -> None:
    from ecoai.measurement import runner

    monkeypatch.setattr(runner, "_terminal_foreground", lambda: foreground)
    child = FakeChild()
    forwarder = runner._Forwarder(child, grace_s=60)  # type: ignore[arg-type]
    forwarder(signal.SIGINT, None)
    forwarder.cancel()
    assert child.sent == sent and forwarder.received == signal.SIGINT


def test_sigterm_is_always_forwarded(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecoai.measurement import runner

    monkeypatch.setattr(runner, "_terminal_foreground", lambda: True)
    child = FakeChild()
    forwarder = runner._Forwarder(child, grace_s=60)  # type: ignore[arg-type]
    forwarder(signal.SIGTERM, None)
    forwarder.cancel()
    assert child.sent == [signal.SIGTERM]


# Work the command never waited for (F3, R2): fire-and-forget children count, alive or gone.
BURN = "import time\nend = time.process_time() + {s}\nwhile time.process_time() < end: pass\n"
LAUNCHER = """
import subprocess, sys, time
workers = [subprocess.Popen([sys.executable, "-c", {burn!r}]) for _ in range({n})]
def gone(pid):  # a zombie: finished, never waited for
    try:
        with open(f"/proc/{{pid}}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return True
while not all(gone(w.pid) for w in workers):
    time.sleep(0.02)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="subreaper and cgroups are Linux's")
@pytest.mark.parametrize("cgroup", [True, False])
def test_children_never_waited_for_count(cgroup: bool) -> None:
    result = run([PY, "-c", LAUNCHER.format(burn=BURN.format(s=0.4), n=2)], cgroup=cgroup)
    assert result.exit_status == 0 and result.survivors == ()
    # two workers of 0.4 CPU-s each, plus the launcher's own start-up: not the launcher alone
    assert 0.8 <= result.child_cpu_s < 0.8 + result.duration_s * (os.cpu_count() or 1)
    assert result.cpu_time_method in (("cgroup", "subreaper") if cgroup else ("subreaper",))


@pytest.mark.skipif(sys.platform != "linux", reason="subreaper and cgroups are Linux's")
@pytest.mark.parametrize("cgroup", [True, False])
def test_descendants_still_alive_count_up_to_the_end(cgroup: bool, tmp_path: Path) -> None:
    flag = tmp_path / "burnt"
    worker = BURN.format(s=0.4) + f"open({str(flag)!r}, 'w').close()\ntime.sleep(30)\n"
    launcher = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {worker!r}])\n"
        f"while not os.path.exists({str(flag)!r}): time.sleep(0.02)\n"
    )
    result = run([PY, "-c", launcher], cgroup=cgroup)
    try:
        assert len(result.survivors) == 1
        assert result.child_cpu_s >= 0.4
    finally:
        for pid in result.survivors:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


@pytest.mark.skipif(sys.platform != "linux", reason="subreaper and cgroups are Linux's")
@pytest.mark.parametrize("cgroup", [True, False])
def test_a_double_forked_daemon_counts(cgroup: bool, tmp_path: Path) -> None:
    # a subshell starts the worker in the background and exits at once: the worker is
    # re-parented and nobody waits for it
    flag = tmp_path / "burnt"
    worker = tmp_path / "worker.py"
    worker.write_text(BURN.format(s=0.4) + f"open({str(flag)!r}, 'w').close()\n")
    script = f"('{PY}' '{worker}' &) ; while [ ! -e '{flag}' ]; do sleep 0.02; done"
    result = run(["sh", "-c", script], cgroup=cgroup)
    try:
        assert result.exit_status == 0 and result.child_cpu_s >= 0.4
    finally:
        for pid in result.survivors:  # the worker may still be exiting
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


@pytest.mark.skipif(sys.platform != "linux", reason="cgroups are Linux's")
def test_the_run_cgroup_is_removed_and_refused_where_not_writable(tmp_path: Path) -> None:
    from ecoai.measurement.cputime import RunCgroup, cgroup2_mount, own_cgroup2

    # a directory that is no cgroup (no cpu.stat) is refused and left as it was
    assert RunCgroup.create(home=tmp_path) is None and list(tmp_path.iterdir()) == []
    home = own_cgroup2(cgroup2_mount())
    before = sorted(home.iterdir()) if home is not None else []
    run([PY, "-c", "pass"])
    after = sorted(home.iterdir()) if home is not None else []
    assert before == after  # no ecoai-* cgroup left behind


@pytest.mark.skipif(sys.platform != "linux", reason="subreaper and cgroups are Linux's")
@pytest.mark.parametrize("cgroup", [True, False])
def test_a_survivor_of_an_earlier_run_is_not_charged_to_the_next(
    cgroup: bool, tmp_path: Path
) -> None:
    flag = tmp_path / "go"
    # the worker waits for the flag, then burns 0.5 CPU-s: during the second run
    worker = (
        f"import os, time\nwhile not os.path.exists({str(flag)!r}): time.sleep(0.01)\n"
        + BURN.format(s=0.5)
    )
    first = run(
        [PY, "-c", f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {worker!r}])"],
        cgroup=cgroup,
    )
    assert len(first.survivors) == 1
    (survivor,) = first.survivors
    code = (
        f"import os, time\nopen({str(flag)!r}, 'w').close()\n"
        f"while os.path.exists('/proc/{survivor}') and open('/proc/{survivor}/stat').read()"
        ".rsplit(')', 1)[1].split()[0] != 'Z': time.sleep(0.01)\n"
    )
    second = run([PY, "-c", code], cgroup=cgroup)
    assert second.survivors == ()  # the earlier run's survivor is not this run's
    assert second.child_cpu_s < 0.45  # its 0.5 CPU-s are not this run's work
    assert not os.path.exists(f"/proc/{survivor}")  # and it was reaped, not left a zombie
