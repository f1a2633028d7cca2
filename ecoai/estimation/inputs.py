"""The estimator's typed view of the resolved inputs, read once, before any formula.

``read_formula`` picks the method from which inputs are present (energy given directly, published
TTFT/TPS percentiles, else the point formula) and ``read_report_inputs`` reads the embodied line
and the totals; each reads its inputs in one place and raises InputError naming the first one
missing and how to supply it. The formulas in ``estimate`` then take typed records instead of
looking names up. (An open LLM checks and derives its own inputs: ``open_llm``.)

Names, units and the paper's symbols follow Jegham et al. 2025, arXiv:2505.09598 v6 (Eq. 1-3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecoai import footprint, units
from ecoai.inputs.keys import value
from ecoai.models import Param


@dataclass(frozen=True)
class NodePower:
    """Rated node power and per-request utilisation. Units: W; utilisations are fractions."""

    p_gpu_w: float
    """P_GPU, the node's GPUs at full draw."""
    p_non_gpu_w: float
    """P_nonGPU, the rest of the node."""
    u_gpu_min: float
    u_gpu_max: float
    u_non_gpu: float


@dataclass(frozen=True)
class Point:
    """The point formula: one query duration, the node's power, the weight of the high bound."""

    duration_s: float
    """Given (``duration_s``) or TTFT + output tokens / TPS (Eq. 1)."""
    power: NodePower
    w_max: float


@dataclass(frozen=True)
class MonteCarlo:
    """Draws of (TTFT, TPS) from published percentiles; a value given instead stays fixed."""

    ttft_quantiles_s: list[float] | None
    tps_quantiles: list[float] | None
    ttft_s: float | None
    tps: float | None
    output_tokens: float
    power: NodePower
    w_max: float
    samples: int
    seed: int
    rho: float


@dataclass(frozen=True)
class Direct:
    """Energy per query given directly (measured, published, or a task preset). Units: Wh."""

    it_energy_wh: float | None
    """IT energy; when None, ``facility_energy_wh`` is given instead."""
    facility_energy_wh: float | None
    it_energy_std_wh: float | None


@dataclass(frozen=True)
class Embodied:
    """What the optional embodied-carbon line needs. Units: years, kgCO2e.

    The manufacturing figures are (central, lowest published, highest published); a bound not
    given (``embodied_*_kg_min``/``_max``) equals the central figure.
    """

    lifetime_years: float
    gpu_count: float
    gpus_per_node: float
    batch_size: float
    gpu_kg: tuple[float, float, float]
    server_kg: tuple[float, float, float]


@dataclass(frozen=True)
class ReportInputs:
    """What the report adds to the per-query footprint: the embodied line, totals and a label."""

    embodied: Embodied | None
    queries: int | None
    queries_per_day: float | None
    label: str | None


def read_formula(params: Mapping[str, Param]) -> Point | MonteCarlo | Direct:
    """The per-query formula's typed inputs: energy given directly, published TTFT/TPS
    percentiles (Monte Carlo), else the point formula. Raises InputError for the first missing.
    """
    if "it_energy_wh" in params or "facility_energy_wh" in params:
        return Direct(
            _optional(params, "it_energy_wh"),
            _optional(params, "facility_energy_wh"),
            _optional(params, "it_energy_std_wh"),
        )
    if _has_quantiles(params):
        return _monte_carlo(params)
    return Point(_duration_s(params), _node_power(params), value(params, "w_max"))


def read_report_inputs(params: Mapping[str, Param]) -> ReportInputs:
    """The embodied line's inputs (only with ``embodied = true``), totals and label; raises
    InputError for the first embodied input missing."""
    embodied = None
    if "embodied" in params and params["embodied"].value is True:
        lifetime_years, gpu_count, gpus_per_node = (
            value(params, name) for name in ("lifetime_years", "gpu_count", "gpus_per_node")
        )
        gpu_kg, server_kg = value(params, "embodied_gpu_kg"), value(params, "embodied_server_kg")
        embodied = Embodied(
            lifetime_years=lifetime_years,
            gpu_count=gpu_count,
            gpus_per_node=gpus_per_node,
            batch_size=value(params, "batch_size"),
            gpu_kg=_published_range(params, "embodied_gpu_kg", gpu_kg),
            server_kg=_published_range(params, "embodied_server_kg", server_kg),
        )
    queries = params["queries"].value if "queries" in params else None  # exact: an int
    label = params["label"].value if "label" in params else None
    return ReportInputs(
        embodied=embodied,
        queries=None if queries is None else int(queries),  # type: ignore[arg-type]
        queries_per_day=_optional(params, "queries_per_day"),
        label=None if label is None else str(label),
    )


def _published_range(
    params: Mapping[str, Param], name: str, central: float
) -> tuple[float, float, float]:
    low, high = _optional(params, name + "_min"), _optional(params, name + "_max")
    return (central, central if low is None else low, central if high is None else high)


def _optional(params: Mapping[str, Param], name: str) -> float | None:
    return value(params, name) if name in params else None


def _has_quantiles(params: Mapping[str, Param]) -> bool:
    if "duration_s" in params:
        return False
    has_ttft = "ttft_quantiles_s" in params and "ttft_s" not in params
    has_tps = "tps_quantiles" in params and "tps" not in params
    return has_ttft or has_tps


def _duration_s(params: Mapping[str, Param]) -> float:
    if "duration_s" in params:
        return value(params, "duration_s")
    return footprint.query_duration_s(
        value(params, "ttft_s"), value(params, "output_tokens"), value(params, "tps")
    )


def _node_power(params: Mapping[str, Param]) -> NodePower:
    return NodePower(
        p_gpu_w=units.kw_to_w(value(params, "p_gpu_kw")),
        p_non_gpu_w=units.kw_to_w(value(params, "p_non_gpu_kw")),
        u_gpu_min=value(params, "u_gpu_min"),
        u_gpu_max=value(params, "u_gpu_max"),
        u_non_gpu=value(params, "u_non_gpu"),
    )


def _monte_carlo(params: Mapping[str, Param]) -> MonteCarlo:
    samples, seed, rho = (
        int(value(params, "samples")),
        int(value(params, "seed")),
        value(params, "rho"),
    )
    return MonteCarlo(
        ttft_quantiles_s=_quantiles(params, "ttft_quantiles_s"),
        tps_quantiles=_quantiles(params, "tps_quantiles"),
        ttft_s=_optional(params, "ttft_s"),
        tps=_optional(params, "tps"),
        output_tokens=value(params, "output_tokens"),
        power=_node_power(params),
        w_max=value(params, "w_max"),
        samples=samples,
        seed=seed,
        rho=rho,
    )


def _quantiles(params: Mapping[str, Param], name: str) -> list[float] | None:
    if name not in params:
        return None
    raw = params[name].value
    if not isinstance(raw, list):
        raise TypeError(f"{name} is not a list of quantiles: {raw!r}")  # resolve checked it
    return [float(x) for x in raw]
