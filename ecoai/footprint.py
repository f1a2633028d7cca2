"""Pure footprint formulas: energy -> facility energy, water, carbon (for estimate and profile).

Source of every formula: Jegham et al. 2025, "How Hungry is AI?", arXiv:2505.09598 v6, Eq. 1-5;
water accounting as Li et al., "Making AI Less Thirsty", arXiv:2304.03271 (README, Method §1, §8).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ecoai import units
from ecoai.models import Footprint, Stat, WaterStat


@dataclass(frozen=True)
class Multipliers:
    """The data-centre and grid factors that turn IT energy into facility energy, water, carbon."""

    pue: float
    """Power usage effectiveness, facility energy / IT energy (>= 1)."""
    wue_site_l_per_kwh: float
    """On-site water per kWh of IT energy. Units: L/kWh."""
    wue_source_l_per_kwh: float
    """Off-site water of electricity generation per kWh of facility energy. Units: L/kWh."""
    cif_g_per_kwh: float
    """Carbon intensity of the electricity. Units: gCO2e/kWh."""


def query_duration_s(ttft_s: float, output_tokens: float, tps: float) -> float:
    """Time to serve one query: first-token latency plus generation time. Units: s (Eq. 1)."""
    return ttft_s + output_tokens / tps


def utilisation(
    gpu_count: float, draw_fraction: float, gpus_per_node: float, batch: float
) -> float:
    """Per-request share of a node: U = G x D / (N x B), dimensionless (paper §3.3, Table 2)."""
    # float() first: the product of two huge integers would not convert (OverflowError)
    return float(gpu_count) * draw_fraction / (float(gpus_per_node) * float(batch))


def it_power_w(p_gpu_w: float, u_gpu: float, p_non_gpu_w: float, u_non_gpu: float) -> float:
    """IT power attributed to one request: P_GPU x U_GPU + P_nonGPU x U_nonGPU. Units: W."""
    return p_gpu_w * u_gpu + p_non_gpu_w * u_non_gpu


def expected(low: float, high: float, w_max: float) -> float:
    """Expected value between the bounds: w_max x high + (1 - w_max) x low (Eq. 3, w_max = 0.5)."""
    return w_max * high + (1.0 - w_max) * low


def facility_energy_j(it_energy_j: float, pue: float) -> float:
    """Facility energy: IT energy x PUE. Units: J."""
    return it_energy_j * pue


def water_site_l(it_energy_j: float, wue_site_l_per_kwh: float) -> float:
    """On-site (cooling) water: IT energy x WUE_site. Units: L (Eq. 4, first term)."""
    return units.j_to_kwh(it_energy_j) * wue_site_l_per_kwh


def water_source_l(facility_j: float, wue_source_l_per_kwh: float) -> float:
    """Off-site water of electricity generation: facility energy x WUE_source. Units: L (Eq. 4)."""
    return units.j_to_kwh(facility_j) * wue_source_l_per_kwh


def carbon_g(facility_j: float, cif_g_per_kwh: float) -> float:
    """Operational emissions: facility energy x CIF. Units: gCO2e (Eq. 5)."""
    return units.j_to_kwh(facility_j) * cif_g_per_kwh


def embodied_carbon_g(
    duration_s: float,
    lifetime_years: float,
    gpu_count: float,
    gpus_per_node: float,
    embodied_gpu_kg: float,
    embodied_server_kg: float,
    batch_size: float,
) -> float:
    """Manufacturing emissions amortised by time and resource share (README, Method §6).

    Units: gCO2e.

    1000 x (T / lifetime) x (G x gpu_kg + (G / N) x server_kg) / B, with T and lifetime in hours.
    """
    lifetime_h = lifetime_years * units.HOURS_PER_YEAR
    share_kg = gpu_count * embodied_gpu_kg + (gpu_count / gpus_per_node) * embodied_server_kg
    return units.kg_to_g((duration_s / units.S_PER_HOUR) / lifetime_h * share_kg / batch_size)


def footprint_range(
    it_min_j: float, it_max_j: float, w_max: float, factors: Multipliers
) -> Footprint:
    """Footprint of a range of IT energy: min, max and the w_max-weighted expected value."""
    it_mean_j = expected(it_min_j, it_max_j, w_max)
    return footprint_from_it(Stat.trusted(mean=it_mean_j, min=it_min_j, max=it_max_j), factors)


def footprint_point(it_energy_j: float, factors: Multipliers) -> Footprint:
    """Footprint of an IT energy known exactly (measured or given)."""
    return footprint_range(it_energy_j, it_energy_j, 0.5, factors)


def footprint_samples(
    it_exp_j: Sequence[float],
    it_min_j: Sequence[float],
    it_max_j: Sequence[float],
    factors: Multipliers,
) -> Footprint:
    """Footprint over Monte Carlo draws: mean/std/p5/p95 of the expected value, means of bounds."""
    return footprint_from_it(summarise(it_exp_j, it_min_j, it_max_j, with_spread=True), factors)


def footprint_from_it(it_j: Stat, factors: Multipliers) -> Footprint:
    """Footprint of an IT-energy range (units: J): facility energy, water, carbon."""
    # Every output is linear in IT energy, so each is the IT-energy statistic times a constant.
    wh_it = 1.0 / units.J_PER_WH
    wh_fac = factors.pue / units.J_PER_WH
    site_ml = units.l_to_ml(water_site_l(1.0, factors.wue_site_l_per_kwh))
    source_ml = units.l_to_ml(water_source_l(factors.pue, factors.wue_source_l_per_kwh))
    carbon = carbon_g(factors.pue, factors.cif_g_per_kwh)
    base = it_j
    site = base.scaled(site_ml)
    source = base.scaled(source_ml)
    water = base.scaled(site_ml + source_ml)
    return Footprint.trusted(
        energy_wh=base.scaled(wh_fac),
        it_energy_wh=base.scaled(wh_it),
        water_ml=WaterStat.trusted(**water.__dict__, site=site, source=source),
        carbon_g=base.scaled(carbon),
    )


def summarise(
    exp: Sequence[float], low: Sequence[float], high: Sequence[float], *, with_spread: bool
) -> Stat:
    """Summarise draws: mean, sample std (ddof = 1), p5 and p95 of ``exp``; means of the bounds."""
    n = len(exp)
    mean = _mean(exp)
    if not with_spread or n < 2:
        return Stat.trusted(mean=mean, min=_mean(low), max=_mean(high))
    try:
        var = math.fsum((x - mean) * (x - mean) for x in exp) / (n - 1)
    except OverflowError:  # finite squares whose sum passes 1.8e308: fsum raises, not inf
        var = math.inf
    ordered = sorted(exp)
    return Stat.trusted(
        mean=mean,
        min=_mean(low),
        max=_mean(high),
        std=math.sqrt(var),
        p5=percentile(ordered, 5.0),
        p95=percentile(ordered, 95.0),
    )


def _mean(values: Sequence[float]) -> float:
    try:
        return math.fsum(values) / len(values)
    except OverflowError:  # the sum of values near 1e308 overflows; their mean need not
        return math.fsum(v / len(values) for v in values)


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile ``q`` (0-100) of already sorted values (NumPy's default)."""
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


