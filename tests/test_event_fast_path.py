"""The event file's fast path (one regular expression over many lines in ecoai.track's exact
form) reads every file as the per-line path does: the same events in the same order, the same
malformed count and examples."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ecoai.measurement import events as events_module
from ecoai.measurement.events import EventTail, parse_line

NAMES = st.one_of(
    st.sampled_from(["decode", "prefill", "load-model", "a/b:c", "x" * 2000, "", " ", "é"]),
    st.text(max_size=12),
)
COUNTS = st.one_of(
    st.integers(0, 10**16),
    st.sampled_from([-1, 1.0, 1.5, 2**53, 2**53 + 1, 10**400, True, "3", None]),
)
TIMES = st.one_of(
    st.floats(min_value=0, max_value=2e9),
    st.floats(),
    st.integers(0, 10**20),
    st.sampled_from([1e-7, 1e16, 1764336000.25, -1.0, "noon", None, 10**400]),
)


@st.composite
def canonical(draw: st.DrawFn) -> bytes:
    """A line as ecoai.track writes it (json.dumps, compact), with any values."""
    if draw(st.booleans()):
        event: dict[str, Any] = {
            "event": "query",
            "n": draw(COUNTS),
            "input_tokens": draw(COUNTS),
            "output_tokens": draw(COUNTS),
            "t": draw(TIMES),
        }
    else:
        edge = draw(st.sampled_from(["start", "end", "middle"]))
        event = {"event": "phase", "name": draw(NAMES), "edge": edge, "t": draw(TIMES)}
    ascii_only = draw(st.booleans())
    text = json.dumps(event, separators=(",", ":"), ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


OTHER = st.one_of(
    st.sampled_from(
        [
            b"",
            b"   ",
            b"not json",
            b'{"event": "query"}',
            b'{"event":"query","n":1,"input_tokens":1,"output_tokens":1,"t":1.5} ',
            b'{"event":"query","n":01,"input_tokens":1,"output_tokens":1,"t":1.5}',
            b'{"event":"phase","name":"d","edge":"start","t":1e3}',
            b'{"event":"phase","name":"d","edge":"start","t":NaN}',
            b'{"event":"phase","name":"d\\u00e9","edge":"end","t":2.5}',
            b"\xff\xfe",
        ]
    ),
    st.binary(max_size=40),
)
LINE = st.one_of(canonical(), canonical(), OTHER)


def per_line(lines: list[bytes]) -> tuple[list[Any], int, list[str]]:
    """What the per-line path makes of ``lines`` (events, malformed, examples)."""
    tail = EventTail(Path("unused"))
    found: list[Any] = []
    for line in lines:
        if line.strip():
            tail._one(line, found.append)
    return found, tail.malformed, tail.examples


def fast(lines: list[bytes]) -> tuple[list[Any], int, list[str]]:
    tail = EventTail(Path("unused"))
    found = tail._parse(lines)
    return found, tail.malformed, tail.examples


def typed(found: list[Any]) -> list[Any]:
    """Events with each value's type (1 and 1.0 are equal, but not the same event)."""
    return [(type(e).__name__, [(type(v).__name__, v) for v in vars_of(e)]) for e in found]


def vars_of(event: Any) -> list[Any]:
    return [getattr(event, name) for name in event.__slots__]


@settings(max_examples=400, deadline=None)
@given(st.lists(LINE, max_size=30), st.sampled_from([b"", b"\r"]))
def test_fast_path_reads_lines_as_the_per_line_path(lines: list[bytes], end: bytes) -> None:
    lines = [line.replace(b"\n", b" ") + end for line in lines]  # a line has no newline
    expected, got = per_line(lines), fast(lines)
    assert typed(got[0]) == typed(expected[0])
    assert got[1:] == expected[1:]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(LINE, max_size=40),
    st.booleans(),
    st.integers(1, 64),
)
def test_a_file_reads_the_same_in_any_slices(
    tmp_path_factory: Any, lines: list[bytes], newline_at_end: bool, slice_lines: int
) -> None:
    """Whole files, CRLF or not, a last line without its newline, slices of any size."""
    lines = [line.replace(b"\n", b" ") for line in lines]
    body = b"\n".join(lines) + (b"\n" if newline_at_end else b"")
    path = tmp_path_factory.mktemp("events") / "events.jsonl"
    path.write_bytes(body)
    reference = EventTail(path)
    expected: list[Any] = []
    for line in body.split(b"\n"):
        if line.strip():
            reference._one(line, expected.append)
    saved = events_module._ROW_LINES
    events_module._ROW_LINES = slice_lines
    try:
        tail = EventTail(path)
        got = tail.finish()
    finally:
        events_module._ROW_LINES = saved
    assert typed(got) == typed(expected)
    assert (tail.malformed, tail.examples) == (reference.malformed, reference.examples)


