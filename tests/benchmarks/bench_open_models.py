"""Accuracy of the open-model estimator: leave one model out, and leave one batch size out.

Run: python tests/benchmarks/bench_open_models.py

Leave one model out: every model of the shipped ML.ENERGY data is held out in turn, the fit is
made on the other models, and each held-out configuration is estimated from its description
alone (parameters, experts and experts per token, precision, GPU, GPU count, data-parallel
degree, batch, output tokens). Leave one batch out: each measured batch
size that has measured neighbours on both sides is dropped and interpolated from them.
Beside them, EcoLogits' published formula on the same configurations (its methodology as read in
the ecoai data audit: Wh per token per GPU = 1.1665e-6 e^(-0.0112 B) P_active + 4.05e-5, GPU count
as given by the data).

Diffusion (text-to-image, text-to-video): the same two tables for GPU energy per image or video,
each model held out in turn and estimated from its parameters, size, frames, steps, batch, GPU,
GPU count and architecture (autoencoder compression, patch size, guidance passes, layers, width,
attention kind; ``ecoai.estimation.open_diffusion``). EcoLogits has no diffusion formula.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ecoai.estimation.open_diffusion import ItemConfig, per_item
from ecoai.estimation.open_model import (
    Config,
    per_token,
)
from ecoai.inputs.mlenergy import (
    LLM_TASKS,
    Measured,
    MeasuredItem,
    load_diffusion,
    load_measurements,
)

GOAL_WITHIN_1_5 = 0.90
GOAL_WITHIN_2 = 1.0
GOAL_DIFFUSION_WITHIN_1_5 = 0.80


def config_of(point: Measured) -> Config:
    """The description of a measured configuration, without its model id."""
    return Config(
        total_params_b=point.total_params_b,
        active_params_b=point.active_params_b,
        precision=point.precision,
        gpu=point.gpu,
        gpu_count=point.gpu_count,
        batch_size=point.batch_size,
        output_tokens=point.output_tokens,
        data_parallel=point.data_parallel,
        experts=point.experts,
        experts_per_token=point.experts_per_token,
    )


def ecologits_j(point: Measured) -> float:
    """EcoLogits' fitted GPU energy per output token for ``point`` (all its GPUs). Units: J."""
    wh_per_gpu = 1.1665e-6 * math.exp(-0.0112 * point.batch_size) * point.active_params_b + 4.05e-5
    return wh_per_gpu * 3600.0 * point.gpu_count


def leave_one_model_out(points: Sequence[Measured]) -> list[tuple[Measured, float]]:
    """(point, estimate) for every point, each estimated by a fit without its model."""
    out = []
    for model_id in sorted({p.model_id for p in points}):
        rest = [p for p in points if p.model_id != model_id]
        for point in (p for p in points if p.model_id == model_id):
            out.append((point, per_token(config_of(point), rest).energy_per_token_j))
    return out


def leave_one_batch_out(points: Sequence[Measured]) -> list[tuple[Measured, float]]:
    """(point, interpolated estimate) for every inner batch size of a measured series."""
    out = []
    for point in points:
        rest = [p for p in points if p is not point]
        config = replace(config_of(point), model_id=point.model_id)
        same = [
            p
            for p in rest
            if (p.model_id, p.gpu, p.precision, p.gpu_count, p.data_parallel, p.task)
            == (
                point.model_id,
                point.gpu,
                point.precision,
                point.gpu_count,
                point.data_parallel,
                point.task,
            )
        ]
        below = [p for p in same if p.batch_size < point.batch_size]
        above = [p for p in same if p.batch_size > point.batch_size]
        if below and above and _first_task(rest, point) == point.task:
            estimate = per_token(config, rest)
            if estimate.path == "measured":
                out.append((point, estimate.energy_per_token_j))
    return out


def _first_task(points: Sequence[Measured], point: Measured) -> str:
    tasks = {
        p.task
        for p in points
        if (p.model_id, p.gpu, p.precision, p.gpu_count, p.data_parallel)
        == (point.model_id, point.gpu, point.precision, point.gpu_count, point.data_parallel)
    }
    return next((t for t in LLM_TASKS if t in tasks), "")


