"""Fold a run's events into queries, tokens and the energy inside each phase (a sampler listener).

The energy of a phase is the sensors' energy between its start and end edges, interpolated
linearly between the samples around each edge (so its resolution is the sampling interval).
Windows of one name that overlap (two workers decoding at once) count once: the phase is on
while any window of that name is open. ``any phase`` is the union of every phase, so the
energy outside all phases is the run's energy minus it. Memory is bounded: recent samples,
one tally per phase name (at most ``MAX_PHASES`` names).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from ecoai.measurement.events import Event, EventTail, PhaseEdge, Query, parse_event
from ecoai.measurement.sampler import Mark, Sample

MAX_PHASES = 100
READ_BYTES = 8 << 20
"""Event-file bytes read per sample at most, so a burst is folded over several samples."""
MAX_WINDOWS = 2000
"""Phase windows kept for the plot (sampler clock); later ones are counted, not kept."""
FUTURE_TOLERANCE_S = 60.0
"""An event stamped further ahead of now is clock-skewed (milliseconds for seconds, a wrong
clock): applied now and counted, never held. Within it (clock slew between processes), it waits."""
MAX_PENDING = 100_000
"""Events held for their (near-future) time at most; beyond, they are applied now and counted."""
ANY_PHASE = "(any phase)"


@dataclass
class PhaseRecord:
    """One phase name over a run: windows ended, time and per-sensor energy inside. Units: s, J."""

    windows: int = 0
    duration_s: float = 0.0
    energy_j: dict[str, float] = field(default_factory=dict)
    open: int = 0
    since: tuple[float, dict[str, float]] | None = None


@dataclass
class WorkRecord:
    """What the command reported about one run."""

    queries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    events: int = 0
    malformed: int = 0
    examples: list[str] = field(default_factory=list)
    phases: dict[str, PhaseRecord] = field(default_factory=dict)
    any_phase: PhaseRecord = field(default_factory=PhaseRecord)
    unclosed: list[str] = field(default_factory=list)
    unmatched_ends: int = 0
    dropped_phases: int = 0
    early_events: int = 0
    """Events stamped before the run started: applied at the run's start."""
    future_events: int = 0
    """Events stamped beyond FUTURE_TOLERANCE_S ahead of their reading: applied when read."""
    started_s: float = 0.0
    """The run's start on the sampler's clock. Units: s."""
    started_j: dict[str, float] = field(default_factory=dict)
    first_query: tuple[float, int, int, dict[str, float]] | None = None
    """(time, queries, output tokens, energy so far per sensor) of the earliest query event."""
    last_query: tuple[float, dict[str, float]] | None = None
    """(time, energy so far per sensor) of the latest query event. Units: s, J."""
    first_query_input_tokens: int = 0
    """The prompt tokens the earliest query event reported (served before the window)."""
    source: str = "events"
    """Where the queries came from: ``events`` (the event file, ecoai.track) or ``server``
    (a model server's metrics, --serve-metrics)."""
    output_tokens_per_request: dict[str, float] = field(default_factory=dict)
    """Quantiles (``p50``, ``p90``, ``p99``) of generated tokens per request, where the server
    exposes a histogram of them."""


def unix_to_monotonic() -> Callable[[float], float]:
    """Map Unix time (the events' ``t``) to the sampler's monotonic clock. Units: s."""
    offset_s = time.time() - time.monotonic()
    return lambda t_s: t_s - offset_s


