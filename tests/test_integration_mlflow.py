"""MLflow (issue 14): `ecoai profile --log mlflow` and `ecoai.measure(log="mlflow")` against a
real local SQLite tracking store, read back with MLflow's own client; failures keep the report."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliRunner
from integration_helpers import FACTORS, read_report, sensor_script, work_script

import ecoai
from ecoai.metrics import report_figures
from ecoai.sensors import Discovery
from ecoai.sensors.fake import load_script

mlflow = pytest.importorskip("mlflow", reason="needs pip install 'ecoai[mlflow]'")
pytest.importorskip("sqlalchemy", reason="the SQLite tracking store needs sqlalchemy")
pytestmark = pytest.mark.slow

from mlflow.tracking import MlflowClient  # noqa: E402


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow puts a new store's default artifact root in ./mlruns: keep it out of the checkout."""
    monkeypatch.chdir(tmp_path)


def store(tmp_path: Path) -> dict[str, str]:
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}


def logged_metrics(client: MlflowClient, run_id: str) -> dict[str, float]:
    return dict(client.get_run(run_id).data.metrics)


def test_profile_logs_every_figure_and_the_report_to_a_new_run(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    env = {**sensor_script(tmp_path), **store(tmp_path), "MLFLOW_EXPERIMENT_NAME": "ecoai-test"}
    command = ["python", str(work_script(tmp_path))]
    done = ecoai_cli(
        "profile", *FACTORS, "--label", "train", "--log", "mlflow", "-o", "r.json", "--", *command,
        env=env, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ecoai: logged to MLflow: run " in done.stderr
    report = read_report(tmp_path / "r.json")
    client = MlflowClient(env["MLFLOW_TRACKING_URI"])
    experiment = client.get_experiment_by_name("ecoai-test")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "train"
    expected = {f.key: f.value for f in report_figures(report)}
    assert logged_metrics(client, run.info.run_id) == pytest.approx(expected)
    for key in ("ecoai.energy_wh", "ecoai.it_energy_wh", "ecoai.carbon_g", "ecoai.water_ml"):
        assert key in expected
    assert expected["ecoai.per_query.energy_wh"] == pytest.approx(expected["ecoai.energy_wh"] / 2)
    assert "ecoai.per_1k_output_tokens.carbon_g" in expected
    assert "ecoai.phase.train.energy_wh" in expected
    assert expected["ecoai.sensor.fake-gpu.energy_j"] > 0
    assert run.data.tags["ecoai.kind"] == "measured"
    artifact = client.download_artifacts(run.info.run_id, "ecoai/report.json", str(tmp_path))
    assert json.loads(Path(artifact).read_text()) == json.loads((tmp_path / "r.json").read_text())


def test_profile_logs_into_the_run_named_by_mlflow_run_id(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    env = {**sensor_script(tmp_path), **store(tmp_path)}
    client = MlflowClient(env["MLFLOW_TRACKING_URI"])
    run_id = client.create_run(client.create_experiment("mine")).info.run_id
    done = ecoai_cli(
        "profile", *FACTORS, "-q", "--log", "mlflow", "-o", "r.json", "--", "python", "-c", "pass",
        env={**env, "MLFLOW_RUN_ID": run_id}, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = read_report(tmp_path / "r.json")
    assert report.total is not None
    metrics = logged_metrics(client, run_id)
    assert metrics["ecoai.energy_wh"] == pytest.approx(report.total.energy_wh.mean)
    assert client.get_run(run_id).info.status == "RUNNING"  # the user's run stays theirs


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(("strict", "status"), [(False, 0), (True, 4)])
def test_an_unreachable_server_is_a_note_and_the_report_is_still_written(
    ecoai_cli: CliRunner, tmp_path: Path, strict: bool, status: int
) -> None:
    env = {
        **sensor_script(tmp_path),
        "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{closed_port()}",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
    }
    flags = ["--log-strict"] if strict else []
    done = ecoai_cli(
        "profile", *FACTORS, "-q", "--log", "mlflow", *flags, "-o", "r.json", "--",
        "python", "-c", "pass", env=env, timeout=180,
    )  # fmt: skip
    assert done.returncode == status, done.stderr
    assert "ecoai: note: not logged to MLflow: " in done.stderr
    assert "Traceback" not in done.stderr
    report = read_report(tmp_path / "r.json")
    assert report.total is not None and report.total.energy_wh.mean > 0
    assert any(note.startswith("not logged to MLflow: ") for note in report.notes)


def test_measure_logs_into_the_active_run_and_a_report_logs_in_one_line(tmp_path: Path) -> None:
    from ecoai.integrations import log_report

    script = sensor_script(tmp_path)["ECOAI_FAKE_SENSORS"]
    discover: Callable[[], Discovery] = lambda: load_script(Path(script))  # noqa: E731
    mlflow.set_tracking_uri(store(tmp_path)["MLFLOW_TRACKING_URI"])
    try:
        with (
            mlflow.start_run() as run,
            ecoai.measure(log="mlflow", discover=discover, pue=1.2) as m,
        ):
            sum(range(100_000))
        client = MlflowClient()
        assert m.logged and m.logged[0].error is None
        metrics = logged_metrics(client, run.info.run_id)
        assert m.report.total is not None
        assert metrics["ecoai.energy_wh"] == pytest.approx(m.report.total.energy_wh.mean)
        with mlflow.start_run() as second:
            (outcome,) = log_report(m.report, "mlflow")
        assert outcome.error is None
        assert logged_metrics(client, second.info.run_id) == pytest.approx(metrics)
    finally:
        mlflow.set_tracking_uri(None)


@pytest.mark.parametrize("quiet", [False, True])
def test_without_a_tracking_uri_one_line_says_where_the_store_was_made(
    ecoai_cli: CliRunner, tmp_path: Path, quiet: bool
) -> None:
    """MLflow's default store lands in the current directory: said in ecoai's one line (none
    with -q), and MLflow's own INFO lines ("Creating initial MLflow database tables") are not."""
    env = {**sensor_script(tmp_path), "MLFLOW_TRACKING_URI": ""}
    done = ecoai_cli(
        "profile", *FACTORS, *(["-q"] if quiet else []), "--log", "mlflow", "-o", "r.json", "--",
        "python", str(work_script(tmp_path)), env=env, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mlflow.db").is_file() and (tmp_path / "mlruns").is_dir()
    ecoai_lines = [line for line in done.stderr.splitlines() if "MLflow" in line or "INFO" in line]
    if quiet:
        assert ecoai_lines == [], done.stderr
    else:
        (line,) = ecoai_lines
        assert line.startswith("ecoai: logged to MLflow: run ")
        assert f"sqlite:///{tmp_path}/mlflow.db" in line and f"in {tmp_path}/mlruns/" in line
        assert line.endswith("MLFLOW_TRACKING_URI is unset)")