def error_factors(pairs: Sequence[tuple[Measured, float]]) -> list[float]:
    """max(estimate / measured, measured / estimate) of each pair: 1 is exact."""
    return [max(e / p.energy_per_token_j, p.energy_per_token_j / e) for p, e in pairs]


def share(factors: Sequence[float], limit: float) -> float:
    return sum(f <= limit for f in factors) / len(factors) if factors else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def table(
    points: Sequence[Measured], loo: Sequence[tuple[Measured, float]] | None = None
) -> list[tuple[str, int, float, float, float, float]]:
    """Rows (group, n, ecoai within 1.5x, within 2x, EcoLogits within 1.5x, within 2x);
    ``loo`` is ``leave_one_model_out(points)``, computed if not given."""
    loo = leave_one_model_out(points) if loo is None else loo
    groups: dict[str, Callable[[Measured], bool]] = {"all LLM configurations": lambda p: True}
    for task in sorted({p.task for p in points}):
        groups[f"  task {task}"] = lambda p, t=task: p.task == t  # type: ignore[misc]
    for gpu in sorted({p.gpu for p in points}):
        groups[f"  GPU {gpu}"] = lambda p, g=gpu: p.gpu == g  # type: ignore[misc]
    rows = []
    for name, keep in groups.items():
        ours = error_factors([(p, e) for p, e in loo if keep(p)])
        theirs = error_factors([(p, ecologits_j(p)) for p, _ in loo if keep(p)])
        rows.append((name, len(ours), share(ours, 1.5), share(ours, 2.0), share(theirs, 1.5),
                     share(theirs, 2.0)))  # fmt: skip
    return rows


def item_config_of(point: MeasuredItem, model_id: str | None = None) -> ItemConfig:
    """The description of a measured diffusion configuration (its model id only if given)."""
    return ItemConfig(
        pipeline=point.pipeline,
        params_b=point.params_b,
        steps=point.steps,
        width=point.width,
        height=point.height,
        frames=point.frames,
        gpu=point.gpu,
        gpu_count=point.gpu_count,
        batch_size=point.batch_size,
        model_id=model_id,
        architecture=point.architecture,
    )


def diffusion_leave_one_model_out(points: Sequence[MeasuredItem]) -> list[tuple[float, float]]:
    """(measured, estimate) J per item for every point, each by a fit without its model."""
    out = []
    for model_id in sorted({p.model_id for p in points}):
        rest = [p for p in points if p.model_id != model_id]
        for point in (p for p in points if p.model_id == model_id):
            estimate = per_item(item_config_of(point), rest).energy_per_item_j
            out.append((point.energy_per_item_j, estimate))
    return out


def diffusion_leave_one_batch_out(points: Sequence[MeasuredItem]) -> list[tuple[float, float]]:
    """(measured, interpolated) J per item for every inner batch size of a measured series.

    The measured value is the geometric mean of the parallelism variants at that batch, as the
    estimator merges them."""
    out = []
    keys = {(p.model_id, p.gpu, p.gpu_count) for p in points}
    for model_id, gpu, gpus in sorted(keys):
        series = [p for p in points if (p.model_id, p.gpu, p.gpu_count) == (model_id, gpu, gpus)]
        batches = sorted({p.batch_size for p in series})
        for batch in batches[1:-1]:
            held = [p for p in series if p.batch_size == batch]
            rest = [p for p in points if p not in held]
            measured = math.exp(sum(math.log(p.energy_per_item_j) for p in held) / len(held))
            estimate = per_item(item_config_of(held[0], model_id), rest)
            assert estimate.path == "measured"
            out.append((measured, estimate.energy_per_item_j))
    return out


def ratio_factors(pairs: Sequence[tuple[float, float]]) -> list[float]:
    """max(estimate / measured, measured / estimate) of each (measured, estimate) pair."""
    return [max(e / m, m / e) for m, e in pairs]


