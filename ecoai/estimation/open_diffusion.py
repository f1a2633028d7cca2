"""GPU energy per image or video of diffusion models, from the ML.ENERGY Benchmark v3 measurements.

The same two paths as open LLMs (``ecoai.estimation.open_model``), per configuration (model, GPU,
GPU count, image or video size, steps, batch):

- **measured**: the model was measured on this GPU and GPU count at this image (or video) size;
  the energy per item is interpolated in log-log between the two measured batch sizes around the
  one asked for (a measured batch reproduces the measurement, the geometric mean of its
  parallelism variants), then scaled linearly in the denoising steps (every step runs the whole
  transformer once; the text encoder and VAE decoder, run once, are charged per step too, which
  overstates fewer steps slightly);
- **fitted**: otherwise a log-linear model fitted by least squares on every shipped diffusion
  configuration, anchored to the model's own points when it was measured in another configuration.

The fit: ln E = ln(T x S x (P + P0)) + c0 + c1 ln B + c2 (ln B)^2 + c3 ln G + c4 [B200]
+ c5 ln G ln B,
for latent work T = width x height x frames (pixels of the item), S steps, P parameters
(billions), B batch, G GPUs. A transformer step costs about 2 P FLOPs per latent token, so energy
is taken proportional to T x S x P (coefficient 1, not fitted: 10 models cannot pin more
exponents); P0 (billions) is the fixed share of the text encoders, VAE and memory-bound kernels
that makes small models cost more per parameter (measured: 0.6-2 B models use 2-5x the energy per
parameter-pixel-step of 8-14 B ones); it is chosen on the training data by a grid search
(least squared error). Batch, GPU count and GPU enter as in the LLM fit.

Pure: the measurements come from ``ecoai.inputs.mlenergy`` (read once, cached).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from ecoai.estimation.open_model import (
    bracket,
    dot,
    geo,
    gram,
    least_squares,
    median,
    solve_normal,
)
from ecoai.inputs.mlenergy import MeasuredItem, load_diffusion

P0_GRID_B = tuple(x / 2 for x in range(17))
"""Candidate fixed shares P0 of the fit, 0 to 8 billion parameters in steps of 0.5."""


@dataclass(frozen=True)
class ItemConfig:
    """What is estimated: ``batch_size`` images or videos made together on ``gpu_count`` GPUs."""

    pipeline: str
    params_b: float
    steps: int
    width: int
    height: int
    frames: int
    gpu: str
    gpu_count: int
    batch_size: float
    model_id: str | None = None

    @property
    def pixels(self) -> float:
        """Pixels of one item: width x height x frames."""
        return float(self.width) * self.height * self.frames


@dataclass(frozen=True)
class PerItem:
    """GPU energy per item (J, all GPUs), average GPU power (W, all GPUs), path and detail."""

    energy_per_item_j: float
    gpu_power_w: float
    path: str
    detail: str


def _pixels(p: ItemConfig | MeasuredItem) -> float:
    return float(p.width) * p.height * p.frames


def _features(p: ItemConfig | MeasuredItem) -> list[float]:
    log_batch = math.log(p.batch_size)
    log_gpus = math.log(p.gpu_count)
    return [1.0, log_batch, log_batch * log_batch, log_gpus, 1.0 if p.gpu == "b200" else 0.0,
            log_gpus * log_batch]  # fmt: skip


def _offset(p: ItemConfig | MeasuredItem, p0_b: float) -> float:
    return math.log(_pixels(p) * p.steps * (p.params_b + p0_b))


def _power_features(p: ItemConfig | MeasuredItem, p0_b: float) -> list[float]:
    return [*_features(p), math.log(p.params_b + p0_b), math.log(_pixels(p))]


@dataclass(frozen=True)
class DiffusionFit:
    """The fitted P0 (billions) and coefficients for ln(energy per item) and ln(power per GPU)."""

    p0_b: float
    energy: tuple[float, ...]
    power: tuple[float, ...]

    def predict(self, p: ItemConfig | MeasuredItem) -> tuple[float, float]:
        """(energy per item J, average power of all GPUs W) for ``p``."""
        energy = math.exp(_offset(p, self.p0_b) + dot(self.energy, _features(p)))
        power = math.exp(dot(self.power, _power_features(p, self.p0_b))) * p.gpu_count
        return energy, power


def fit(points: Sequence[MeasuredItem]) -> DiffusionFit:
    """Fit on ``points``: P0 by grid search, the coefficients by least squares on the logs."""
    best: tuple[float, float, list[float]] | None = None
    rows = [_features(p) for p in points]
    left = gram(rows)  # the same for every P0: only the targets change
    for p0_b in P0_GRID_B:
        targets = [math.log(p.energy_per_item_j) - _offset(p, p0_b) for p in points]
        coefficients = solve_normal(left, rows, targets)
        error = sum((dot(coefficients, r) - y) ** 2 for r, y in zip(rows, targets, strict=True))
        if best is None or error < best[0]:
            best = (error, p0_b, coefficients)
    assert best is not None
    _, p0_b, energy = best
    power = least_squares(
        [_power_features(p, p0_b) for p in points],
        [math.log(p.gpu_power_w / p.gpu_count) for p in points],
    )
    return DiffusionFit(p0_b=p0_b, energy=tuple(energy), power=tuple(power))


@cache
def shipped_fit() -> DiffusionFit:
    """The fit on every shipped diffusion configuration (computed once per process)."""
    return fit(load_diffusion())


def per_item(config: ItemConfig, points: Sequence[MeasuredItem] | None = None) -> PerItem:
    """GPU energy per image or video of ``config``: measured (interpolated) or fitted.

    ``points`` defaults to the shipped data (the benchmark passes a held-out subset).
    """
    data = load_diffusion() if points is None else points
    same = [p for p in data if config.model_id is not None and p.model_id == config.model_id]
    found = _measured(same, config)
    if found is not None:
        return found
    model = shipped_fit() if points is None else fit(data)
    energy, power = model.predict(config)
    anchors = [p for p in same if p.gpu == config.gpu] or same
    detail = f"log-linear fit on {len(data)} measured configurations (P0 {model.p0_b:g} B)"
    if not anchors:
        return PerItem(energy, power, "fitted", detail)
    ratio_e = median([p.energy_per_item_j / model.predict(p)[0] for p in anchors])
    ratio_p = median([p.gpu_power_w / model.predict(p)[1] for p in anchors])
    detail += (
        f", anchored to {len(anchors)} measured configurations of {config.model_id} "
        f"(median measured/fitted {ratio_e:.3g})"
    )
    return PerItem(energy * ratio_e, power * ratio_p, "fitted, anchored", detail)


def _measured(same_model: Sequence[MeasuredItem], config: ItemConfig) -> PerItem | None:
    """Interpolated over the measured batch sizes of this configuration, scaled to the steps."""
    exact = [
        p
        for p in same_model
        if (p.gpu, p.gpu_count, p.width, p.height, p.frames)
        == (config.gpu, config.gpu_count, config.width, config.height, config.frames)
    ]
    if not exact:
        return None
    series = [_merge([p for p in exact if p.batch_size == b])
              for b in sorted({p.batch_size for p in exact})]  # fmt: skip
    found = bracket([p.batch_size for p in series], config.batch_size)
    if found is None:
        return None
    i, j, w = found
    low, high = series[i], series[j]
    scale = config.steps / low.steps
    energy = geo(low.energy_per_item_j, high.energy_per_item_j, w) * scale
    power = geo(low.gpu_power_w, high.gpu_power_w, w)
    where = f"{low.model_id}, {low.gpu} x{low.gpu_count}, {low.steps} steps"
    if i == j or w in (0.0, 1.0):
        at = low if w == 0.0 else high
        detail = f"measured at batch {at.batch_size} ({where})"
    else:
        detail = (
            f"interpolated between measured batch {low.batch_size} and {high.batch_size} ({where})"
        )
    if config.steps != low.steps:
        detail += f"; x{scale:.3g} for {config.steps} steps (linear in the steps)"
    return PerItem(energy, power, "measured", detail)


def _merge(variants: Sequence[MeasuredItem]) -> MeasuredItem:
    """One point for the parallelism variants (Ulysses / ring degrees) of one configuration."""
    if len(variants) == 1:
        return variants[0]
    n = len(variants)
    energy = math.exp(sum(math.log(p.energy_per_item_j) for p in variants) / n)
    power = math.exp(sum(math.log(p.gpu_power_w) for p in variants) / n)
    return replace(variants[0], energy_per_item_j=energy, gpu_power_w=power)


# Error factors of the two paths, measured by tests/benchmarks/bench_open_models.py on the shipped
# data (P90 of max(estimate/measured, measured/estimate)); a test recomputes them.
INTERPOLATION_ERROR_P90 = 1.11
"""Leave one batch size out, interpolated from its measured neighbours."""
FIT_ERROR_P90 = 2.28
"""Leave one model out: the fit without the model, from its description alone."""
