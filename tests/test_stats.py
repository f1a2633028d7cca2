"""Student-t tails against closed forms and tables; Welch and bootstrap on seeded data."""

from __future__ import annotations

import math
import random

import pytest

from ecoai.comparison import stats


@pytest.mark.parametrize("t", [-3.0, -0.2, 0.0, 0.5, 2.0, 10.0])
def test_t_tail_matches_closed_forms_for_one_and_two_df(t: float) -> None:
    # df = 1 is the Cauchy distribution; df = 2 has a closed form too.
    assert stats.student_t_sf(t, 1) == pytest.approx(0.5 - math.atan(t) / math.pi, abs=1e-12)
    assert stats.student_t_sf(t, 2) == pytest.approx(
        0.5 - t / (2 * math.sqrt(2 + t * t)), abs=1e-12
    )


@pytest.mark.parametrize(
    ("t", "df", "tail"),
    [(2.228138851986274, 10, 0.025), (2.015048372669157, 5, 0.05), (1.6448536269514722, 1e7, 0.05)],
)
def test_t_tail_matches_table_quantiles(t: float, df: float, tail: float) -> None:
    assert stats.student_t_sf(t, df) == pytest.approx(tail, rel=1e-6)


def test_incomplete_beta_matches_binomial_sum() -> None:
    # I_x(a, n - a + 1) = P(Binomial(n, x) >= a); here a = 2, n = 4, x = 0.4.
    expected = 1 - sum(math.comb(4, j) * 0.4**j * 0.6 ** (4 - j) for j in range(2))
    assert stats.betainc(2, 3, 0.4) == pytest.approx(expected, rel=1e-12)
    assert stats.betainc(2, 3, 0.0) == 0.0
    assert stats.betainc(2, 3, 1.0) == 1.0


def test_welch_by_hand() -> None:
    # means 2 and 5, variances 1 and 1, n = 3 each: t = 3 / sqrt(2/3), df = 4.
    result = stats.welch_t([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert result.statistic == pytest.approx(3 / math.sqrt(2 / 3))
    assert result.df == pytest.approx(4.0)
    # Student-t CDF closed form for df = 4.
    t = 3 / math.sqrt(2 / 3)
    tail = 0.5 - 3 / 8 * t / math.sqrt(1 + t * t / 4) * (1 - t * t / (12 * (1 + t * t / 4)))
    assert result.p_value == pytest.approx(tail, rel=1e-10)
    assert result.p_value == pytest.approx(0.0106558, rel=1e-5)


def _noisy(rng: random.Random, centre: float, n: int = 10, rel_sd: float = 0.03) -> list[float]:
    return [rng.gauss(centre, centre * rel_sd) for _ in range(n)]


def test_same_distribution_is_not_significant_but_a_10pct_regression_is() -> None:
    rng = random.Random(42)
    before, same, worse = _noisy(rng, 100.0), _noisy(rng, 100.0), _noisy(rng, 110.0)
    null = stats.welch_t(before, same)
    real = stats.welch_t(before, worse)
    assert null.p_value is not None and null.p_value > 0.05
    assert real.p_value is not None and real.p_value < 1e-6


def test_bootstrap_interval_brackets_the_ratio_and_is_seeded() -> None:
    rng = random.Random(7)
    before, worse = _noisy(rng, 100.0), _noisy(rng, 110.0)
    first = stats.bootstrap_ratio(before, worse, 0.95, seed=3, resamples=2000)
    again = stats.bootstrap_ratio(before, worse, 0.95, seed=3, resamples=2000)
    assert first == again
    assert first.interval is not None
    low, high = first.interval
    assert 1.0 < low < stats.mean(worse) / stats.mean(before) < high < 1.2


def test_one_sample_t_by_hand() -> None:
    result = stats.one_sample_t([1.0, 2.0, 3.0], 1.0)
    # mean 2, sd 1, n 3: t = 1 / (1 / sqrt 3) = sqrt 3, df = 2.
    assert result.statistic == pytest.approx(math.sqrt(3))
    assert result.p_value == pytest.approx(0.5 - math.sqrt(3) / (2 * math.sqrt(5)))