class WorkMeter:
    """A sampler listener reading ``tail`` (and ``feed``) between ``begin`` and ``end``."""

    def __init__(
        self,
        tail: EventTail | None = None,
        to_clock: Callable[[float], float] | None = None,
        history: int = 600,
    ) -> None:
        self.tail = tail
        self.to_clock = to_clock or unix_to_monotonic()
        self.record = WorkRecord()
        self.annotate: Callable[[WorkRecord], None] | None = None
        """Called with the record at each run's end (the model server's scraper)."""
        self.restart: Callable[[], None] | None = None
        """Called at each run's start (the model server's scraper counts afresh)."""
        self.flush: Callable[[], None] | None = None
        """Called at each run's end before the last events are read (the model server's
        scraper hands over an increase it held back)."""
        self.windows: list[tuple[str, float, float]] = []
        """(phase, start, end) on the sampler's clock, across runs (for --plot). Units: s."""
        self._samples: deque[tuple[float, dict[str, float]]] = deque(maxlen=history)
        self._pending: list[tuple[float, Event]] = []
        self._fed: list[tuple[float | None, Event]] = []
        self._running = False
        self._cached: tuple[float, int, dict[str, float]] | None = None
        self._lock = threading.Lock()

    def begin(self, start: Mark) -> None:
        """A run starts: forget earlier events and samples."""
        if self.restart is not None:
            self.restart()
        with self._lock:
            if self.tail is not None:
                self.tail.read()
            self.record, self._pending, self._fed = WorkRecord(), [], []
            self.record.started_s, self.record.started_j = start.t_s, dict(start.energy_j)
            self._samples.clear()
            self._samples.append((start.t_s, dict(start.energy_j)))
            self._running = True

    def end(self, end: Mark) -> WorkRecord:
        """The run ended at ``end``: read what is left and close the phases still open."""
        if self.flush is not None:
            self.flush()
        with self._lock:
            self._add_sample(end.t_s, end.energy_j)
            while self.tail is not None and (batch := self.tail.read(max_bytes=READ_BYTES)):
                self._collect(batch, end.t_s)  # a backlog is folded a slice at a time
                self._process(end.t_s, final=True)
            self._collect(self.tail.finish() if self.tail else [], end.t_s)
            self._process(end.t_s, final=True)
            for name, phase in [*self.record.phases.items(), (ANY_PHASE, self.record.any_phase)]:
                if phase.open:
                    if name != ANY_PHASE:
                        self.record.unclosed.append(name)
                    phase.open = 1
                    self._close(phase, end.t_s, None if name == ANY_PHASE else name)
            if self.tail is not None:
                self.record.malformed = self.tail.malformed
                self.record.examples = list(self.tail.examples)
                self.tail.malformed, self.tail.examples = 0, []
            if self.annotate is not None:
                self.annotate(self.record)
            self._running = False
            return self.record

    def __call__(self, sample: Sample) -> None:
        with self._lock:
            if not self._running:
                return
            self._add_sample(sample.t_s, sample.energy_j)
            self._collect(self.tail.read(max_bytes=READ_BYTES) if self.tail else [], sample.t_s)
            self._process(sample.t_s, final=False)

    def feed(self, data: dict[str, Any]) -> None:
        """Take one event in-process (``ecoai.track`` inside ``ecoai.measure``)."""
        try:
            event = parse_event(data)
        except (ValueError, ArithmeticError, RecursionError):
            with self._lock:
                self.record.malformed += 1
            return
        with self._lock:
            self._fed.append((None, event))

    def queries(self) -> int:
        """Queries reported so far in this run (for the live view)."""
        return self.record.queries

    def _add_sample(self, t_s: float, energy_j: dict[str, float]) -> None:
        if not self._samples or t_s > self._samples[-1][0]:
            self._samples.append((t_s, dict(energy_j)))

    def _collect(self, events: Iterable[Event], now_s: float) -> None:
        if not events and not self._fed:  # most rounds: nothing new
            return
        fed, self._fed = self._fed, []
        record, pending, to_clock = self.record, self._pending, self.to_clock
        started_s, far_s = record.started_s, now_s + FUTURE_TOLERANCE_S
        hold = pending.append
        for event in [*(e for _, e in fed), *events] if fed else events:
            t_s = now_s if event.t_s is None else to_clock(event.t_s)
            if t_s < started_s:  # time.monotonic() or a stale clock: not in this run
                record.early_events += 1
                t_s = started_s
            elif t_s > far_s or (
                t_s > now_s and len(pending) >= MAX_PENDING
            ):  # milliseconds by mistake, a skewed clock: held, it would never come due
                record.future_events += 1
                t_s = now_s
            hold((t_s, event))
            record.events += 1

    def _process(self, now_s: float, final: bool) -> None:
        if not self._pending:  # most rounds: nothing was reported since the last one
            return
        self._pending.sort(key=itemgetter(0))
        ready = self._pending if final else [p for p in self._pending if p[0] <= now_s]
        self._pending = [] if final else self._pending[len(ready) :]
        last_query_s: float | None = None
        record = self.record
        for t_s, event in ready:
            if t_s > now_s:
                t_s = now_s
            if not isinstance(event, Query):
                self._apply(t_s, event)
                continue
            # _apply's query branch, inline: most lines of a busy server's file are queries
            record.queries += event.n
            record.input_tokens += event.input_tokens
            record.output_tokens += event.output_tokens
            first = record.first_query
            if first is None or t_s < first[0]:  # another writer's line read late
                energy_j = self._energy_at(t_s)
                record.first_query = (t_s, event.n, event.output_tokens, energy_j)
                record.first_query_input_tokens = event.input_tokens
            last_query_s = t_s
        last = self.record.last_query
        if last_query_s is not None and (last is None or last_query_s >= last[0]):
            self.record.last_query = (last_query_s, self._energy_at(last_query_s))

    def _apply(self, t_s: float, event: Event) -> None:
        if isinstance(event, Query):
            self.record.queries += event.n
            self.record.input_tokens += event.input_tokens
            self.record.output_tokens += event.output_tokens
            first = self.record.first_query
            if first is None or t_s < first[0]:  # another writer's line read late
                energy_j = self._energy_at(t_s)
                self.record.first_query = (t_s, event.n, event.output_tokens, energy_j)
                self.record.first_query_input_tokens = event.input_tokens
            return
        phase = self._phase(event)
        if phase is None:
            return
        if event.edge == "start":
            self._open(phase, t_s)
            self._open(self.record.any_phase, t_s)
        elif phase.open == 0:
            self.record.unmatched_ends += 1
        else:
            self._close(phase, t_s, event.name)
            self._close(self.record.any_phase, t_s)

    def _phase(self, event: PhaseEdge) -> PhaseRecord | None:
        phases = self.record.phases
        known = phases.get(event.name)
        if known is not None:
            return known
        if len(phases) >= MAX_PHASES:
            self.record.dropped_phases += 1
            return None
        return phases.setdefault(event.name, PhaseRecord())

    def _open(self, phase: PhaseRecord, t_s: float) -> None:
        if phase.open == 0:
            phase.since = (t_s, self._energy_at(t_s))
        phase.open += 1

    def _close(self, phase: PhaseRecord, t_s: float, name: str | None = None) -> None:
        phase.open -= 1
        phase.windows += phase is not self.record.any_phase
        if phase.open or phase.since is None:
            return
        start_s, start_j = phase.since
        now_j = self._energy_at(t_s)
        phase.duration_s += max(0.0, t_s - start_s)
        if name is not None and len(self.windows) < MAX_WINDOWS:
            self.windows.append((name, start_s, t_s))
        for sensor, energy_j in now_j.items():
            step_j = energy_j - start_j.get(sensor, 0.0)
            phase.energy_j[sensor] = phase.energy_j.get(sensor, 0.0) + step_j
        phase.since = None

    def _energy_at(self, t_s: float) -> dict[str, float]:
        """Every sensor's energy so far at ``t_s``, interpolated between samples. Units: J."""
        if (
            self._cached is not None
            and self._cached[0] == t_s
            and self._cached[1] == len(self._samples)
        ):
            return self._cached[2]
        energy_j = self._interpolate(t_s)
        self._cached = (t_s, len(self._samples), energy_j)
        return energy_j

    def _interpolate(self, t_s: float) -> dict[str, float]:
        later: tuple[float, dict[str, float]] | None = None
        for sample in reversed(self._samples):  # edges are recent: a step or two back
            if sample[0] <= t_s:
                if later is None or later[0] == sample[0]:
                    return sample[1]
                weight = (t_s - sample[0]) / (later[0] - sample[0])
                return {
                    name: j + weight * (later[1].get(name, j) - j) for name, j in sample[1].items()
                }
            later = sample
        return self._samples[0][1] if self._samples else {}
