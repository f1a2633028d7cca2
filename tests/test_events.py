"""The event file: parsing, malformed lines, partial lines, huge files, concurrent writers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from ecoai.measurement.events import MAX_LINE_BYTES, EventTail, PhaseEdge, Query, parse_line


def test_well_formed_lines() -> None:
    assert parse_line(b'{"event":"query","n":2,"input_tokens":10,"output_tokens":30,"t":5.5}') == (
        Query(2, 10, 30, 5.5)
    )
    assert parse_line(b'{"event": "query"}') == Query(1, 0, 0, None)
    assert parse_line(b'{"event":"phase","name":" decode ","edge":"end"}') == PhaseEdge(
        "decode", "end", None
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"event": "nap"}', "event must be"),
        (b'{"event": "phase", "name": "x", "edge": "middle"}', "edge must be"),
        (b'{"event": "phase", "edge": "start"}', "non-empty name"),
        (b'{"event": "query", "output_tokens": -3}', "non-negative"),
        (b'{"event": "query", "n": true}', "non-negative"),
        (b'{"event": "query", "n": 1.5}', "whole number"),
        (b'{"event": "query", "t": "noon"}', "Unix time"),
    ],
)
def test_malformed_lines_say_why(line: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_line(line)


def test_malformed_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"event":"query"}\ngarbage\n\n{"event":"query","n":3}\n{"event":"x"}\n')
    tail = EventTail(path)
    assert [e.n for e in tail.read() if isinstance(e, Query)] == [1, 3]
    assert tail.malformed == 2
    assert tail.examples[0].startswith("not JSON") and "garbage" in tail.examples[0]


def test_a_partial_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"event":"query","n":1}\n{"event":"que')
    tail = EventTail(path)
    assert len(tail.read()) == 1
    with path.open("ab") as handle:
        handle.write(b'ry","n":4}\n{"event":"query","n":5}')
    assert [e.n for e in tail.read() if isinstance(e, Query)] == [4]
    assert [e.n for e in tail.finish() if isinstance(e, Query)] == [5]  # writer ended: no newline
    assert tail.malformed == 0


def test_a_missing_file_is_no_events(tmp_path: Path) -> None:
    assert EventTail(tmp_path / "absent.jsonl").read() == []


def test_an_overlong_line_is_skipped_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with path.open("wb") as handle:
        handle.write(b'{"event":"query","pad":"' + b"x" * (MAX_LINE_BYTES * 3) + b'"}\n')
        handle.write(b'{"event":"query","n":7}\n')
    tail = EventTail(path)
    events = tail.read()
    assert [e.n for e in events if isinstance(e, Query)] == [7]
    assert tail.malformed == 1 and "64 KiB" in tail.examples[0]


def test_huge_file_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    line = b'{"event":"query","n":1,"input_tokens":100,"output_tokens":300,"t":1764336000.25}\n'
    lines = 300_000  # about 25 MB
    with path.open("wb") as handle:
        for _ in range(lines // 1000):
            handle.write(line * 1000)
    tail = EventTail(path)
    tracemalloc.start()
    count, tokens = 0, 0
    while events := tail.read(max_bytes=1 << 20):
        count += len(events)
        tokens += sum(e.output_tokens for e in events if isinstance(e, Query))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (count, tokens) == (lines, lines * 300)
    assert path.stat().st_size > 20e6
    assert peak < 8e6  # 1 MiB of lines at a time, whatever the file's size


def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    script = tmp_path / "writer.py"
    script.write_text(
        "import sys\nfrom ecoai import track\n"
        "for i in range(int(sys.argv[1])):\n"
        "    with track.phase('work'):\n"
        "        track.query(input_tokens=i % 7, output_tokens=100)\n"
    )
    env = dict(os.environ, ECOAI_EVENTS=str(path), PYTHONPATH=str(REPO_ROOT))
    writers = [subprocess.Popen([sys.executable, str(script), "2000"], env=env) for _ in range(6)]
    assert [w.wait(timeout=60) for w in writers] == [0] * 6
    tail = EventTail(path)
    events = tail.finish()
    assert tail.malformed == 0
    queries = [e for e in events if isinstance(e, Query)]
    assert len(queries) == 6 * 2000 and sum(q.output_tokens for q in queries) == 6 * 2000 * 100
    assert sum(isinstance(e, PhaseEdge) for e in events) == 2 * 6 * 2000
    assert all(json.loads(line) for line in path.read_bytes().splitlines())
