"""Every benchmark in one table: figure (median, min-max), target from the issues, pass/fail.

Run: python tests/benchmarks/run.py [--quick]   (about 8 min, 3 with --quick; nothing else
busy if you can, and if not, the medians of interleaved runs still compare like with like)

Each figure is a median with its min and max over rounds in which every command of its group
ran once, in turn (``timing.interleaved``): a shared machine's drifting load then hits ecoai and
the bare command it is compared with alike. Differences (ecoai minus bare) are taken within a
round. ``--quick`` takes fewer rounds and smaller files (noisier figures, same targets).
Targets are issue 16's unless the row says otherwise. The 1 GB event file is written to /tmp.
ecoai's modules are compiled to .pyc once before anything is timed (``timing.compile_once``): an
installed ecoai has them, while an editable checkout under PYTHONDONTWRITEBYTECODE=1 would
compile every module on every run. Start-up rows give the median CPU time (user + system) too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

import bench_longrun  # noqa: E402
import bench_montecarlo  # noqa: E402
import bench_serve_metrics  # noqa: E402
import bench_wrap  # noqa: E402
from bench_profile import sleep_floor_ms_per_s  # noqa: E402
from timing import Spread, compile_once, interleaved_calls  # noqa: E402

MB = 1e6


@dataclass(frozen=True)
class Row:
    what: str
    figure: Spread | None
    unit: str
    target: str = ""
    passed: bool | None = None
    scale: float = 1.0
    text: str = ""

    def cells(self) -> list[str]:
        verdict = {True: "pass", False: "FAIL", None: ""}[self.passed]
        if self.figure is None:
            return [self.what, self.text, self.target, verdict]
        s = self.figure.scaled(self.scale)
        d = _digits(s.median)
        spread = "" if s.runs == 1 else f" ({s.low:,.{d}f}–{s.high:,.{d}f})"
        return [self.what, f"{s.median:,.{d}f}{spread} {self.unit}".rstrip(), self.target, verdict]


def _digits(value: float) -> int:
    magnitude = abs(value)
    return 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 0.1 else 3


def at_most(spread: Spread, limit: float) -> bool:
    """A target is met when the median is within it (the spread is shown beside it)."""
    return spread.median <= limit


def within(ratio: Spread, change: float) -> bool:
    """The compute time "changes by less than" ``change``: a ratio far below 1 is noise of a
    busy machine, not a gain, and fails as a ratio far above 1 does."""
    return abs(ratio.median - 1.0) <= change


def startup_rows(runs: int) -> list[Row]:
    found = bench_wrap.startup_runs(runs)
    plain, plain_cpu = found.pop("python -c pass")
    rows = [Row(f"python -c pass (reference, {runs} interleaved rounds; CPU "
                f"{plain_cpu.median * 1e3:.0f} ms)", plain, "ms", scale=1e3)]  # fmt: skip
    limits = {"ecoai --help": 0.080, "bash tab completion (ecoai estimate --wue-si<TAB>)": 0.080}
    for name, (spread, cpu) in found.items():
        limit = limits.get(name, 0.100)
        ratio = spread.median / plain.median
        times = f"{ratio:.{0 if ratio >= 10 else 1}f}x python -c pass"
        rows.append(Row(f"{name} ({times}; CPU {cpu.median * 1e3:.0f} ms)", spread, "ms",
                        f"<= {limit * 1e3:.0f} ms", at_most(spread, limit), 1e3))  # fmt: skip
    return rows


def wrapping_rows(runs: int) -> list[Row]:
    found = bench_wrap.wrapping(runs)
    return [
        Row("ecoai profile -q -- python -c pass: wall time added", found["in all"], "ms",
            "<= 100 ms", at_most(found["in all"], 0.100), 1e3),
        Row("  of which before the command starts", found["before the command starts"], "ms",
            "<= 50 ms", at_most(found["before the command starts"], 0.050), 1e3),
        Row("  of which after the command ends", found["after the command ends"], "ms",
            scale=1e3),
    ]  # fmt: skip


def sampler_ms_per_s(interval_s: float, seconds: float) -> float:
    """ecoai's sampler threads' CPU time per wall second, with this machine's sensors."""
    from ecoai.measurement.sampler import Sampler
    from ecoai.sensors import SensorRequest, discover

    found = discover(SensorRequest())
    try:
        sampler = Sampler(found.sensors, interval_s=interval_s)
        start = sampler.start()
        time.sleep(seconds)
        end = sampler.stop()
    finally:
        found.close()
    return sampler.overhead_cpu_s / (end.t_s - start.t_s) * 1e3


