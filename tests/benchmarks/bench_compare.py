"""Benchmark `ecoai compare` over 1,000 reports; target: well under 1 s. Prints a table.

Run: python tests/benchmarks/bench_compare.py [N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.reports import estimate_report, measured_report  # noqa: E402

from ecoai.comparison.compare import Item, compare  # noqa: E402
from ecoai.comparison.gates import Gate, parse_gates  # noqa: E402
from ecoai.render import Format  # noqa: E402
from ecoai.render.comparison import render_comparison  # noqa: E402
from ecoai.report_files import read_report  # noqa: E402
from ecoai.validation import dump_json  # noqa: E402


def best_of(repeat: int, func: Callable[[], object]) -> float:
    """Median wall time of ``repeat`` calls. Units: s."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_reports(directory: Path, count: int) -> list[str]:
    paths = []
    for i in range(count):
        if i % 2:
            report = estimate_report(1.0 + i / count, it_max_wh=1.2 + i / count, label=f"e{i}")
        else:
            runs = [10.0 + (i + k) % 7 / 10 for k in range(5)]
            report = measured_report(runs, label=f"m{i}")
        path = directory / f"r{i:04d}.json"
        path.write_text(dump_json(report), encoding="utf-8")
        paths.append(str(path))
    return paths


def rows(count: int = 1000) -> list[tuple[str, float]]:
    """(step, median seconds) for comparing ``count`` reports, in process and end to end."""
    gates = make_gates()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_reports(Path(tmp), count)
        items = [Item(Path(p).stem, p, read_report(p)) for p in paths]
        comparison = compare(items, version="bench", gates=gates)
        table: list[tuple[str, float]] = [
            ("read + validate reports", best_of(5, lambda: [read_report(p) for p in paths])),
            ("compare + 3 gates", best_of(5, lambda: compare(items, version="b", gates=gates))),
        ]
        for fmt in (Format.JSON, Format.CSV, Format.MARKDOWN):
            table.append(
                (f"render {fmt.value}", best_of(5, lambda f=fmt: render_comparison(comparison, f)))
            )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        argv = [
            sys.executable,
            "-m",
            "ecoai",
            "compare",
            *paths,
            "--json",
            "--max-increase",
            "energy=5%,carbon=10%",
            "--budget",
            "total.energy_wh=100",
        ]
        cli = best_of(3, lambda: subprocess.run(argv, env=env, capture_output=True, check=False))
        startup = best_of(
            3,
            lambda: subprocess.run(
                [sys.executable, "-m", "ecoai", "--version"],
                env=env,
                capture_output=True,
                check=False,
            ),
        )
    return [*table, ("CLI end to end (--json)", cli), ("  of which start-up (--version)", startup)]


def make_gates() -> list[Gate]:
    """The three gates the benchmark judges."""
    return parse_gates("max_increase", "energy=5%,carbon=10%") + parse_gates(
        "budget", "total.energy_wh=100"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    table = rows(count)
    print(f"ecoai compare, {count} reports (half measured with 5 runs), {len(make_gates())} gates")
    print(f"{'step':<34}{'median s':>10}")
    for name, seconds in table:
        print(f"{name:<34}{seconds:>10.3f}")


if __name__ == "__main__":
    main()
