"""The event file a measured command appends to: queries, tokens and phase edges as JSON lines.

ecoai names the file in ``ECOAI_EVENTS``; the command appends one JSON object per line::

    {"event": "query", "n": 1, "input_tokens": 100, "output_tokens": 300, "t": 1764336000.25}
    {"event": "phase", "name": "prefill", "edge": "start", "t": 1764336000.10}
    {"event": "phase", "name": "prefill", "edge": "end", "t": 1764336000.20}

``n`` defaults to 1, the token counts to 0; ``t`` (Unix time in seconds, ``time.time()``) is
optional: without it ecoai stamps the event when it reads it, one sampling interval late at
worst. Each line should reach the file in one ``write`` to a descriptor opened with
``O_APPEND``, so concurrent writers never interleave. A malformed line is counted, never fatal,
and never costs its neighbours: non-finite numbers (``1e400``, ``Infinity``, ``NaN``), counts
above ``MAX_COUNT`` and nesting too deep to decode make that one line malformed.
``parse_line`` is pure; ``EventTail`` is the edge that reads what was appended since last time.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ENV = "ECOAI_EVENTS"
EDGES = ("start", "end")
MAX_LINE_BYTES = 64 * 1024
"""A longer line is malformed (and skipped without being held in memory)."""
READ_CHUNK_BYTES = 1 << 20
MAX_COUNT = 2**53
"""Largest ``n`` or token count one line may carry: every count stays exact as a float."""


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a finite number")


_decode = json.JSONDecoder(parse_constant=_no_constant).decode


@dataclass(frozen=True, slots=True)
class Query:
    """``n`` queries served, with their input and output tokens; ``t_s`` in Unix seconds."""

    n: int = 1
    input_tokens: int = 0
    output_tokens: int = 0
    t_s: float | None = None


@dataclass(frozen=True, slots=True)
class PhaseEdge:
    """A phase starting or ending; ``t_s`` in Unix seconds."""

    name: str
    edge: str
    t_s: float | None = None


Event = Query | PhaseEdge


def _count(data: dict[str, object], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{key} must be a non-negative number")
    if value > MAX_COUNT or not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number up to {MAX_COUNT}")
    if value != int(value):
        raise ValueError(f"{key} must be a whole number")
    return int(value)


def _time(data: dict[str, object]) -> float | None:
    value = data.get("t")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
        raise ValueError("t must be Unix time in seconds")
    try:
        t_s = float(value)
    except OverflowError:
        raise ValueError("t must be a finite Unix time in seconds") from None
    if not math.isfinite(t_s):
        raise ValueError("t must be a finite Unix time in seconds")
    return t_s


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def parse_event(data: object) -> Event:
    """One decoded JSON value -> an Event; ValueError says what is wrong with it."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    kind = data.get("event")
    if kind == "query":
        return Query(
            _count(data, "n", 1),
            _count(data, "input_tokens", 0),
            _count(data, "output_tokens", 0),
            _time(data),
        )
    if kind == "phase":
        name, edge = data.get("name"), data.get("edge")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a phase needs a non-empty name")
        if edge not in EDGES:
            raise ValueError('edge must be "start" or "end"')
        return PhaseEdge(name.strip(), str(edge), _time(data))
    raise ValueError('event must be "query" or "phase"')


