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

The fit counts the transformer's work. Tokens per item N = latent frames x (W / (v p)) x
(H / (v p)) for the autoencoder's spatial compression v, the patch size p and, for a video,
1 + (F - 1) / t latent frames (temporal compression t). Each of the S steps runs the
transformer g times (g = 2 with classifier-free guidance, 1 for a guidance-distilled model), and
each pass costs per token 2 P FLOPs in the weights (P parameters) plus 4 L d N in softmax
attention (L blocks of width d; none for linear attention):

ln E = ln(S g N (2 P + r 4 L d N)) + c0 + c1 ln G + c2 [B200] + c3 ln G ln W + c4 ln P
+ c5 [linear attention],

for G GPUs and W = B g N (2 P + 4 L d N) / G the FLOPs each GPU runs per step at batch B. r (the
energy of an attention FLOP relative to a weight FLOP: attention kernels and matrix products run
at different efficiency) is chosen on the training data by a grid search; c3 charges the
sequence-parallel overhead that grows when each GPU has little work per step; c4 lets small
models use the GPU less well; c5 is the measured extra cost of linear attention (only SANA's two
models have it: with one held out it rests on the other, and it cannot be told apart from the
rest of SANA's design: a 32x autoencoder, Mix-FFN convolutions). Without L and d, they follow
from P by the SD3 scaling rule d = 64 L (Esser et al. 2024, arXiv:2403.03206, Sec. 5) and
P = 12 L d^2 (a transformer block's weights, Kaplan et al. 2020, arXiv:2001.08361, Sec. 2.1).

Pure: the measurements come from ``ecoai.inputs.mlenergy`` (read once, cached).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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
from ecoai.inputs.mlenergy import Architecture, MeasuredItem, load_diffusion

R_GRID = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
"""Candidate energies of an attention FLOP relative to a weight FLOP (r of the fit)."""


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
    architecture: Architecture = field(default_factory=Architecture)

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


def layers_and_width(p: ItemConfig | MeasuredItem) -> tuple[float, float]:
    """(transformer blocks L, width d): as given, else from the parameters P = 12 L d^2 and,
    when neither is given, the SD3 rule d = 64 L."""
    params = p.params_b * 1e9
    layers, width = p.architecture.layers, p.architecture.hidden_size
    if layers is not None and width is not None:
        return float(layers), float(width)
    if layers is not None:
        return float(layers), math.sqrt(params / (12 * layers))
    if width is not None:
        return params / (12 * width * width), float(width)
    layers_f = (params / (12 * 64 * 64)) ** (1 / 3)
    return layers_f, 64 * layers_f


def tokens(p: ItemConfig | MeasuredItem) -> float:
    """Tokens the transformer processes per item (latent frames x latent pixels / patch^2)."""
    a = p.architecture
    side = a.vae_compression * a.patch_size
    latent_frames = 1 + (p.frames - 1) / a.vae_temporal_compression if p.frames > 1 else 1.0
    return latent_frames * (p.width / side) * (p.height / side)


def work_flops(p: ItemConfig | MeasuredItem) -> tuple[float, float]:
    """(FLOPs in the weights, FLOPs in softmax attention) of the transformer per item."""
    n = tokens(p)
    passes = p.steps * p.architecture.guidance_passes * n
    layers, width = layers_and_width(p)
    attention = 0.0 if p.architecture.attention == "linear" else 4 * layers * width * n
    return passes * 2 * p.params_b * 1e9, passes * attention


def _features(p: ItemConfig | MeasuredItem, linear: bool) -> list[float]:
    weights, attention = work_flops(p)
    per_gpu_step = p.batch_size * (weights + attention) / p.steps / p.gpu_count
    log_gpus = math.log(p.gpu_count)
    out = [1.0, log_gpus, 1.0 if p.gpu == "b200" else 0.0, log_gpus * math.log(per_gpu_step),
           math.log(p.params_b)]  # fmt: skip
    return [*out, 1.0 if p.architecture.attention == "linear" else 0.0] if linear else out


def _offset(p: ItemConfig | MeasuredItem, r: float) -> float:
    weights, attention = work_flops(p)
    return math.log(weights + r * attention)


def _power_features(p: ItemConfig | MeasuredItem, linear: bool) -> list[float]:
    weights, attention = work_flops(p)
    return [*_features(p, linear), math.log(weights + attention)]


@dataclass(frozen=True)
class DiffusionFit:
    """The fitted r and coefficients for ln(energy per item) and ln(power per GPU); ``linear``:
    whether the training data had linear attention (else the model has no term for it)."""

    r: float
    linear: bool
    energy: tuple[float, ...]
    power: tuple[float, ...]

    def predict(self, p: ItemConfig | MeasuredItem) -> tuple[float, float]:
        """(energy per item J, average power of all GPUs W) for ``p``."""
        energy = math.exp(_offset(p, self.r) + dot(self.energy, _features(p, self.linear)))
        power = math.exp(dot(self.power, _power_features(p, self.linear))) * p.gpu_count
        return energy, power


def fit(points: Sequence[MeasuredItem]) -> DiffusionFit:
    """Fit on ``points``: r by grid search, the coefficients by least squares on the logs."""
    linear = any(p.architecture.attention == "linear" for p in points)
    best: tuple[float, float, list[float]] | None = None
    rows = [_features(p, linear) for p in points]
    left = gram(rows)  # the same for every r: only the targets change
    for r in R_GRID:
        targets = [math.log(p.energy_per_item_j) - _offset(p, r) for p in points]
        coefficients = solve_normal(left, rows, targets)
        error = sum((dot(coefficients, x) - y) ** 2 for x, y in zip(rows, targets, strict=True))
        if best is None or error < best[0]:
            best = (error, r, coefficients)
    assert best is not None
    _, r, energy = best
    power = least_squares(
        [_power_features(p, linear) for p in points],
        [math.log(p.gpu_power_w / p.gpu_count) for p in points],
    )
    return DiffusionFit(r=r, linear=linear, energy=tuple(energy), power=tuple(power))


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
    detail = (
        f"log-linear fit on {len(data)} measured configurations of the transformer's FLOPs "
        f"(attention FLOP x{model.r:g})"
    )
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
        and p.architecture == config.architecture
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
FIT_ERROR_P90 = 1.56
"""Leave one model out: the fit without the model, from its description alone."""
