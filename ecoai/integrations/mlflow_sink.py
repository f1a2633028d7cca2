"""MLflow: a report's figures as run metrics, the JSON report as the artifact ``ecoai/report.json``.

The run: the active one (``mlflow.start_run`` around ``ecoai.measure``), else ``MLFLOW_RUN_ID``,
else a new run in ``MLFLOW_EXPERIMENT_NAME`` (or ``MLFLOW_EXPERIMENT_ID``; MLflow's default
experiment otherwise), at ``MLFLOW_TRACKING_URI``. A run ecoai created is ended FINISHED, or FAILED
when the command failed; a run it was given is left open. Needs ``pip install 'ecoai[mlflow]'``.
Timeouts and retries against a server are MLflow's (``MLFLOW_HTTP_REQUEST_TIMEOUT``,
``MLFLOW_HTTP_REQUEST_MAX_RETRIES``). Without ``MLFLOW_TRACKING_URI`` MLflow writes ``mlflow.db``
and ``mlruns/`` in the current directory: the line ecoai prints says so, with their full paths;
MLflow's own INFO lines (creating its tables) are kept off stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator, Sequence

from ecoai.metrics import Figure
from ecoai.models import Report

ARTIFACT = "ecoai/report.json"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """MLflow's and its database migrations' INFO and WARNING lines off stderr for the call
    (after ``import mlflow``, which sets its loggers' levels); a failure still raises."""
    import mlflow  # noqa: F401  (configures the "mlflow" logger: set ours after it)

    loggers = [logging.getLogger(name) for name in ("mlflow", "alembic")]
    before = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)


def log(report: Report, figures: Sequence[Figure], report_json: str) -> str:
    """Log ``figures`` and the report to MLflow; return where (run id, tracking URI and, when
    MLFLOW_TRACKING_URI is unset, that MLflow's default store is in the current directory)."""
    with _quiet():
        return _log(report, figures, report_json)


def _log(report: Report, figures: Sequence[Figure], report_json: str) -> str:
    import mlflow
    from mlflow.entities import Metric, RunTag
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    active = mlflow.active_run()
    run_id = active.info.run_id if active else os.environ.get("MLFLOW_RUN_ID") or None
    created = run_id is None
    if run_id is None:
        experiment_id = _experiment(client)
        run_id = client.create_run(experiment_id, run_name=report.label or "ecoai").info.run_id
    stamp_ms = int(time.time() * 1000)
    metrics = [Metric(f.key, f.value, stamp_ms, 0) for f in figures]
    tags = [RunTag("ecoai.version", report.ecoai_version), RunTag("ecoai.kind", report.kind)]
    if report.label:
        tags.append(RunTag("ecoai.label", report.label))
    for start in range(0, len(metrics), 1000):  # MLflow's batch limit
        client.log_batch(
            run_id, metrics=metrics[start : start + 1000], tags=tags if not start else []
        )
    client.log_text(run_id, report_json, ARTIFACT)
    if created:
        failed = report.measurement is not None and report.measurement.exit_status != 0
        client.set_terminated(run_id, "FAILED" if failed else "FINISHED")
    where = f"run {run_id} at {mlflow.get_tracking_uri()} ({len(metrics)} metrics, {ARTIFACT}"
    if not os.environ.get("MLFLOW_TRACKING_URI") and active is None:
        artifacts = client.get_run(run_id).info.artifact_uri or ""
        where += f" in {artifacts.removeprefix('file://')}; MLFLOW_TRACKING_URI is unset"
    return where + ")"


def _experiment(client: object) -> str:
    """The experiment named by MLFLOW_EXPERIMENT_NAME (created if new) or MLFLOW_EXPERIMENT_ID."""
    from mlflow.tracking import MlflowClient

    assert isinstance(client, MlflowClient)
    name = os.environ.get("MLFLOW_EXPERIMENT_NAME")
    if name:
        found = client.get_experiment_by_name(name)
        return found.experiment_id if found else client.create_experiment(name)
    return os.environ.get("MLFLOW_EXPERIMENT_ID") or "0"
