"""Interleaved timing of commands: wall time and CPU time (user + system) of each run.

The machine these benchmarks run on is usually shared, so one command's figures are never
taken in a block: every round runs each command once, in turn, and the figures are medians over
rounds with their min and max. A drift of the machine's load then hits every command alike.

Run: python tests/benchmarks/timing.py RUNS -- CMD1 -- CMD2 ...   (quick comparisons by hand)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(REPO))


def compile_once() -> None:
    """Compile ecoai's modules to .pyc once, before anything is timed.

    An installed ecoai has its .pyc files; an editable checkout run with
    PYTHONDONTWRITEBYTECODE=1 (as on the machines these figures come from) would otherwise
    compile every module it imports on every run (~40 ms of start-up that no user pays).
    Python reads .pyc files whatever PYTHONDONTWRITEBYTECODE says."""
    import compileall

    compileall.compile_dir(str(REPO / "ecoai"), quiet=1)


@dataclass(frozen=True)
class Spread:
    """Median with min and max of one figure over interleaved runs."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values), len(values))

    def scaled(self, factor: float) -> Spread:
        return Spread(self.median * factor, self.low * factor, self.high * factor, self.runs)

    def minus(self, other: Spread) -> Spread:
        """Difference of medians, with the extreme differences the spreads allow (low, high)."""
        return Spread(
            self.median - other.median, self.low - other.high, self.high - other.low, self.runs
        )


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    max_rss_bytes: int


def run_once(argv: Sequence[str], ok: tuple[int, ...] = (0,)) -> Run:
    """Run ``argv`` once: wall time, CPU time (user + system), peak RSS (its own)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        list(argv),
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall_s = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)[:200]} exited {child.returncode}")
    return Run(wall_s, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)


def interleaved(commands: Sequence[Sequence[str]], runs: int, warmup: int = 1) -> list[list[Run]]:
    """Each command ``runs`` times, round-robin (after ``warmup`` rounds not kept)."""
    results: list[list[Run]] = [[] for _ in commands]
    for index in range(warmup + runs):
        for slot, argv in enumerate(commands):
            done = run_once(argv)
            if index >= warmup:
                results[slot].append(done)
    return results


def interleaved_calls(calls: Sequence[Callable[[], float]], runs: int) -> list[Spread]:
    """Each call ``runs`` times, round-robin; the spread of the figure each returns."""
    results: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for slot, call in enumerate(calls):
            results[slot].append(call())
    return [Spread.of(values) for values in results]


def main() -> None:
    runs = int(sys.argv[1])
    text = " ".join(sys.argv[2:])
    commands = [part.split() for part in text.split(" -- ") if part.strip()]
    commands[0] = commands[0][1:] if commands[0][0] == "--" else commands[0]
    for argv, done in zip(commands, interleaved(commands, runs), strict=True):
        wall = Spread.of([r.wall_s for r in done]).scaled(1e3)
        cpu = Spread.of([r.cpu_s for r in done]).scaled(1e3)
        print(
            f"wall {wall.median:7.1f} ms ({wall.low:.1f}-{wall.high:.1f})  "
            f"cpu {cpu.median:7.1f} ms ({cpu.low:.1f}-{cpu.high:.1f})  {' '.join(argv)[:70]}"
        )


if __name__ == "__main__":
    main()
