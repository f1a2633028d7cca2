"""Hugging Face Trainer: a ``TrainerCallback`` measuring training and evaluation with ecoai.

    from ecoai.integrations.hf import EcoaiCallback
    trainer = Trainer(model, args, ...)
    EcoaiCallback.attach(trainer, every_n_steps=100)
    trainer.train()

Training is measured in windows (each epoch, cut every ``every_n_steps`` optimizer steps when
given) and each evaluation in its own window (from its first prediction step to
``on_evaluate``: the first batch's forward pass counts in the window before). The time between
windows (an epoch's end, checkpoints, after an evaluation) joins the next training window, so the
training windows add up to all of training but evaluations. At the end of each
window its figures go through ``trainer.log`` to every logger the Trainer reports to (W&B,
MLflow, TensorBoard ...) and to ``state.log_history`` as ``ecoai.phase.train.energy_wh``,
``ecoai.phase.eval.carbon_g`` ... (the shared names of ``ecoai.metrics``); at the end of
training, the totals as ``ecoai.energy_wh`` ... and ``co2_eq_emissions`` in the model card
(``output_dir/README.md``, the block of ``ecoai profile --format model-card``), which ``attach``
also adds back after ``trainer.create_model_card`` (and so ``push_to_hub``) rewrites the card.
A callback passed as ``Trainer(callbacks=[...])`` without ``attach`` cannot call ``trainer.log``:
it appends its figures to ``state.log_history`` only. ``windows`` keeps every window's report.
Needs ``pip install 'ecoai[hf]'`` (transformers).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecoai.integrations import require
from ecoai.metrics import FOOTPRINT_EXPORTS, METRICS

if TYPE_CHECKING:
    from ecoai.api import Measure
    from ecoai.models import Footprint, Report

require(("transformers",), "ecoai.integrations.hf", "hf", "transformers")

from transformers import TrainerCallback  # noqa: E402, TID253


class EcoaiCallback(TrainerCallback):  # type: ignore[misc,unused-ignore]
    """Measures training and evaluation windows; see the module. ``footprint`` takes the
    arguments of ``ecoai.measure`` (``grid="FRA"``, ``pue=1.1``, ``sensors="nvml"`` ...)."""

    def __init__(self, every_n_steps: int | None = None, **footprint: Any) -> None:
        if every_n_steps is not None and every_n_steps < 1:
            from ecoai.errors import InputError

            raise InputError(f"every_n_steps={every_n_steps}", "give a step count of 1 or more")
        self.every_n_steps = every_n_steps
        self.footprint = footprint
        self.trainer: Any = None
        self.windows: list[tuple[str, Report]] = []
        """(``train`` or ``eval``, the window's report), in order."""
        self.total: Footprint | None = None
        """The sum of the training windows, once training ended."""
        self._open: tuple[str, Measure, int] | None = None
        """The open window: its kind, its measurement and the global step it opened at."""
        self._carry: list[Footprint] = []
        """Training windows without an optimizer step (after an evaluation, at an epoch end
        that is also a cut), folded into the next training window rather than logged alone."""
        self._training = False

    @classmethod
    def attach(cls, trainer: Any, **options: Any) -> EcoaiCallback:
        """Add a callback to ``trainer`` that logs through ``trainer.log`` and keeps its
        ``co2_eq_emissions`` in the model card that ``trainer.create_model_card`` writes."""
        callback = cls(**options)
        callback.trainer = trainer
        trainer.add_callback(callback)
        create = trainer.create_model_card

        def create_model_card(*args: Any, **kwargs: Any) -> Any:
            result = create(*args, **kwargs)
            if callback.total is not None:
                callback.write_model_card(Path(trainer.args.output_dir) / "README.md")
            return result

        trainer.create_model_card = create_model_card
        return callback

    # --- the Trainer's events -------------------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._training = True
        self.total = None
        self._start("train", state)

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._open is None:
            self._start("train", state)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        n = self.every_n_steps
        if n and state.global_step % n == 0 and self._kind() == "train":
            self._close(state)
            self._start("train", state)

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._kind() == "train":
            self._close(state)

    def on_prediction_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._kind() != "eval":
            self._close(state)
            self._start("eval", state)

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._kind() == "eval":
            self._close(state)
            if self._training:
                self._start("train", state)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._close(state, final=True)
        self._training = False
        from ecoai.comparison.merge import sum_footprints

        trained = [r.total for kind, r in self.windows if kind == "train" and r.total is not None]
        if not trained:
            return
        self.total = sum_footprints(trained)
        self._log(state, _figures("", self.total))
        if state.is_world_process_zero:
            self.write_model_card(Path(args.output_dir) / "README.md")

    # --- the model card -------------------------------------------------------------------------

    def model_card(self) -> str:
        """The ``co2_eq_emissions`` block of the whole training (after ``on_train_end``)."""
        from ecoai.render.interop import render_model_card

        last = next(r for kind, r in reversed(self.windows) if kind == "train")
        label = f"training ({sum(kind == 'train' for kind, _ in self.windows)} windows)"
        return render_model_card(replace(last, total=self.total, label=label))

    def write_model_card(self, path: Path) -> None:
        """Put the ``co2_eq_emissions`` block into the YAML metadata of the card at ``path``
        (replacing an earlier one; a card without metadata gets some; a missing card is made)."""
        from ecoai.files import write_text

        block = self.model_card()
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        write_text(str(path), with_metadata_block(text, block))

    # --- windows --------------------------------------------------------------------------------

    def _kind(self) -> str | None:
        return None if self._open is None else self._open[0]

    def _start(self, kind: str, state: Any) -> None:
        import ecoai

        measure = ecoai.measure(label=f"ecoai {kind} window", **self.footprint)
        measure.__enter__()
        self._open = (kind, measure, state.global_step)

    def _close(self, state: Any, final: bool = False) -> None:
        if self._open is None:
            return
        (kind, measure, opened_at), self._open = self._open, None
        measure.__exit__(None, None, None)
        report = measure.report
        if kind != "train" or report.total is None:
            self._keep(state, kind, report)
            return
        from ecoai.comparison.merge import sum_footprints

        self._carry.append(report.total)
        if state.global_step == opened_at and not final:
            return  # no optimizer step in it: folded into the next training window
        total = self._carry[0] if len(self._carry) == 1 else sum_footprints(self._carry)
        self._carry = []
        self._keep(state, kind, replace(report, total=total))

    def _keep(self, state: Any, kind: str, report: Report) -> None:
        self.windows.append((kind, report))
        if report.total is not None:
            self._log(state, _figures(f"phase.{kind}.", report.total))

    def _log(self, state: Any, figures: dict[str, float]) -> None:
        if self.trainer is not None:
            self.trainer.log(dict(figures))
        else:
            state.log_history.append({**figures, "epoch": state.epoch, "step": state.global_step})


def _figures(scope: str, footprint: Footprint) -> dict[str, float]:
    figures = {}
    for metric in METRICS:
        stat = metric.read(footprint)
        if stat is not None:
            figures[FOOTPRINT_EXPORTS[metric.name].key.format(scope=scope)] = stat.mean
    return figures


def with_metadata_block(card: str, block: str) -> str:
    """``card`` (a model card's text) with ``block`` (top-level YAML lines) in its front matter,
    replacing the block with the same first key; front matter is added when there is none."""
    key = block.split(":", 1)[0] + ":"
    lines = card.splitlines()
    if not lines or lines[0].strip() != "---" or "---" not in (s.strip() for s in lines[1:]):
        return "---\n" + block + "---\n" + card
    end = 1 + [s.strip() for s in lines[1:]].index("---")
    meta, kept, skipping = lines[1:end], [], False
    for line in meta:
        if line.startswith(key):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    rest = "\n".join(lines[end + 1 :])
    return "---\n" + "".join(s + "\n" for s in kept) + block + "---\n" + rest + "\n" * bool(rest)
