"""`ecoai profile` of inference: events, per-unit figures, timeline, metrics, plot, formats."""

from __future__ import annotations

import csv
import io
import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRunner, run_probe

DATA = Path(__file__).parent / "data"
PY = sys.executable
FLAGS = ["--pue", "1.2", "--wue-site", "0.5", "--wue-source", "3", "--cif", "0.4"]
CODECARBON_DOCUMENTED = (
    "timestamp,project_name,run_id,duration,emissions,emissions_rate,cpu_power,gpu_power,"
    "ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,"
    "region,cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,"
    "gpu_count,gpu_model,longitude,latitude,ram_total_size,tracking_mode,on_cloud,pue"
)


@pytest.fixture
def fake_sensors(tmp_path: Path) -> dict[str, str]:
    script = tmp_path / "sensors.json"
    sensors = [
        {
            "name": "fake-gpu",
            "component": "gpu",
            "power_w": 200.0,
            "facts": {"uuid": "GPU-fake", "device_name": "Fake H100"},
        },
        {"name": "fake-cpu", "component": "cpu", "power_w": 50.0},
    ]
    script.write_text(json.dumps({"sensors": sensors}))
    return {"ECOAI_FAKE_SENSORS": str(script)}


def profile_json(
    cli: CliRunner, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    done = cli("profile", *FLAGS, "-q", "-o", "r.json", *args, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads((tmp_path / "r.json").read_text())
    return data


def wh(footprint: dict[str, Any]) -> float:
    return float(footprint["it_energy_wh"]["mean"])


@pytest.mark.torch
@pytest.mark.parametrize("sensors", ["fake", "real"])
def test_torch_inference_per_query_and_per_phase_add_up(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str], sensors: str
) -> None:
    env = fake_sensors if sensors == "fake" else None
    scope = ["--scope", "machine"] if sensors == "fake" else []  # fake: nothing to attribute
    report = profile_json(
        ecoai_cli,
        tmp_path,
        *scope,
        "--queries",
        "99",
        "--",
        PY,
        str(DATA / "torch_serve.py"),
        "6",
        "16",
        env=env,
    )
    work = report["measurement"]["workload"]
    total = wh(report["total"])
    assert work["queries_from"] == "events" and report["queries"] == 6
    assert work["output_tokens"] == 6 * 16 and work["input_tokens"] == 6 * 48
    assert wh(report["per_query"]) * 6 == pytest.approx(total)
    assert wh(work["per_1k_output_tokens"]) * 96 / 1000 == pytest.approx(total)
    phases = {p["name"]: p for p in work["phases"]}
    assert set(phases) == {"load", "prefill", "decode"}
    assert phases["prefill"]["windows"] == phases["decode"]["windows"] == 6
    parts_j = sum(p["it_energy_j"] for p in phases.values()) + work["outside_phases"]["it_energy_j"]
    assert parts_j == pytest.approx(total * 3600, rel=1e-6)  # disjoint phases + outside = total
    run = report["measurement"]["runs"][0]
    assert sum(p["duration_s"] for p in phases.values()) < run["duration_s"]
    assert any("--queries 99 ignored" in note for note in report["notes"])
    if sensors == "fake":  # constant 250 W: a phase holds 250 W x its time (to 10 ms of skew)
        for phase in phases.values():
            assert phase["it_energy_j"] == pytest.approx(250.0 * phase["duration_s"], abs=2.5)
        assert phases["load"]["duration_s"] > 0.1


@pytest.mark.torch
def test_summary_shows_per_unit_phases_and_sparkline(
    ecoai_cli: CliRunner, fake_sensors: dict[str, str]
) -> None:
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "--",
        PY,
        str(DATA / "torch_serve.py"),
        "3",
        "8",
        env=fake_sensors,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "per unit (3 queries from the event file, 24 output tokens)" in done.stderr
    assert "per 1,000 output tokens" in done.stderr and "queries/s" in done.stderr
    assert "(outside phases)" in done.stderr and "  decode " in done.stderr
    assert "power " in done.stderr and any(bar in done.stderr for bar in "▁▂▃▄▅▆▇█")


def test_malformed_events_are_reported_not_fatal(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    code = (
        "import os\n"
        "with open(os.environ['ECOAI_EVENTS'], 'a') as f:\n"
        '    f.write(\'{"event": "query", "n": 4}\\nnot json\\n{"event": "phase"}\\n\')\n'
    )
    report = profile_json(ecoai_cli, tmp_path, "--", PY, "-c", code, env=fake_sensors)
    work = report["measurement"]["runs"][0]["work"]
    assert work["queries"] == 4 and work["malformed_events"] == 2
    assert report["measurement"]["workload"]["queries_from"] == "events"


def test_queries_flag_is_used_without_events(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    report = profile_json(
        ecoai_cli, tmp_path, "--queries", "5", "--", PY, "-c", "pass", env=fake_sensors
    )
    assert report["measurement"]["workload"]["queries_from"] == "flag"
    assert report["queries"] == 5


def test_timeline_is_streamed_while_the_command_runs(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    code = (  # the command itself reads the timeline while it is still running
        "import time, pathlib\ntime.sleep(1.6)\n"
        "print(len(pathlib.Path('t.csv').read_text().splitlines()))\n"
    )
    done = ecoai_cli(
        "profile", *FLAGS, "-q", "--timeline", "t.csv", "--", PY, "-c", code, env=fake_sensors
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 5  # header + rows flushed during the run
    rows = list(csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text())))
    assert len(rows) > int(done.stdout)
    assert rows[0].keys() >= {"t_s", "unix_s", "fake-gpu_power_w", "total_energy_j"}
    last = rows[-1]
    assert float(last["fake-gpu_power_w"]) == pytest.approx(200.0)
    assert float(last["total_energy_j"]) == pytest.approx(250.0 * float(last["t_s"]), rel=0.05)


def test_timeline_json_lines(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "-q",
        "--timeline",
        "t.jsonl",
        "--",
        PY,
        "-c",
        "import time; time.sleep(0.3)",
        env=fake_sensors,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert rows[-1]["power_w"]["fake-cpu"] == pytest.approx(50.0)


def test_bad_timeline_extension_fails_before_running(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profile", "--timeline", "t.txt", "--", PY, "-c", "print('ran')")
    assert done.returncode == 2 and "ran" not in done.stdout
    assert done.stderr.startswith("ecoai: error: --timeline t.txt") and "hint:" in done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_metrics_endpoint_is_scraped_over_loopback(
    ecoai_cli: CliRunner, fake_sensors: dict[str, str]
) -> None:
    pytest.importorskip("prometheus_client")
    port = free_port()
    code = (  # the command scrapes ecoai's endpoint with a real HTTP request while it runs
        "import time, urllib.request\nfrom ecoai import track\n"
        "track.query(3, output_tokens=30)\ntime.sleep(0.5)\n"
        f"print(urllib.request.urlopen('http://127.0.0.1:{port}/metrics', timeout=5).read()"
        ".decode())\n"
    )
    done = ecoai_cli(
        "profile", *FLAGS, "-q", "--metrics-port", str(port), "--", PY, "-c", code, env=fake_sensors
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    gpu = 'component="gpu",device="GPU-fake",sensor="fake-gpu"'
    power = next(line for line in lines if line.startswith(f"ecoai_power_watts{{{gpu}}}"))
    assert float(power.split()[-1]) == pytest.approx(200.0)
    energy = next(line for line in lines if line.startswith(f"ecoai_energy_joules_total{{{gpu}"))
    assert float(energy.split()[-1]) > 50.0  # 200 W for more than 0.25 s
    assert "ecoai_queries_total 3.0" in lines and "ecoai_output_tokens_total 30.0" in lines


def test_metrics_port_in_use_is_a_one_line_error(ecoai_cli: CliRunner) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = ecoai_cli("profile", "--metrics-port", str(port), "--", PY, "-c", "print('ran')")
    assert done.returncode == 2 and "ran" not in done.stdout
    assert f"cannot serve metrics on 127.0.0.1:{port}" in done.stderr


@pytest.mark.torch
def test_plot_is_a_png_that_opens(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    pytest.importorskip("matplotlib")
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "-q",
        "--plot",
        "p.png",
        "--",
        PY,
        str(DATA / "torch_serve.py"),
        "2",
        "4",
        env=fake_sensors,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    data = (tmp_path / "p.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    import matplotlib.image

    assert matplotlib.image.imread(str(tmp_path / "p.png")).shape[:2] == (400, 1000)


def test_plot_svg(ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]) -> None:
    pytest.importorskip("matplotlib")
    done = ecoai_cli(
        "profile", *FLAGS, "-q", "--plot", "p.svg", "--", PY, "-c", "pass", env=fake_sensors
    )
    assert done.returncode == 0, done.stderr
    assert "<svg" in (tmp_path / "p.svg").read_text()


def test_codecarbon_csv_row(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "-q",
        "--format",
        "codecarbon-csv",
        "-o",
        "e.csv",
        "--label",
        "demo",
        "--",
        PY,
        "-c",
        "import time; time.sleep(0.4)",
        env=fake_sensors,
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "e.csv").read_text()
    assert text.splitlines()[0] == CODECARBON_DOCUMENTED
    (row,) = csv.DictReader(io.StringIO(text))
    duration_s = float(row["duration"])
    assert row["project_name"] == "demo" and row["tracking_mode"] == "process"
    assert float(row["gpu_power"]) == pytest.approx(200.0, rel=0.05)
    assert float(row["gpu_energy"]) == pytest.approx(200.0 * duration_s / 3.6e6, rel=0.05)
    energy_kwh = float(row["energy_consumed"])
    assert float(row["emissions"]) == pytest.approx(energy_kwh * 1.2 * 0.4, rel=1e-6)  # kg
    assert row["gpu_model"] == "1 x Fake H100" and row["pue"] == "1.2"


def test_model_card_block(
    ecoai_cli: CliRunner, tmp_path: Path, fake_sensors: dict[str, str]
) -> None:
    report = profile_json(ecoai_cli, tmp_path, "--", PY, "-c", "pass", env=fake_sensors)
    done = ecoai_cli(
        "profile",
        *FLAGS,
        "-q",
        "--format",
        "model-card",
        "-o",
        "card.yaml",
        "--",
        PY,
        "-c",
        "pass",
        env=fake_sensors,
    )
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "card.yaml").read_text().splitlines()
    assert lines[0] == "co2_eq_emissions:"
    assert float(lines[1].removeprefix("  emissions: ")) > 0  # grams
    assert lines[2].startswith('  source: "ecoai ') and "measured" in lines[2]
    assert any(line.startswith('  hardware_used: "1 x Fake H100') for line in lines)
    assert report["kind"] == "measured"


def test_interop_formats_refuse_estimates(ecoai_cli: CliRunner) -> None:
    from test_estimate import PAPER_FLAGS

    done = ecoai_cli("estimate", *PAPER_FLAGS, "--format", "codecarbon-csv")
    assert done.returncode == 2
    assert done.stderr.startswith("ecoai: error: --format codecarbon-csv needs a measured report")


@pytest.mark.parametrize("argv", [["--help"], ["profile", "--help"]])
def test_help_imports_no_optional_extra(argv: list[str]) -> None:

    probe = (
        "import sys, io, contextlib\n"
        f"sys.argv = ['ecoai', *{argv!r}]\n"
        "from ecoai.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('matplotlib', 'prometheus_client', 'torch', 'numpy')))\n"
    )
    run = run_probe(probe)
    assert run.stdout.strip() == "[]"