def sampling_rows(rounds: int, seconds: float) -> list[Row]:
    from ecoai.measurement.sampler import DEFAULT_INTERVAL_S
    from ecoai.sensors import SensorRequest, discover

    found = discover(SensorRequest())
    names = ", ".join(s.name for s in found.sensors)
    found.close()
    calls: list[Callable[[], float]] = [
        lambda: sleep_floor_ms_per_s(10, seconds),
        lambda: sampler_ms_per_s(DEFAULT_INTERVAL_S, seconds),
        lambda: sampler_ms_per_s(0.1, seconds),
        lambda: sleep_floor_ms_per_s(100, seconds),
        lambda: sampler_ms_per_s(0.01, seconds),
    ]
    bare10, default, ecoai10, bare100, ecoai100 = interleaved_calls(calls, rounds)
    rows = [
        Row(f"bare Python thread waking at 10 Hz (reference, {rounds} rounds of {seconds:g} s)",
            bare10, "ms/s"),
        Row(f"ecoai sampler CPU, default interval {DEFAULT_INTERVAL_S:g} s ({names})", default,
            "ms/s", "<= 1 ms/s", at_most(default, 1.0)),
        Row("ecoai sampler CPU at --interval-s 0.1 (10 Hz)", ecoai10, "ms/s"),
        Row("bare Python thread waking at 100 Hz (reference)", bare100, "ms/s"),
        Row("ecoai sampler CPU at 100 Hz", ecoai100, "ms/s", "<= 10 ms/s",
            at_most(ecoai100, 10.0)),
    ]  # fmt: skip
    return rows + read_cost_rows(rounds)


def read_cost_rows(rounds: int, reads: int = 2000) -> list[Row]:
    """CPU time of one read of each sensor kind (NVML through the test fake, which keeps the
    real call pattern; RAPL on a fake powercap tree; the CPU and DRAM models on this machine)."""
    from fakes.nvml import FakeGpu, FakeNvml
    from fakes.powercap import typical_tree

    from ecoai.sensors import SensorRequest, discover
    from ecoai.sensors.nvml import open_nvml
    from ecoai.sensors.rapl import open_rapl

    tmp = tempfile.TemporaryDirectory()
    typical_tree(Path(tmp.name))
    sensors = {
        "NVML (fake, real call pattern)": open_nvml(FakeNvml([FakeGpu()]), None).sensors[0],
        "RAPL package (fake powercap tree)": open_rapl(Path(tmp.name)).sensors[0],
    }
    found = discover(SensorRequest(backends=("cpu-model",)))
    sensors.update({f"{s.name} (this machine)": s for s in found.sensors})

    def cost(sensor: object) -> Callable[[], float]:
        def run() -> float:
            read = sensor.read  # type: ignore[attr-defined]
            start = time.thread_time()
            for _ in range(reads):
                read()
            return (time.thread_time() - start) / reads * 1e6

        return run

    spreads = interleaved_calls([cost(s) for s in sensors.values()], rounds)
    found.close()
    tmp.cleanup()
    return [Row(f"  CPU per read: {name}", spread, "µs")
            for name, spread in zip(sensors, spreads, strict=True)]  # fmt: skip


def workload_rows(pairs: int, seconds: float) -> list[Row]:
    found = bench_wrap.workload(pairs, seconds)
    return [
        Row(f"CPU inference, all cores, plain: compute time ({pairs} interleaved rounds)",
            found["plain"], "s"),
        Row("  under ecoai profile (default interval) / plain", found["default interval"], "",
            "within 1 %", within(found["default interval"], 0.01)),
        Row("  under ecoai profile --interval-s 0.01 / plain", found["100 Hz"], "", "within 3 %",
            within(found["100 Hz"], 0.03)),
        Row("  ecoai's own CPU in those runs (report's overhead), default interval",
            found["ecoai CPU, default interval"], "ms/s", "<= 1 ms/s",
            at_most(found["ecoai CPU, default interval"], 1.0)),
        Row("  ecoai's own CPU in those runs (report's overhead), --interval-s 0.01",
            found["ecoai CPU, 100 Hz"], "ms/s", "<= 10 ms/s",
            at_most(found["ecoai CPU, 100 Hz"], 10.0)),
    ]  # fmt: skip


