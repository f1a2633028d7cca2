"""Overhead benchmark of `ecoai profile` (not part of the test suite).

Run: python tests/benchmarks/bench_profile.py [RUNS]   (nothing else busy on the machine)
Prints, each beside its target:
- the fixed cost: median wall time of `ecoai profile -- python -c pass` minus `python -c pass`;
- the wall-time ratio of a ~10 s fixed-work CPU workload profiled vs run plain (default 0.1 s);
- the sampler thread's CPU time per second of wall time at 10 Hz and 100 Hz, with the sensors
  this machine offers.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "tests" / "data" / "fixed_work.py"
PROFILE = [sys.executable, "-m", "ecoai", "profile", "-q", "--"]  # default host and grid
ENV = dict(os.environ, PYTHONPATH=str(REPO))


def wall_s(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_s(argv: list[str], runs: int) -> float:
    """Median wall time over ``runs`` runs, after one warm-up run."""
    wall_s(argv)
    return statistics.median(wall_s(argv) for _ in range(runs))


def fixed_cost_s(runs: int) -> tuple[float, float, float]:
    plain = median_s([sys.executable, "-c", "pass"], runs)
    profiled = median_s([*PROFILE, sys.executable, "-c", "pass"], runs)
    return plain, profiled, profiled - plain


def workload_ratio(
    target_s: float = 10.0, pairs: int = 5, interval_s: float | None = None
) -> tuple[float, float, float]:
    """Median plain and profiled wall times of the same fixed work, and the median of the
    per-pair ratios (runs interleaved, so drifts of the machine hit both sides alike).
    ``interval_s``: the sampling interval (None: profile's default)."""
    profile = (
        PROFILE if interval_s is None else [*PROFILE[:-1], "--interval-s", f"{interval_s}", "--"]
    )
    calibrate = 1000
    rounds = int(calibrate * target_s / wall_s([sys.executable, str(WORK), str(calibrate)]))
    plain, profiled = [], []
    for _ in range(pairs):
        plain.append(wall_s([sys.executable, str(WORK), str(rounds)]))
        profiled.append(wall_s([*profile, sys.executable, str(WORK), str(rounds)]))
    ratios = [q / p for p, q in zip(plain, profiled, strict=True)]
    return statistics.median(plain), statistics.median(profiled), statistics.median(ratios)


def sampler_ms_per_s(interval_s: float, duration_s: float = 10.0) -> tuple[int, float]:
    """(sensors, sampler CPU ms per wall second) with this machine's sensors."""
    sys.path.insert(0, str(REPO))
    from ecoai.measurement.sampler import Sampler
    from ecoai.sensors import SensorRequest, discover

    found = discover(SensorRequest())
    sampler = Sampler(found.sensors, interval_s=interval_s)
    start = sampler.start()
    time.sleep(duration_s)
    end = sampler.stop()
    found.close()
    return len(found.sensors), sampler.overhead_cpu_s / (end.t_s - start.t_s) * 1e3


def sleep_floor_ms_per_s(hz: int, duration_s: float = 5.0) -> float:
    """CPU time of a bare thread doing nothing but sleep at ``hz``: this machine's wake-up cost."""
    import threading

    result: list[float] = []

    def loop() -> None:
        for _ in range(int(duration_s * hz)):
            time.sleep(1.0 / hz)
        result.append(time.thread_time())

    thread = threading.Thread(target=loop)
    start = time.perf_counter()
    thread.start()
    thread.join()
    return result[0] / (time.perf_counter() - start) * 1e3


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    plain, profiled, cost = fixed_cost_s(runs)
    print(f"{'measure':<52}{'value':>12}  target")
    print(f"{f'python -c pass (median of {runs})':<52}{plain:>11.3f}s")
    print(f"{'ecoai profile -- python -c pass (median)':<52}{profiled:>11.3f}s")
    print(f"{'fixed cost of ecoai profile':<52}{cost:>11.3f}s  < 0.100 s")
    p, q, ratio = workload_ratio()
    print(f"{'~10 s CPU workload, plain (median of 5)':<52}{p:>11.2f}s")
    print(f"{'~10 s CPU workload, profiled at 0.1 s (median of 5)':<52}{q:>11.2f}s")
    print(f"{'wall-time ratio profiled / plain (median of pairs)':<52}{ratio:>12.4f}  <= 1.01")
    for hz in (10, 100):
        sensors, ms = sampler_ms_per_s(1.0 / hz)
        target = "< 0.5 ms/s" if hz == 10 else ""
        print(f"{f'sampler CPU at {hz} Hz ({sensors} sensors)':<52}{ms:>9.3f}ms/s  {target}")
        floor = sleep_floor_ms_per_s(hz)
        print(f"{f'  floor: a thread only sleeping at {hz} Hz':<52}{floor:>9.3f}ms/s")


if __name__ == "__main__":
    main()
