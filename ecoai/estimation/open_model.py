"""GPU energy per output token of open LLMs, from the ML.ENERGY Benchmark v3 measurements.

Two paths, chosen per configuration (model, GPU, precision, GPU count, batch):

- **measured**: the configuration was measured at batch sizes around the one asked for; the
  energy per token is interpolated linearly in log(energy) over log(batch) between the two
  neighbouring measured batch sizes (a measured batch reproduces the measurement exactly);
- **fitted**: otherwise, a log-linear model of energy per token fitted on every shipped LLM
  configuration (features below); when the model itself was measured on this GPU in another
  configuration, the fit is anchored to it (scaled by the median measured/fitted ratio of that
  model's points).

Features of the fit, for total parameters P (billions), active parameters A, bytes per weight q,
GPU count G, batch B served by D data-parallel ranks (B / D each) and output tokens per request
L: 1, ln(W), ln(A), ln(B/D), (ln(B/D))^2, ln G, [GPU is B200], ln(B/D) x ln(P q), ln L,
ln L x ln(B/D), where W is the bytes of weights one decode step reads (``weights_read_gb``: a
mixture of experts reads its always-active weights and the experts its B tokens pick, about its
active weights at batch 1 and all of them in a large batch; a dense model all of them; each
data-parallel rank its own copy of the always-active weights). The weights read drive the
memory-bound decode at small batch, active parameters the compute at large batch, and
ln(B/D) x ln(P q) lets bigger models gain more from batching; every output token reads the KV
cache of the tokens before it, so long answers (reasoning: 7,000 tokens) cost more per token than
chat (600), more so in a big batch. A data-parallel rank runs its own batch of B / D sequences
(vLLM's data-parallel attention), so the batch terms take B / D. L is clamped to the range of
the data's tasks (about 230 to 12,000 tokens).

The coefficients are a Huber fit (iteratively reweighted least squares on the logs, residuals
beyond ln 1.35 down-weighted): a few models far off the trend, such as an FP8 mixture of experts
served with data-parallel attention at 5x the energy of its bf16 version, would otherwise pull
the fit for every model. Leave one model out, it is within 1.5x of the measurement more often
than ordinary least squares (tests/benchmarks/bench_open_models.py).

Data: J.-W. Chung et al., "The ML.ENERGY Benchmark", leaderboard data of 2026-02-16 (v3,
Apache-2.0), shipped unchanged in ``profiles/mlenergy-v3/``. GPU energy only, steady state,
all GPUs of the replica, per output token (J), prompts of the benchmark's tasks included.

Pure: the measurements come from ``ecoai.inputs.mlenergy`` (read once, cached).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from ecoai.inputs.mlenergy import BYTES_PER_WEIGHT, LLM_TASKS, Measured, load_measurements


@dataclass(frozen=True)
class Config:
    """What is estimated: an open LLM served on ``gpu_count`` GPUs at ``batch_size``."""

    total_params_b: float
    active_params_b: float
    precision: str
    gpu: str
    gpu_count: int
    batch_size: float
    model_id: str | None = None
    output_tokens: float | None = None
    """Output tokens per request; None: the median of the data's chat task."""
    data_parallel: int = 1
    """Data-parallel ranks of the attention, each serving batch_size / data_parallel sequences
    with its own copy of the always-active weights (1: none, vLLM's default)."""
    experts: int | None = None
    """Routed experts per MoE layer; None: unknown (a token's share taken as A / P)."""
    experts_per_token: int | None = None
    """Routed experts each token picks; None with ``experts``."""


@dataclass(frozen=True)
class PerToken:
    """GPU energy per output token (J, all GPUs) and average GPU power (W, all GPUs)."""

    energy_per_token_j: float
    gpu_power_w: float
    path: str
    """``measured`` or ``fitted`` (``fitted, anchored`` when scaled to the model's points)."""
    detail: str
    """The data points used, in words, for ``inputs.*.source``."""
    outside: tuple[str, ...] = ()
    """Where a fitted configuration lies outside the measured data (extrapolated), in words."""


