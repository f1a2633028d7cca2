"""Reports are never lost and files never destroyed (faults-0.1.0.md F4, R1, R3, R9-R11, R13).

README claims proved here: "an existing file is never overwritten without --force" (the
no-clobber tests), "write failures keep the exit code" (the full disk, closed stderr, full
stdout, ASCII stdout and signal tests), "never half-written" (``test_publication_is_whole``
and test_estimate_errors/test_faults). CI runs as root: the /dev/null and mknod tests then
check the real device, which root could destroy.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRunner, cli_env

from ecoai import cli
from ecoai.errors import InputError, ReportWriteError
from ecoai.files import check_distinct, check_writable, read_user_text, write_text

PY = sys.executable
FLAGS = ["--pue", "1.2", "--wue-site", "0.5", "--wue-source", "3", "--cif", "0.4"]
ESTIMATE = ["estimate", "--model", "gpt-4.1", "--prompt", "short"]
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def sensors(tmp_path: Path) -> dict[str, str]:
    """The environment of a CLI `ecoai profile` with one scripted 200 W GPU."""
    script = tmp_path / "sensors.json"
    script.write_text(json.dumps({"sensors": [{"name": "gpu", "power_w": 200.0}]}))
    return {"ECOAI_FAKE_SENSORS": str(script)}


def profile(ecoai_cli: CliRunner, env: dict[str, str], *args: str) -> Any:
    """``ecoai profile FLAGS -q ARGS`` (ARGS ends with ``-- COMMAND``)."""
    return ecoai_cli("profile", *FLAGS, "-q", *args, env=env)


def one_line_error(run: Any, *needles: str) -> None:
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[0].startswith("ecoai: error: ") and lines[1].startswith("hint: "), run.stderr
    assert len(lines) == 2 and "Traceback" not in run.stderr
    for needle in needles:
        assert needle in lines[0], run.stderr


# --- R1: non-regular files are written in place, never replaced ------------------------------


def test_force_writes_into_a_fifo_and_leaves_it_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_text(str(fifo), '{"report": 1}', overwrite=True)
    reader.join(10)
    assert got == [b'{"report": 1}\n']
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_fifo_nobody_reads_is_an_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ecoai.files.FIFO_READER_WAIT_S", 0.2)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    check_writable(str(fifo), force=False)  # nothing would be replaced: no --force needed
    start = time.monotonic()
    with pytest.raises(ReportWriteError, match="no process reads it"):
        write_text(str(fifo), "{}", overwrite=True)
    assert time.monotonic() - start < 5
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_dev_null_with_force_stays_the_null_device(ecoai_cli: CliRunner) -> None:
    before = os.stat("/dev/null")
    run = ecoai_cli(*ESTIMATE, "-o", "/dev/null", "--force")
    assert run.returncode == 0, run.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)
    assert ecoai_cli(*ESTIMATE, "-o", "/dev/null").returncode == 0  # nothing replaced: no --force


@pytest.mark.skipif(not ROOT, reason="mknod needs root (CI runs as root)")
def test_a_device_node_is_written_in_place_not_replaced(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    node = tmp_path / "mynull"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a stand-in for /dev/null
    assert ecoai_cli(*ESTIMATE, "-o", "mynull", "--force").returncode == 0
    assert stat.S_ISCHR(node.lstat().st_mode) and node.lstat().st_rdev == os.makedev(1, 3)


def test_dev_stdout_writes_to_stdout_and_keeps_the_link(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli(*ESTIMATE, "-f", "csv", "-o", "/dev/stdout", "--force")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("label,kind,scope,metric")
    assert os.path.islink("/dev/stdout") or not os.path.exists("/dev/stdout")


def test_a_symlink_writes_its_target_and_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old\n")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    with pytest.raises(ReportWriteError, match="already exists"):
        check_writable(str(link), force=False)
    write_text(str(link), "new", overwrite=True)
    assert link.is_symlink() and target.read_text() == "new\n"


def test_a_dangling_symlink_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "missing.json")
    with pytest.raises(ReportWriteError, match="symbolic link to a missing file"):
        check_writable(str(link), force=True)
    assert link.is_symlink() and not (tmp_path / "missing.json").exists()


def test_a_directory_or_a_socket_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        check_writable(str(tmp_path), force=True)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "s.sock"))
        with pytest.raises(InputError, match="a socket, not a report file"):
            check_writable(str(tmp_path / "s.sock"), force=True)
    finally:
        sock.close()


# --- F4, R3: no-clobber publication; one invocation's outputs are distinct ----------------------


def test_a_file_that_appears_meanwhile_is_kept_and_the_report_renamed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    check_writable(str(path), force=False)
    path.write_text("someone else's\n")  # after the check, before the write
    written = write_text(str(path), "ours", overwrite=False)
    assert written == str(tmp_path / "report.1.json")
    assert path.read_text() == "someone else's\n" and Path(written).read_text() == "ours\n"
    assert f"the report was saved as {written}" in capsys.readouterr().err
    assert write_text(str(path), "third", overwrite=False).endswith("report.2.json")


def test_two_concurrent_runs_with_one_output_keep_both_reports(
    tmp_path: Path, sensors: dict[str, str]
) -> None:
    env = cli_env(**sensors)

    def start(label: str, seconds: str) -> subprocess.Popen[str]:
        argv = [PY, "-m", "ecoai", "profile", *FLAGS, "-q", "--label", label, "-o", "job.json",
                "--", PY, "-c", f"import time; time.sleep({seconds})"]  # fmt: skip
        return subprocess.Popen(argv, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)

    first = start("task-1", "2")
    time.sleep(0.3)
    second = start("task-2", "3")
    assert first.wait(60) == 0 and second.wait(60) == 0
    labels = {p.name: json.loads(p.read_text())["label"] for p in tmp_path.glob("job*.json")}
    assert labels == {"job.json": "task-1", "job.1.json": "task-2"}
    assert second.stderr is not None and "saved as job.1.json" in second.stderr.read()


def test_a_command_writing_the_output_file_keeps_its_file_and_exit_status(
    ecoai_cli: CliRunner, tmp_path: Path, sensors: dict[str, str]
) -> None:
    code = "open('out.json', 'w').write('IMPORTANT CHILD DATA'); raise SystemExit(3)"
    run = profile(ecoai_cli, sensors, "-o", "out.json", "--", PY, "-c", code)
    assert run.returncode == 3
    assert (tmp_path / "out.json").read_text() == "IMPORTANT CHILD DATA"
    assert json.loads((tmp_path / "out.1.json").read_text())["kind"] == "measured"
    assert "out.json appeared while ecoai ran and was kept" in run.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["profile", "-q", "--timeline", "t.csv", "-o", "t.csv", "--", "true"],
        ["profile", "-q", "--timeline", "t.csv", "-o", "./sub/../t.csv", "--", "true"],
        ["profile", "-q", "--plot", "p.svg", "-o", "p.svg", "--", "true"],
        [*ESTIMATE, "-f", "json", "-o", "s.out", "--save-scenario", "s.out"],
        [*ESTIMATE, "-f", "json", "-o", "link.toml", "--save-scenario", "s.toml", "--force"],
    ],
)
def test_two_outputs_of_one_invocation_naming_one_file_are_refused(
    ecoai_cli: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "s.toml").write_text("kept\n")
    (tmp_path / "link.toml").symlink_to(tmp_path / "s.toml")
    one_line_error(ecoai_cli(*args), "name the same file")
    assert not (tmp_path / "t.csv").exists() and not (tmp_path / "s.out").exists()
    assert (tmp_path / "s.toml").read_text() == "kept\n"


def test_check_distinct_compares_existing_files_by_inode(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x")
    os.link(tmp_path / "a", tmp_path / "b")
    with pytest.raises(InputError, match="-o and --timeline name the same file"):
        check_distinct({"-o": str(tmp_path / "a"), "--timeline": str(tmp_path / "b")})
    check_distinct({"-o": "-", "--timeline": "-", "--plot": None})
    check_distinct({"-o": "/dev/null", "--timeline": "/dev/null", "--plot": "/dev/stdout"})
    check_distinct({"-o": "/dev/stdout", "--save-scenario": "/dev/stdout"})


# --- umask, whole publication --------------------------------------------------------------------


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_reports_honour_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    old = os.umask(mask)
    try:
        write_text(str(tmp_path / "r.json"), "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == mode


def test_replacing_a_report_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")
    path.chmod(0o640)
    write_text(str(path), "new", overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text() == "new\n"


def test_publication_is_whole_when_the_disk_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An injected writer raising ENOSPC half-way: the old report stays, no temp file remains."""
    path = tmp_path / "r.json"
    path.write_text("old\n")
    real_fdopen = os.fdopen

    class HalfDisk:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> HalfDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, text: str) -> int:
            self.handle.write(text[: len(text) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("ecoai.files.os.fdopen", lambda *a, **k: HalfDisk(real_fdopen(*a, **k)))
    for overwrite in (True, False):
        with pytest.raises(ReportWriteError, match="No space left on device"):
            write_text(str(path), "new report", overwrite=overwrite)
        assert path.read_text() == "old\n"
        assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


# --- R9, R10, R11: every failure after the command ran keeps the report and its status ----------


def test_non_utf8_argv_keeps_the_report_and_the_exit_status(
    tmp_path: Path, sensors: dict[str, str]
) -> None:
    argv = [PY, "-m", "ecoai", "profile", *FLAGS, "-q", "-o", "r.json", "--json", "--",
            "sh", "-c", "exit 5", "x", b"caf\xe9.txt"]  # fmt: skip
    run = subprocess.run(argv, cwd=tmp_path, env=cli_env(**sensors), capture_output=True)
    assert run.returncode == 5, run.stderr
    assert json.loads((tmp_path / "r.json").read_text())["measurement"]["command"][-1] == (
        "caf\\xe9.txt"
    )


class FullDisk:
    """A timeline file on a full disk: every write and flush fails with ENOSPC."""

    closed = False

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    flush = write  # type: ignore[assignment]

    def close(self) -> None:
        self.closed = True


def test_a_full_disk_for_the_timeline_keeps_the_report_and_the_exit_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "sensors.json"
    script.write_text(json.dumps({"sensors": [{"name": "gpu", "power_w": 200.0}]}))
    monkeypatch.setenv("ECOAI_FAKE_SENSORS", str(script))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("ecoai.files.open_stream", lambda path: FullDisk())
    with pytest.raises(SystemExit) as done:
        cli.main(["profile", *FLAGS, "-q", "--interval-s", "0.01", "--timeline", "t.csv",
                  "-o", "r.json", "--", PY, "-c", "import time; time.sleep(0.2); exit(4)"],
        )  # fmt: skip
    assert done.value.code == 4
    notes = json.loads((tmp_path / "r.json").read_text())["notes"]
    assert any("--timeline t.csv: cannot write: No space left on device" in n for n in notes)
    assert "internal error" not in capsys.readouterr().err


def test_a_closed_stderr_keeps_the_exit_status_and_clean_json(
    tmp_path: Path, sensors: dict[str, str]
) -> None:
    argv = [PY, "-m", "ecoai", "profile", *FLAGS, "--json", "--", "sh", "-c", "exit 4"]
    run = subprocess.run(
        argv, cwd=tmp_path, env=cli_env(**sensors), stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, preexec_fn=lambda: os.close(2),
    )  # fmt: skip
    assert run.returncode == 4
    assert json.loads(run.stdout)["measurement"]["exit_status"] == 4


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_stdout_on_a_full_device_keeps_the_exit_status(
    tmp_path: Path, sensors: dict[str, str]
) -> None:
    argv = [PY, "-m", "ecoai", "profile", *FLAGS, "-q", "--json", "--", "sh", "-c", "exit 4"]
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            argv, cwd=tmp_path, env=cli_env(**sensors), stdout=full, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
    assert run.returncode == 4
    assert "ecoai: error: cannot write to standard output: No space left on device" in run.stderr
    assert "internal error" not in run.stderr and "Exception ignored" not in run.stderr
    assert "its summary follows" in run.stderr


def test_an_ascii_stdout_gets_the_utf8_report_and_the_exit_status(
    ecoai_cli: CliRunner, sensors: dict[str, str], tmp_path: Path
) -> None:
    env = {**sensors, "PYTHONIOENCODING": "ascii"}
    argv = [PY, "-m", "ecoai", "profile", *FLAGS, "-q", "-o", "-", "-f", "markdown",
            "--", "sh", "-c", "exit 4"]  # fmt: skip
    run = subprocess.run(argv, cwd=tmp_path, env=cli_env(**env), capture_output=True)
    assert run.returncode == 4, run.stderr
    assert "CO₂" in run.stdout.decode("utf-8") or "–" in run.stdout.decode("utf-8")
    estimate = [PY, "-m", "ecoai", "compare", "gpt-4.1:short", "gpt-4.1:long",
                "--max-increase", "energy=1%"]  # fmt: skip
    gate = subprocess.run(estimate, cwd=tmp_path, env=cli_env(**env), capture_output=True)
    assert gate.returncode == 1, gate.stderr  # the gate's verdict, not an encoding crash


@pytest.mark.parametrize("attempt", range(3))
def test_sigterm_right_after_the_child_starts_still_writes_the_report(
    ecoai_cli: CliRunner, tmp_path: Path, sensors: dict[str, str], attempt: int
) -> None:
    run = profile(
        ecoai_cli, sensors, "-o", "a.json", "--", "sh", "-c", "kill -TERM $PPID; sleep 0.5"
    )
    assert run.returncode == 143, run.stderr
    assert json.loads((tmp_path / "a.json").read_text())["measurement"]["runs"][0]["interrupted"]


def test_sigterm_after_the_child_exited_still_writes_the_report(
    ecoai_cli: CliRunner, tmp_path: Path, sensors: dict[str, str]
) -> None:
    for _ in range(3):
        (tmp_path / "c.json").unlink(missing_ok=True)
        run = profile(
            ecoai_cli, sensors, "-o", "c.json", "--", "sh", "-c", "(kill -TERM $PPID) & exit 0"
        )
        assert run.returncode in (0, 143), run.stderr  # 0: the child had ended by itself
        assert json.loads((tmp_path / "c.json").read_text())["kind"] == "measured"


def test_sigint_with_the_default_disposition_stops_the_child_and_writes_the_report(
    tmp_path: Path, sensors: dict[str, str]
) -> None:
    code = (
        "import signal, os, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "os.execv(sys.executable, sys.argv[1:])"
    )
    argv = [PY, "-c", code, PY, "-m", "ecoai", "profile", *FLAGS, "-q", "-o", "b.json", "--",
            "sh", "-c", "kill -INT $PPID; sleep 2; echo alive > marker"]  # fmt: skip
    run = subprocess.run(
        argv, cwd=tmp_path, env=cli_env(**sensors), capture_output=True, stdin=subprocess.DEVNULL
    )
    assert run.returncode == 130
    assert json.loads((tmp_path / "b.json").read_text())["measurement"]["exit_status"] == 130
    time.sleep(2.5)
    assert not (tmp_path / "marker").exists()  # the child was stopped, not orphaned


def test_a_signal_before_the_command_starts_means_it_is_not_run(tmp_path: Path) -> None:
    from ecoai.measurement.runner import SignalGuard, run

    marker = tmp_path / "ran"
    with SignalGuard() as guard:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        result = run([PY, "-c", f"open({str(marker)!r}, 'w')"])
    assert guard.received == signal.SIGTERM
    assert (result.exit_status, result.interrupted, result.returncode) == (143, True, None)
    assert not marker.exists() and "SIGTERM received before the command started" in (
        result.error or ""
    )
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(
        signal.getsignal(signal.SIGTERM)
    )


# --- R13: odd files never hang ecoai or fill its memory ----------------------------------------


@pytest.mark.parametrize(
    "swap",
    [
        "os.unlink(p); os.mkfifo(p)",
        "os.unlink(p); os.symlink('/dev/zero', p)",
        "os.unlink(p); os.mkdir(p)",
    ],
)
def test_an_event_file_swapped_for_a_fifo_or_dev_zero_is_left_alone(
    ecoai_cli: CliRunner, tmp_path: Path, sensors: dict[str, str], swap: str
) -> None:
    code = f"import os; p = os.environ['ECOAI_EVENTS']; {swap}; raise SystemExit(4)"
    start = time.monotonic()
    run = profile(ecoai_cli, sensors, "-o", "r.json", "--", PY, "-c", code)
    assert run.returncode == 4 and time.monotonic() - start < 30, run.stderr
    work = json.loads((tmp_path / "r.json").read_text())["measurement"]["runs"][0]["work"]
    assert work["malformed_events"] == 1
    assert "the event file was replaced" in work["malformed_examples"][0]


def test_a_fifo_or_dev_zero_in_the_profile_directory_is_one_error(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    profiles = tmp_path / "cfg" / "ecoai" / "profiles"
    profiles.mkdir(parents=True)
    os.mkfifo(profiles / "a.toml")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    one_line_error(ecoai_cli(*ESTIMATE, env=env, timeout=30), "a.toml is not a regular file")
    (profiles / "a.toml").unlink()
    (profiles / "a.toml").symlink_to("/dev/zero")
    one_line_error(ecoai_cli(*ESTIMATE, env=env, timeout=30), "a character device")


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", "/dev/zero"],
        ["compare", "gpt-4.1:short", "--gates", "/dev/zero"],
        ["merge", "/dev/zero", "/dev/urandom"],
        ["compare", "/dev/urandom", "gpt-4.1:short"],
    ],
)
def test_dev_zero_as_an_input_file_is_one_error(ecoai_cli: CliRunner, args: list[str]) -> None:
    one_line_error(ecoai_cli(*args, timeout=30), "is not a regular file")


def test_a_pipe_the_user_names_is_read_and_a_huge_file_refused(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.write(write, b"pue = 1.2\n")
    os.close(write)
    assert read_user_text(Path(f"/dev/fd/{read}"), "a scenario") == "pue = 1.2\n"
    os.close(read)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 101)
    with pytest.raises(InputError, match="more than ecoai reads"):
        read_user_text(big, "a report", max_bytes=100)


def test_a_fifo_as_a_rapl_counter_is_skipped_at_discovery(tmp_path: Path) -> None:
    from ecoai.sensors.rapl import open_rapl

    zone = tmp_path / "intel-rapl:0"
    zone.mkdir()
    (zone / "name").write_text("package-0\n")
    (zone / "max_energy_range_uj").write_text("262143328850\n")
    os.mkfifo(zone / "energy_uj")
    start = time.monotonic()
    found = open_rapl(tmp_path)
    assert time.monotonic() - start < 5 and not found.sensors
    assert "not a regular file" in found.skipped[0].reason


# --- R17: bad input is one line and exit 2, never an internal error ----------------------------


LONG = "a" * 300


@pytest.mark.parametrize(
    "args",
    [
        [*ESTIMATE, "-o", f"{LONG}.json"],
        [*ESTIMATE, "--save-scenario", f"{LONG}.toml"],
        ["estimate", f"{LONG}.toml"],
        ["compare", f"{LONG}.json", "gpt-4.1:short"],
        ["profile", "-q", "--timeline", f"{LONG}.csv", "--", "true"],
        ["profile", "-q", "-o", "r-{rank:>300}.json", "--", "true"],
    ],
)
def test_a_name_over_255_bytes_is_one_error(ecoai_cli: CliRunner, args: list[str]) -> None:
    one_line_error(ecoai_cli(*args), "file name too long")


def test_an_overlong_config_directory_does_not_break_every_command(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    run = ecoai_cli(*ESTIMATE, "--json", env={"XDG_CONFIG_HOME": str(tmp_path / LONG)})
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(
    ("name", "text", "args"),
    [
        ("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000, ["estimate", "deep.toml"]),
        ("g.toml", "a = " + "{b = " * 5000 + "1" + "}" * 5000,
         ["compare", "gpt-4.1:short", "--gates", "g.toml"]),
        ("deep.json", "[" * 100_000, ["compare", "deep.json", "gpt-4.1:short"]),
        ("p/hosts.toml", "a = " + "[" * 100_000 + "]" * 100_000, [*ESTIMATE, "--profiles", "p"]),
    ],
)  # fmt: skip
def test_deep_nesting_is_one_error(
    ecoai_cli: CliRunner, tmp_path: Path, name: str, text: str, args: list[str]
) -> None:
    (tmp_path / name).parent.mkdir(exist_ok=True)
    (tmp_path / name).write_text(text)
    one_line_error(ecoai_cli(*args), "nested too deeply")


@pytest.mark.parametrize(
    "args",
    [
        ["--interval-s", "inf"],
        ["--interval-s", "1e9"],
        ["--baseline-s", "inf"],
        ["--cpu-tdp-w", "inf"],
        ["--dram-w-per-gb", "1e400"],
        ["--dram-w-per-gb", "1e308"],
        ["--cpu-tdp-w", "nan"],
    ],
)
def test_infinite_or_huge_measurement_settings_are_one_error(
    ecoai_cli: CliRunner, args: list[str]
) -> None:
    run = ecoai_cli("profile", *args, "--", "true")
    assert run.returncode == 2 and "Traceback" not in run.stderr and "Exception" not in run.stderr
    assert run.stderr.startswith("ecoai: error: ") and args[0] in run.stderr


@pytest.mark.parametrize("value", ["²", "٣", "-1", "0x1"])
def test_a_rank_that_is_not_an_ascii_number_is_one_error(ecoai_cli: CliRunner, value: str) -> None:
    run = ecoai_cli("profile", "-q", "-o", "r-{rank}.json", "--", "true", env={"RANK": value})
    one_line_error(run, "RANK=", "is not a rank")


# --- R16: saved scenario comments; R18: control characters; CSV formula injection ---------------


def test_a_citation_with_a_newline_cannot_inject_toml(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    import tomllib

    (tmp_path / "prof").mkdir()
    (tmp_path / "prof" / "grids.toml").write_text(
        '[grids.EVL]\nname = "Evil grid"\ncif_g_per_kwh = 56\nyear = 2023\n'
        'sources = ["Our World in Data\\nqueries_per_day = 1000000000\\n# 2023"]\n'
    )
    saved = ecoai_cli(*ESTIMATE, "--profiles", "prof", "--grid", "EVL", "--save-scenario", "s.toml")
    assert saved.returncode == 0, saved.stderr
    text = (tmp_path / "s.toml").read_text()
    assert "queries_per_day" not in tomllib.loads(text)
    commented = {line[2:].split(":")[0] for line in text.splitlines()[1:] if line.startswith("# ")}
    assert set(tomllib.loads(text)) == commented  # one key per comment, nothing injected
    again = ecoai_cli("estimate", "--profiles", "prof", "s.toml", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["per_day"] is None


EVIL = "dec\node\x1b[31mRED\x1b[0m\x1b]0;PWNED-TITLE\x07"


@pytest.fixture
def evil_report(ecoai_cli: CliRunner, tmp_path: Path, sensors: dict[str, str]) -> Path:
    """A measured report with a phase named EVIL (from the event file) and the label EVIL."""
    line = json.dumps({"event": "phase", "name": EVIL, "edge": "start"}) + "\n"
    end = json.dumps({"event": "phase", "name": EVIL, "edge": "end"}) + "\n"
    code = (
        "import os, time; fd = os.open(os.environ['ECOAI_EVENTS'], os.O_WRONLY | os.O_APPEND); "
        f"os.write(fd, {line.encode()!r}); time.sleep(0.3); os.write(fd, {end.encode()!r})"
    )
    run = profile(ecoai_cli, sensors, "-o", "r.json", "--", PY, "-c", code)
    assert run.returncode == 0, run.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["measurement"]["workload"]["phases"][0]["name"] == EVIL  # JSON keeps it as it was
    data["label"] = "x|y\n**bold**" + EVIL
    (tmp_path / "evil.json").write_text(json.dumps(data))
    return tmp_path / "evil.json"


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_control_characters_never_reach_the_terminal_or_markdown(
    evil_report: Path, fmt: str
) -> None:
    from ecoai.render import Format, render
    from ecoai.report_files import read_report

    text = render(read_report(str(evil_report)), Format(fmt), width=100)
    assert "\x1b" not in text and "\x07" not in text
    if fmt != "csv":  # CSV quotes a newline inside a cell; a table row must stay one line
        assert "\nbold" not in text and "\node" not in text and "**bold**" in text


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_label_cannot_break_the_comparison(
    ecoai_cli: CliRunner, evil_report: Path, fmt: str
) -> None:
    run = ecoai_cli("compare", str(evil_report), "gpt-4.1:short", "-f", fmt)
    assert run.returncode == 0, run.stderr
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout
    if fmt == "markdown":
        header = next(line for line in run.stdout.splitlines() if line.startswith("| Metric"))
        assert "x\\|y\\n**bold**" in header and header.endswith("|")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_labels_cannot_run_as_spreadsheet_formulas(
    ecoai_cli: CliRunner, tmp_path: Path, start: str
) -> None:
    import csv
    import io

    label = f'{start}HYPERLINK("http://evil","x")'
    report = ecoai_cli(*ESTIMATE, "--json")
    data = json.loads(report.stdout)
    data["label"] = label
    (tmp_path / "r.json").write_text(json.dumps(data))
    from ecoai.render import Format, render
    from ecoai.render.text import printable
    from ecoai.report_files import read_report

    own = list(
        csv.DictReader(io.StringIO(render(read_report(str(tmp_path / "r.json")), Format.CSV)))
    )
    assert {row["label"] for row in own} == {"'" + printable(label)}
    compared = ecoai_cli("compare", "r.json", "gpt-4.1:short", "-f", "csv")
    items = {row["item"] for row in csv.DictReader(io.StringIO(compared.stdout))}
    assert items == {"'" + printable(label), "gpt-4.1:short"}


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", "--model", "gpt-4.1", "--prompt", "short"],  # the fast parser's path
        ["estimate", "--model", "gpt-4.1", "--prompt", "short", "--explain", "--json"],
        ["compare", "gpt-4.1:short", "gpt-4.1:long"],
        ["compare", "r.json", "gpt-4.1:long", "-f", "markdown"],
        # these exited 0 having printed nothing (fresh-eyes review)
        ["profiles", "list"],
        ["profiles", "list", "models", "--json"],
        ["profiles", "show", "azure"],
        ["completion", "bash"],
    ],
)
def test_a_closed_stdout_is_one_error(tmp_path: Path, args: list[str]) -> None:
    """Started with stdout closed (``>&-``): one line naming the fix, exit 2, no internal error
    (estimate and compare asked a closed stdout whether it is a terminal: AttributeError)."""
    (tmp_path / "r.json").write_text(_report_text(), encoding="utf-8")
    run = subprocess.run(
        [PY, "-m", "ecoai", *args], cwd=tmp_path, env=cli_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1),
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "ecoai: error: cannot write to standard output: it is closed" in run.stderr
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr


def _report_text() -> str:
    done = subprocess.run(
        [PY, "-m", "ecoai", "estimate", "--model", "gpt-4.1", "--prompt", "short", "--json"],
        capture_output=True, text=True, env=cli_env(), check=True,
    )  # fmt: skip
    return done.stdout


def test_an_output_that_is_an_input_is_refused_before_it_is_replaced(
    tmp_path: Path, sensors: dict[str, str]
) -> None:
    """`-o` naming a file the run reads (the same path, a link to it) is refused even with
    --force, and the input is untouched: compare and merge replaced a report they read with
    their output, estimate its scenario file."""
    env = cli_env(**sensors)

    def ecoai(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PY, "-m", "ecoai", *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    for name, prompt in (("a.json", "short"), ("b.json", "long")):
        ecoai("estimate", "--model", "gpt-4.1", "--prompt", prompt, "--json", "-o", name)
    for name in ("p1.json", "p2.json"):
        assert ecoai("profile", *FLAGS, "-q", "-o", name, "--", "true").returncode == 0
    (tmp_path / "s.toml").write_text('model = "gpt-4.1"\nprompt = "short"\n', encoding="utf-8")
    (tmp_path / "link.json").symlink_to("a.json")
    cases = [
        ("compare", "a.json", "b.json", "-o", "a.json", "--force"),
        ("compare", "a.json", "b.json", "-o", "link.json", "--force"),
        ("merge", "p1.json", "p2.json", "-o", "p2.json", "--force", "--json"),
        ("estimate", "s.toml", "-o", "s.toml", "--force", "--json"),
        ("calibrate", "p1.json", "--hardware", "h100-sxm", "--params-b", "8", "-o", "p1.json",
         "--force"),
    ]  # fmt: skip
    for args in cases:
        before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
        run = ecoai(*args)
        assert run.returncode == 2, (args, run.stderr)
        assert "is also an input" in run.stderr and "internal error" not in run.stderr, args
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert ecoai("compare", "a.json", "b.json", "-o", "c.json").returncode == 0  # another file


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", "--model", "gpt-4.1", "--prompt", "short", "-o", ""],
        ["compare", "gpt-4.1:short", "gpt-4.1:long", "-o", " "],
        ["merge", "a.json", "b.json", "--output="],
        ["profile", *FLAGS, "-o", "", "--", "true"],
        ["calibrate", "r.json", "-o", ""],
    ],
)
def test_an_empty_output_name_is_one_error(
    tmp_path: Path, sensors: dict[str, str], args: list[str]
) -> None:
    """`-o ''` (an unset shell variable) went to stdout, or nowhere: one line naming the fix."""
    run = subprocess.run(
        [PY, "-m", "ecoai", *args], cwd=tmp_path, env=cli_env(**sensors), capture_output=True,
        text=True,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("ecoai: error: -o: the file name is empty"), run.stderr
    assert run.stdout == ""


def test_version_after_a_command_points_at_ecoai_version(tmp_path: Path) -> None:
    run = subprocess.run(
        [PY, "-m", "ecoai", "estimate", "--version"], cwd=tmp_path, env=cli_env(),
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 2
    assert "`ecoai --version` prints the version" in run.stderr
