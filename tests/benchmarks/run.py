"""Every benchmark in one table: figure, target from the issues, pass/fail.

Run: python tests/benchmarks/run.py [--quick]   (nothing else busy; about 5 min, 2 with --quick)
Reuses the functions of bench_startup, bench_montecarlo, bench_profile, bench_compare,
bench_serve_metrics and bench_longrun. ``--quick`` takes fewer repeats and shorter workloads
(noisier figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

import bench_compare  # noqa: E402
import bench_longrun  # noqa: E402
import bench_montecarlo  # noqa: E402
import bench_profile  # noqa: E402
import bench_serve_metrics  # noqa: E402
import bench_startup  # noqa: E402


@dataclass(frozen=True)
class Row:
    what: str
    figure: float
    unit: str
    target: str
    passed: bool | None

    def cells(self) -> list[str]:
        verdict = {True: "pass", False: "FAIL", None: ""}[self.passed]
        return [self.what, f"{self.figure:,.{_digits(self.figure)}f} {self.unit}", self.target,
                verdict]  # fmt: skip


def _digits(value: float) -> int:
    if value == int(value) and abs(value) < 1e15:
        return 0
    return 0 if abs(value) >= 1000 else 2 if abs(value) >= 10 else 3 if abs(value) >= 0.1 else 4


def startup_rows(runs: int) -> list[Row]:
    py = [sys.executable, "-m", "ecoai"]
    preset = [*py, "estimate", "--model", "gpt-4.1", "--prompt", "short", "--json"]
    plain = bench_startup.median_s([sys.executable, "-c", "pass"], runs)
    help_s = bench_startup.median_s([*py, "--help"], runs)
    flags_s = bench_startup.median_s(
        [*py, "estimate", *bench_startup.ESTIMATE_FLAGS, "--json"], runs
    )
    preset_s = bench_startup.median_s(preset, runs)
    limit = bench_startup.TARGET_ESTIMATE_S
    return [
        Row(f"python -c pass (median of {runs})", plain, "s", "", None),
        Row("ecoai --help", help_s, "s", f"< {limit} s", help_s < limit),
        Row("ecoai estimate --json (all flags)", flags_s, "s", f"< {limit} s", flags_s < limit),
        Row("ecoai estimate --model gpt-4.1 --prompt short --json", preset_s, "s",
            f"< {limit} s", preset_s < limit),
    ]  # fmt: skip


def montecarlo_rows() -> list[Row]:
    out = []
    for what, ms, target in bench_montecarlo.rows():
        ok = None if target is None else ms < target
        out.append(Row(what, ms, "ms", "" if target is None else f"< {target:g} ms", ok))
        if what.startswith("draw_pairs"):
            rate = bench_montecarlo.SAMPLES / (ms / 1000.0)
            out.append(Row("  Monte Carlo draws per second", rate, "/s", "> 200,000 /s",
                           rate > 200_000))  # fmt: skip
    return out


def profile_rows(runs: int, workload_s: float, pairs: int, sampler_s: float) -> list[Row]:
    *_, cost = bench_profile.fixed_cost_s(runs)
    out = [
        Row("ecoai profile -- python -c pass, fixed cost", cost, "s", "< 0.1 s", cost < 0.1),
    ]
    for hz in (10, 100):
        _, _, ratio = bench_profile.workload_ratio(workload_s, pairs, interval_s=1.0 / hz)
        out.append(Row(f"profile wall ratio, ~{workload_s:g} s CPU work, {hz} Hz", ratio, "",
                       "<= 1.01", ratio <= 1.01))  # fmt: skip
    for hz in (10, 100):
        sensors, ms = bench_profile.sampler_ms_per_s(1.0 / hz, sampler_s)
        target = "< 0.5 ms/s" if hz == 10 else ""
        ok = ms < 0.5 if hz == 10 else None
        out.append(Row(f"sampler CPU per wall second, {hz} Hz, {sensors} sensors", ms, "ms/s",
                       target, ok))  # fmt: skip
    return out


def compare_rows(count: int) -> list[Row]:
    steps = dict(bench_compare.rows(count))
    cli = steps["CLI end to end (--json)"]
    inner = steps["compare + 3 gates"]
    return [
        Row(f"ecoai compare {count:,} reports + 3 gates, end to end", cli, "s", "< 1 s", cli < 1),
        Row("  of which read + validate", steps["read + validate reports"], "s", "", None),
        Row("  of which compare + gates (in process)", inner, "s", "", None),
    ]


def serve_rows(scrapes: int) -> list[Row]:
    lines, cpu_ms, _ = bench_serve_metrics.measure(scrapes)
    per_s = cpu_ms / bench_serve_metrics.INTERVAL_S
    limit = bench_serve_metrics.TARGET_MS_PER_S
    return [
        Row(f"--serve-metrics scraper CPU per wall second, 1 s, {lines}-line page", per_s,
            "ms/s", f"< {limit:g} ms/s", per_s < limit),
    ]  # fmt: skip


def longrun_rows(days: float) -> list[Row]:
    """In a fresh process, so its peak RSS is the simulation's own."""
    argv = [sys.executable, bench_longrun.__file__, f"{days}", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    run = bench_longrun.LongRun(**json.loads(done.stdout))
    mib = 2.0**20
    growth = run.rss_growth_bytes / mib
    return [
        Row(f"simulated {days:g}-day profile ({run.ticks:,} rounds), wall", run.wall_s, "s", "",
            None),
        Row("  peak RSS of that process", run.peak_rss_bytes / mib, "MiB", "", None),
        Row("  RSS growth after warm-up", growth, "MiB", "< 1 MiB", growth < 1.0),
        Row("  timeline points kept", len(run.timeline), "", "<= 256", len(run.timeline) <= 256),
    ]  # fmt: skip


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    steps: list[tuple[str, Callable[[], list[Row]]]] = [
        ("start-up", lambda: startup_rows(5 if quick else 10)),
        ("Monte Carlo", montecarlo_rows),
        ("profile", lambda: profile_rows(5 if quick else 10, 3.0 if quick else 10.0,
                                         3 if quick else 5, 3.0 if quick else 10.0)),
        ("compare", lambda: compare_rows(1000)),
        ("serve metrics", lambda: serve_rows(100 if quick else 300)),
        ("long run", lambda: longrun_rows(1.0 if quick else 7.0)),
    ]  # fmt: skip
    rows: list[Row] = []
    for name, step in steps:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += step()
    table = [["benchmark", "figure", "target", ""], *[row.cells() for row in rows]]
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    for index, line in enumerate(table):
        print(f"| {line[0]:<{widths[0]}} | {line[1]:>{widths[1]}} | {line[2]:<{widths[2]}} | "
              f"{line[3]:<{widths[3]}} |")  # fmt: skip
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    failed = [row.what for row in rows if row.passed is False]
    print(f"{len(rows)} figures, {len(failed)} over target", file=sys.stderr)


if __name__ == "__main__":
    main()