def expert_share(config: Config | Measured) -> float:
    """The share of a mixture of experts' routed experts one token picks: K / E when the experts
    are known, else A / P (which also counts the always-active weights as experts); 1 for a
    dense model."""
    if config.total_params_b <= config.active_params_b:
        return 1.0
    if config.experts is not None and config.experts_per_token is not None:
        return config.experts_per_token / config.experts
    return config.active_params_b / config.total_params_b


def always_active_b(config: Config | Measured) -> float:
    """Billions of parameters every token uses (attention, embeddings, dense layers, shared
    experts): from A = S + s (P - S) with s = ``expert_share``, S = (A - s P) / (1 - s); all P
    for a dense model, 0 when the experts are not known (s = A / P)."""
    share = expert_share(config)
    if share >= 1.0:
        return config.total_params_b
    return max(0.0, (config.active_params_b - share * config.total_params_b) / (1.0 - share))


def weights_read_gb(config: Config | Measured) -> float:
    """GB of weights one decode step reads: the always-active weights (each data-parallel rank
    its own copy) and the routed experts the batch touches.

    A decode step of B sequences routes B tokens; each picks a share s = K / E of the routed
    experts (``expert_share``), so the expected share of the P - S routed parameters that at
    least one of the B tokens touches is 1 - (1 - s)^B: a mixture of experts reads about its
    active parameters at batch 1 and all of its weights in a large batch. A dense model reads
    all of them at every batch. Units: GB.
    """
    total_b = config.total_params_b
    ranks = config.data_parallel
    always_b = always_active_b(config)
    share = expert_share(config)
    touched = 1.0 - (1.0 - share) ** config.batch_size if share < 1.0 else 1.0
    read_b = always_b * ranks + (total_b - always_b) * touched
    return read_b * BYTES_PER_WEIGHT[config.precision]


def features(config: Config | Measured) -> list[float]:
    """The fit's feature vector (see the module docstring)."""
    weights = math.log(config.total_params_b * BYTES_PER_WEIGHT[config.precision])
    log_batch = math.log(config.batch_size / config.data_parallel)
    log_tokens = math.log(_output_tokens(config))
    return [
        1.0,
        math.log(weights_read_gb(config)),
        math.log(config.active_params_b),
        log_batch,
        log_batch * log_batch,
        math.log(config.gpu_count),
        1.0 if config.gpu == "b200" else 0.0,
        log_batch * weights,
        log_tokens,
        log_tokens * log_batch,
    ]


def _output_tokens(config: Config | Measured) -> float:
    """Output tokens per request, clamped to the data's range (no extrapolation)."""
    tokens = config.output_tokens
    low, median_chat, high = output_token_range()
    return min(max(median_chat if tokens is None else tokens, low), high)


@cache
def output_token_range() -> tuple[float, float, float]:
    """(least, median of the chat task, most) average output tokens per request in the data."""
    points = load_measurements()
    chat = [p.output_tokens for p in points if p.task == LLM_TASKS[0]]
    tokens = [p.output_tokens for p in points]
    return min(tokens), median(chat), max(tokens)


@dataclass(frozen=True)
class Fit:
    """Least-squares coefficients for ln(energy per token) and ln(GPU power per GPU)."""

    energy: tuple[float, ...]
    power: tuple[float, ...]

    def predict(self, config: Config | Measured) -> tuple[float, float]:
        """(energy per token J, average power of all GPUs W) for ``config``."""
        x = features(config)
        energy = math.exp(dot(self.energy, x))
        power = math.exp(dot(self.power, x)) * config.gpu_count
        return energy, power


def fit(points: Sequence[Measured]) -> Fit:
    """Fit both models on ``points``: energy by ``huber_least_squares``, power by ordinary
    least squares (it only sets the time a query takes), both on the logs."""
    rows = [features(p) for p in points]
    energy = huber_least_squares(rows, [math.log(p.energy_per_token_j) for p in points])
    power = least_squares(rows, [math.log(p.gpu_power_w / p.gpu_count) for p in points])
    return Fit(energy=tuple(energy), power=tuple(power))


@cache
def shipped_fit() -> Fit:
    """The fit on every shipped LLM configuration (computed once per process)."""
    return fit(load_measurements())


