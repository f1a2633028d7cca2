"""Faults during `ecoai profile`: each ends in a report that says what was lost and why.

GPU lost mid-run, RAPL wrapping several times between reads, a sensor read that hangs, a report
that cannot be written, a child whose children outlive it, a child ignoring SIGTERM, and ecoai
itself receiving SIGTERM or SIGHUP.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import cli_env
from fakes.clock import FakeClock
from fakes.nvml import FakeGpu, FakeNvml, NVMLError
from fakes.powercap import add_zone, set_energy
from fakes.threads import no_thread_leak  # noqa: F401  (fixture)

from ecoai import cli
from ecoai.footprint import Multipliers
from ecoai.measurement.report import build_report
from ecoai.measurement.runner import RunResult
from ecoai.measurement.sampler import Sampler
from ecoai.measurement.session import ProfileRequest, measure
from ecoai.models import HostInfo
from ecoai.sensors import Discovery, Reading
from ecoai.sensors.nvml import open_nvml
from ecoai.sensors.rapl import open_rapl

PY = sys.executable
FACTORS = Multipliers(pue=1.2, wue_site_l_per_kwh=0.5, wue_source_l_per_kwh=3.0, cif_g_per_kwh=400)
FLAGS = ["--pue", "1.2", "--wue-site", "0.5", "--wue-source", "3", "--cif", "0.4"]
NVML_ERROR_GPU_IS_LOST = 15


def report_for(measured: Any, request: ProfileRequest) -> Any:
    return build_report(request, measured, [], HostInfo(hostname="t", platform="Linux"), {})


# --- the GPU disappears mid-run ----------------------------------------------------------------


@pytest.mark.usefixtures("no_thread_leak")
def test_gpu_lost_mid_run_keeps_the_energy_before_and_says_what_is_missing() -> None:
    gpu = FakeGpu(energy_mj=0)
    fake = FakeNvml([gpu])
    found = open_nvml(fake, None)  # type: ignore[arg-type]

    def lose_the_gpu(*args: Any, **kwargs: Any) -> RunResult:
        gpu.energy_mj += 50_000  # 50 J drawn and read, then the GPU falls off the bus
        time.sleep(0.15)

        def lost(handle: FakeGpu) -> int:
            raise NVMLError(NVML_ERROR_GPU_IS_LOST)

        fake.nvmlDeviceGetTotalEnergyConsumption = lost  # type: ignore[method-assign]
        gpu.energy_mj += 70_000  # drawn, never read: lost
        time.sleep(0.35)
        return RunResult(0, 0, None, False, 0.5, 0.0)

    request = ProfileRequest(["train"], FACTORS, interval_s=0.05, scope="machine")
    measured = measure(request, found, busy_cpu_s=lambda: 0.0, runner=lose_the_gpu)
    report = report_for(measured, request)
    (run,) = report.measurement.runs
    assert report.total.it_energy_wh.mean == pytest.approx(50 / 3600)
    assert run.exit_status == 0 and run.read_errors >= 3
    lost = [n for n in report.notes if n.startswith("nvml:0 stopped answering")]
    assert (
        lost and "NVMLError" in lost[0] and "energy after its last good read is missing" in lost[0]
    )


# --- a RAPL counter wraps several times between two reads -----------------------------------


def test_rapl_wrapping_several_times_between_reads_is_flagged(tmp_path: Path) -> None:
    zone = add_zone(tmp_path, "intel-rapl:0", "package-0", energy_uj=0, max_range_uj=1_000_000)
    clock = FakeClock(0.0)
    (sensor,) = open_rapl(tmp_path, clock=clock).sensors
    sensor.read()
    raw = 0
    for _ in range(10):  # 100 W: 0.1 J per ms, the 1 J range wraps every 10 ms
        clock.advance(0.001)
        raw = (raw + 100_000) % 1_000_000
        set_energy(zone, raw)
        sensor.read()
    assert sensor.assumptions == []
    clock.advance(0.035)  # 3.5 J: three wraps, none visible (the raw value only went up)
    raw = (raw + 3_500_000) % 1_000_000
    set_energy(zone, raw)
    reading = sensor.read()
    assert reading.energy_j == pytest.approx(1.0 + 0.5)  # counts 0.5 J of the 3.5 J drawn
    (note,) = sensor.assumptions
    assert note.startswith("1 interval(s) between reads (the last 0.035 s) exceeded one wrap")
    assert "(0.01 s at 100 W)" in note and note.endswith("energy may be under-counted")


def test_rapl_one_wrap_per_interval_is_not_flagged(tmp_path: Path) -> None:
    zone = add_zone(tmp_path, "intel-rapl:0", "package-0", energy_uj=0, max_range_uj=1000)
    clock = FakeClock(0.0)
    (sensor,) = open_rapl(tmp_path, clock=clock).sensors
    sensor.read()
    raw = 0
    for step_uj in [700, 700, 999, 650, 350, 999]:
        clock.advance(1.0)
        raw = (raw + step_uj) % 1000
        set_energy(zone, raw)
        sensor.read()
    assert sensor.assumptions == [] and sensor.wraps == 4  # type: ignore[attr-defined]


# --- a sensor read hangs -------------------------------------------------------------------------


class Hanging:
    """A counter sensor whose reads block while ``stuck`` is set (until released)."""

    component, method, scope = "gpu", "counter", "device"

    def __init__(self, name: str) -> None:
        self.name = name
        self.facts: dict[str, str] = {}
        self.assumptions: list[str] = []
        self.stuck = threading.Event()
        self.release = threading.Event()
        self.reads = 0

    def read(self) -> Reading:
        if self.stuck.is_set():
            self.release.wait(30)
        self.reads += 1
        return Reading(time.monotonic(), energy_j=100.0 * time.monotonic())

    def close(self) -> None:
        self.release.set()


@pytest.fixture
def hanging() -> Iterator[tuple[Hanging, Hanging]]:
    sensors = (Hanging("stuck"), Hanging("healthy"))
    yield sensors
    for sensor in sensors:  # let an abandoned sampler thread finish
        sensor.close()


def test_a_hung_read_does_not_stall_the_run_and_other_sensors_go_on(
    hanging: tuple[Hanging, Hanging],
) -> None:
    stuck, healthy = hanging
    sampler = Sampler([stuck, healthy], interval_s=0.02)
    sampler.start()
    time.sleep(0.1)
    stuck.stuck.set()
    time.sleep(0.2)
    start = time.monotonic()
    sampler.mark()  # the sampler thread holds the lock, stuck in a read: given up after 0.25 s
    assert time.monotonic() - start < 0.5
    assert set(sampler.hung) == {"stuck"}
    reads_then = healthy.reads
    time.sleep(0.2)
    assert healthy.reads > reads_then + 3  # a fresh thread reads the healthy sensor on
    start = time.monotonic()
    sampler.stop()
    assert time.monotonic() - start < 0.5
    assert sampler.tallies["stuck"].last_error == "read hung: no answer within 0.25 s"


def test_a_sensor_hanging_during_a_profile_adds_at_most_the_hang_timeout(
    hanging: tuple[Hanging, Hanging],
) -> None:
    stuck, healthy = hanging

    def run_and_hang(*args: Any, **kwargs: Any) -> RunResult:
        time.sleep(0.1)
        stuck.stuck.set()
        time.sleep(0.5)
        return RunResult(0, 0, None, False, 0.6, 0.0)

    request = ProfileRequest(["infer"], FACTORS, interval_s=0.05, scope="machine")
    start = time.monotonic()
    measured = measure(request, Discovery([stuck, healthy]), busy_cpu_s=lambda: 0.0,  # type: ignore[list-item]
                       runner=run_and_hang)  # fmt: skip
    assert time.monotonic() - start < 0.6 + 0.25 + 0.3
    report = report_for(measured, request)
    (note,) = [n for n in report.notes if n.startswith("stuck stopped answering")]
    assert "read hung" in note and "missing" in note
    assert not any(n.startswith("healthy") for n in report.notes)
    healthy_j = measured.runs[0].energy_j["healthy"]  # 100 W over the run, its last mark late
    assert 100.0 * 0.6 <= healthy_j < 100.0 * (0.6 + 0.25 + 0.1)  # by at most the hang timeout


# --- the report cannot be written ----------------------------------------------------------------


@pytest.fixture
def in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run `ecoai profile` in this process, in tmp_path, with one scripted 200 W GPU."""
    script = tmp_path / "sensors.json"
    script.write_text(json.dumps({"sensors": [{"name": "gpu", "power_w": 200.0}]}))
    monkeypatch.setenv("ECOAI_FAKE_SENSORS", str(script))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.delenv("ECOAI_PROFILES", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def profile_in_process(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        cli.main(["profile", *FLAGS, "-q", *args, "--", PY, "-c", "raise SystemExit(3)"])
    return int(done.value.code or 0)


@pytest.mark.parametrize(
    ("where", "code", "message"),
    [
        ("replace", errno.ENOSPC, "No space left on device"),
        ("mkstemp", errno.EROFS, "Read-only file system"),
        ("mkstemp", errno.EACCES, "Permission denied"),
    ],
)
def test_report_write_failure_keeps_the_exit_status_and_the_old_report(
    in_process: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
    code: int,
    message: str,
) -> None:
    old = in_process / "r.json"
    old.write_text('{"an": "existing report"}\n')

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(
        f"ecoai.files.{'os.replace' if where == 'replace' else 'tempfile.mkstemp'}", fail
    )
    assert profile_in_process("-o", "r.json", "--force") == 3
    err = capsys.readouterr().err
    assert f"ecoai: error: cannot write r.json: {message}\nhint: " in err
    assert "the report was not saved; its summary follows" in err and "Energy" in err
    assert old.read_text() == '{"an": "existing report"}\n'
    assert [p.name for p in in_process.iterdir() if p.name.startswith(".r.json")] == []


# --- processes and signals, through the real CLI -------------------------------------------------


@pytest.fixture
def sensors_env(tmp_path: Path) -> dict[str, str]:
    script = tmp_path / "sensors.json"
    script.write_text(json.dumps({"sensors": [{"name": "gpu", "power_w": 200.0}]}))
    return cli_env(ECOAI_FAKE_SENSORS=str(script))


def start_profile(
    tmp_path: Path, env: dict[str, str], code: str, *extra: str
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start `ecoai profile -- python -c CODE`; CODE touches ``started`` once it is ready."""
    marker = tmp_path / "started"
    argv = [PY, "-m", "ecoai", "profile", *FLAGS, "-q", "-o", "r.json", *extra, "--", PY, "-c",
            code.replace("STARTED", repr(str(marker)))]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists()
    return proc, tmp_path / "r.json"


WAIT = "import time; open(STARTED, 'w').close(); time.sleep(60)"
IGNORE_TERM = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); " + WAIT


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_ecoai_receiving_sigterm_or_sighup_ends_the_child_and_writes_the_report(
    tmp_path: Path, sensors_env: dict[str, str], signum: int, code: int
) -> None:
    proc, output = start_profile(tmp_path, sensors_env, WAIT)
    start = time.monotonic()
    proc.send_signal(signum)
    assert proc.wait(timeout=30) == code
    assert time.monotonic() - start < 5
    run = json.loads(output.read_text())["measurement"]["runs"][0]
    assert (run["signal"], run["interrupted"], run["exit_status"]) == (signum, True, code)


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(
    tmp_path: Path, sensors_env: dict[str, str]
) -> None:
    proc, output = start_profile(tmp_path, sensors_env, IGNORE_TERM, "--grace-s", "0.5")
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 137  # SIGTERM, SIGTERM again after 0.5 s, SIGKILL after 1 s
    assert 0.9 < time.monotonic() - start < 5
    run = json.loads(output.read_text())["measurement"]["runs"][0]
    assert (run["signal"], run["interrupted"]) == (9, True)


def test_a_nohup_child_outlives_a_hang_up_and_is_measured_to_its_end(
    tmp_path: Path, sensors_env: dict[str, str]
) -> None:
    code = ("import signal, time; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
            "open(STARTED, 'w').close(); time.sleep(1.5)")  # fmt: skip
    proc, output = start_profile(tmp_path, sensors_env, code, "--grace-s", "0.2")
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(timeout=30) == 0
    run = json.loads(output.read_text())["measurement"]["runs"][0]
    assert run["exit_status"] == 0 and run["duration_s"] > 1.0


def test_children_outliving_the_command_are_named_in_the_report(
    tmp_path: Path, sensors_env: dict[str, str]
) -> None:
    pid_file = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys; p = subprocess.Popen(['sleep', '60'], stdout=subprocess.DEVNULL,"
        f" stderr=subprocess.DEVNULL); open({str(pid_file)!r}, 'w').write(str(p.pid))"
    )
    argv = [PY, "-m", "ecoai", "profile", *FLAGS, "-q", "-o", "r.json", "--", PY, "-c", code]
    start = time.monotonic()
    done = subprocess.run(argv, cwd=tmp_path, env=sensors_env, capture_output=True, timeout=30)
    grandchild = int(pid_file.read_text())
    try:
        assert done.returncode == 0 and time.monotonic() - start < 10
        notes = json.loads((tmp_path / "r.json").read_text())["notes"]
        (note,) = [n for n in notes if "outlived it" in n]
        assert note.startswith(f"1 process(es) the command started outlived it (PID {grandchild})")
        os.kill(grandchild, 0)  # still running: ecoai leaves it alone
    finally:
        os.kill(grandchild, signal.SIGKILL)
