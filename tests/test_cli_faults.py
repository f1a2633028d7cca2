"""The command line's failing inputs (issue 11): unknown options, a clean --json channel, gate
verdicts on stderr, a preset missing its companion, --per-node without a local rank, and the
event-file cases (R5, R7) and the serving window end to end with scripted sensors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import CliRunner

from ecoai.commands.profile import ranks
from ecoai.errors import InputError
from ecoai.validation import validate

PY = sys.executable
FLAGS = ["--pue", "1.2", "--wue-site", "0.5", "--wue-source", "3", "--cif", "0.4"]


@pytest.fixture
def fake(tmp_path: Path) -> dict[str, str]:
    script = tmp_path / "sensors.json"
    script.write_text(
        json.dumps({"sensors": [{"name": "fake-gpu", "component": "gpu", "power_w": 100.0}]})
    )
    return {"ECOAI_FAKE_SENSORS": str(script)}


@pytest.mark.parametrize(
    ("args", "option", "closest"),
    [
        (["profile", "--interval", "0.5", "--", "true"], "--interval", "--interval-s"),
        (["profile", "--jsn", "--", "true"], "--jsn", "--json"),
        (["profile", "--per-nod", "true"], "--per-nod", "--per-node"),
        (["estimate", "--modle", "gpt-4.1"], "--modle", "--model"),
        (["compare", "a.json", "--max-incr", "energy=5%"], "--max-incr", "--max-increase"),
    ],
)
def test_an_unknown_option_is_an_error_naming_the_closest(
    ecoai_cli: CliRunner, tmp_path: Path, args: list[str], option: str, closest: str
) -> None:
    run = ecoai_cli(*args, "-o", str(tmp_path / "r.json"))
    assert run.returncode == 2, run.stderr
    first, hint = run.stderr.splitlines()
    assert first == f"ecoai: error: unknown option {option}"
    assert hint.startswith(f"hint: did you mean {closest}?")
    assert not (tmp_path / "r.json").exists()  # nothing ran, no report
    assert "command not found" not in run.stderr


def test_options_after_the_command_still_belong_to_it(
    ecoai_cli: CliRunner, fake: dict[str, str]
) -> None:
    run = ecoai_cli("profile", "-q", PY, "-c", "import sys; print(sys.argv[1:])", "--x", "-q",
                    env=fake)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "['--x', '-q']"


@pytest.mark.parametrize("how", [["--json"], ["-o", "-", "-f", "json"]])
def test_json_on_stdout_is_only_the_report(
    ecoai_cli: CliRunner, fake: dict[str, str], how: list[str]
) -> None:
    code = "import sys; print('child out'); print('child err', file=sys.stderr); sys.exit(3)"
    run = ecoai_cli("profile", "-q", *how, *FLAGS, "--", PY, "-c", code, env=fake)
    assert run.returncode == 3
    report = json.loads(run.stdout)  # | jq works: nothing but the report
    assert report["measurement"]["exit_status"] == 3
    assert run.stderr.splitlines()[:2] == ["child out", "child err"]


def test_a_report_to_a_file_leaves_the_commands_stdout_alone(
    ecoai_cli: CliRunner, fake: dict[str, str], tmp_path: Path
) -> None:
    run = ecoai_cli("profile", "-q", "-o", str(tmp_path / "r.json"), *FLAGS, "--", "echo", "hi",
                    env=fake)  # fmt: skip
    assert (run.returncode, run.stdout) == (0, "hi\n")


@pytest.mark.parametrize("command", [["estimate", "--model", "gpt-4.1"], ["compare", "gpt-4.1"]])
def test_a_model_without_prompt_names_prompt_and_its_classes(
    ecoai_cli: CliRunner, command: list[str]
) -> None:
    run = ecoai_cli(*command)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        "ecoai: error: missing ttft_s (time to first token): --model gpt-4.1 gives it only "
        "with --prompt",
        "hint: add --prompt short, medium or long (the prompt classes of gpt-4.1), or pass --ttft",
    ]


def test_the_companion_choices_are_the_models_own(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("estimate", "--model", "gpt-4")  # publishes no long prompt class
    assert "add --prompt short or medium (the prompt classes of gpt-4)" in run.stderr


def test_a_missing_value_names_the_preset_that_gives_it(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("estimate", "--ttft", "0.5", "--tps", "50", "--output-tokens", "300",
                    "--size-class", "small")  # fmt: skip
    assert run.returncode == 2
    assert "choose --hardware ID" in run.stderr.splitlines()[1], run.stderr


@pytest.mark.parametrize(
    ("env", "local"),
    [
        ({"LOCAL_RANK": "1"}, 1),
        ({"SLURM_LOCALID": "2"}, 2),
        ({"OMPI_COMM_WORLD_LOCAL_RANK": "3"}, 3),
        ({"PMI_LOCAL_RANK": "4"}, 4),
        ({"MPI_LOCALRANKID": "5"}, 5),
        ({}, None),
    ],
)
def test_local_rank_from_every_launcher(env: dict[str, str], local: int | None) -> None:
    assert ranks(env)[1] == local


def test_a_local_rank_that_is_not_an_ascii_number_is_an_input_error() -> None:
    with pytest.raises(InputError, match="LOCAL_RANK='²' is not a rank"):
        ranks({"LOCAL_RANK": "²"})


def test_per_node_without_a_local_rank_measures_and_says_so(
    ecoai_cli: CliRunner, fake: dict[str, str], tmp_path: Path
) -> None:
    run = ecoai_cli("profile", "-q", "--per-node", "-o", "pn.json", *FLAGS, "--", "sh", "-c",
                    "exit 4", env=fake)  # fmt: skip
    assert run.returncode == 4, run.stderr
    report = json.loads((tmp_path / "pn.json").read_text())
    assert report["measurement"]["exit_status"] == 4
    assert any("no local-rank variable is set" in n for n in report["notes"])


def test_per_node_on_local_rank_1_runs_unmeasured(
    ecoai_cli: CliRunner, fake: dict[str, str], tmp_path: Path
) -> None:
    run = ecoai_cli("profile", "-q", "--per-node", "-o", "pn.json", "--", "sh", "-c", "exit 5",
                    env={**fake, "OMPI_COMM_WORLD_LOCAL_RANK": "1"})  # fmt: skip
    assert run.returncode == 5 and not (tmp_path / "pn.json").exists()


WRITE = (
    "import os, sys, time\n"
    "fd = os.open(os.environ['ECOAI_EVENTS'], os.O_WRONLY | os.O_APPEND)\n"
    "os.write(fd, sys.argv[1].encode().decode('unicode_escape').encode())\n"
    "time.sleep(0.3)\n"
)


def test_r5_one_infinite_number_costs_one_line(
    ecoai_cli: CliRunner, fake: dict[str, str], tmp_path: Path
) -> None:
    lines = '{"event":"query"}\\n' * 200 + '{"event":"query","n":1e400}\\n'
    run = ecoai_cli("profile", "-q", "-o", "r.json", *FLAGS, "--", PY, "-c", WRITE, lines,
                    env=fake)  # fmt: skip
    assert run.returncode == 0, run.stderr
    work = json.loads((tmp_path / "r.json").read_text())["measurement"]["runs"][0]["work"]
    assert (work["queries"], work["events"], work["malformed_events"]) == (200, 200, 1)


def test_r7_a_phase_stamped_before_the_run_is_clamped_to_it(
    ecoai_cli: CliRunner, fake: dict[str, str], tmp_path: Path
) -> None:
    code = (
        "import os, time\n"
        "fd = os.open(os.environ['ECOAI_EVENTS'], os.O_WRONLY | os.O_APPEND)\n"
        'os.write(fd, b\'{"event":"phase","name":"load","edge":"start","t":0}\\n\')\n'
        "time.sleep(0.3)\n"
        'os.write(fd, b\'{"event":"phase","name":"load","edge":"end"}\\n\')\n'
    )
    run = ecoai_cli("profile", "-q", "-o", "r.json", *FLAGS, "--", PY, "-c", code, env=fake)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    duration_s = report["measurement"]["runs"][0]["duration_s"]
    (phase,) = report["measurement"]["workload"]["phases"]
    assert 0.2 < phase["duration_s"] <= duration_s + 0.1  # the sampled window, not 57 years
    assert any("stamped before the run started" in n for n in report["notes"])


SERVE = (
    "import time\n"
    "from ecoai import track\n"
    "time.sleep(0.6)                                   # 'model loading'\n"
    "track.query(1, output_tokens=10)\n"
    "for _ in range(4):\n"
    "    time.sleep(0.1)\n"
    "    track.query(2, output_tokens=20)\n"
    "time.sleep(0.3)                                   # 'shutting down'\n"
)


@pytest.mark.parametrize("fmt", ["json", "table", "markdown", "csv"])
def test_serving_window_by_hand_with_scripted_sensors(
    ecoai_cli: CliRunner, fake: dict[str, str], tmp_path: Path, fmt: str
) -> None:
    """100 W scripted GPU, PUE 1.2: every figure follows from the recorded query times."""
    run = ecoai_cli("profile", "-q", "--scope", "machine", "-o", "r.json", *FLAGS, "--", PY,
                    "-c", SERVE, env=fake)  # fmt: skip
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    (r,) = report["measurement"]["runs"]
    w = r["work"]
    work = report["measurement"]["workload"]
    window_s = w["last_query_s"] - w["first_query_s"]
    assert w["first_query_s"] == pytest.approx(0.6, abs=0.25)
    assert window_s == pytest.approx(0.4, abs=0.2)
    # A constant 100 W counter interpolates exactly: energy = 100 W x time (to the µs read lag).
    assert w["startup_energy_j"] == pytest.approx(100.0 * w["first_query_s"], abs=0.01)
    assert w["serving_energy_j"] == pytest.approx(100.0 * window_s, abs=0.01)
    assert (w["serving_queries"], w["serving_output_tokens"]) == (8, 80)
    assert work["serving_queries_per_s"] == pytest.approx(8 / window_s)
    assert work["serving_output_tokens_per_s"] == pytest.approx(80 / window_s)
    per_query_wh = w["serving_energy_j"] / 8 / 3600 * 1.2  # ~ 100 W x window / 8 x PUE
    assert work["serving_per_query"]["energy_wh"]["mean"] == pytest.approx(per_query_wh)
    assert work["startup"]["it_energy_j"] == pytest.approx(w["startup_energy_j"])
    # The whole-run per-query figure includes start-up and shut-down: larger.
    assert report["per_query"]["energy_wh"]["mean"] > 1.5 * per_query_wh
    from ecoai.models import Report
    from ecoai.render import Format, render

    rendered = render(validate(Report, report), Format(fmt), width=100)
    if fmt == "json":
        assert json.loads(rendered)["measurement"]["workload"]["serving_s"] == pytest.approx(
            window_s
        )
    elif fmt == "csv":
        rows = [line.split(",") for line in rendered.splitlines()]
        scopes = {row[2] for row in rows}
        assert {"serving_per_query", "startup", "serving_window"} <= scopes
        rate = [r for r in rows if r[2] == "serving_window" and r[3] == "queries_per_s"]
        assert float(rate[0][5]) == pytest.approx(8 / window_s)
    elif fmt == "markdown":
        assert "| per query, serving window |" in rendered
        assert "| start-up, before the first query |" in rendered
        assert "Serving window (first to last query event)" in rendered
    else:
        assert "serving window (first to last query event" in rendered
        assert "start-up (run start to the first query event" in rendered


def test_schema_lists_the_serving_window(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("schema")
    schema = json.loads(run.stdout)
    workload = schema["$defs"]["Workload"]["properties"]
    assert {"serving_s", "serving_per_query", "serving_queries_per_s", "startup"} <= set(workload)
    work = schema["$defs"]["RunWork"]["properties"]
    assert {"startup_energy_j", "serving_energy_j", "dropped_phases", "early_events"} <= set(work)
    assert schema["properties"]["schema_version"]["default"] == 1
