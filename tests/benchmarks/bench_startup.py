"""Start-up benchmark: wall and CPU time of `ecoai --help` and `ecoai estimate` (flags and a
preset, table and JSON) and a bash tab completion, beside `python -c pass`.

Run: python tests/benchmarks/bench_startup.py [RUNS]   (not part of the test suite)
Medians (min-max) over RUNS interleaved rounds (``bench_wrap.startup_runs``), after compiling
ecoai's .pyc once (``timing.compile_once``: an installed ecoai has them). Targets: issue 16.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

import bench_wrap  # noqa: E402
from timing import compile_once  # noqa: E402

TARGET_S = {"ecoai --help": 0.080, "bash tab completion (ecoai estimate --wue-si<TAB>)": 0.080}
"""Issue 16's targets; every other ecoai row: 100 ms."""


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    compile_once()
    table = bench_wrap.startup_runs(runs)
    base = table["python -c pass"][0].median
    print(f"{'command':55} {'wall ms (min-max)':>22} {'cpu ms':>7} {'vs python':>9}  target")
    for what, (wall, cpu) in table.items():
        target = "" if what == "python -c pass" else f"<= {TARGET_S.get(what, 0.100) * 1e3:.0f} ms"
        spread = f"{wall.median * 1e3:.1f} ({wall.low * 1e3:.0f}-{wall.high * 1e3:.0f})"
        ratio = wall.median / base
        print(f"{what:55} {spread:>22} {cpu.median * 1e3:7.1f} {ratio:8.2f}x  {target}")


if __name__ == "__main__":
    main()
