"""`ecoai profile` end to end: real child processes, scripted or real sensors."""

from __future__ import annotations

import json
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRunner, cli_env

DATA = Path(__file__).parent / "data"
PY = sys.executable
FLAGS = ["--pue", "1.2", "--wue-site", "0.5", "--wue-source", "3", "--cif", "0.4"]


@pytest.fixture
def fake_sensors(tmp_path: Path) -> dict[str, str]:
    script = tmp_path / "sensors.json"
    script.write_text(
        json.dumps(
            {
                "sensors": [
                    {
                        "name": "fake-gpu",
                        "component": "gpu",
                        "power_w": 200.0,
                        "facts": {"uuid": "GPU-fake"},
                    }
                ],
                "skipped": [{"name": "rapl", "reason": "scripted skip"}],
            }
        )
    )
    return {"ECOAI_FAKE_SENSORS": str(script)}


def report_of(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.mark.parametrize("code", [0, 3])
def test_exit_status_passes_through_and_the_report_is_written(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str], code: int
) -> None:
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "-q",
        "-o",
        "r.json",
        "--",
        PY,
        "-c",
        f"print('out'); raise SystemExit({code})",
        env=fake_sensors,
    )
    assert done.returncode == code, done.stderr
    assert done.stdout == "out\n" and done.stderr == ""
    report = report_of(tmp_path / "r.json")
    assert report["kind"] == "measured"
    assert report["measurement"]["exit_status"] == code


def test_scripted_energy_is_power_times_duration(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "--queries",
        "4",
        "-o",
        "r.json",
        PY,
        str(DATA / "cpu_work.py"),
        "0.5",
        env=fake_sensors,
    )
    assert done.returncode == 0, done.stderr
    report = report_of(tmp_path / "r.json")
    run = report["measurement"]["runs"][0]
    (sensor,) = run["sensors"]
    # the sensor's window is the sampler's marks around the child: a few ms wider than it
    assert sensor["energy_j"] == pytest.approx(200.0 * run["duration_s"], rel=0.05, abs=2.0)
    assert sensor["attributed_energy_j"] == sensor["energy_j"]
    it_wh = sensor["energy_j"] / 3600
    assert report["total"]["it_energy_wh"]["mean"] == pytest.approx(it_wh)
    assert report["total"]["energy_wh"]["mean"] == pytest.approx(it_wh * 1.2)
    assert report["per_query"]["it_energy_wh"]["mean"] == pytest.approx(it_wh / 4)
    assert report["measurement"]["skipped"] == [{"name": "rapl", "reason": "scripted skip"}]
    assert run["samples"] >= 3 and run["overhead_cpu_s"] >= 0
    assert "fake-gpu" in done.stderr and "scripted skip" in done.stderr  # the summary


@pytest.mark.parametrize(("command", "code"), [(["no-such-command-xyz"], 127), (["."], 126)])
def test_unrunnable_commands(
    ecoai_cli: CliRunner,
    tmp_path: Path,
    fake_sensors: dict[str, str],
    command: list[str],
    code: int,
) -> None:
    done = ecoai_cli("profile", *FLAGS, "-q", "-o", "r.json", "--", *command, env=fake_sensors)
    assert done.returncode == code
    assert done.stderr.startswith("ecoai: error: ")
    assert report_of(tmp_path / "r.json")["measurement"]["exit_status"] == code


def test_options_after_the_command_belong_to_the_command(
    ecoai_cli: CliRunner, fake_sensors: dict[str, str]
) -> None:
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "-q",
        PY,
        "-c",
        "import sys; print(sys.argv[1:])",
        "--quiet",
        "-o",
        "x",
        env=fake_sensors,
    )
    assert done.returncode == 0
    assert done.stdout == "['--quiet', '-o', 'x']\n"


