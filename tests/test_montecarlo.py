"""The paper's Monte Carlo of (TTFT, TPS): determinism, clipping, interpolation, the copula."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from ecoai.estimation.montecarlo import draw_pairs, interpolate, normal_cdf, running_max

LEVELS = [0.05, 0.25, 0.5, 0.75, 0.95]
TTFT = [0.51, 0.59, 0.69, 0.73, 0.96]
TPS = [45.0, 64.0, 96.0, 131.0, 141.0]


def test_same_seed_same_draws_bit_for_bit() -> None:
    assert draw_pairs(TTFT, TPS, 500, seed=3) == draw_pairs(TTFT, TPS, 500, seed=3)
    assert draw_pairs(TTFT, TPS, 500, seed=3) != draw_pairs(TTFT, TPS, 500, seed=4)


def test_shapes() -> None:
    ttft_s, tps = draw_pairs(TTFT, TPS, 1234, seed=0)
    assert len(ttft_s) == len(tps) == 1234


def test_draws_stay_between_p5_and_p95() -> None:
    ttft_s, tps = draw_pairs(TTFT, TPS, 5000, seed=1)
    assert min(ttft_s) == TTFT[0] and max(ttft_s) == TTFT[-1]  # u clipped to [0.05, 0.95]
    assert min(tps) == TPS[0] and max(tps) == TPS[-1]
    assert sum(t == TTFT[0] for t in ttft_s) == pytest.approx(0.05 * 5000, rel=0.2)


def test_interpolation_by_hand() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert interpolate(0.375, values) == pytest.approx(2.5)  # halfway between P25 and P50
    assert interpolate(0.15, [0.0, 10.0, 20.0, 30.0, 40.0]) == pytest.approx(5.0)
    assert interpolate(0.85, [0.0, 10.0, 20.0, 30.0, 40.0]) == pytest.approx(35.0)
    assert [interpolate(u, values) for u in LEVELS] == values
    assert interpolate(0.01, values) == 1.0 and interpolate(0.999, values) == 5.0


def test_running_max_makes_percentiles_non_decreasing() -> None:
    assert running_max([1.0, 0.5, 2.0, 1.5, 3.0]) == [1.0, 1.0, 2.0, 2.0, 3.0]
    ttft_s, _ = draw_pairs([1.0, 0.5, 2.0, 1.5, 3.0], TPS, 2000, seed=2)
    assert min(ttft_s) == 1.0


def test_normal_cdf() -> None:
    assert normal_cdf(0.0) == 0.5
    assert normal_cdf(1.959963984540054) == pytest.approx(0.975, abs=1e-12)
    assert normal_cdf(-1.0) == pytest.approx(0.15865525393145707, abs=1e-12)


def test_copula_wiring_by_hand() -> None:
    """With percentiles equal to their levels, the draws are the clipped copula u's themselves."""
    rho, seed = -0.3, 11
    ttft_s, tps = draw_pairs(LEVELS, LEVELS, 4, seed=seed, rho=rho)
    gauss = random.Random(seed).gauss
    for got_l, got_r in zip(ttft_s, tps, strict=True):
        z0, z1 = gauss(), gauss()
        zc1 = rho * z0 + math.sqrt(1 - rho * rho) * z1
        assert got_l == pytest.approx(min(max(normal_cdf(z0), 0.05), 0.95), abs=1e-15)
        assert got_r == pytest.approx(min(max(normal_cdf(zc1), 0.05), 0.95), abs=1e-15)


def test_correlation_follows_rho() -> None:
    ttft_s, tps = draw_pairs(LEVELS, LEVELS, 10_000, seed=5, rho=-0.3)
    # Uniform margins of a Gaussian copula: r = (6 / pi) asin(rho / 2) = -0.287 before clipping.
    assert -0.32 < statistics.correlation(ttft_s, tps) < -0.25
    ttft_s, tps = draw_pairs(LEVELS, LEVELS, 10_000, seed=5, rho=0.0)
    assert abs(statistics.correlation(ttft_s, tps)) < 0.03


def test_tps_floor() -> None:
    _, tps = draw_pairs(TTFT, [0.0] * 5, 10, seed=0)
    assert tps == [1e-9] * 10


BAD_ARGUMENTS = [
    (TTFT[:4], TPS, 10, -0.3),
    (TTFT, [*TPS, 1.0], 10, -0.3),
    (TTFT, TPS, 0, -0.3),
    (TTFT, TPS, 10, -1.5),
]


@pytest.mark.parametrize(("ttft", "tps", "samples", "rho"), BAD_ARGUMENTS)
def test_bad_arguments(ttft: list[float], tps: list[float], samples: int, rho: float) -> None:
    with pytest.raises(ValueError):
        draw_pairs(ttft, tps, samples, seed=0, rho=rho)


def reference_pairs(
    ttft_q: list[float], tps_q: list[float], samples: int, seed: int, rho: float
) -> tuple[list[float], list[float]]:
    """The copula as README Method §2 writes it, through ``random.gauss``: draw_pairs inlines
    gauss for speed and must give the same draws bit for bit."""
    gauss = random.Random(seed).gauss
    ttft_q, tps_q = running_max(ttft_q), running_max(tps_q)
    cross = math.sqrt(1.0 - rho * rho)
    ttft_s, tps = [], []
    for _ in range(samples):
        z0 = gauss()
        z1 = rho * z0 + cross * gauss()
        ttft_s.append(interpolate(normal_cdf(z0), ttft_q))
        tps.append(max(interpolate(normal_cdf(z1), tps_q), 1e-9))
    return ttft_s, tps


@pytest.mark.parametrize("seed", [0, 1, 7, 12345, 2**40])
@pytest.mark.parametrize("rho", [-1.0, -0.3, 0.0, 0.5, 1.0])
def test_draws_equal_the_reference_through_random_gauss(seed: int, rho: float) -> None:
    for ttft, tps in [(TTFT, TPS), ([1.0, 0.5, 2.0, 1.5, 3.0], [0.0] * 5), (LEVELS, LEVELS)]:
        assert draw_pairs(ttft, tps, 2001, seed, rho) == reference_pairs(ttft, tps, 2001, seed, rho)
