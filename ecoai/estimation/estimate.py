"""Pure: resolved inputs -> Report, by the formulas of Jegham et al. v6.

The method, its constants and their sources: README, Method §1-§2 and §6.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from ecoai import __version__, footprint, units
from ecoai.errors import InputError
from ecoai.footprint import Multipliers
from ecoai.inputs.resolve import value
from ecoai.metrics import FOOTPRINT_HEADINGS
from ecoai.models import Footprint, Method, Param, Report, Stat, non_finite_path


def estimate(params: Mapping[str, Param], now: datetime | None = None) -> Report:
    """Estimate the footprint described by ``params`` (see ``ecoai.inputs.resolve.resolve``)."""
    factors = multipliers_from(params)
    if "params_b" in params:
        from ecoai.estimation.open_llm import open_llm

        params, per_query, method, intermediate = open_llm(params, factors)
    elif "it_energy_wh" in params or "facility_energy_wh" in params:
        per_query, method, intermediate = _direct(params, factors)
    elif _has_quantiles(params):
        per_query, method, intermediate = _monte_carlo(params, factors)
    else:
        per_query, method, intermediate = _point(params, factors)
    if params.get("embodied") and params["embodied"].value is True:
        per_query = _with_embodied(per_query, params, intermediate["duration_s"])
    return _finite(_report(params, per_query, method, intermediate, now))


def _finite(report: Report) -> Report:
    """``report``, unless the inputs are so extreme that a figure overflowed (or is NaN)."""
    where = non_finite_path(report.model_dump(include=set(FOOTPRINT_HEADINGS)))
    if where is not None:
        raise InputError(
            f"the inputs overflow: {'.'.join(map(str, where))} is not a finite number",
            "check the magnitudes of the scenario values (tokens, tps, queries)",
        )
    return report


def multipliers_from(params: Mapping[str, Param]) -> Multipliers:
    """The data-centre and grid factors of the resolved inputs (CIF converted to g/kWh)."""
    return Multipliers(
        pue=value(params, "pue"),
        wue_site_l_per_kwh=value(params, "wue_site_l_per_kwh"),
        wue_source_l_per_kwh=value(params, "wue_source_l_per_kwh"),
        cif_g_per_kwh=units.kg_to_g(value(params, "cif_kg_per_kwh")),
    )


def _power_bounds_w(params: Mapping[str, Param]) -> tuple[float, float]:
    """IT power per request at U_GPU,min and U_GPU,max. Units: W."""
    p_gpu_w = units.kw_to_w(value(params, "p_gpu_kw"))
    p_non_w = units.kw_to_w(value(params, "p_non_gpu_kw"))
    u_min, u_max = value(params, "u_gpu_min"), value(params, "u_gpu_max")
    if u_min > u_max:
        raise InputError(
            f"u_gpu_min ({u_min:g}) is above u_gpu_max ({u_max:g})",
            "swap them: the minimum utilisation must not exceed the maximum",
        )
    u_non = value(params, "u_non_gpu")
    return (
        footprint.it_power_w(p_gpu_w, u_min, p_non_w, u_non),
        footprint.it_power_w(p_gpu_w, u_max, p_non_w, u_non),
    )


def _duration_s(params: Mapping[str, Param]) -> float:
    if "duration_s" in params:
        return value(params, "duration_s")
    return footprint.query_duration_s(
        value(params, "ttft_s"), value(params, "output_tokens"), value(params, "tps")
    )


def _point(
    params: Mapping[str, Param], factors: Multipliers
) -> tuple[Footprint, Method, dict[str, float]]:
    duration_s = _duration_s(params)
    power_min_w, power_max_w = _power_bounds_w(params)
    w_max = value(params, "w_max")
    it_min_j, it_max_j = duration_s * power_min_w, duration_s * power_max_w
    result = footprint.footprint_range(it_min_j, it_max_j, w_max, factors)
    intermediate = _intermediate(duration_s, power_min_w, power_max_w, factors.pue)
    return (
        result,
        Method(
            statistic="point",
            w_max=w_max,
            description="E = T x (P_GPU U_GPU + P_nonGPU U_nonGPU) x PUE at U_GPU min "
            "and max; expected = w_max E_max + (1 - w_max) E_min",
        ),
        intermediate,
    )


def _has_quantiles(params: Mapping[str, Param]) -> bool:
    if "duration_s" in params:
        return False
    has_ttft = "ttft_quantiles_s" in params and "ttft_s" not in params
    has_tps = "tps_quantiles" in params and "tps" not in params
    return has_ttft or has_tps


def _monte_carlo(
    params: Mapping[str, Param], factors: Multipliers
) -> tuple[Footprint, Method, dict[str, float]]:
    from ecoai.estimation.montecarlo import draw_pairs

    samples, seed, rho = (
        int(value(params, "samples")),
        int(value(params, "seed")),
        value(params, "rho"),
    )
    ttfts, tpss = draw_pairs(
        _quantiles(params, "ttft_quantiles_s"),
        _quantiles(params, "tps_quantiles"),
        samples,
        seed,
        rho,
    )
    if "ttft_s" in params:
        ttfts = [value(params, "ttft_s")] * samples
    if "tps" in params:
        tpss = [value(params, "tps")] * samples
    tokens = value(params, "output_tokens")
    power_min_w, power_max_w = _power_bounds_w(params)
    w_max = value(params, "w_max")
    durations = [footprint.query_duration_s(t, tokens, r) for t, r in zip(ttfts, tpss, strict=True)]
    lows = [d * power_min_w for d in durations]
    highs = [d * power_max_w for d in durations]
    exps = [footprint.expected(lo, hi, w_max) for lo, hi in zip(lows, highs, strict=True)]
    result = footprint.footprint_samples(exps, lows, highs, factors)
    mean_duration_s = sum(durations) / samples
    intermediate = _intermediate(mean_duration_s, power_min_w, power_max_w, factors.pue)
    return (
        result,
        Method(
            statistic="monte-carlo",
            samples=samples,
            seed=seed,
            rho=rho,
            w_max=w_max,
            description="mean and sample std of E_exp over draws of (TTFT, TPS) "
            "through a Gaussian copula of the published percentiles",
        ),
        intermediate,
    )


def _quantiles(params: Mapping[str, Param], name: str) -> list[float]:
    if name not in params:
        return [1.0] * 5  # replaced by the single value the user gave
    raw = params[name].value
    assert isinstance(raw, list)
    return [float(x) for x in raw]


def _direct(
    params: Mapping[str, Param], factors: Multipliers
) -> tuple[Footprint, Method, dict[str, float]]:
    if "it_energy_wh" in params:
        it_mean_j = units.wh_to_j(value(params, "it_energy_wh"))
    else:
        it_mean_j = units.wh_to_j(value(params, "facility_energy_wh")) / factors.pue
    std_j = (
        units.wh_to_j(value(params, "it_energy_std_wh")) if "it_energy_std_wh" in params else None
    )
    it = Stat(mean=it_mean_j, min=it_mean_j, max=it_mean_j, std=std_j)
    if std_j is not None:
        it = Stat(mean=it_mean_j, min=max(0.0, it_mean_j - std_j), max=it_mean_j + std_j, std=std_j)
    statistic = "task" if "task" in params else "direct-energy"
    desc = (
        "energy given per query; range = mean -/+ one standard deviation"
        if std_j
        else "energy given per query"
    )
    intermediate = {"it_energy_j": it_mean_j, "facility_energy_j": it_mean_j * factors.pue}
    return (
        footprint.footprint_from_it(it, factors),
        Method(statistic=statistic, description=desc),
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


def _with_embodied(
    per_query: Footprint, params: Mapping[str, Param], duration_s: float
) -> Footprint:
    """Add the embodied line: the central figures, and the range of published figures.

    The range's min uses the lowest GPU and server figures, its max the highest
    (``embodied_*_kg_min``/``_max``; absent, they equal the central figure).
    """
    central = _embodied_g(params, duration_s, "")
    low = _embodied_g(params, duration_s, "_min")
    high = _embodied_g(params, duration_s, "_max")
    stat = Stat(mean=central, min=min(low, central), max=max(high, central))
    return per_query.model_copy(update={"embodied_carbon_g": stat})


def _embodied_g(params: Mapping[str, Param], duration_s: float, bound: str) -> float:
    """Embodied carbon per query with the ``bound`` figures (``""``, ``"_min"``, ``"_max"``)."""

    def kg(name: str) -> float:
        return value(params, name + bound) if name + bound in params else value(params, name)

    return footprint.embodied_carbon_g(
        duration_s=duration_s,
        lifetime_years=value(params, "lifetime_years"),
        gpu_count=value(params, "gpu_count"),
        gpus_per_node=value(params, "gpus_per_node"),
        embodied_gpu_kg=kg("embodied_gpu_kg"),
        embodied_server_kg=kg("embodied_server_kg"),
        batch_size=value(params, "batch_size"),
    )


def _report(
    params: Mapping[str, Param],
    per_query: Footprint,
    method: Method,
    intermediate: dict[str, float],
    now: datetime | None,
) -> Report:
    queries = int(value(params, "queries")) if "queries" in params else None
    per_day = per_year = None
    if "queries_per_day" in params:
        rate = value(params, "queries_per_day")
        per_day = per_query.scaled(rate)
        per_year = per_query.scaled(rate * units.DAYS_PER_YEAR)
    label = params["label"].value if "label" in params else None
    notes = [
        f"no {what} given: assumed {params[name].source.ref} ({params[name].source.citation})"
        for name, what in (("pue", "data centre"), ("cif_kg_per_kwh", "grid"))
        if name in params and params[name].source.kind == "default" and params[name].source.ref
    ]
    return Report(
        kind="estimate",
        ecoai_version=__version__,
        created_at=now or datetime.now(UTC),
        label=str(label) if label is not None else None,
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
