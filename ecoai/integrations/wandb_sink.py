"""Weights & Biases: a report's figures into a run's history (one step) and summary, and the JSON
report saved with the run as ``ecoai-report.json``.

The run: the active one (``wandb.init`` around ``ecoai.measure``), else a new run in
``WANDB_PROJECT`` (default ``ecoai``), honouring W&B's own settings (``WANDB_MODE=offline``,
``WANDB_DIR``, ``WANDB_RUN_ID`` with ``WANDB_RESUME``, ``WANDB_ENTITY``). A run ecoai started it
finishes, with exit code 1 when the command failed. Needs ``pip install 'ecoai[wandb]'``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ecoai.metrics import Figure
from ecoai.models import Report

REPORT_FILE = "ecoai-report.json"


def log(report: Report, figures: Sequence[Figure], report_json: str) -> str:
    """Log ``figures`` and the report to W&B; return where (run id and directory or URL)."""
    import wandb

    run = wandb.run
    created = run is None
    if run is None:
        run = wandb.init(
            project=os.environ.get("WANDB_PROJECT") or "ecoai",
            name=report.label,
            job_type="ecoai",
            config={"ecoai.version": report.ecoai_version, "ecoai.kind": report.kind},
        )
    values = {f.key: f.value for f in figures}
    run.log(values)
    run.summary.update(values)
    path = Path(run.dir) / REPORT_FILE
    path.write_text(report_json, encoding="utf-8")
    run.save(str(path), base_path=run.dir, policy="now")
    where = run.url or run.dir
    if created:
        failed = report.measurement is not None and report.measurement.exit_status != 0
        run.finish(exit_code=1 if failed else 0)
    return f"run {run.id} ({where}; {len(values)} metrics, {REPORT_FILE})"
