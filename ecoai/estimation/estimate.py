"""Pure: resolved inputs -> Report, by the formulas of Jegham et al. v6.

The method, its constants and their sources: README, Method §1-§2 and §6.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from ecoai import __version__, footprint, units
from ecoai.errors import InputError
from ecoai.estimation.applies import check_inputs_apply
from ecoai.estimation.inputs import (
    Direct,
    Embodied,
    MonteCarlo,
    NodePower,
    Point,
    ReportInputs,
    read_formula,
    read_report_inputs,
)
from ecoai.footprint import Multipliers
from ecoai.inputs.keys import multipliers
from ecoai.metrics import FOOTPRINT_HEADINGS
from ecoai.models import Footprint, Method, Param, Report, Stat, non_finite_path, plain


def estimate(params: Mapping[str, Param], now: datetime | None = None) -> Report:
    """Estimate the footprint described by ``params`` (see ``ecoai.inputs.resolve.resolve``).

    Raises InputError when an input the method needs is missing (``estimation.inputs``), when
    u_gpu_min exceeds u_gpu_max, when --calibrate is given for anything but an open LLM, or when
    a figure overflows.
    """
    check_inputs_apply(params)
    factors = multipliers(params)
    notes: list[str] = []
    if "calibrate" in params and "params_b" not in params:
        raise InputError(
            "--calibrate applies to open LLMs",
            "describe the model: --params-b N (or --model with an id of the ML.ENERGY data)",
        )
    if "pipeline" in params:
        from ecoai.estimation.open_llm import open_diffusion

        params, per_query, method, intermediate = open_diffusion(params, factors)
        extra = read_report_inputs(params)  # with the values open_diffusion derived
    elif "params_b" in params:
        from ecoai.estimation.open_llm import open_llm

        params, per_query, method, intermediate, notes = open_llm(params, factors)
        extra = read_report_inputs(params)  # with the values open_llm derived
    else:
        formula, extra = read_formula(params), read_report_inputs(params)
        per_query, method, intermediate = _per_query(formula, factors, "task" in params)
    if extra.embodied is not None:
        per_query = _with_embodied(per_query, extra.embodied, intermediate["duration_s"])
    return _finite(_report(params, extra, per_query, method, intermediate, now, notes))


def _per_query(
    formula: Point | MonteCarlo | Direct, factors: Multipliers, task: bool
) -> tuple[Footprint, Method, dict[str, float]]:
    if isinstance(formula, Direct):
        return _direct(formula, factors, task)
    if isinstance(formula, MonteCarlo):
        return _monte_carlo(formula, factors)
    return _point(formula, factors)


def _finite(report: Report) -> Report:
    """``report``, unless the inputs are so extreme that a figure overflowed (or is NaN)."""
    figures = {name: getattr(report, name) for name in FOOTPRINT_HEADINGS}
    where = non_finite_path(plain(figures))
    if where is not None:
        raise InputError(
            f"the inputs overflow: {'.'.join(map(str, where))} is not a finite number",
            "check the magnitudes of the scenario values (tokens, tps, queries)",
        )
    return report


def _power_bounds_w(power: NodePower) -> tuple[float, float]:
    """IT power per request at U_GPU,min and U_GPU,max. Units: W."""
    if power.u_gpu_min > power.u_gpu_max:
        raise InputError(
            f"u_gpu_min ({power.u_gpu_min:g}) is above u_gpu_max ({power.u_gpu_max:g})",
            "swap them: the minimum utilisation must not exceed the maximum",
        )
    return (
        footprint.it_power_w(power.p_gpu_w, power.u_gpu_min, power.p_non_gpu_w, power.u_non_gpu),
        footprint.it_power_w(power.p_gpu_w, power.u_gpu_max, power.p_non_gpu_w, power.u_non_gpu),
    )


def _point(point: Point, factors: Multipliers) -> tuple[Footprint, Method, dict[str, float]]:
    duration_s = point.duration_s
    power_min_w, power_max_w = _power_bounds_w(point.power)
    it_min_j, it_max_j = duration_s * power_min_w, duration_s * power_max_w
    result = footprint.footprint_range(it_min_j, it_max_j, point.w_max, factors)
    intermediate = _intermediate(duration_s, power_min_w, power_max_w, factors.pue)
    return (
        result,
        Method.trusted(
            statistic="point",
            w_max=point.w_max,
            description="E = T x (P_GPU U_GPU + P_nonGPU U_nonGPU) x PUE at U_GPU min "
            "and max; expected = w_max E_max + (1 - w_max) E_min",
        ),
        intermediate,
    )


def _monte_carlo(
    mc: MonteCarlo, factors: Multipliers
) -> tuple[Footprint, Method, dict[str, float]]:
    from ecoai.estimation.montecarlo import draw_pairs

    samples = mc.samples
    ttfts, tpss = draw_pairs(
        mc.ttft_quantiles_s or [1.0] * 5,  # replaced below by the single value given
        mc.tps_quantiles or [1.0] * 5,
        samples,
        mc.seed,
        mc.rho,
    )
    if mc.ttft_s is not None:
        ttfts = [mc.ttft_s] * samples
    if mc.tps is not None:
        tpss = [mc.tps] * samples
    tokens = mc.output_tokens
    power_min_w, power_max_w = _power_bounds_w(mc.power)
    w_max = mc.w_max
    durations = [footprint.query_duration_s(t, tokens, r) for t, r in zip(ttfts, tpss, strict=True)]
    lows = [d * power_min_w for d in durations]
    highs = [d * power_max_w for d in durations]
    exps = [footprint.expected(lo, hi, w_max) for lo, hi in zip(lows, highs, strict=True)]
    result = footprint.footprint_samples(exps, lows, highs, factors)
    mean_duration_s = sum(durations) / samples
    intermediate = _intermediate(mean_duration_s, power_min_w, power_max_w, factors.pue)
    return (
        result,
        Method.trusted(
            statistic="monte-carlo",
            samples=samples,
            seed=mc.seed,
            rho=mc.rho,
            w_max=w_max,
            description="mean and sample std of E_exp over draws of (TTFT, TPS) "
            "through a Gaussian copula of the published percentiles",
        ),
        intermediate,
    )


def _direct(
    direct: Direct, factors: Multipliers, task: bool
) -> tuple[Footprint, Method, dict[str, float]]:
    if direct.it_energy_wh is not None:
        it_mean_j = units.wh_to_j(direct.it_energy_wh)
    else:
        assert direct.facility_energy_wh is not None  # read_inputs: one of the two is given
        it_mean_j = units.wh_to_j(direct.facility_energy_wh) / factors.pue
    std_j = None if direct.it_energy_std_wh is None else units.wh_to_j(direct.it_energy_std_wh)
    it = Stat.trusted(mean=it_mean_j, min=it_mean_j, max=it_mean_j, std=std_j)
    if std_j is not None:
        it = Stat.trusted(
            mean=it_mean_j, min=max(0.0, it_mean_j - std_j), max=it_mean_j + std_j, std=std_j
        )
    statistic = "task" if task else "direct-energy"
    desc = (
        "energy given per query; range = mean -/+ one standard deviation"
        if std_j
        else "energy given per query"
    )
    intermediate = {"it_energy_j": it_mean_j, "facility_energy_j": it_mean_j * factors.pue}
    return (
        footprint.footprint_from_it(it, factors),
        Method.trusted(statistic=statistic, description=desc),
        intermediate,
    )


def _intermediate(
    duration_s: float, power_min_w: float, power_max_w: float, pue: float
) -> dict[str, float]:
    return {
        "duration_s": duration_s,
        "duration_h": duration_s / units.S_PER_HOUR,
        "it_power_w_min": power_min_w,
        "it_power_w_max": power_max_w,
        "facility_energy_wh_min": units.j_to_wh(duration_s * power_min_w * pue),
        "facility_energy_wh_max": units.j_to_wh(duration_s * power_max_w * pue),
    }


def _with_embodied(per_query: Footprint, embodied: Embodied, duration_s: float) -> Footprint:
    """Add the embodied line: the central figures, and the range of published figures.

    The range's min uses the lowest GPU and server figures, its max the highest
    (``embodied_*_kg_min``/``_max``; absent, they equal the central figure).
    """
    central, low, high = (_embodied_g(embodied, duration_s, bound) for bound in (0, 1, 2))
    stat = Stat.trusted(mean=central, min=min(low, central), max=max(high, central))
    return replace(per_query, embodied_carbon_g=stat)


def _embodied_g(embodied: Embodied, duration_s: float, bound: int) -> float:
    """Embodied carbon per query with the central (0), lowest (1) or highest (2) figures."""
    return footprint.embodied_carbon_g(
        duration_s=duration_s,
        lifetime_years=embodied.lifetime_years,
        gpu_count=embodied.gpu_count,
        gpus_per_node=embodied.gpus_per_node,
        embodied_gpu_kg=embodied.gpu_kg[bound],
        embodied_server_kg=embodied.server_kg[bound],
        batch_size=embodied.batch_size,
    )


def _report(
    params: Mapping[str, Param],
    extra: ReportInputs,
    per_query: Footprint,
    method: Method,
    intermediate: dict[str, float],
    now: datetime | None,
    method_notes: Sequence[str] = (),
) -> Report:
    queries, rate = extra.queries, extra.queries_per_day
    per_day = per_year = None
    if rate is not None:
        per_day = per_query.scaled(rate)
        per_year = per_query.scaled(rate * units.DAYS_PER_YEAR)
    notes = [
        f"no {what} given: assumed {params[name].source.ref} ({params[name].source.citation})"
        for name, what in (("pue", "data centre"), ("cif_kg_per_kwh", "grid"))
        if name in params and params[name].source.kind == "default" and params[name].source.ref
    ]
    if "uncalibrated_ratio" in intermediate:
        ratio = intermediate["uncalibrated_ratio"]
        source = params["calibration_gpu_energy_per_token_j"].source
        notes.append(
            f"calibrated by {source.ref}: without it the estimate of GPU energy per token would "
            f"have been {ratio:.3g}x the measurement ({source.citation})"
        )
    notes.extend(method_notes)
    return Report.trusted(
        kind="estimate",
        ecoai_version=__version__,
        created_at=now or datetime.now(UTC),
        label=extra.label,
        method=method,
        inputs=dict(params),
        intermediate=intermediate,
        queries=queries,
        per_query=per_query,
        total=per_query.scaled(queries) if queries else None,
        per_day=per_day,
        per_year=per_year,
        notes=notes,
    )
