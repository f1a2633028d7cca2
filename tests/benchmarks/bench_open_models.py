"""Accuracy of the open-model estimator: leave one model out, and leave one batch size out.

Run: python tests/benchmarks/bench_open_models.py

Leave one model out: every model of the shipped ML.ENERGY data is held out in turn, the fit is
made on the other models, and each held-out configuration is estimated from its description
alone (parameters, precision, GPU, GPU count, batch). Leave one batch out: each measured batch
size that has measured neighbours on both sides is dropped and interpolated from them.
Beside them, EcoLogits' published formula on the same configurations (its methodology as read in
the ecoai data audit: Wh per token per GPU = 1.1665e-6 e^(-0.0112 B) P_active + 4.05e-5, GPU count
as given by the data).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ecoai.estimation.open_model import (
    Config,
    per_token,
)
from ecoai.inputs.mlenergy import LLM_TASKS, Measured, load_measurements

GOAL_WITHIN_1_5 = 0.90
GOAL_WITHIN_2 = 1.0


def config_of(point: Measured) -> Config:
    """The description of a measured configuration, without its model id."""
    return Config(
        total_params_b=point.total_params_b,
        active_params_b=point.active_params_b,
        precision=point.precision,
        gpu=point.gpu,
        gpu_count=point.gpu_count,
        batch_size=point.batch_size,
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
            if (p.model_id, p.gpu, p.precision, p.gpu_count, p.task)
            == (point.model_id, point.gpu, point.precision, point.gpu_count, point.task)
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
        if (p.model_id, p.gpu, p.precision, p.gpu_count)
        == (point.model_id, point.gpu, point.precision, point.gpu_count)
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


def table(points: Sequence[Measured]) -> list[tuple[str, int, float, float, float, float]]:
    """Rows (group, n, ecoai within 1.5x, within 2x, EcoLogits within 1.5x, within 2x)."""
    loo = leave_one_model_out(points)
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


def main() -> None:
    points = load_measurements()
    print("| configurations (leave one model out) | n | ecoai ≤1.5× | ecoai ≤2× "
          "| EcoLogits ≤1.5× | EcoLogits ≤2× |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for name, n, a, b, c, d in table(points):
        print(f"| {name.strip()} | {n} | {a:.0%} | {b:.0%} | {c:.0%} | {d:.0%} |")
    loo = error_factors(leave_one_model_out(points))
    lobo = error_factors(leave_one_batch_out(points))
    print()
    print(f"leave one model out: P90 error factor {percentile(loo, 0.9):.3f}, "
          f"max {max(loo):.2f}; goal ≥{GOAL_WITHIN_1_5:.0%} within 1.5×: "
          f"{'pass' if share(loo, 1.5) >= GOAL_WITHIN_1_5 else 'FAIL'}; all within 2×: "
          f"{'pass' if share(loo, 2.0) >= GOAL_WITHIN_2 else 'FAIL'}")  # fmt: skip
    print(f"leave one batch out (interpolation, n={len(lobo)}): P90 error factor "
          f"{percentile(lobo, 0.9):.3f}, max {max(lobo):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