def memory_rows(runs: int, days: float) -> list[Row]:
    rss = bench_wrap.peak_rss(runs)
    argv = [sys.executable, bench_longrun.__file__, f"{days}", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    run = bench_longrun.LongRun(**json.loads(done.stdout))
    growth = run.rss_growth_bytes / 2**20
    return [
        Row(f"peak RSS of ecoai profile -- sleep 5 ({runs} runs)", rss, "MB", "<= 40 MB",
            at_most(rss, 40 * MB), 1 / MB),
        Row(f"simulated {days:g}-day profile ({run.ticks:,} rounds): RSS growth after warm-up",
            Spread.of([growth]), "MiB", "< 1 MiB", growth < 1.0),
        Row("  timeline points kept", Spread.of([len(run.timeline)]), "", "<= 256",
            len(run.timeline) <= 256),
    ]  # fmt: skip


def _scale(*args: str) -> dict[str, float]:
    argv = [sys.executable, str(HERE / "bench_scale.py"), *args]
    return json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)  # type: ignore[no-any-return]


def scale_rows(reports: int, runs: int, megabytes: float) -> list[Row]:
    cmp = Spread(**_scale("compare", str(reports), str(runs)))  # type: ignore[arg-type]
    fold = _scale("fold", str(megabytes))
    rate = fold["lines"] / fold["seconds"]
    size = (
        f"{fold['bytes'] / 1e9:.2f} GB" if fold["bytes"] >= 1e9 else f"{fold['bytes'] / MB:.0f} MB"
    )
    return [
        Row(f"ecoai compare {reports:,} reports + 3 gates, end to end ({runs} runs)", cmp, "s",
            "< 2 s", cmp.median < 2.0),
        Row(f"event file of {size} ({fold['lines']:,.0f} lines) folded", Spread.of([rate]),
            "lines/s", ">= 500,000 lines/s", rate >= 500_000),
        Row("  peak RSS of that process", Spread.of([fold["peak_rss_bytes"]]), "MB",
            "<= 100 MB (bounded)", fold["peak_rss_bytes"] <= 100 * MB, 1 / MB),
    ]  # fmt: skip


def serve_rows(scrapes: int) -> list[Row]:
    lines, cpu_ms, _ = bench_serve_metrics.measure(scrapes)
    per_s = cpu_ms / bench_serve_metrics.INTERVAL_S
    limit = bench_serve_metrics.TARGET_MS_PER_S
    return [
        Row(f"--serve-metrics scraper CPU per wall second, 1 s, {lines}-line page",
            Spread.of([per_s]), "ms/s", f"< {limit:g} ms/s", per_s < limit),
    ]  # fmt: skip


def montecarlo_rows() -> list[Row]:
    out = []
    for what, ms, target in bench_montecarlo.rows():
        ok = None if target is None else ms < target
        out.append(Row(what, Spread.of([ms]), "ms", "" if target is None else
                       f"< {target:g} ms (issue 6)", ok))  # fmt: skip
    return out


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    compile_once()
    load_before = os.getloadavg()[0]
    runs = 5 if quick else 10
    steps: list[tuple[str, Callable[[], list[Row]]]] = [
        ("start-up", lambda: startup_rows(runs)),
        ("wrapping", lambda: wrapping_rows(runs)),
        ("sampling", lambda: sampling_rows(3, 3.0 if quick else 5.0)),
        ("real workload", lambda: workload_rows(3 if quick else 5, 4.0 if quick else 7.0)),
        ("memory", lambda: memory_rows(2 if quick else 3, 1.0 if quick else 7.0)),
        ("scale", lambda: scale_rows(10_000, 2 if quick else 3, 100.0 if quick else 1000.0)),
        ("serve metrics", lambda: serve_rows(100 if quick else 300)),
        ("Monte Carlo", montecarlo_rows),
    ]
    rows: list[Row] = []
    for name, step in steps:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += step()
    table = [["benchmark", "median (min–max)", "target", ""], *[row.cells() for row in rows]]
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    for index, line in enumerate(table):
        print(f"| {line[0]:<{widths[0]}} | {line[1]:>{widths[1]}} | {line[2]:<{widths[2]}} | "
              f"{line[3]:<{widths[3]}} |")  # fmt: skip
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print(f"\nLoad average (1 min) of this {os.cpu_count()}-CPU machine: {load_before:.1f} at the "
          f"start, {os.getloadavg()[0]:.1f} at the end.")  # fmt: skip
    failed = [row.what for row in rows if row.passed is False]
    print(f"{len(rows)} figures, {len(failed)} over target", file=sys.stderr)


if __name__ == "__main__":
    main()