def diffusion_table(
    points: Sequence[MeasuredItem], loo: Sequence[tuple[float, float]] | None = None
) -> list[tuple[str, int, float, float]]:
    """Rows (group, n, within 1.5x, within 2x) of the diffusion leave-one-model-out; ``loo`` is
    ``diffusion_leave_one_model_out(points)``, computed if not given."""
    loo = diffusion_leave_one_model_out(points) if loo is None else loo
    groups: dict[str, Callable[[MeasuredItem], bool]] = {
        "all diffusion configurations": lambda p: True
    }
    for pipeline in sorted({p.pipeline for p in points}):
        groups[f"pipeline {pipeline}"] = lambda p, t=pipeline: p.pipeline == t  # type: ignore[misc]
    for gpu in sorted({p.gpu for p in points}):
        groups[f"GPU {gpu}"] = lambda p, g=gpu: p.gpu == g  # type: ignore[misc]
    ordered = [p for m in sorted({p.model_id for p in points}) for p in points if p.model_id == m]
    rows = []
    for name, keep in groups.items():
        factors = ratio_factors([pair for p, pair in zip(ordered, loo, strict=True) if keep(p)])
        rows.append((name, len(factors), share(factors, 1.5), share(factors, 2.0)))
    return rows


def markdown(
    rows: Sequence[tuple[str, int, float, float]]
    | Sequence[tuple[str, int, float, float, float, float]],
) -> list[str]:
    """The README's table of ``table`` or ``diffusion_table`` rows, heading included."""
    if len(rows[0]) == 6:
        lines = ["| configurations (leave one model out) | n | ecoai ≤1.5× | ecoai ≤2× "
                 "| EcoLogits ≤1.5× | EcoLogits ≤2× |",
                 "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    else:
        lines = ["| diffusion (leave one model out) | n | ecoai ≤1.5× | ecoai ≤2× |",
                 "|---|---:|---:|---:|"]  # fmt: skip
    for name, n, *shares in rows:
        lines.append(f"| {name.strip()} | {n} | " + " | ".join(f"{x:.0%}" for x in shares) + " |")
    return lines


def main() -> None:
    points = load_measurements()
    pairs = leave_one_model_out(points)
    print("\n".join(markdown(table(points, pairs))))
    loo = error_factors(pairs)
    lobo = error_factors(leave_one_batch_out(points))
    print()
    print(f"leave one model out: P90 error factor {percentile(loo, 0.9):.3f}, "
          f"max {max(loo):.2f}; goal ≥{GOAL_WITHIN_1_5:.0%} within 1.5×: "
          f"{'pass' if share(loo, 1.5) >= GOAL_WITHIN_1_5 else 'FAIL'}; all within 2×: "
          f"{'pass' if share(loo, 2.0) >= GOAL_WITHIN_2 else 'FAIL'}")  # fmt: skip
    print(f"leave one batch out (interpolation, n={len(lobo)}): P90 error factor "
          f"{percentile(lobo, 0.9):.3f}, max {max(lobo):.3f}")  # fmt: skip
    items = load_diffusion()
    d_pairs = diffusion_leave_one_model_out(items)
    print()
    print("\n".join(markdown(diffusion_table(items, d_pairs))))
    d_loo = ratio_factors(d_pairs)
    d_lobo = ratio_factors(diffusion_leave_one_batch_out(items))
    print()
    print(f"diffusion, leave one model out: P90 error factor {percentile(d_loo, 0.9):.3f}, "
          f"max {max(d_loo):.2f}; goal ≥{GOAL_DIFFUSION_WITHIN_1_5:.0%} within 1.5×: "
          f"{'pass' if share(d_loo, 1.5) >= GOAL_DIFFUSION_WITHIN_1_5 else 'FAIL'}")  # fmt: skip
    print(f"diffusion, leave one batch out (interpolation, n={len(d_lobo)}): P90 error factor "
          f"{percentile(d_lobo, 0.9):.3f}, max {max(d_lobo):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