def test_the_writer_s_lines_take_the_fast_path(monkeypatch: Any) -> None:
    """Not a dead branch: ecoai.track's own lines never reach parse_line."""
    lines = [
        b'{"event":"query","n":1,"input_tokens":100,"output_tokens":300,"t":1764336000.2534597}',
        b'{"event":"phase","name":"decode","edge":"start","t":1764336000.25}',
        b'{"event":"phase","name":"decode","edge":"end","t":1764336000.5}',
    ]
    expected = [parse_line(line) for line in lines]
    monkeypatch.setattr(events_module, "parse_line", None)  # any call would fail
    assert EventTail(Path("unused"))._parse(lines) == expected


PER_LINE_ONLY = re.compile(rb"^()()()()()()()(.*)$", re.MULTILINE)
"""_ROW's groups, matching no line as canonical: every line takes parse_line."""


@st.composite
def served_lines(draw: st.DrawFn) -> list[bytes]:
    """A server's file: queries and phase edges around t = 1000 s, out of order at times,
    with the odd malformed or hand-written line."""
    lines = []
    for _ in range(draw(st.integers(0, 60))):
        t = draw(st.floats(990.0, 1010.0))
        kind = draw(st.sampled_from(["query", "start", "end", "other"]))
        if kind == "query":
            n, tokens = draw(st.integers(0, 4)), draw(st.integers(0, 500))
            event: dict[str, Any] = {"event": "query", "n": n, "input_tokens": 10,
                                     "output_tokens": tokens, "t": t}  # fmt: skip
        elif kind == "other":
            lines.append(draw(OTHER))
            continue
        else:
            name = draw(st.sampled_from(["decode", "prefill", "dé"]))
            event = {"event": "phase", "name": name, "edge": kind, "t": t}
        lines.append(json.dumps(event, separators=(",", ":")).encode())
    return lines


@settings(max_examples=150, deadline=None)
@given(served_lines(), st.booleans())
def test_the_fold_is_the_per_line_fold(
    tmp_path_factory: Any, lines: list[bytes], crlf: bool
) -> None:
    """WorkMeter over a file read on the fast path equals it over the per-line path: every
    count, energy, window and example (the samples make energy rise through the file)."""
    from ecoai.measurement.sampler import Mark, Sample
    from ecoai.measurement.work import WorkMeter

    body = b"".join(line.replace(b"\n", b" ") + (b"\r\n" if crlf else b"\n") for line in lines)
    path = tmp_path_factory.mktemp("fold") / "events.jsonl"

    def fold() -> Any:
        path.write_bytes(b"")
        meter = WorkMeter(EventTail(path), to_clock=lambda t: t)
        meter.begin(Mark(995.0, {"gpu": 0.0, "cpu": 0.0}))
        path.write_bytes(body[: len(body) // 2])
        meter(Sample(1000.0, {"gpu": 100.0}, {"gpu": 500.0, "cpu": 50.0}))
        path.write_bytes(body)
        meter(Sample(1004.0, {"gpu": 100.0}, {"gpu": 900.0, "cpu": 90.0}))
        return meter.end(Mark(1006.0, {"gpu": 1100.0, "cpu": 110.0})), meter.windows

    fast_record = fold()
    saved = events_module._ROW
    events_module._ROW = PER_LINE_ONLY
    try:
        per_line_record = fold()
    finally:
        events_module._ROW = saved
    assert fast_record == per_line_record
