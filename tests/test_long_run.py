"""Long runs: a simulated week of sampling stays bounded; a real profile's RSS does not grow.

The simulation drives ``Sampler.tick()`` with a fake clock (tests/benchmarks/bench_longrun.py);
the soak test runs the real CLI for ECOAI_SOAK_S seconds (default 60; 600 for the full soak).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchmarks.bench_longrun import COUNTER_W, DAY_S, FAIL_EVERY, POWER_W, LongRun, simulate
from conftest import cli_env

from ecoai.measurement.sampler import MAX_GAPS

KIB = 1024


def check_usable(run: LongRun, interval_s: float = 0.1) -> None:
    """Totals exact, bounded lists, and a timeline covering the whole run at the right power."""
    assert run.energy_j["gpu:0"] == pytest.approx(COUNTER_W * run.simulated_s, rel=1e-9)
    assert run.energy_j["cpu:model"] == pytest.approx(POWER_W * run.simulated_s, rel=1e-6)
    assert run.errors == run.ticks // FAIL_EVERY
    assert run.gap_count == run.ticks // round(3600 / interval_s)
    assert run.gaps_kept == min(run.gap_count, MAX_GAPS)
    assert 64 <= len(run.timeline) <= 256
    times = [t for t, _ in run.timeline]
    assert times == sorted(times) and times[0] <= 1.0
    assert times[-1] >= run.simulated_s - run.timeline_stride * interval_s * 2
    assert all(p == pytest.approx(COUNTER_W + POWER_W, rel=1e-6) for _, p in run.timeline)


def test_simulated_six_hours_allocates_nothing_that_stays() -> None:
    """After warm-up, tracemalloc's peak of new allocations is a few KiB, not per round."""
    run = simulate(days=0.25, trace=True)
    check_usable(run)
    assert run.traced_growth_bytes is not None and run.traced_growth_bytes < 64 * KIB


@pytest.mark.slow
def test_simulated_week_at_default_interval_stays_bounded() -> None:
    run = simulate(days=7.0)
    assert run.ticks == 6_048_000 and run.simulated_s >= 7 * DAY_S
    check_usable(run)
    assert run.rss_growth_bytes < 1024 * KIB  # 6 million rounds: one byte each would be 6 MiB


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1])


@pytest.mark.slow
def test_real_profile_soak_rss_does_not_grow(tmp_path: Path) -> None:
    soak_s = float(os.environ.get("ECOAI_SOAK_S", "60"))
    script = tmp_path / "sensors.json"
    sensors = [{"name": "gpu:0", "power_w": 300}, {"name": "gpu:1", "method": "power",
               "power_w": 100}]  # fmt: skip
    script.write_text(json.dumps({"sensors": sensors}), encoding="utf-8")
    env = cli_env(ECOAI_FAKE_SENSORS=str(script))
    argv = [sys.executable, "-m", "ecoai", "profile", "-q", "--interval-s", "0.01", "-o",
            str(tmp_path / "r.json"), "--", "sleep", str(soak_s)]  # fmt: skip
    child = subprocess.Popen(argv, env=env, cwd=tmp_path)
    readings = []
    start = time.monotonic()
    while child.poll() is None:
        time.sleep(min(1.0, soak_s / 20))
        if child.poll() is None:
            readings.append((time.monotonic() - start, _rss_kib(child.pid)))
    assert child.returncode == 0
    after_warm_up = [kib for t_s, kib in readings if t_s >= soak_s * 0.2]
    growth_kib = after_warm_up[-1] - after_warm_up[0]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    print(f"soak {soak_s:g} s at 100 Hz: RSS {after_warm_up[0]} -> {after_warm_up[-1]} KiB")
    print("RSS KiB over time (every 10th):", [kib for _, kib in readings][::10])
    assert growth_kib < 512, readings
    assert report["total"]["it_energy_wh"]["mean"] == pytest.approx(400 * soak_s / 3600, rel=0.05)
