"""Weights & Biases (issue 14): `--log wandb` and `measure(log="wandb")` with WANDB_MODE=offline,
read back from the offline run's transaction log (.wandb) with W&B's own protobuf records."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRunner
from integration_helpers import FACTORS, read_report, sensor_script, work_script

import ecoai
from ecoai.metrics import report_figures
from ecoai.sensors import Discovery
from ecoai.sensors.fake import load_script

wandb = pytest.importorskip("wandb", reason="needs pip install 'ecoai[wandb]'")
pytestmark = pytest.mark.slow

from wandb.proto import wandb_internal_pb2  # noqa: E402

BLOCK = 32 * 1024
"""The .wandb file is a LevelDB-style log: 32 KiB blocks of chunks (checksum, length, type)."""


def chunks(path: Path) -> Iterator[bytes]:
    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, pending = 7, b""  # the header: ':W&B', a 2-byte magic, a version byte
    while pos + 7 <= len(data):
        left = BLOCK - pos % BLOCK
        if left < 7:
            pos += left  # the block's zero-padded tail
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunk, pos = data[pos + 7 : pos + 7 + length], pos + 7 + length
        if kind == 1:  # full
            yield chunk
        elif kind == 2:  # first
            pending = chunk
        elif kind == 3:  # middle
            pending += chunk
        elif kind == 4:  # last
            yield pending + chunk


def read_run(run_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The summary (last value of each key) and the history rows of an offline run."""
    (log,) = run_dir.glob("run-*.wandb")
    summary: dict[str, Any] = {}
    history: list[dict[str, Any]] = []
    for raw in chunks(log):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(raw)
        kind = record.WhichOneof("record_type")
        if kind == "summary":
            for item in record.summary.update:
                key = item.key or ".".join(item.nested_key)
                summary[key] = json.loads(item.value_json)
        elif kind == "history":
            row = {}
            for item in record.history.item:
                row[item.key or ".".join(item.nested_key)] = json.loads(item.value_json)
            history.append(row)
    return summary, history


def offline(tmp_path: Path) -> dict[str, str]:
    return {"WANDB_MODE": "offline", "WANDB_DIR": str(tmp_path), "WANDB_SILENT": "true"}


def test_profile_logs_figures_to_history_and_summary_and_saves_the_report(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    done = ecoai_cli(
        "profile", *FACTORS, "--label", "train", "--log", "wandb", "-o", "r.json", "--",
        "python", str(work_script(tmp_path)),
        env={**sensor_script(tmp_path), **offline(tmp_path)}, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ecoai: logged to W&B: run " in done.stderr
    report = read_report(tmp_path / "r.json")
    (run_dir,) = (tmp_path / "wandb").glob("offline-run-*")
    summary, history = read_run(run_dir)
    expected = {f.key: f.value for f in report_figures(report)}
    assert "ecoai.phase.train.carbon_g" in expected and "ecoai.per_query.water_ml" in expected
    assert {k: v for k, v in summary.items() if k.startswith("ecoai.")} == pytest.approx(expected)
    (row,) = [r for r in history if "ecoai.energy_wh" in r]
    assert {k: v for k, v in row.items() if k.startswith("ecoai.")} == pytest.approx(expected)
    saved = run_dir / "files" / "ecoai-report.json"
    assert json.loads(saved.read_text()) == json.loads((tmp_path / "r.json").read_text())


def test_measure_logs_into_the_active_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in offline(tmp_path).items():
        monkeypatch.setenv(name, value)
    script = Path(sensor_script(tmp_path)["ECOAI_FAKE_SENSORS"])
    discover: Callable[[], Discovery] = lambda: load_script(script)  # noqa: E731
    run = wandb.init(project="mine")
    try:
        with ecoai.measure(log="wandb", discover=discover, pue=1.2) as m:
            sum(range(100_000))
        assert m.logged[0].error is None and wandb.run is run  # the user's run stays open
    finally:
        run.finish()
    (run_dir,) = (tmp_path / "wandb").glob("offline-run-*")
    summary, _ = read_run(run_dir)
    assert m.report.total is not None
    assert summary["ecoai.energy_wh"] == pytest.approx(m.report.total.energy_wh.mean)


def test_an_unreachable_server_is_a_note_and_the_report_is_still_written(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    env = {
        **sensor_script(tmp_path),
        **offline(tmp_path),
        "WANDB_MODE": "online",
        "WANDB_BASE_URL": "http://127.0.0.1:9",  # the discard port: nothing listens
        "WANDB_API_KEY": "local-" + "0" * 40,
        "WANDB_INIT_TIMEOUT": "5",
    }
    done = ecoai_cli(
        "profile", *FACTORS, "-q", "--log", "wandb", "--log-strict", "-o", "r.json", "--",
        "python", "-c", "pass", env=env, timeout=180,
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    assert "ecoai: note: not logged to W&B: " in done.stderr
    report = read_report(tmp_path / "r.json")
    assert any(note.startswith("not logged to W&B: ") for note in report.notes)
