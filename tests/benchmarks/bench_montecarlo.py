"""Benchmark: the paper's Monte Carlo (10,000 draws) and a preset estimate, against the target.

Run from the repository root: ``python tests/benchmarks/bench_montecarlo.py``. Prints the best of
several repeats, in ms. Target: under 50 ms for the 10,000 draws (issue 3).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ecoai import footprint
from ecoai.estimation.estimate import estimate
from ecoai.estimation.montecarlo import draw_pairs
from ecoai.inputs.catalog import load_catalog, preset_layer
from ecoai.inputs.resolve import resolve

SAMPLES = 10_000
TTFT_S = [0.54, 0.63, 0.74, 0.82, 1.23]  # gpt-4.1-nano, long (profiles/models.toml)
TPS = [93.0, 107.0, 114.0, 130.0, 133.0]


def best_ms(func: Callable[[], object], repeats: int = 7) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best * 1000.0


def draws_and_formula() -> None:
    ttft_s, tps = draw_pairs(TTFT_S, TPS, SAMPLES, seed=0)
    low_w, high_w = 5600 * 0.017 + 4600 * 0.016, 5600 * 0.025 + 4600 * 0.016
    durations = [footprint.query_duration_s(t, 1500, r) for t, r in zip(ttft_s, tps, strict=True)]
    lows = [d * low_w for d in durations]
    highs = [d * high_w for d in durations]
    exps = [footprint.expected(lo, hi, 0.5) for lo, hi in zip(lows, highs, strict=True)]
    footprint.footprint_samples(exps, lows, highs, footprint.Multipliers(1.12, 0.3, 4.35, 340.0))


def rows() -> list[tuple[str, float, float | None]]:
    """(what, best ms, target ms or None)."""
    catalog = load_catalog()
    flags = {"model": "gpt-4.1-nano", "prompt": "long"}
    return [
        ("draw_pairs, 10,000 draws", best_ms(lambda: draw_pairs(TTFT_S, TPS, SAMPLES, 0)), 50.0),
        ("draws + per-draw formula + summary", best_ms(draws_and_formula), None),
        ("load_catalog (built-in profiles)", best_ms(load_catalog), None),
        ("preset_layer gpt-4.1-nano long", best_ms(lambda: preset_layer(catalog, flags)), None),
        ("resolve + estimate (preset, 10,000)", best_ms(lambda: estimate(resolve(None, flags))),
         None),
    ]  # fmt: skip


def main() -> None:
    print(f"{'what':40} {'best ms':>9} {'target ms':>10}  ok")
    for name, ms, target in rows():
        verdict = "" if target is None else ("yes" if ms < target else "NO")
        print(f"{name:40} {ms:9.1f} {'' if target is None else f'{target:.0f}':>10}  {verdict}")


if __name__ == "__main__":
    main()
