"""Hugging Face Trainer (issue 14): a tiny BERT built from a config (no download) trained on
torch CPU with EcoaiCallback; scripted sensors draw a known power."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from integration_helpers import sensor_script

# Without torch, transformers or accelerate the Trainer test skips, so the README's test command
# passes on a machine without torch; .ci/run installs them and sets ECOAI_REQUIRE_TORCH=1, under
# which a missing one is a collection error, not a skip.
if os.environ.get("ECOAI_REQUIRE_TORCH") != "1":
    pytest.importorskip("torch", reason="needs torch (pip install torch==2.13.0)")
    pytest.importorskip("transformers", reason="needs pip install 'ecoai[hf]'")
    pytest.importorskip("accelerate", reason="needs pip install 'ecoai[hf]' (accelerate)")
pytestmark = pytest.mark.slow

import torch  # noqa: E402
from transformers import (  # noqa: E402
    BertConfig,
    BertForSequenceClassification,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from ecoai.integrations.hf import EcoaiCallback, with_metadata_block  # noqa: E402


class Rows(torch.utils.data.Dataset):  # type: ignore[misc]
    def __init__(self, n: int) -> None:
        generator = torch.Generator().manual_seed(0)
        self.ids = torch.randint(0, 50, (n, 8), generator=generator)
        self.labels = (self.ids.sum(dim=1) % 2).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


class Logged(TrainerCallback):  # type: ignore[misc]
    """A logger as the Trainer's reporters see logs: through on_log."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        self.rows.append(dict(logs or {}))


def tiny_trainer(tmp_path: Path, logger: Logged) -> Trainer:
    config = BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=2,
    )
    torch.manual_seed(0)
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        num_train_epochs=2,
        per_device_train_batch_size=4,
        per_device_eval_batch_size=4,
        eval_strategy="epoch",
        save_strategy="no",
        logging_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
    )
    return Trainer(
        model=BertForSequenceClassification(config),
        args=args,
        train_dataset=Rows(16),
        eval_dataset=Rows(8),
        callbacks=[logger],
    )


def test_training_and_evaluation_windows_reach_the_loggers_and_the_model_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sensor_script(tmp_path, power_w=100.0).items():
        monkeypatch.setenv(name, value)
    logger = Logged()
    trainer = tiny_trainer(tmp_path, logger)
    callback = EcoaiCallback.attach(trainer, every_n_steps=2, pue=1.2, cif_kg_per_kwh=0.4)
    trainer.train()
    kinds = [kind for kind, _ in callback.windows]
    # 4 steps per epoch, cut every 2 steps, an evaluation after each epoch; the time after the
    # last evaluation is the last training window (training ends there).
    assert kinds == ["train", "train", "eval", "train", "train", "eval", "train"], kinds
    train_rows = [r for r in logger.rows if "ecoai.phase.train.energy_wh" in r]
    eval_rows = [r for r in logger.rows if "ecoai.phase.eval.carbon_g" in r]
    assert len(train_rows) == kinds.count("train") and len(eval_rows) == 2
    for (_kind, report), row in zip(
        [w for w in callback.windows if w[0] == "train"], train_rows, strict=True
    ):
        assert report.total is not None
        assert row["ecoai.phase.train.energy_wh"] == pytest.approx(report.total.energy_wh.mean)
    (final,) = [r for r in logger.rows if "ecoai.energy_wh" in r]
    assert callback.total is not None
    assert final["ecoai.energy_wh"] == pytest.approx(
        sum(r["ecoai.phase.train.energy_wh"] for r in train_rows)
    )
    assert final in [{k: v for k, v in h.items() if k != "step"} for h in trainer.state.log_history]
    card = (tmp_path / "out" / "README.md").read_text()
    assert card.startswith("---\nco2_eq_emissions:\n")
    assert f"  emissions: {callback.total.carbon_g.mean:.6g}\n" in card
    trainer.create_model_card(model_name="tiny")  # rewrites README.md; attach keeps the block
    card = (tmp_path / "out" / "README.md").read_text()
    assert card.count("co2_eq_emissions:") == 1 and "model-index" in card


def test_without_attach_the_figures_go_to_the_log_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sensor_script(tmp_path, power_w=100.0).items():
        monkeypatch.setenv(name, value)
    trainer = tiny_trainer(tmp_path, Logged())
    callback = EcoaiCallback()
    trainer.add_callback(callback)
    trainer.train()
    history = trainer.state.log_history
    # One per epoch, and the time after the last evaluation (the end of training).
    assert sum("ecoai.phase.train.energy_wh" in h for h in history) == 3
    assert sum("ecoai.phase.eval.energy_wh" in h for h in history) == 2
    assert any("ecoai.carbon_g" in h for h in history)


def test_the_metadata_block_replaces_its_own_and_keeps_the_rest() -> None:
    block = "co2_eq_emissions:\n  emissions: 2\n"
    card = (
        "---\nlicense: mit\nco2_eq_emissions:\n  emissions: 1\n  source: x\ntags:\n- a\n---\n# T\n"
    )
    assert with_metadata_block(card, block) == (
        "---\nlicense: mit\ntags:\n- a\nco2_eq_emissions:\n  emissions: 2\n---\n# T\n"
    )
    assert with_metadata_block("# T\n", block) == "---\n" + block + "---\n# T\n"