# Continuous power: what a daily or yearly energy means as power running constantly.

PLANT_NET_CAPACITY_W = 1.0e9
"""A "1 GW power plant": the typical U.S. nuclear reactor, 95.55 GW net summer capacity over 93
operable reactors = 1.03 GW each (U.S. EIA, Nuclear explained, data as of the end of 2021)."""
PLANT_CAPACITY_FACTOR = 0.927
"""Average annual capacity factor of U.S. nuclear plants in 2021, 92.7 % (same EIA page): a 1 GW
plant "running constantly" delivers 0.927 GW on average, refuelling outages included."""
PLANT_SOURCE = (
    "a 1 GW plant running constantly averages 0.927 GW: the 92.7 % average annual capacity factor "
    "of U.S. nuclear plants (U.S. EIA, Nuclear explained, U.S. nuclear statistics, data as of the "
    "end of 2021: 93 reactors, 95.55 GW net summer capacity, 1.03 GW each)"
)


def continuous_power_w(energy_wh: float, hours: float) -> float:
    """The average power that delivers ``energy_wh`` (Wh) over ``hours`` (h), in W.

    E.g. 24 kWh a day is 1 kW running constantly. Raises ValueError unless ``hours`` > 0.
    """
    if not hours > 0:
        raise ValueError(f"hours must be > 0, got {hours!r}")
    return energy_wh / hours


def plants_equivalent(power_w: float) -> float:
    """How many 1 GW power plants running constantly deliver ``power_w`` (W) on average.

    power_w / (PLANT_NET_CAPACITY_W x PLANT_CAPACITY_FACTOR): one plant averages 0.927 GW.
    """
    return power_w / (PLANT_NET_CAPACITY_W * PLANT_CAPACITY_FACTOR)
