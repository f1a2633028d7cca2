"""Simulated long profile: drive ``Sampler.tick()`` with a fake clock for days at 0.1 s.

Run: python tests/benchmarks/bench_longrun.py [DAYS [--json]]   (default 7: 6 million rounds)
Two constant sensors (a 300 W counter and a 100 W power sensor that fails every 100,000th
read), a one-second gap every simulated hour, and the run's Timeline listening. Prints the
rounds, the wall time, peak RSS, RSS growth after the first simulated day, and the timeline.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ecoai.measurement.sampler import MAX_GAPS, Sampler, Timeline
from ecoai.sensors import Reading

COUNTER_W = 300.0
POWER_W = 100.0
FAIL_EVERY = 100_000
DAY_S = 86_400.0


class SimClock:
    """The simulated time. Units: s."""

    now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


@dataclass
class SimSensor:
    """A constant-power sensor on the simulated clock: a counter (J) or a power reading (W)."""

    name: str
    method: str
    power_w: float
    clock: SimClock
    fail_every: int = 0
    component: str = "gpu"
    scope: str = "device"
    reads: int = 0

    def __post_init__(self) -> None:
        self.facts: dict[str, str] = {}
        self.assumptions: list[str] = []

    def read(self) -> Reading:
        self.reads += 1
        if self.fail_every and self.reads % self.fail_every == 0:
            raise OSError("simulated read failure")
        if self.method == "power":
            return Reading(self.clock.now_s, power_w=self.power_w)
        return Reading(self.clock.now_s, energy_j=self.power_w * self.clock.now_s)

    def close(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True)
class LongRun:
    """What a simulated run kept. Units: s, bytes, J, W."""

    ticks: int
    simulated_s: float
    wall_s: float
    peak_rss_bytes: int
    rss_growth_bytes: int
    """Resident memory at the end minus after the first simulated day (or first tenth)."""
    traced_growth_bytes: int | None
    """With ``trace``: tracemalloc's peak of memory allocated after warm-up and still growing."""
    energy_j: dict[str, float]
    errors: int
    gap_count: int
    gaps_kept: int
    timeline: list[tuple[float, float]]
    timeline_stride: int


def peak_rss_bytes() -> int:
    """This process's peak resident set (VmHWM). Not ru_maxrss: after fork and exec, Linux keeps
    the parent's peak in it. Units: bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def rss_bytes() -> int:
    """Current resident set size, from /proc (no psutil needed). Units: bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def simulate(days: float = 7.0, interval_s: float = 0.1, trace: bool = False) -> LongRun:
    """Tick a Sampler for ``days`` of simulated time; see the module docstring."""
    clock = SimClock()
    sensors = [
        SimSensor("gpu:0", "counter", COUNTER_W, clock),
        SimSensor("cpu:model", "power", POWER_W, clock, FAIL_EVERY, "cpu", "machine"),
    ]
    sampler = Sampler(sensors, interval_s=interval_s, clock=clock)  # type: ignore[arg-type]
    sampler.mark()  # the origin; a counter has no power until its second read
    timeline = Timeline()
    sampler.add_listener(timeline)
    ticks = round(days * DAY_S / interval_s)
    per_hour = round(3600 / interval_s)
    warm_up = min(round(DAY_S / interval_s), ticks // 10)
    rss_after_warm_up = 0
    start = time.perf_counter()
    for index in range(1, ticks + 1):
        clock.now_s += interval_s + (1.0 if index % per_hour == 0 else 0.0)
        sampler.tick()
        if index == warm_up:
            rss_after_warm_up = rss_bytes()
            if trace:
                tracemalloc.start()
    wall_s = time.perf_counter() - start
    traced = None
    if trace:
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return LongRun(
        ticks=ticks,
        simulated_s=clock.now_s,
        wall_s=wall_s,
        peak_rss_bytes=peak_rss_bytes(),
        rss_growth_bytes=rss_bytes() - rss_after_warm_up,
        traced_growth_bytes=traced,
        energy_j={name: tally.energy_j for name, tally in sampler.tallies.items()},
        errors=sampler.read_errors,
        gap_count=sampler.gap_count,
        gaps_kept=len(sampler.gaps),
        timeline=timeline.snapshot(),
        timeline_stride=timeline.stride,
    )


def main() -> None:
    days = float(sys.argv[1]) if len(sys.argv) > 1 else 7.0
    run = simulate(days)
    if "--json" in sys.argv[2:]:
        print(json.dumps(dataclasses.asdict(run)))
        return
    days_done = run.simulated_s / DAY_S
    print(f"{run.ticks:,} rounds ({days_done:.2f} simulated days) in {run.wall_s:.1f} s")
    growth_mib = run.rss_growth_bytes / 2**20
    print(
        f"peak RSS {run.peak_rss_bytes / 2**20:.1f} MiB; growth after warm-up {growth_mib:.2f} MiB"
    )
    print(f"timeline: {len(run.timeline)} points, stride {run.timeline_stride}")
    print(
        f"gaps kept {run.gaps_kept} of {run.gap_count} (cap {MAX_GAPS}); read errors {run.errors}"
    )


if __name__ == "__main__":
    main()