def per_token(config: Config, points: Sequence[Measured] | None = None) -> PerToken:
    """GPU energy per output token of ``config``: measured (interpolated) or fitted.

    ``points`` defaults to the shipped data (the benchmark passes a held-out subset).
    """
    data = load_measurements() if points is None else points
    model = shipped_fit() if points is None else fit(data)
    same = [p for p in data if config.model_id is not None and p.model_id == config.model_id]
    series = _series(same, config)
    if series:
        interpolated = _interpolate(series, config.batch_size)
        if interpolated is not None:
            return interpolated
    energy, power = model.predict(config)
    outside = outside_data(config, data)
    anchors = (
        [p for p in same if (p.gpu, p.data_parallel) == (config.gpu, config.data_parallel)]
        or [p for p in same if p.gpu == config.gpu]
        or same
    )
    if not anchors:
        return PerToken(energy, power, "fitted", _fit_detail(len(data), config), outside)
    ratio_e = median([p.energy_per_token_j / model.predict(p)[0] for p in anchors])
    ratio_p = median([p.gpu_power_w / model.predict(p)[1] for p in anchors])
    detail = (
        f"{_fit_detail(len(data), config)}, anchored to {len(anchors)} measured configurations of "
        f"{config.model_id} (median measured/fitted {ratio_e:.3g})"
    )
    return PerToken(energy * ratio_e, power * ratio_p, "fitted, anchored", detail, outside)


def outside_data(config: Config, data: Sequence[Measured]) -> tuple[str, ...]:
    """Each way ``config`` lies outside the measured configurations: the fit extrapolates there,
    and its error (measured inside the data) does not bound the estimate."""
    found = []
    for name, unit, mine, theirs in (
        ("batch size", "", float(config.batch_size), [float(p.batch_size) for p in data]),
        ("active parameters", " B", config.active_params_b, [p.active_params_b for p in data]),
        ("total parameters", " B", config.total_params_b, [p.total_params_b for p in data]),
    ):
        low, high = min(theirs), max(theirs)
        if mine < low or mine > high:
            found.append(f"{name} {mine:g}{unit} is outside the measured {low:g}-{high:g}{unit}")
    return tuple(found)


def _fit_detail(n: int, config: Config) -> str:
    detail = f"log-linear fit on {n} measured configurations"
    if config.total_params_b > config.active_params_b and config.experts is None:
        detail += " (experts not given: a token's share of the experts taken as A/P)"
    return detail


def _series(same_model: Sequence[Measured], config: Config) -> list[Measured]:
    """The measured batch sizes of this exact configuration, one task (chat preferred)."""
    exact = [
        p
        for p in same_model
        if (p.gpu, p.precision, p.gpu_count, p.data_parallel)
        == (config.gpu, config.precision, config.gpu_count, config.data_parallel)
    ]
    for task in LLM_TASKS:
        chosen = [p for p in exact if p.task == task]
        if chosen:
            return [_merge([p for p in chosen if p.batch_size == b])
                    for b in sorted({p.batch_size for p in chosen})]  # fmt: skip
    return []


def _merge(repeats: Sequence[Measured]) -> Measured:
    """One point for repeated measurements of one configuration: geometric means."""
    if len(repeats) == 1:
        return repeats[0]
    n = len(repeats)
    energy = math.exp(sum(math.log(p.energy_per_token_j) for p in repeats) / n)
    power = math.exp(sum(math.log(p.gpu_power_w) for p in repeats) / n)
    return replace(repeats[0], energy_per_token_j=energy, gpu_power_w=power)


def _interpolate(series: Sequence[Measured], batch: float) -> PerToken | None:
    """Log-log interpolation between the measured batch sizes around ``batch``; None outside."""
    found = bracket([p.batch_size for p in series], batch)
    if found is None:
        return None
    i, j, w = found
    low, high = series[i], series[j]
    energy = geo(low.energy_per_token_j, high.energy_per_token_j, w)
    power = geo(low.gpu_power_w, high.gpu_power_w, w)
    if i == j:
        detail = f"measured at batch {low.batch_size} ({low.model_id}, {low.task})"
    else:
        detail = (
            f"interpolated between measured batch {low.batch_size} and {high.batch_size} "
            f"({low.model_id}, {low.gpu} x{low.gpu_count}, {low.precision}, {low.task})"
        )
    return PerToken(energy, power, "measured", detail)


