"""The pure formulas against hand calculations of README, Method §1 and §6."""

from __future__ import annotations

import math

import pytest

from ecoai import footprint
from ecoai.footprint import Multipliers

AZURE = Multipliers(
    pue=1.12, wue_site_l_per_kwh=0.3, wue_source_l_per_kwh=4.35, cif_g_per_kwh=340.0
)


def test_duration_is_ttft_plus_generation_time() -> None:
    assert footprint.query_duration_s(0.69, 300, 96) == pytest.approx(0.69 + 3.125, rel=1e-15)


@pytest.mark.parametrize(
    ("g", "d", "n", "b", "u"),
    [
        (8, 0.6, 8, 8, 0.075),
        (1, 0.5, 8, 8, 0.0078125),
        (4, 0.5, 8, 8, 0.03125),
        (8, 0.5, 8, 16, 0.03125),
    ],
)
def test_utilisation_is_g_d_over_n_b(g: int, d: float, n: int, b: int, u: float) -> None:
    assert footprint.utilisation(g, d, n, b) == pytest.approx(u, rel=1e-12)


def test_range_matches_hand_calculation() -> None:
    # GPT-4.1 short at the medians: T = (0.69 + 300/96) s, DGX H100 node, Large class, Azure.
    t_h = (0.69 + 300 / 96) / 3600
    e_min_kwh = t_h * (5.6 * 0.055 + 4.6 * 0.0625) * 1.12
    e_max_kwh = t_h * (5.6 * 0.075 + 4.6 * 0.0625) * 1.12
    duration_s = footprint.query_duration_s(0.69, 300, 96)
    it_min = duration_s * footprint.it_power_w(5600, 0.055, 4600, 0.0625)
    it_max = duration_s * footprint.it_power_w(5600, 0.075, 4600, 0.0625)
    result = footprint.footprint_range(it_min, it_max, 0.5, AZURE)
    assert result.energy_wh.min == pytest.approx(e_min_kwh * 1000, rel=1e-12)
    assert result.energy_wh.max == pytest.approx(e_max_kwh * 1000, rel=1e-12)
    e_exp = 0.5 * (e_min_kwh + e_max_kwh)
    assert result.energy_wh.mean == pytest.approx(e_exp * 1000, rel=1e-12)
    site_l = e_exp / 1.12 * 0.3
    source_l = e_exp * 4.35
    assert result.water_ml.site.mean == pytest.approx(site_l * 1000, rel=1e-12)
    assert result.water_ml.source.mean == pytest.approx(source_l * 1000, rel=1e-12)
    assert result.water_ml.mean == pytest.approx((site_l + source_l) * 1000, rel=1e-12)
    assert result.carbon_g.max == pytest.approx(e_max_kwh * 0.34 * 1000, rel=1e-12)
    assert result.it_energy_wh.mean == pytest.approx(e_exp * 1000 / 1.12, rel=1e-12)


def test_expected_value_weights_the_bounds() -> None:
    assert footprint.expected(1.0, 3.0, 0.5) == 2.0
    assert footprint.expected(1.0, 3.0, 1.0) == 3.0
    assert footprint.expected(1.0, 3.0, 0.0) == 1.0


def test_samples_give_ddof1_std_and_bound_means() -> None:
    result = footprint.footprint_samples(
        [1.0, 2.0, 3.0], [0.5, 1.5, 2.5], [1.5, 2.5, 3.5], Multipliers(1.0, 0.0, 0.0, 0.0)
    )
    wh = 1 / 3600
    assert result.it_energy_wh.mean == pytest.approx(2 * wh)
    assert result.it_energy_wh.std == pytest.approx(1 * wh)
    assert result.it_energy_wh.min == pytest.approx(1.5 * wh)
    assert result.it_energy_wh.max == pytest.approx(2.5 * wh)
    assert result.it_energy_wh.p5 == pytest.approx(1.1 * wh)
    assert result.water_ml.mean == 0.0


def test_embodied_carbon_amortises_by_time_and_share() -> None:
    # One hour on 1 of 8 A100s (143 kg) in a 3,000 kg server, 5-year life, batch of 8.
    grams = footprint.embodied_carbon_g(3600, 5, 1, 8, 143, 3000, 8)
    expected = 1000 * (1 / (5 * 8760)) * (143 + 3000 / 8) / 8
    assert grams == pytest.approx(expected, rel=1e-12)
    assert math.isfinite(grams) and grams > 0


def test_percentile_interpolates_like_numpy() -> None:
    assert footprint.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert footprint.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)


def test_a_spread_too_large_for_a_float_is_infinite_not_an_overflow_error() -> None:
    """Draws near 1e300 (flags of 1e149 kW): fsum of their squares raises; the std is inf,
    which the estimate then reports as one input error (``estimation.estimate._finite``)."""
    import math

    from ecoai.footprint import summarise

    draws = [1e300, -1e300, 1e300, -1e300]
    stat = summarise(draws, draws, draws, with_spread=True)
    assert stat.std == math.inf
