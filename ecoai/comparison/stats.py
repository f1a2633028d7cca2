"""Pure statistics for noise-aware gates: Welch's t-test and a seeded bootstrap on a ratio.

The Student-t tail uses the regularized incomplete beta function, evaluated by the continued
fraction of Numerical Recipes (Press et al., 3rd ed., §6.4); no SciPy or NumPy needed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ecoai.footprint import percentile

_EPS = 1e-15
_TINY = 1e-300
_MAX_ITERATIONS = 500


@dataclass(frozen=True)
class TestResult:
    """Outcome of a one-sided test that the candidate is larger than the reference."""

    name: str
    """``welch-t``, ``one-sample-t`` or ``bootstrap-ratio``."""
    p_value: float | None = None
    statistic: float | None = None
    df: float | None = None
    interval: tuple[float, float] | None = None
    """Bootstrap confidence interval on the candidate / reference ratio."""


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _unit_scale(*groups: Sequence[float]) -> list[list[float]]:
    """Each group divided by the largest magnitude of all: every test here is scale-invariant,
    and figures near 1e308 (or 1e-320) would otherwise overflow (or underflow) when squared."""
    scale = max(map(abs, [x for group in groups for x in group]), default=0.0)
    if scale == 0.0 or not math.isfinite(scale):
        return [list(group) for group in groups]
    return [[x / scale for x in group] for group in groups]


def variance(values: Sequence[float]) -> float:
    """Sample variance (ddof = 1)."""
    return _variance(values, mean(values))


def _variance(values: Sequence[float], centre: float) -> float:
    """Sample variance (ddof = 1) of ``values`` whose mean is ``centre``."""
    return math.fsum([(x - centre) ** 2 for x in values]) / (len(values) - 1)


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    # The continued fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (modified Lentz's method)."""
    tiny, eps = _TINY, _EPS
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if d > tiny or d < -tiny else tiny)  # abs(d) > tiny, without a call
    h = d
    for m in range(1, _MAX_ITERATIONS + 1):
        # The even then the odd step of the fraction, written out (not a loop over a tuple of
        # the two numerators: 15,000 tests for 10,000 reports, issue 16); same operations.
        m2 = 2 * m
        numerator = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2))
        d = 1.0 + numerator * d
        d = 1.0 / (d if d > tiny or d < -tiny else tiny)
        c = 1.0 + numerator / c
        c = c if c > tiny or c < -tiny else tiny
        h *= d * c
        numerator = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))
        d = 1.0 + numerator * d
        d = 1.0 / (d if d > tiny or d < -tiny else tiny)
        c = 1.0 + numerator / c
        c = c if c > tiny or c < -tiny else tiny
        step = d * c
        h *= step
        if -eps < step - 1.0 < eps:
            return h
    return h


def student_t_sf(t: float, df: float) -> float:
    """Upper tail P(T > t) of Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t >= 0 else 1.0 - tail


def welch_t(reference: Sequence[float], candidate: Sequence[float]) -> TestResult:
    """Welch's t-test, one-sided: is mean(candidate) > mean(reference)? Needs >= 2 values each."""
    return TestResult("welch-t", *welch_figures(reference, candidate))


def welch_figures(
    reference: Sequence[float], candidate: Sequence[float]
) -> tuple[float, float | None, float | None]:
    """``welch_t``'s p-value, t statistic and degrees of freedom, without the ``TestResult``
    (compare runs 10,000 of them for 10,000 reports). None and None for no spread at all."""
    reference, candidate = _unit_scale(reference, candidate)
    n_r, n_c = len(reference), len(candidate)
    mean_r, mean_c = math.fsum(reference) / n_r, math.fsum(candidate) / n_c
    var_r = _variance(reference, mean_r) / n_r
    var_c = _variance(candidate, mean_c) / n_c
    diff = mean_c - mean_r
    if var_r + var_c == 0.0:
        return 0.0 if diff > 0 else 1.0, None, None
    t = diff / math.sqrt(var_r + var_c)
    # Welch-Satterthwaite degrees of freedom.
    df = (var_r + var_c) ** 2 / (var_r**2 / (n_r - 1) + var_c**2 / (n_c - 1))
    return student_t_sf(t, df), t, df


def one_sample_t(values: Sequence[float], limit: float) -> TestResult:
    """One-sample t-test, one-sided: is the mean of ``values`` > ``limit``? Needs >= 2 values."""
    return TestResult("one-sample-t", *one_sample_figures(values, limit))


def one_sample_figures(
    values: Sequence[float], limit: float
) -> tuple[float, float | None, float | None]:
    """``one_sample_t``'s p-value, t statistic and degrees of freedom, without the
    ``TestResult``. None and None when the values do not vary."""
    values, (limit,) = _unit_scale(values, [limit])
    n = len(values)
    centre = math.fsum(values) / n
    spread = math.sqrt(_variance(values, centre) / n)
    diff = centre - limit
    if spread == 0.0:
        return 0.0 if diff > 0 else 1.0, None, None
    t = diff / spread
    return student_t_sf(t, float(n - 1)), t, float(n - 1)


def bootstrap_ratio(
    reference: Sequence[float],
    candidate: Sequence[float],
    confidence: float,
    *,
    seed: int = 0,
    resamples: int = 10_000,
) -> TestResult:
    """Percentile bootstrap interval of mean(candidate) / mean(reference), seeded (Efron 1979).

    The interval is one-sided at ``confidence``: the low end is the (1 - confidence) quantile,
    the high end the confidence quantile, so ``low > 1 + threshold`` is a significant increase.
    """
    reference, candidate = _unit_scale(reference, candidate)
    rng = random.Random(seed)
    ratios = sorted(
        mean(rng.choices(candidate, k=len(candidate)))
        / mean(rng.choices(reference, k=len(reference)))
        for _ in range(resamples)
    )
    low = percentile(ratios, (1.0 - confidence) * 100.0)
    high = percentile(ratios, confidence * 100.0)
    return TestResult("bootstrap-ratio", interval=(low, high))