def bracket(batches: Sequence[float], batch: float) -> tuple[int, int, float] | None:
    """(index below, index above, weight of the one above in log space) of ``batch`` among the
    ascending measured ``batches``; a measured batch gives weight 0 (or 1); None outside."""
    if len(batches) == 1 and batches[0] == batch:
        return 0, 0, 0.0
    for i in range(len(batches) - 1):
        low, high = batches[i], batches[i + 1]
        if low <= batch <= high:
            span = math.log(high) - math.log(low)
            w = 0.0 if span == 0 else (math.log(batch) - math.log(low)) / span
            return i, i + 1, w
    return None


def geo(a: float, b: float, w: float) -> float:
    """exp((1 - w) ln a + w ln b): the point at ``w`` between ``a`` and ``b`` in log space."""
    return math.exp((1 - w) * math.log(a) + w * math.log(b))


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    """The dot product of two equally long vectors."""
    return sum(x * y for x, y in zip(a, b, strict=True))


def least_squares(rows: Sequence[Sequence[float]], targets: Sequence[float]) -> list[float]:
    """Coefficients minimising the squared error of ``rows @ c - targets``.

    Solves the normal equations (X^T X) c = X^T y by Gaussian elimination with partial pivoting;
    a tiny ridge term (1e-9) keeps a rank-deficient subset solvable.
    """
    return solve_normal(gram(rows), rows, targets)


HUBER_DELTA = math.log(1.35)
"""Residuals (in ln) beyond this weigh delta/|r| instead of 1 in the Huber fit."""


def huber_least_squares(
    rows: Sequence[Sequence[float]], targets: Sequence[float], iterations: int = 30
) -> list[float]:
    """Coefficients minimising Huber's loss of ``rows @ c - targets`` (``HUBER_DELTA``), by
    iteratively reweighted least squares from the ordinary fit; stops when no coefficient moves
    by more than 1e-6."""
    coefficients = least_squares(rows, targets)
    for _ in range(iterations):
        residuals = [abs(dot(coefficients, r) - y) for r, y in zip(rows, targets, strict=True)]
        weights = [1.0 if e <= HUBER_DELTA else HUBER_DELTA / e for e in residuals]
        updated = solve_normal(gram(rows, weights), rows, targets, weights)
        moved = max(abs(a - b) for a, b in zip(updated, coefficients, strict=True))
        coefficients = updated
        if moved < 1e-6:
            break
    return coefficients


def gram(
    rows: Sequence[Sequence[float]], weights: Sequence[float] | None = None
) -> list[list[float]]:
    """X^T W X plus the ridge term: the left side of the normal equations (W: the diagonal of
    ``weights``, 1 if None), reusable for several targets over the same ``rows``."""
    n = len(rows[0])
    w = [1.0] * len(rows) if weights is None else weights
    out = [[0.0] * n for _ in range(n)]
    for i in range(n):
        column = [r[i] * wi for r, wi in zip(rows, w, strict=True)]
        for j in range(i, n):
            out[i][j] = out[j][i] = sum(c * r[j] for c, r in zip(column, rows, strict=True))
        out[i][i] += 1e-9
    return out


