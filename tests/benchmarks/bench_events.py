"""Event benchmark: how fast ecoai reads the event file and folds events into phases.

Run: python tests/benchmarks/bench_events.py [LINES]   (not part of the test suite)
Prints one row per step with its rate; the target keeps a 1,000-query/s server's events
(3 lines a query) within 5% of one core.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ecoai.measurement.events import EventTail  # noqa: E402
from ecoai.measurement.sampler import Mark, Sample  # noqa: E402
from ecoai.measurement.work import WorkMeter  # noqa: E402

TARGET_LINES_PER_S = 3_000 / 0.05  # 1,000 queries/s x 3 lines within 5% of a core


def write_file(path: Path, queries: int) -> int:
    lines = []
    for i in range(queries):
        t = 1000.0 + i * 1e-4
        lines.append(f'{{"event":"phase","name":"decode","edge":"start","t":{t}}}')
        lines.append(f'{{"event":"phase","name":"decode","edge":"end","t":{t + 5e-5}}}')
        lines.append(f'{{"event":"query","n":1,"input_tokens":100,"output_tokens":300,"t":{t}}}')
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def main(queries: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        meter = WorkMeter(EventTail(path), to_clock=lambda t: t)
        meter.begin(Mark(999.0, {"gpu": 0.0}))
        lines = write_file(path, queries)
        start = time.perf_counter()
        events = EventTail(path).finish_columns()  # as the fold reads it
        parse_s = time.perf_counter() - start
        start = time.perf_counter()
        end_s = 1000.0 + queries * 1e-4
        meter(Sample(end_s, {"gpu": 100.0}, {"gpu": 100.0 * (end_s - 999.0)}))
        record = meter.end(Mark(end_s + 0.1, {"gpu": 100.0 * (end_s + 0.1 - 999.0)}))
        fold_s = time.perf_counter() - start
    rate = f"target > {TARGET_LINES_PER_S:,.0f} lines/s"
    print(f"{'step':<28}{'lines':>10}{'seconds':>10}{'lines/s':>14}  target")
    print(f"{'parse (EventTail)':<28}{len(events):>10}{parse_s:>10.3f}{lines / parse_s:>14,.0f}")
    assert record.queries == queries and record.phases["decode"].windows == queries
    print(
        f"{'read + fold (WorkMeter)':<28}{lines:>10}{fold_s:>10.3f}{lines / fold_s:>14,.0f}  {rate}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
