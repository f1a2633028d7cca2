"""The event file's fast path (one regular expression over many lines in ecoai.track's exact
form) reads every file as the per-line path does: the same events in the same order, the same
malformed count and examples."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
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
    st.integers(0, 400),
)
def test_a_file_reads_the_same_in_any_slices(
    tmp_path_factory: Any, lines: list[bytes], newline_at_end: bool, slice_bytes: int
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
    saved = events_module._ROW_BYTES
    events_module._ROW_BYTES = slice_bytes
    try:
        tail = EventTail(path)
        got = tail.finish()
    finally:
        events_module._ROW_BYTES = saved
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


class PerLineMeter:
    """Builds a WorkMeter that folds every batch event by event (``_collect`` and
    ``_process``, the fold before columns), the reference for the columnar fold."""

    @staticmethod
    def make(path: Path) -> Any:
        from ecoai.measurement.work import WorkMeter

        class Meter(WorkMeter):
            def _fold(self, batch: Any, now_s: float, final: bool) -> None:
                self._collect(batch.events() if batch is not None else [], now_s)
                self._process(now_s, final)

        return Meter(EventTail(path), to_clock=lambda t: t)


SENSORS = ("gpu", "cpu", "dram")


@st.composite
def timed_run(draw: st.DrawFn) -> tuple[list[list[bytes]], list[tuple[float, dict[str, float]]]]:
    """A run from t = 995 to 1010 s: the file written in parts, a sample after each part
    (rising counters; a sensor may appear only later), lines out of order, before the run,
    ahead of the sample, malformed or hand-written, several phase names, nested windows."""
    parts = draw(st.integers(1, 5))
    sample_s = sorted(draw(st.lists(st.floats(995.5, 1009.5), min_size=parts, max_size=parts,
                                    unique=True)))  # fmt: skip
    late_sensor = draw(st.booleans())
    energy = dict.fromkeys(SENSORS, 0.0)
    samples = []
    chunks = []
    stray = draw(st.booleans())  # some lines before the run (at 995) or ahead of the sample
    paired = draw(st.booleans())  # most starts followed by their end
    low = 990.0 if stray and draw(st.booleans()) else 995.0
    deferred: list[bytes] = []
    for part, now_s in enumerate(sample_s):
        lines, deferred = deferred, []
        for _ in range(draw(st.integers(0, 25))):
            kind = draw(st.sampled_from(["query", "start", "end", "start", "end", "other"]))
            if paired and kind == "end" and draw(st.integers(0, 9)):
                kind = "start"  # (and its end): a lone end only now and then
            ahead = draw(st.sampled_from([0.0, 0.0, 0.0, 1.0, 100.0])) if stray else 0.0
            t = draw(st.floats(low, now_s))
            if draw(st.booleans()):  # on a coarse grid: events at the same time
                t = max(low, min(now_s, round(t * 2) / 2))
            t += ahead
            if kind == "query":
                event: dict[str, Any] = {
                    "event": "query",
                    "n": draw(st.integers(0, 4)),
                    "input_tokens": draw(st.integers(0, 50)),
                    "output_tokens": draw(st.integers(0, 500)),
                    "t": t,
                }
            elif kind == "other":
                lines.append(draw(OTHER))
                continue
            else:
                name = draw(st.sampled_from(["decode", "prefill", "dé", "load"]))
                event = {"event": "phase", "name": name, "edge": kind, "t": t}
                if paired and kind == "start":  # its end just after: windows one at a time
                    end = event | {"edge": "end", "t": min(now_s, t + draw(st.floats(0, 0.01)))}
                    lines.append(json.dumps(event, separators=(",", ":")).encode())
                    event = end
                    if part + 1 < parts and draw(st.integers(0, 3)) == 0:  # ends in the next
                        end["t"] = draw(st.floats(now_s, sample_s[part + 1]))
                        deferred.append(json.dumps(end, separators=(",", ":")).encode())
                        continue
            if draw(st.integers(0, 9)) == 0:
                event.pop("t")  # stamped when read
            lines.append(json.dumps(event, separators=(",", ":")).encode())
        chunks.append(lines)
        for sensor in SENSORS:
            energy[sensor] += draw(st.floats(0.0, 300.0))
        reading = {s: j for s, j in energy.items() if not (late_sensor and s == "dram"
                                                           and now_s < 1002.0)}  # fmt: skip
        samples.append((now_s, reading))
    return chunks, samples


def close(got: float, want: float, scale: float) -> bool:
    """Within a relative 1e-9 of the result, or of the counters' size where windows cancel."""
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9 * scale)