def solve_normal(
    gram_matrix: Sequence[Sequence[float]],
    rows: Sequence[Sequence[float]],
    targets: Sequence[float],
    weights: Sequence[float] | None = None,
) -> list[float]:
    """Least-squares coefficients for ``targets`` given ``gram(rows, weights)``."""
    n = len(gram_matrix)
    w = [1.0] * len(rows) if weights is None else weights
    a = [list(row) for row in gram_matrix]
    b = [sum(r[i] * y * wi for r, y, wi in zip(rows, targets, w, strict=True)) for i in range(n)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        b[col], b[pivot] = b[pivot], b[col]
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
            b[r] -= factor * b[col]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        out[r] = (b[r] - sum(a[r][c] * out[c] for c in range(r + 1, n))) / a[r][r]
    return out


# Error factors of the two paths, measured by tests/benchmarks/bench_open_models.py on the shipped
# data (P90 of max(estimate/measured, measured/estimate)); a test recomputes them.
INTERPOLATION_ERROR_P90 = 1.09
"""Leave one batch size out, interpolated from its measured neighbours."""
FIT_ERROR_P90 = 1.73
"""Leave one model out: the fit without the model, from its description alone."""

REFERENCE_GPU = "h100-sxm"
"""GPUs outside the data are estimated as this GPU (see ``gpu_scaling``)."""
REFERENCE_TDP_PER_TB_S = 700.0 / 3.35
"""H100 SXM: 700 W TDP over 3.35 TB/s of HBM3 (NVIDIA H100 datasheet). Units: W per TB/s."""
MEASURED_B200_OVER_H100 = 0.98
"""Median ratio of B200 to H100 energy per token over the 90 configurations measured on both
(same model, precision, GPU count, batch and task; ML.ENERGY v3 subset, computed by ecoai)."""

NON_GPU_W_PER_GPU = 150.0
"""Average non-GPU power of an 8-GPU server, per GPU: 1.2 kW / 8 (EcoLogits 0.11.3 server power,
as read in the ecoai data audit). Units: W."""
NON_GPU_W_PER_GPU_LOW = 107.0
"""BoaviztAPI 2.5.0: average non-GPU power of an AWS p5.48xlarge (8 x H100), 856 W / 8. Units: W."""
KV_HEADROOM = 1.2
"""Memory for the weights x 1.2 (KV cache and activations), as EcoLogits sizes its GPU count."""


def gpu_scaling(tdp_w: float, memory_bandwidth_tb_s: float) -> tuple[float, float]:
    """(low, high) factors on the reference GPU's energy per token for a GPU outside the data.

    Decode is memory-bound, so energy per token scales with power over memory bandwidth (the
    roofline ratio against the H100). Measured B200 against H100 says otherwise (0.98 where the
    ratio predicts 0.60), so the central estimate keeps the H100 figure (factor 1) and the range
    spans 1 and the roofline ratio.
    """
    ratio = (tdp_w / memory_bandwidth_tb_s) / REFERENCE_TDP_PER_TB_S
    return min(1.0, ratio), max(1.0, ratio)


def default_gpu_count(weights_gb: float, memory_gb: float) -> int:
    """The smallest power of two of GPUs whose memory holds the weights x KV_HEADROOM."""
    count = 1
    while count * memory_gb < weights_gb * KV_HEADROOM:
        count *= 2
    return count


@dataclass(frozen=True)
class OpenLlm:
    """Per-query result of the open-model method (IT side, before PUE)."""

    it_energy_j: tuple[float, float, float]
    """(expected, min, max) IT energy per query: GPUs plus the non-GPU share. Units: J."""
    gpu_energy_per_token_j: tuple[float, float, float]
    """(expected, min, max) GPU energy per output token, all GPUs of the replica. Units: J."""
    gpu_power_w: float
    """Average power of the replica's GPUs while serving. Units: W."""
    throughput_tokens_per_s: float
    """Output tokens per second of the replica (all concurrent requests)."""
    request_s: float
    """How long one request takes at this batch: B x output tokens / throughput. Units: s."""
    non_gpu_energy_j: float
    path: str
    detail: str
    outside: tuple[str, ...] = ()
    """Where the configuration lies outside the measured data (see ``outside_data``)."""


@dataclass(frozen=True)
class Calibration:
    """A measurement of this model on this GPU, GPU count and precision (``ecoai calibrate``)."""

    gpu_energy_per_token_j: float
    """Measured GPU energy per output token, all GPUs. Units: J."""
    time_per_token_s: float
    """Measured run time per output token of the replica. Units: s."""
    batch_size: float
    ref: str
    """Where it comes from, for ``inputs.*.source``."""


def estimate_open_llm(
    config: Config,
    output_tokens: float,
    gpu_facts: tuple[float, float],
    non_gpu_w_per_gpu: tuple[float, float, float],
    calibration: Calibration | None = None,
) -> OpenLlm:
    """Energy of one query of ``output_tokens`` for ``config``.

    ``gpu_facts`` is the GPU's (TDP W, memory bandwidth TB/s); ``non_gpu_w_per_gpu`` the
    (expected, min, max) non-GPU power per GPU in W. GPUs outside the data are estimated as the
    H100 and widened by ``gpu_scaling``. A ``calibration`` replaces the data at its batch size;
    at another batch the data's estimate is scaled by measured / estimated at the calibration's
    batch (path ``calibrated``; range the interpolation error, none at the measured batch).
    """
    if calibration is not None:
        return _calibrated(config, output_tokens, gpu_facts, non_gpu_w_per_gpu, calibration)
    low, high = 1.0, 1.0
    tdp_w, bandwidth_tb_s = gpu_facts
    as_config = config
    if config.gpu not in ("h100-sxm", "b200"):
        low, high = gpu_scaling(tdp_w, bandwidth_tb_s)
        as_config = Config(**{**config.__dict__, "gpu": REFERENCE_GPU})
    found = per_token(as_config)
    error = INTERPOLATION_ERROR_P90 if found.path == "measured" else FIT_ERROR_P90
    ept = found.energy_per_token_j
    power_w = found.gpu_power_w
    if as_config is not config:
        power_w *= tdp_w / 700.0  # the same share of a different board power
    throughput = power_w / ept
    non_gpu_j = [w * config.gpu_count * output_tokens / throughput for w in non_gpu_w_per_gpu]
    per_token_j = (ept, ept * low / error, ept * high * error)
    it_j = tuple(e * output_tokens + n for e, n in zip(per_token_j, non_gpu_j, strict=True))
    detail = found.detail
    if as_config is not config:
        detail += (
            f"; {config.gpu} is not in the data: estimated as {REFERENCE_GPU}, range x{low:.2f}"
            f"-x{high:.2f} by power over memory bandwidth (less certain)"
        )
    return OpenLlm(
        it_energy_j=(it_j[0], it_j[1], it_j[2]),
        gpu_energy_per_token_j=per_token_j,
        gpu_power_w=power_w,
        throughput_tokens_per_s=throughput,
        request_s=config.batch_size * output_tokens / throughput,
        non_gpu_energy_j=non_gpu_j[0],
        path=found.path,
        detail=detail,
        outside=found.outside,
    )


def uncalibrated_ratio(
    config: Config, gpu_facts: tuple[float, float], calibration: Calibration
) -> float:
    """The data's estimate of GPU energy per token over the measured one, at the calibration's
    batch size (1: the data was right; 2: it estimated twice the measurement)."""
    at = replace(config, batch_size=calibration.batch_size)
    estimate = estimate_open_llm(at, 1.0, gpu_facts, (0.0, 0.0, 0.0))
    return estimate.gpu_energy_per_token_j[0] / calibration.gpu_energy_per_token_j


def _calibrated(
    config: Config,
    output_tokens: float,
    gpu_facts: tuple[float, float],
    non_gpu_w_per_gpu: tuple[float, float, float],
    calibration: Calibration,
) -> OpenLlm:
    no_non_gpu = (0.0, 0.0, 0.0)
    asked = estimate_open_llm(config, 1.0, gpu_facts, no_non_gpu)
    at = estimate_open_llm(replace(config, batch_size=calibration.batch_size), 1.0, gpu_facts,
                           no_non_gpu)  # fmt: skip
    ratio_e = calibration.gpu_energy_per_token_j / at.gpu_energy_per_token_j[0]
    ratio_t = calibration.time_per_token_s * at.throughput_tokens_per_s
    ept = asked.gpu_energy_per_token_j[0] * ratio_e
    throughput = asked.throughput_tokens_per_s / ratio_t
    error = 1.0 if config.batch_size == calibration.batch_size else INTERPOLATION_ERROR_P90
    non_gpu_j = [w * config.gpu_count * output_tokens / throughput for w in non_gpu_w_per_gpu]
    per_token_j = (ept, ept / error, ept * error)
    it_j = tuple(e * output_tokens + n for e, n in zip(per_token_j, non_gpu_j, strict=True))
    detail = f"measured {calibration.gpu_energy_per_token_j:.4g} J/token at batch "
    detail += f"{calibration.batch_size:g} ({calibration.ref})"
    if error != 1.0:
        detail += f", scaled to batch {config.batch_size:g} by the data (x{ratio_e:.3g})"
    return OpenLlm(
        it_energy_j=(it_j[0], it_j[1], it_j[2]),
        gpu_energy_per_token_j=per_token_j,
        gpu_power_w=ept * throughput,
        throughput_tokens_per_s=throughput,
        request_s=config.batch_size * output_tokens / throughput,
        non_gpu_energy_j=non_gpu_j[0],
        path="calibrated",
        detail=detail,
    )