def test_megabytes_of_stdout_pass_through_byte_for_byte(
    tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    argv = [PY, "-m", "ecoai", "profile", *FLAGS, "--", PY, str(DATA / "spew.py"), "5"]
    done = subprocess.run(
        argv, capture_output=True, cwd=tmp_path, env=cli_env(**fake_sensors), timeout=60
    )
    assert done.returncode == 0
    assert done.stdout == random.Random(1234).randbytes(5_000_000)
    assert b"measured:" in done.stderr  # the summary went to stderr


def test_json_on_stdout_only_when_asked(ecoai_cli: CliRunner, fake_sensors: dict[str, str]) -> None:
    done = ecoai_cli("profile", *FLAGS, "--json", "--", "true", env=fake_sensors)
    assert json.loads(done.stdout)["kind"] == "measured"
    assert "measured:" in done.stderr
    table = ecoai_cli("profile", *FLAGS, "-o", "-", "--", "true", env=fake_sensors)
    assert "measured:" in table.stdout and table.stderr == ""  # the table once, on stdout
    assert ecoai_cli("profile", *FLAGS, "--", "true", env=fake_sensors).stdout == ""
    assert ecoai_cli("profile", *FLAGS, "-f", "table", "--", "true", env=fake_sensors).stdout == ""


@pytest.mark.parametrize(("fmt", "start"), [("json", "{"), ("markdown", "### "), ("csv", "")])
def test_a_report_format_without_o_goes_to_stdout(
    ecoai_cli: CliRunner, fake_sensors: dict[str, str], fmt: str, start: str
) -> None:
    """`-f json` (or any format but the table) without -o writes the report to stdout, as --json
    does, and the command's own output to stderr; it was written nowhere."""
    done = ecoai_cli("profile", *FLAGS, "-f", fmt, "--", "echo", "from-the-command",
                     env=fake_sensors)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(start) and len(done.stdout.splitlines()) > 2
    assert "from-the-command" not in done.stdout.splitlines()  # the command's line: on stderr
    assert "from-the-command" in done.stderr.splitlines()
    if fmt == "json":
        assert json.loads(done.stdout)["kind"] == "measured"


def test_existing_output_is_refused_before_the_command_runs(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    (tmp_path / "r.json").write_text("keep")
    marker = tmp_path / "ran"
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "-o",
        "r.json",
        "--",
        PY,
        "-c",
        f"open({str(marker)!r}, 'w')",
        env=fake_sensors,
    )
    assert done.returncode == 2 and "already exists" in done.stderr
    assert not marker.exists() and (tmp_path / "r.json").read_text() == "keep"
    forced = ecoai_cli(
        "profile", *FLAGS, "--force", "-q", "-o", "r.json", "--", "true", env=fake_sensors
    )
    assert forced.returncode == 0 and report_of(tmp_path / "r.json")["kind"] == "measured"


def test_requested_unavailable_sensor_fails_before_the_command(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "--sensors",
        "rapl",
        "--powercap-root",
        str(tmp_path / "none"),
        "--",
        PY,
        "-c",
        f"open({str(marker)!r}, 'w')",
    )
    assert done.returncode == 2 and not marker.exists()
    assert done.stderr.startswith("ecoai: error: sensor 'rapl' is unavailable")
    assert "hint: sudo chmod -R a+r /sys/class/powercap/intel-rapl" in done.stderr


def _start(
    tmp_path: Path, env: dict[str, str], *extra: str
) -> tuple[subprocess.Popen[bytes], Path]:
    marker = tmp_path / "started"
    argv = [
        PY,
        "-m",
        "ecoai",
        "profile",
        *FLAGS,
        "-q",
        "-o",
        "r.json",
        *extra,
        "--",
        PY,
        str(DATA / "wait_for_signal.py"),
        str(marker),
    ]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=cli_env(**env), stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists()
    return proc, tmp_path / "r.json"


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_reach_the_child_and_the_report_is_still_written(
    tmp_path: Path, fake_sensors: dict[str, str], signum: int, code: int
) -> None:
    proc, output = _start(tmp_path, fake_sensors)
    proc.send_signal(signum)
    assert proc.wait(timeout=30) == code
    run = report_of(output)["measurement"]["runs"][0]
    assert run["interrupted"] is True and run["exit_status"] == code


def test_a_child_killed_by_sigterm_exits_143(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "-q",
        "-o",
        "r.json",
        "--",
        PY,
        "-c",
        "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
        env=fake_sensors,
    )
    assert done.returncode == 143
    run = report_of(tmp_path / "r.json")["measurement"]["runs"][0]
    assert (run["signal"], run["interrupted"]) == (15, False)


def test_repeat_keeps_every_run(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "-q",
        "--repeat",
        "3",
        "-o",
        "r.json",
        "--",
        PY,
        "-c",
        "import time; time.sleep(0.2)",
        env=fake_sensors,
    )
    assert done.returncode == 0, done.stderr
    report = report_of(tmp_path / "r.json")
    assert len(report["runs"]) == 3 and len(report["measurement"]["runs"]) == 3
    energies = [r["it_energy_wh"]["mean"] for r in report["runs"]]
    assert report["total"]["it_energy_wh"]["mean"] == pytest.approx(sum(energies) / 3)
    assert report["total"]["it_energy_wh"]["std"] is not None


def test_output_template_and_per_node_mode(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    host = socket.gethostname().split(".")[0]
    template = "report-{host}-{rank}.json"
    worker = ecoai_cli(
        "profile",
        *FLAGS,
        "--per-node",
        "-o",
        template,
        "--",
        PY,
        "-c",
        "raise SystemExit(4)",
        env={**fake_sensors, "RANK": "3", "LOCAL_RANK": "1"},
    )
    assert worker.returncode == 4 and worker.stderr == ""
    assert not list(tmp_path.glob("report-*"))  # other ranks run unmeasured
    leader = ecoai_cli(
        "profile",
        *FLAGS,
        "-q",
        "--per-node",
        "-o",
        template,
        "--",
        "true",
        env={**fake_sensors, "SLURM_PROCID": "2", "SLURM_LOCALID": "0"},
    )
    assert leader.returncode == 0, leader.stderr
    report = report_of(tmp_path / f"report-{host}-2.json")
    assert report["measurement"]["scope"] == "machine"
    assert (report["measurement"]["host"]["rank"], report["measurement"]["host"]["local_rank"]) == (
        2,
        0,
    )


def test_real_cpu_model_on_this_machine(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "--queries",
        "10",
        "--sensors",
        "cpu-model",
        "-o",
        "r.json",
        "--",
        PY,
        str(DATA / "cpu_work.py"),
        "--cpu",  # 1 CPU-s however loaded the machine is
        "1",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("checksum ")
    report = report_of(tmp_path / "r.json")
    run = report["measurement"]["runs"][0]
    cpu = next(s for s in run["sensors"] if s["component"] == "cpu")
    assert cpu["energy_j"] > 0 and 0 < run["cpu_share"] <= 1
    assert cpu["attributed_energy_j"] == pytest.approx(cpu["energy_j"] * run["cpu_share"])
    assert run["child_cpu_s"] > 0.9
    assert report["per_query"]["it_energy_wh"]["mean"] > 0
    sensors = {s["name"]: s for s in report["measurement"]["sensors"]}
    assert sensors["cpu-model"]["method"] == "model" and sensors["cpu-model"]["assumptions"]


@pytest.mark.torch
def test_real_torch_inference_script(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "--queries",
        "20",
        "--cpu-tdp-w",
        "100",
        "-o",
        "r.json",
        "--",
        PY,
        str(DATA / "torch_infer.py"),
        "20",
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("query ") == 20
    report = report_of(tmp_path / "r.json")
    run = report["measurement"]["runs"][0]
    assert run["child_cpu_s"] > 0 and run["attributed_energy_j"] > 0
    assert report["queries"] == 20
    per_query = report["per_query"]["it_energy_wh"]["mean"]
    assert per_query == pytest.approx(report["total"]["it_energy_wh"]["mean"] / 20)
    assert any(
        "--cpu-tdp-w" in a for s in report["measurement"]["sensors"] for a in s["assumptions"]
    )


def test_ctrl_c_in_a_terminal_reaches_the_child_once(
    tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    import fcntl
    import os
    import pty
    import termios

    master, slave = pty.openpty()

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    marker, result = tmp_path / "started", tmp_path / "count"
    argv = [
        PY,
        "-m",
        "ecoai",
        "profile",
        *FLAGS,
        "-q",
        "-o",
        "r.json",
        "--",
        PY,
        str(DATA / "count_sigint.py"),
        str(marker),
        str(result),
    ]
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=cli_env(**fake_sensors),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        preexec_fn=controlling_terminal,
    )
    os.close(slave)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.write(master, b"\x03")  # Ctrl-C: the terminal signals the whole foreground group
        assert proc.wait(timeout=30) == 130
    finally:
        os.close(master)
    assert result.read_text() == "1"  # not forwarded a second time by ecoai
    assert report_of(tmp_path / "r.json")["measurement"]["runs"][0]["interrupted"] is True


@pytest.mark.skipif(sys.platform != "linux", reason="subreaper and cgroups are Linux's")
def test_work_the_command_never_waited_for_is_attributed(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    # F3/R2: two workers of 0.5 CPU-s each, started with Popen and never waited for; the
    # launcher leaves once both have finished (zombies nobody reaped)
    (tmp_path / "burn.py").write_text(
        "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass\n"
    )
    (tmp_path / "launcher.py").write_text(
        "import subprocess, sys, time\n"
        "ws = [subprocess.Popen([sys.executable, 'burn.py']) for _ in range(2)]\n"
        "def gone(pid):\n"
        "    with open(f'/proc/{pid}/stat', 'rb') as f:\n"
        "        return f.read().rsplit(b')', 1)[1].split()[0] == b'Z'\n"
        "while not all(gone(w.pid) for w in ws): time.sleep(0.02)\n"
    )
    done = ecoai_cli(
        "profile", *FLAGS, "--sensors", "cpu-model", "-o", "r.json", "--", PY, "launcher.py"
    )
    assert done.returncode == 0, done.stderr
    run = report_of(tmp_path / "r.json")["measurement"]["runs"][0]
    assert run["child_cpu_s"] >= 1.0  # both workers, not the launcher alone (was 0.03)
    assert run["cpu_time_method"] in ("cgroup", "subreaper")
    assert run["cpu_share"] == pytest.approx(
        min(1.0, run["child_cpu_s"] / run["machine_busy_cpu_s"])
    )
    cpu = next(s for s in run["sensors"] if s["component"] == "cpu")
    assert cpu["attributed_energy_j"] == pytest.approx(cpu["energy_j"] * run["cpu_share"])
    if run["memory_share"] is not None:  # DRAM goes by the tree's share of memory in use
        dram = next(s for s in run["sensors"] if s["component"] == "dram")
        assert dram["attributed_energy_j"] == pytest.approx(dram["energy_j"] * run["memory_share"])