def same_record(got: Any, want: Any, scale: float) -> None:
    """Every count, name, window and example equal; durations and energies within 1e-9."""
    for name in vars(want):
        if name in ("phases", "any_phase"):
            continue
        assert getattr(got, name) == getattr(want, name), name
    assert list(got.phases) == list(want.phases)
    for mine, theirs in [*zip(got.phases.values(), want.phases.values(), strict=True),
                         (got.any_phase, want.any_phase)]:  # fmt: skip
        assert (mine.windows, mine.open) == (theirs.windows, theirs.open)
        assert mine.since == theirs.since
        assert close(mine.duration_s, theirs.duration_s, 20.0)
        assert set(mine.energy_j) == set(theirs.energy_j)
        for sensor, energy_j in theirs.energy_j.items():
            assert close(mine.energy_j[sensor], energy_j, scale), (sensor, mine, theirs)


@settings(max_examples=300, deadline=None)
@given(timed_run(), st.booleans())
def test_the_columnar_fold_is_the_per_line_fold(
    tmp_path_factory: Any, run: Any, crlf: bool
) -> None:
    """The fold over columns against the fold event by event over generated runs: equal
    counts, malformed lines and examples, windows (plot and counts), phases and their order,
    early and future events, first and last queries; durations and energies within 1e-9."""
    from ecoai.measurement.sampler import Mark, Sample
    from ecoai.measurement.work import WorkMeter

    chunks, samples = run
    path = tmp_path_factory.mktemp("columns") / "events.jsonl"
    newline = b"\r\n" if crlf else b"\n"

    def fold(meter: Any) -> Any:
        path.write_bytes(b"")
        meter.begin(Mark(995.0, dict.fromkeys(SENSORS, 0.0)))
        body = b""
        for lines, (now_s, energy_j) in zip(chunks, samples, strict=True):
            body += b"".join(line.replace(b"\n", b" ") + newline for line in lines)
            path.write_bytes(body)
            meter(Sample(now_s, {}, energy_j))
        end_j = {s: j + 50.0 for s, j in samples[-1][1].items()}
        return meter.end(Mark(1010.0, end_j)), meter.windows

    got, got_windows = fold(WorkMeter(EventTail(path), to_clock=lambda t: t))
    want, want_windows = fold(PerLineMeter.make(path))
    assert got_windows == want_windows
    scale = max(j for _, energy_j in samples for j in energy_j.values()) + 50.0
    same_record(got, want, scale)


def test_a_server_s_file_is_folded_as_columns(tmp_path: Path, monkeypatch: Any) -> None:
    """Not a dead branch: ecoai.track's lines inside the run never go event by event."""
    from ecoai.measurement.sampler import Mark, Sample
    from ecoai.measurement.work import WorkMeter

    path = tmp_path / "events.jsonl"
    path.write_bytes(b"")
    meter = WorkMeter(EventTail(path), to_clock=lambda t: t)
    meter.begin(Mark(999.0, {"gpu": 0.0}))
    lines = []
    for i in range(3000):
        t = 1000.0 + i * 1e-3
        lines += [
            f'{{"event":"phase","name":"decode","edge":"start","t":{t}}}',
            f'{{"event":"phase","name":"decode","edge":"end","t":{t + 5e-4}}}',
            f'{{"event":"query","n":1,"input_tokens":10,"output_tokens":30,"t":{t}}}',
        ]
    path.write_text("\n".join(lines[:4500]) + "\n")
    monkeypatch.setattr(WorkMeter, "_collect", None)  # any call would fail
    meter(Sample(1002.0, {"gpu": 100.0}, {"gpu": 300.0}))
    path.write_text("\n".join(lines) + "\n")
    record = meter.end(Mark(1004.0, {"gpu": 500.0}))
    assert (record.queries, record.output_tokens, record.events) == (3000, 90_000, 9000)
    decode = record.phases["decode"]
    assert (decode.windows, decode.open, record.unmatched_ends) == (3000, 0, 0)
    assert decode.duration_s == pytest.approx(3000 * 5e-4, rel=1e-9)
    # 100 W throughout (200 J over the 2 s to each sample): 1.5 s of windows, 150 J
    assert decode.energy_j["gpu"] == pytest.approx(150.0, rel=1e-9)
    assert record.any_phase.energy_j == decode.energy_j
