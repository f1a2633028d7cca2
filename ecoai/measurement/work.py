"""Fold a run's events into queries, tokens and the energy inside each phase (a sampler listener).

The energy of a phase is the sensors' energy between its start and end edges, interpolated
linearly between the samples around each edge (so its resolution is the sampling interval).
Windows of one name that overlap (two workers decoding at once) count once: the phase is on
while any window of that name is open. ``any phase`` is the union of every phase, so the
energy outside all phases is the run's energy minus it. Memory is bounded: recent samples,
one tally per phase name (at most ``MAX_PHASES`` names).

A read whose events all fall inside the run so far is folded as columns (``_fold_columns``);
any other goes event by event (``_collect``, ``_process``). Both give the same counts, windows
and examples; a phase's energy and duration, summed over its windows in another order, agree
within a relative 1e-9 of the sum of the windows' absolute values (the result itself while the
counters only rise).
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter, sub
from typing import Any

from ecoai.measurement.events import (
    Event,
    EventColumns,
    EventTail,
    PhaseEdge,
    Query,
    parse_event,
)
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
            while self.tail is not None and (batch := self.tail.read_columns(max_bytes=READ_BYTES)):
                self._fold(batch, end.t_s, final=True)  # a backlog is folded a slice at a time
            self._fold(self.tail.finish_columns() if self.tail else None, end.t_s, final=True)
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
            batch = self.tail.read_columns(max_bytes=READ_BYTES) if self.tail else None
            self._fold(batch, sample.t_s, final=False)

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

    def _fold(self, batch: EventColumns | None, now_s: float, final: bool) -> None:
        """Fold ``batch`` (and events fed or held): as columns where every event of it falls
        inside the run up to ``now_s`` and nothing is fed or held, else event by event."""
        if not self._fed and not self._pending:
            if not batch:
                return  # nothing to fold
            to_clock = self.to_clock
            if batch.untimed:
                query_s = [now_s if t is None else to_clock(t) for t in batch.query_t]
                phase_s = [now_s if t is None else to_clock(t) for t in batch.phase_t]
            else:
                query_s = list(map(to_clock, batch.query_t))  # type: ignore[arg-type]
                phase_s = list(map(to_clock, batch.phase_t))  # type: ignore[arg-type]
            times = (query_s, phase_s)
            started_s = self.record.started_s
            if all(not t or (min(t) >= started_s and max(t) <= now_s) for t in times):
                self._fold_columns(batch, query_s, phase_s)
                return
        self._collect(batch.events() if batch is not None else [], now_s)
        self._process(now_s, final)

    def _fold_columns(
        self, batch: EventColumns, query_s: list[float], phase_s: list[float]
    ) -> None:
        """``_collect`` and ``_process`` over a batch whose events all fall inside the run so
        far (none early, none ahead of now): sums for the counts, one pass over the phase edges
        in time order, and each phase's window energies and durations summed with math.fsum.

        Every count, window and phase edge is the event-by-event fold's; each window's energy
        and duration is computed as it computes them, but the windows are summed in another
        order, so a phase's energy and duration agree with it within a relative 1e-9 of the
        sum of the windows' absolute values (the result itself while the counters only rise).
        """
        record = self.record
        record.events += len(batch)
        if query_s:
            record.queries += sum(batch.query_n)
            record.input_tokens += sum(batch.query_input_tokens)
            record.output_tokens += sum(batch.query_output_tokens)
            first_s = min(query_s)
            first = record.first_query
            if first is None or first_s < first[0]:
                at = query_s.index(first_s)  # the earliest, the first of equals in time order
                energy_j = self._energy_at(first_s)
                out = batch.query_output_tokens[at]
                record.first_query = (first_s, batch.query_n[at], out, energy_j)
                record.first_query_input_tokens = batch.query_input_tokens[at]
            last_s = max(query_s)
            last = record.last_query
            if last is None or last_s >= last[0]:
                record.last_query = (last_s, self._energy_at(last_s))
        if phase_s:
            self._fold_phases(batch, phase_s)

    def _fold_pairs(self, batch: EventColumns, phase_s: list[float]) -> bool:
        """The phase edges of a batch where, in time order, each start is followed by the end
        of its phase (one window open at a time, a server's usual file; a window open before
        the batch may end first, one may stay open after it): no pass in Python over the
        edges. False, having changed nothing, where the edges are not so."""
        record, phases = self.record, self.record.phases
        open_names = [name for name, phase in phases.items() if phase.open]
        if record.any_phase.open != len(open_names) or len(open_names) > 1:
            return False
        if open_names and phases[open_names[0]].open != 1:
            return False
        order = sorted(range(len(phase_s)), key=phase_s.__getitem__)
        starts = [*map(batch.phase_start.__getitem__, order)]
        names = [*map(batch.phase_name.__getitem__, order)]
        head = 1 if open_names else 0  # the end of the window open before the batch
        if head and (starts[0] or names[0] != open_names[0]):
            return False
        stop = len(starts) - (len(starts) - head) % 2  # an odd start left: it stays open
        if stop < len(starts) and not starts[-1]:
            return False
        if not all(starts[head:stop:2]) or any(starts[head + 1 : stop : 2]):
            return False
        opening = names[head:stop:2]
        if opening != names[head + 1 : stop : 2]:
            return False
        new = [name for name in dict.fromkeys(names[head:]) if name not in phases]
        if len(phases) + len(new) > MAX_PHASES:
            return False  # some names are dropped: edge by edge
        for name in new:
            phases[name] = PhaseRecord()
        times = [*map(phase_s.__getitem__, order)]
        carried: list[tuple[str | None, float]] = []
        if head:
            name, end_s = open_names[0], times[0]
            phase = phases[name]
            phase.open, phase.windows = 0, phase.windows + 1
            record.any_phase.open = 0
            if phase.since is not None and len(self.windows) < MAX_WINDOWS:
                self.windows.append((name, phase.since[0], end_s))
            carried = [(name, end_s), (None, end_s)]
        open_s, close_s = times[head:stop:2], times[head + 1 : stop : 2]
        room = MAX_WINDOWS - len(self.windows)
        if room > 0:
            self.windows += zip(opening[:room], open_s[:room], close_s[:room], strict=True)
        closed: dict[str | None, tuple[list[float], list[float]]] = {}
        if open_s:
            closed[None] = (open_s, close_s)
        counts = Counter(opening)
        for name, count in counts.items():
            phases[name].windows += count
            if len(counts) == 1:
                closed[name] = (open_s, close_s)
            else:
                chosen = list(map(name.__eq__, opening))
                closed[name] = (list(compress(open_s, chosen)), list(compress(close_s, chosen)))
        self._add_windows(closed, carried)
        if stop < len(starts):
            name, start_s = names[-1], times[-1]
            energy_j = self._energy_at(start_s)
            phases[name].open, phases[name].since = 1, (start_s, energy_j)
            record.any_phase.open, record.any_phase.since = 1, (start_s, energy_j)
        return True

    def _fold_phases(self, batch: EventColumns, phase_s: list[float]) -> None:
        """The phase edges of a batch in time order (a stable sort, as ``_process``)."""
        if self._fold_pairs(batch, phase_s):
            return
        record, phases = self.record, self.record.phases
        names, starts = batch.phase_name, batch.phase_start
        opened = {name: phase.open for name, phase in phases.items()}
        windows = dict.fromkeys(phases, 0)
        since_s: dict[str, float] = {}
        """Where a window opened in this batch is still open: its start."""
        closed: dict[str | None, tuple[list[float], list[float]]] = {}
        """Per phase (None: any phase), the windows opened and closed in this batch."""
        carried: list[tuple[str | None, float]] = []
        """Windows opened before this batch, closed in it: (phase, end)."""
        any_open, any_since = record.any_phase.open, None
        unmatched = dropped = 0
        plot, plot_room = self.windows, MAX_WINDOWS - len(self.windows)
        for at in sorted(range(len(phase_s)), key=phase_s.__getitem__):
            name = names[at]
            count = opened.get(name)
            if count is None:
                if len(phases) >= MAX_PHASES:
                    dropped += 1
                    continue
                phases[name] = PhaseRecord()
                count = opened[name] = windows[name] = 0
            t_s = phase_s[at]
            if starts[at]:
                if count == 0:
                    since_s[name] = t_s
                opened[name] = count + 1
                if any_open == 0:
                    any_since = t_s
                any_open += 1
                continue
            if count == 0:
                unmatched += 1
                continue
            opened[name] = count - 1
            windows[name] += 1
            if count == 1:
                start_s = since_s.pop(name, None)
                if start_s is None:
                    carried.append((name, t_s))
                    since = phases[name].since
                    start_s = None if since is None else since[0]
                else:
                    pair = closed.get(name)
                    if pair is None:
                        pair = closed[name] = ([], [])
                    pair[0].append(start_s)
                    pair[1].append(t_s)
                if start_s is not None and plot_room > 0:
                    plot.append((name, start_s, t_s))
                    plot_room -= 1
            any_open -= 1
            if any_open == 0:
                if any_since is None:
                    carried.append((None, t_s))
                else:
                    pair = closed.get(None)
                    if pair is None:
                        pair = closed[None] = ([], [])
                    pair[0].append(any_since)
                    pair[1].append(t_s)
                    any_since = None
        record.unmatched_ends += unmatched
        record.dropped_phases += dropped
        for name, count in windows.items():
            phases[name].windows += count
        self._add_windows(closed, carried)
        for name, count in opened.items():
            phase = phases[name]
            phase.open = count
            if name in since_s:
                phase.since = (since_s[name], self._energy_at(since_s[name]))
        record.any_phase.open = any_open
        if any_since is not None:
            record.any_phase.since = (any_since, self._energy_at(any_since))

    def _add_windows(
        self,
        closed: dict[str | None, tuple[list[float], list[float]]],
        carried: list[tuple[str | None, float]],
    ) -> None:
        """Add the windows closed in a batch to their phases' durations and energies: those
        opened in it (``closed``: starts and ends per phase, None for any phase) and those
        opened before it (``carried``: phase and end)."""
        record, phases = self.record, self.record.phases
        steps: dict[str | None, tuple[list[float], dict[str, list[float]]]] = {}
        for key, end_s in carried:  # closed first: a phase opens again only once it closes
            phase = record.any_phase if key is None else phases[key]
            if phase.since is not None:
                start_s, start_j = phase.since
                durations, energies = steps.setdefault(key, ([], {}))
                durations.append(max(0.0, end_s - start_s))
                for sensor, energy_j in self._interpolate(end_s).items():
                    step_j = energy_j - start_j.get(sensor, 0.0)
                    energies.setdefault(sensor, []).append(step_j)
            phase.since = None
        for key, (start_list, end_list) in closed.items():
            durations, energies = steps.setdefault(key, ([], {}))
            durations += map(sub, end_list, start_list)  # never below 0: in time order
            self._window_steps(start_list, end_list, energies)
        for key, (durations, energies) in steps.items():
            phase = record.any_phase if key is None else phases[key]
            phase.duration_s = math.fsum([phase.duration_s, *durations])
            for sensor, values in energies.items():
                phase.energy_j[sensor] = math.fsum([phase.energy_j.get(sensor, 0.0), *values])

    def _window_steps(
        self, start_list: list[float], end_list: list[float], energies: dict[str, list[float]]
    ) -> None:
        """Each window's energy per sensor, computed as ``_close`` computes it (the energy
        interpolated at its end less that at its start), into ``energies``."""
        samples = list(self._samples)
        times = [t for t, _ in samples]
        first = bisect_right(times, start_list[0]) - 1  # the windows are in time order
        if first == bisect_right(times, end_list[-1]) - 1:
            groups = {first: (start_list, end_list)}  # every edge between the same samples
        else:
            groups = {}
            for start_s, end_s in zip(start_list, end_list, strict=True):
                group = bisect_right(times, start_s) - 1
                if group != bisect_right(times, end_s) - 1:
                    group = -2  # one window across samples: interpolated edge by edge
                pair = groups.setdefault(group, ([], []))
                pair[0].append(start_s)
                pair[1].append(end_s)
        for group, (starts, ends) in groups.items():
            if group == -2:
                for start_s, end_s in zip(starts, ends, strict=True):
                    start_j = self._interpolate(start_s)
                    for sensor, energy_j in self._interpolate(end_s).items():
                        step_j = energy_j - start_j.get(sensor, 0.0)
                        energies.setdefault(sensor, []).append(step_j)
            elif group < 0 or group == len(samples) - 1:  # before the first, after the last
                flat = samples[0 if group < 0 else group][1]
                for sensor, energy_j in flat.items():
                    energies.setdefault(sensor, []).extend([energy_j - energy_j] * len(ends))
            else:
                (t0, energy0), (t1, energy1) = samples[group], samples[group + 1]
                span_s = t1 - t0
                for sensor, j in energy0.items():
                    dj = energy1.get(sensor, j) - j
                    energies.setdefault(sensor, []).extend(
                        [
                            (j + (end_s - t0) / span_s * dj) - (j + (start_s - t0) / span_s * dj)
                            for start_s, end_s in zip(starts, ends, strict=True)
                        ]
                    )

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
