"""Scale figures of issue 16: `ecoai compare` over 10,000 reports, and a large event file folded
in bounded memory.

Run: python tests/benchmarks/bench_scale.py compare COUNT RUNS
     python tests/benchmarks/bench_scale.py fold MEGABYTES   (one fresh process: its peak RSS
     is the fold's own; the file is written under the system's temporary directory, /tmp)
Each prints one JSON object. Not part of the test suite.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

from timing import REPO, Spread, run_once  # noqa: E402

QUERY_LINES = (
    '{{"event":"phase","name":"decode","edge":"start","t":{t:.6f}}}\n'
    '{{"event":"phase","name":"decode","edge":"end","t":{u:.6f}}}\n'
    '{{"event":"query","n":1,"input_tokens":100,"output_tokens":300,"t":{t:.6f}}}\n'
)


def compare_cli(count: int, runs: int) -> Spread:
    """Wall time (s) of `ecoai compare --json` with 3 gates over ``count`` report files."""
    import bench_compare

    with tempfile.TemporaryDirectory() as tmp:
        paths = bench_compare.write_reports(Path(tmp), count)
        argv = [sys.executable, "-m", "ecoai", "compare", *paths, "--json", "--max-increase",
                "energy=5%,carbon=10%", "--budget", "total.energy_wh=100"]  # fmt: skip
        # exit 1: a gate failed (half the reports are measured ones, far over the budget)
        run_once(argv, ok=(0, 1))  # warm-up: the files are in the page cache for every run
        return Spread.of([run_once(argv, ok=(0, 1)).wall_s for _ in range(runs)])


def write_events(path: Path, megabytes: float) -> int:
    """Append queries (3 lines each: a phase's start and end, the query) up to ``megabytes``."""
    lines = written = 0
    limit = int(megabytes * 1e6)
    t = 1000.0
    with path.open("w", encoding="ascii") as out:
        while written < limit:
            block = "".join(QUERY_LINES.format(t=t + i * 1e-4, u=t + i * 1e-4 + 5e-5)
                            for i in range(10_000))  # fmt: skip
            t += 1.0
            out.write(block)
            written += len(block)
            lines += 30_000
    return lines


def fold(megabytes: float) -> dict[str, float]:
    """Fold an event file of ``megabytes`` as `ecoai profile` does at the end of a run."""
    from ecoai.measurement.events import EventTail
    from ecoai.measurement.sampler import Mark
    from ecoai.measurement.work import WorkMeter

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = Path(tmp) / "events.jsonl"
        path.touch()
        meter = WorkMeter(EventTail(path), to_clock=lambda t: t)
        meter.begin(Mark(999.0, {"cpu": 0.0}))
        lines = write_events(path, megabytes)
        size = path.stat().st_size
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        start = time.perf_counter()
        cpu0 = time.process_time()
        end_s = 1e6
        record = meter.end(Mark(end_s, {"cpu": 100.0}))
        seconds = time.perf_counter() - start
        cpu_s = time.process_time() - cpu0
    assert record.queries == lines // 3, (record.queries, lines)
    return {
        "lines": lines,
        "bytes": size,
        "seconds": seconds,
        "cpu_s": cpu_s,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rss_before_bytes": rss_before,
    }


def main() -> None:
    what = sys.argv[1]
    if what == "compare":
        spread = compare_cli(int(sys.argv[2]), int(sys.argv[3]))
        print(json.dumps(spread.__dict__))
    elif what == "fold":
        print(json.dumps(fold(float(sys.argv[2]))))
    else:
        raise SystemExit(f"unknown step {what!r}: compare or fold")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