def parse_line(line: bytes) -> Event:
    """One line of the file (without its newline) -> an Event; ValueError when malformed."""
    try:
        data = _decode(line.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError(f"not JSON: {error}") from None
    return parse_event(data)


_COUNT = rb"(0|[1-9][0-9]{0,14})"
"""A count as json.dumps writes an int, below 10**15 (< MAX_COUNT, exact as a float)."""
_TIME = rb"((?:0|[1-9][0-9]{0,14})\.[0-9]{1,17})"
"""``t`` as repr(float) writes Unix time: plain digits, a point, digits (no exponent, finite)."""
_NAME = rb"([!#-\[\]-~]{1,1024})"
"""A phase name of printable ASCII without spaces, quotes or backslashes (nothing to strip
or unescape), short enough that the line stays far under MAX_LINE_BYTES."""
_ROW = re.compile(
    rb'^(?:\{"event":"query","n":' + _COUNT + rb',"input_tokens":' + _COUNT
    + rb',"output_tokens":' + _COUNT + rb',"t":' + _TIME + rb"\}"
    + rb'|\{"event":"phase","name":' + rb'"' + _NAME + rb'","edge":"(start|end)","t":' + _TIME
    + rb"\}|(.*))$",
    re.MULTILINE,
)  # fmt: skip
"""A line in the exact form ecoai.track writes (``json.dumps`` with compact separators) as
(n, input_tokens, output_tokens, t) of a query or (name, edge, t) of a phase edge, else the
whole line in the last group. What it takes, parse_line would decode to the same event."""
_ROW_BYTES = 32 * 1024
"""Bytes of lines matched per call of the expression (to the end of the line there)."""


_START = b"start"


@dataclass(slots=True)
class EventColumns:
    """Events as columns, queries apart from phase edges, each in file order; ``order`` says
    which came where (1 a query, 0 a phase edge), so ``events()`` gives back the Event list.

    A line in ecoai.track's exact form becomes a few list items, never an object of its own.
    """

    query_n: list[int] = field(default_factory=list)
    query_input_tokens: list[int] = field(default_factory=list)
    query_output_tokens: list[int] = field(default_factory=list)
    query_t: list[float | None] = field(default_factory=list)
    phase_name: list[str] = field(default_factory=list)
    phase_start: list[bool] = field(default_factory=list)
    phase_t: list[float | None] = field(default_factory=list)
    order: bytearray = field(default_factory=bytearray)
    untimed: bool = False
    """Some event has no ``t`` (None in ``query_t`` or ``phase_t``)."""

    def __len__(self) -> int:
        return len(self.order)

    def add(self, event: Event) -> None:
        """One event from the per-line path."""
        if isinstance(event, Query):
            self.query_n.append(event.n)
            self.query_input_tokens.append(event.input_tokens)
            self.query_output_tokens.append(event.output_tokens)
            self.query_t.append(event.t_s)
            self.order.append(1)
        else:
            self.phase_name.append(event.name)
            self.phase_start.append(event.edge == "start")
            self.phase_t.append(event.t_s)
            self.order.append(0)
        self.untimed = self.untimed or event.t_s is None

    def events(self) -> list[Event]:
        """The events in file order."""
        queries = iter(
            zip(self.query_n, self.query_input_tokens, self.query_output_tokens, self.query_t,
                strict=True)
        )  # fmt: skip
        phases = iter(zip(self.phase_name, self.phase_start, self.phase_t, strict=True))
        out: list[Event] = []
        for kind in self.order:
            if kind:
                out.append(Query(*next(queries)))
            else:
                name, start, t_s = next(phases)
                out.append(PhaseEdge(name, "start" if start else "end", t_s))
        return out


@dataclass
class EventTail:
    """Reads the lines appended to ``path`` since the last call, keeping a partial last line.

    Memory is bounded: at most one chunk and one partial line (``MAX_LINE_BYTES``) are held.
    """

    path: Path
    malformed: int = 0
    examples: list[str] = field(default_factory=list)
    """The first few malformed lines, with the reason."""
    offset: int = 0
    refused: bool = False
    """The file was replaced by something not a regular file: no more reads."""
    _partial: bytes = b""
    _skipping: bool = False

    def read(self, max_bytes: int | None = None) -> list[Event]:
        """Events in the complete lines appended since the last call (at most ``max_bytes``)."""
        return self.read_columns(max_bytes).events()

    def read_columns(self, max_bytes: int | None = None) -> EventColumns:
        """``read``, as columns."""
        events = EventColumns()
        if self.refused or self._unchanged():
            return events
        try:
            # never a symlink, never blocking: the command may swap the file for a FIFO or a
            # link to /dev/zero, which would hang ecoai or fill its memory
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return events
        except OSError as error:
            self._refuse(f"cannot open it ({error.strerror})")
            return events
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                self._refuse("it is no longer a regular file")
                return events
            budget = max_bytes
            while budget is None or budget > 0:
                chunk = os.pread(fd, min(READ_CHUNK_BYTES, budget or READ_CHUNK_BYTES), self.offset)
                if not chunk:
                    break
                self.offset += len(chunk)
                budget = None if budget is None else budget - len(chunk)
                self._lines(chunk, events)
        finally:
            os.close(fd)
        return events

    def _unchanged(self) -> bool:
        """Nothing appended since the last read: still a regular file of the size read so far.
        One lstat instead of open, fstat, pread and close on every sampler round (issue 16);
        anything else (a link, a FIFO, a file grown or gone) takes the careful path below."""
        try:
            found = os.lstat(self.path)
        except OSError:
            return False
        return stat.S_ISREG(found.st_mode) and found.st_size == self.offset

    def _refuse(self, why: str) -> None:
        """The command replaced the event file: stop reading it, count it as one bad line."""
        self.refused = True
        self._bad(b"", f"the event file was replaced: {why}; events after that were not read")

    def finish(self) -> list[Event]:
        """Everything left, a last line without its newline included (the writer has ended)."""
        return self.finish_columns().events()

    def finish_columns(self) -> EventColumns:
        """``finish``, as columns."""
        events = self.read_columns()
        if self._partial.strip() and not self._skipping:
            self._columns([self._partial], events)
        elif self._skipping:
            self._bad(b"", "line longer than 64 KiB")
        self._partial, self._skipping = b"", False
        return events

    def _lines(self, chunk: bytes, events: EventColumns) -> None:
        head, *rest = chunk.split(b"\n")
        if not rest:  # no newline: the current line goes on
            if not self._skipping:
                self._partial += head
                self._skip_if_long()
            return
        last = len(chunk) - len(rest[-1]) - 1  # the chunk's last newline
        if self._skipping:
            self._bad(b"", "line longer than 64 KiB")
            self._skipping = False
            text = chunk[len(head) + 1 : last] if len(head) < last else None
        else:
            text = self._partial + chunk[:last]
        self._partial = rest[-1]
        self._skip_if_long()
        if text is not None:
            self._text(text, events)  # the complete lines, joined as they came

    def _skip_if_long(self) -> None:
        if len(self._partial) > MAX_LINE_BYTES:
            self._partial, self._skipping = b"", True

    def _parse(self, lines: list[bytes]) -> list[Event]:
        """The events in ``lines`` (each without its newline)."""
        events = EventColumns()
        self._columns(lines, events)
        return events.events()

    def _columns(self, lines: list[bytes], events: EventColumns) -> None:
        self._text(b"\n".join(lines), events)

    def _text(self, text: bytes, events: EventColumns) -> None:
        """The events in ``text``, lines without their last newline, into ``events``."""
        # One regular expression over a slice of the lines at a time (whole lines, from
        # _ROW_BYTES on to the next newline): a line in the exact form ecoai.track writes is
        # decided here; every other line (a blank one too) takes parse_line. Slices keep the
        # matches held at once few. A slice of ecoai.track's lines only goes into the columns
        # a column at a time, without a loop over its lines in Python.
        at = 0
        while at <= len(text):
            cut = text.find(b"\n", at + _ROW_BYTES)
            if cut < 0:
                cut = len(text)
            rows = _ROW.findall(text[at:cut])
            at = cut + 1
            n, inputs, outputs, t_query, name, edge, t_phase, _ = zip(*rows, strict=True)
            query_t = list(filter(None, t_query))
            phase_t = list(filter(None, t_phase))
            if len(query_t) + len(phase_t) == len(rows):  # no other line in the slice
                events.query_n += map(int, filter(None, n))
                events.query_input_tokens += map(int, filter(None, inputs))
                events.query_output_tokens += map(int, filter(None, outputs))
                events.query_t += map(float, query_t)
                events.phase_name += map(bytes.decode, filter(None, name))
                events.phase_start += map(_START.__eq__, filter(None, edge))
                events.phase_t += map(float, phase_t)
                events.order += bytes(map(bool, t_query))
                continue
            for n, inputs, outputs, t_query, name, edge, t_phase, other in rows:
                if t_query:
                    events.add(Query(int(n), int(inputs), int(outputs), float(t_query)))
                elif t_phase:
                    events.add(
                        PhaseEdge(name.decode("ascii"), edge.decode("ascii"), float(t_phase))
                    )
                elif other.strip():
                    self._one(other, events.add)

    def _one(self, line: bytes, add: Callable[[Event], None]) -> None:
        """A line not in ecoai.track's exact form: the full per-line path."""
        if len(line) > MAX_LINE_BYTES:
            self._bad(b"", "line longer than 64 KiB")
            return
        try:
            add(parse_line(line))
        except (ValueError, ArithmeticError, RecursionError) as error:
            self._bad(line, str(error))  # this line only: its neighbours are kept

    def _bad(self, line: bytes, reason: str) -> None:
        self.malformed += 1
        if len(self.examples) < 3:
            text = line[:80].decode("utf-8", "replace")
            self.examples.append(f"{reason}: {text!r}" if text else reason)
