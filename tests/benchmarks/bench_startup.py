"""Start-up benchmark: median wall time of `ecoai --help` and `ecoai estimate --json`.

Run: python tests/benchmarks/bench_startup.py [RUNS]   (not part of the test suite)
Prints one row per command with its median over RUNS runs beside `python -c pass`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ESTIMATE_FLAGS = [
    "--output-tokens", "300", "--tps", "96", "--ttft", "0.69", "--p-gpu-kw", "5.6",
    "--p-non-gpu-kw", "4.6", "--u-gpu-min", "0.055", "--u-gpu-max", "0.075", "--u-non-gpu",
    "0.0625", "--pue", "1.12", "--wue-site", "0.3", "--wue-source", "4.35", "--cif", "0.34",
]  # fmt: skip
TARGET_ESTIMATE_S = 0.3


def median_s(argv: list[str], runs: int) -> float:
    """Median wall time of running ``argv`` ``runs`` times (after one warm-up run)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    times = []
    for index in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        if index:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def rows(runs: int = 10) -> list[tuple[str, float, str]]:
    """(what, median seconds, target) rows."""
    py = [sys.executable]
    return [
        ("python -c pass", median_s([*py, "-c", "pass"], runs), ""),
        ("ecoai --help", median_s([*py, "-m", "ecoai", "--help"], runs), ""),
        ("ecoai estimate --json (flags)",
         median_s([*py, "-m", "ecoai", "estimate", *ESTIMATE_FLAGS, "--json"], runs),
         f"< {TARGET_ESTIMATE_S} s"),
        ("ecoai estimate --model gpt-4.1 --prompt short --json",
         median_s([*py, "-m", "ecoai", "estimate", "--model", "gpt-4.1", "--prompt", "short",
                   "--json"], runs), f"< {TARGET_ESTIMATE_S} s"),
    ]  # fmt: skip


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    table = rows(runs)
    base = table[0][1]
    print(f"{'command':55} {'median s':>9} {'vs python':>10}  target")
    for what, seconds, target in table:
        print(f"{what:55} {seconds:9.3f} {seconds / base:9.2f}x  {target}")


if __name__ == "__main__":
    main()
