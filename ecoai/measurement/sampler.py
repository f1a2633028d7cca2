"""Read every sensor at a fixed interval on a background thread, keeping running totals only.

Memory stays bounded for runs of days: per sensor a running total, the first gaps, and whatever
the listeners keep (``Timeline`` halves its resolution when full). ``tick()`` does one round
of reads; the thread only calls it, so tests drive the sampler with a fake clock and no thread.
Once started, each sensor is read on its own thread, so one that hangs stops no other (R14).
Read errors are counted, never fatal; intervals much longer than asked are recorded as gaps;
the threads' own CPU time is ecoai's overhead.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ecoai.sensors.base import Reading, Sensor, may_hang
from ecoai.sensors.counters import IntervalCheck, PowerProbe

if TYPE_CHECKING:
    from ecoai.models import GapInfo

MAX_GAPS = 100
DEFAULT_INTERVAL_S = 0.5
"""The steady interval when none is asked for (``ecoai profile``, ``ecoai.measure``). Counters
are exact from the marks at a run's edges whatever the rate, and a round costs a wake-up and a
few reads on cold caches (~0.1-0.25 ms here): two rounds a second keep ecoai's own CPU under 1 ms
per second, where ten cost 1.5-1.7 ms/s and a bare thread waking ten times 0.4-0.9 (issue 16).
An explicit interval is kept exactly (the timeline, per-phase edges and power-only sensors then
have that resolution)."""
HANG_S = 0.25
"""A read that has not answered after max(HANG_S, 2 intervals) is abandoned (see ``hung``):
a round of reads takes milliseconds, and a run's last mark waits at most this long."""


@dataclass
class Tally:
    """Running totals of one sensor. Units: J, W, s."""

    samples: int = 0
    errors: int = 0
    last_error: str | None = None
    first: Reading | None = None
    last: Reading | None = None
    energy_j: float = 0.0
    power_w: float | None = None
    """Power over the latest interval (a counter's energy step / time step)."""
    peak_power_w: float | None = None
    failing_since_s: float | None = None
    """When the reads that are still failing began (None: the latest read worked). Units: s."""
    check: IntervalCheck = field(default_factory=IntervalCheck)
    """Every interval's plausibility against the device's bounds (ecoai.sensors.counters)."""
    probe: PowerProbe | None = None
    """The sensor's power reading, used to bridge a counter interval that is implausible."""

    def fail(self, reason: str, now_s: float) -> None:
        """Count one failed read."""
        self.errors += 1
        self.last_error = reason
        if self.failing_since_s is None:
            self.failing_since_s = now_s

    def add(self, reading: Reading) -> None:
        """Fold in one reading: counters by difference, power by the trapezoid rule, each
        interval checked (and bridged if implausible) by ``check``."""
        previous, self.last = self.last, reading
        self.samples += 1
        self.failing_since_s = None
        if previous is None:
            self.first = reading
            self.power_w = reading.power_w
            return
        step_s = reading.t_s - previous.t_s
        step_j = self.check.energy_j(previous, reading, self.probe)
        if step_j is None:
            return
        if reading.energy_j is not None and previous.energy_j is not None:
            self.power_w = step_j / step_s if step_s > 0 else self.power_w
        else:
            self.power_w = reading.power_w
        self.energy_j += step_j
        if self.power_w is not None:
            self.peak_power_w = max(self.power_w, self.peak_power_w or self.power_w)


def tally_for(sensor: Sensor) -> Tally:
    """A tally checking ``sensor``'s intervals against its ``max_power_w`` (if it states one),
    bridging implausible ones with its ``read_power_w`` (if it has one)."""
    check = IntervalCheck(
        getattr(sensor, "max_power_w", None), str(getattr(sensor, "max_power_source", ""))
    )
    return Tally(check=check, probe=getattr(sensor, "read_power_w", None))


@dataclass(frozen=True)
class Sample:
    """One round of reads, as listeners see it: power over the last interval, energy so far."""

    t_s: float
    power_w: dict[str, float]
    energy_j: dict[str, float]


@dataclass(frozen=True)
class Mark:
    """Every sensor's energy so far at one instant (phase and run boundaries). Units: s, J."""

    t_s: float
    energy_j: dict[str, float]

    def until(self, later: Mark) -> dict[str, float]:
        """Energy per sensor between this mark and ``later``. Units: J."""
        return {
            name: later.energy_j[name] - self.energy_j.get(name, 0.0) for name in later.energy_j
        }


Listener = Callable[[Sample], None]


@dataclass
class Sampler:
    """Reads ``sensors`` every ``interval_s`` on a thread (``start``/``stop``) or by ``tick``.

    While started, each sensor is read on its own thread (``SensorReader``), so a read that
    hangs delays no other sensor: a round asks every idle sensor for a reading, waits a little
    (a mark waits for fresh readings of all, at most ``hang_s``), and folds in what answered;
    a late answer is folded in the next round. A read still unanswered after ``hang_s`` is
    abandoned by the next round (the watchdog): the sensor is marked hung and not read again.
    """

    sensors: Sequence[Sensor]
    interval_s: float = DEFAULT_INTERVAL_S
    clock: Callable[[], float] = time.monotonic
    gap_factor: float = 3.0
    tallies: dict[str, Tally] = field(default_factory=dict)
    gaps: list[GapInfo] = field(default_factory=list)
    """The first ``MAX_GAPS`` intervals between rounds much longer than asked (s since start)."""
    gap_count: int = 0
    gap_s: float = 0.0
    ticks: int = 0
    listener_errors: int = 0
    overhead_cpu_s: float = 0.0
    started_s: float | None = None
    hung: dict[str, float] = field(default_factory=dict)
    """Sensors whose read never answered, with the time it began; they are not read again."""
    _listeners: list[Listener] = field(default_factory=list)
    _last_tick_s: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waker: Waker | None = None
    _thread: threading.Thread | None = None
    _readers: dict[str, SensorReader] = field(default_factory=dict)
    _direct: list[Sensor] = field(default_factory=list)
    """Once started: the sensors that never block (``may_hang``), read on the sampler's thread."""
    _last_sample_s: float | None = None

    def __post_init__(self) -> None:
        self.tallies = {sensor.name: tally_for(sensor) for sensor in self.sensors}

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` after every round (live view, timeline, phases, metrics)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def thread_cpu_s(self) -> float:
        """CPU time the sampler's threads used so far: ecoai's overhead. Units: s."""
        threads = [self._thread, *(r.thread for r in self._readers.values())]
        total_s = self.overhead_cpu_s
        for thread in threads:
            if thread is None or thread.ident is None or not thread.is_alive():
                continue
            try:
                total_s += time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            except (OSError, AttributeError):  # exited meanwhile, or not a POSIX system
                continue
        return total_s

    def tick(self) -> Sample:
        """Read every sensor once; errors are counted against the sensor, never raised."""
        return self._round(fresh=True)

    def _round(self, fresh: bool) -> Sample:
        """One round of reads: every sensor (``fresh``, a mark or a tick) or whichever answer
        within a short wait (the thread's rounds, so that a slow sensor delays no other)."""
        with self._lock:
            now_s = self.clock()
            last_s, self._last_tick_s = self._last_tick_s, now_s
            if last_s is not None and now_s - last_s > self.gap_factor * self.interval_s:
                self._note_gap(last_s, now_s)
            t_s = now_s
            if self._readers:  # stamped when the reads ran, not when they were asked
                read_at = self._inline(self._direct) + self._threaded(now_s, fresh)
                t_s = max(read_at, default=now_s)
                t_s = max(t_s, self._last_sample_s or t_s)
            else:
                self._inline(self.sensors)
            self._last_sample_s = t_s
            self.ticks += 1
            sample = self._sample(t_s)
        if self._listeners:
            for listener in self._listeners:
                try:
                    listener(sample)
                except Exception:  # a broken live view must not stop the measurement
                    self.listener_errors += 1
        return sample

    def _inline(self, sensors: Sequence[Sensor]) -> list[float]:
        """Read ``sensors`` on this thread (all of them in a sampler never started, as in tests
        with a fake clock; those that never block once started); when each read began."""
        began: list[float] = []
        clock, tallies, hung = self.clock, self.tallies, self.hung
        for sensor in sensors:
            if hung and sensor.name in hung:
                continue
            began.append(clock())
            try:
                reading = sensor.read()
            except Exception as error:  # a flaky sensor must not stop the measurement
                tallies[sensor.name].fail(f"{type(error).__name__}: {error}", clock())
            else:
                tallies[sensor.name].add(reading)
        return began

    def _threaded(self, now_s: float, fresh: bool) -> list[float]:
        """One round on the readers; the times (sampler clock) at which the reads it folded in
        began, so that the round's energy and time stamp agree however late a thread woke."""
        hang_s = self._hang_s()
        read_at: list[float] = []
        readers = [r for name, r in self._readers.items() if name not in self.hung]
        asked = [r for r in readers if r.ask(now_s)]
        if fresh:  # a mark: readings taken now, so wait for reads begun earlier, then ask again
            for reader in readers:
                if reader not in asked and reader.wait(hang_s - reader.age_s()):
                    read_at += self._take(reader)
                    if reader.ask(now_s):
                        asked.append(reader)
        wait_s = hang_s if fresh else min(hang_s, self.interval_s / 2)
        deadline = time.monotonic() + wait_s
        for reader in asked:
            reader.wait(max(0.0, deadline - time.monotonic()))
        for reader in readers:
            read_at += self._take(reader)
            if reader.age_s() >= hang_s:  # the watchdog: give up on it, the others go on
                since_s = reader.asked_s if reader.asked_s is not None else now_s
                self.hung[reader.sensor.name] = since_s
                self.tallies[reader.sensor.name].fail(
                    f"read hung: no answer within {hang_s:g} s", since_s
                )
                reader.close()
        return read_at

    def _take(self, reader: SensorReader) -> list[float]:
        answered = reader.take()
        if answered is None:
            return []
        self._fold(reader.sensor.name, answered[0], answered[1])
        return [answered[1]]

    def _fold(self, name: str, reading: Reading | Exception, when_s: float) -> None:
        tally = self.tallies[name]
        if isinstance(reading, Exception):
            tally.fail(f"{type(reading).__name__}: {reading}", when_s)
        else:
            tally.add(reading)

    def mark(self) -> Mark:
        """Take a fresh round of reads and return every sensor's energy so far."""
        sample = self.tick()
        return Mark(sample.t_s, sample.energy_j)

    def start(self) -> Mark:
        """Read once now (the origin), then keep reading, each sensor on its own thread."""
        origin = self.mark()
        self.started_s = origin.t_s
        self._direct = [s for s in self.sensors if not may_hang(s)]
        self._readers = {
            s.name: SensorReader(s, self.clock)
            for s in self.sensors
            if s.name not in self.hung and may_hang(s)
        }
        self._waker = Waker()
        self._thread = threading.Thread(
            target=self._loop, args=(self._waker,), name="ecoai-sampler", daemon=True
        )
        self._thread.start()
        return origin

    def stop(self) -> Mark:
        """Stop the threads and take a final round of reads (never blocked by a hung sensor)."""
        thread, waker, self._thread = self._thread, self._waker, None
        if thread is not None and waker is not None:
            waker.wake()
            thread.join()  # a round waits at most hang_s: no read can hold it longer
            waker.close()
        end = self.mark()
        readers, self._readers = self._readers, {}
        for reader in readers.values():
            reader.close()
        for name, reader in readers.items():
            if name not in self.hung:  # an idle reader ends at once
                self.overhead_cpu_s += reader.join(self._hang_s())
        return end

    def _hang_s(self) -> float:
        return max(HANG_S, 2 * self.interval_s)

    def _loop(self, waker: Waker) -> None:
        next_s = time.monotonic() + self.interval_s
        while not waker.wait(max(0.0, next_s - time.monotonic())):
            self._round(fresh=False)
            next_s = max(next_s + self.interval_s, time.monotonic())
        self.overhead_cpu_s += time.thread_time()

    def _note_gap(self, last: float, now_s: float) -> None:
        """Count the interval ``last`` -> ``now_s``, much longer than asked, as a gap."""
        self.gap_count += 1
        self.gap_s += now_s - last
        if len(self.gaps) < MAX_GAPS:
            from ecoai.models import GapInfo  # on the first gap: not before the command starts

            self.gaps.append(
                GapInfo.trusted(start_s=last - (self.started_s or last), duration_s=now_s - last)
            )

    def _sample(self, now_s: float) -> Sample:
        power, energy = {}, {}
        for name, tally in self.tallies.items():
            energy[name] = tally.energy_j
            if tally.power_w is not None:
                power[name] = tally.power_w
        return Sample(now_s, power, energy)

    @property
    def read_errors(self) -> int:
        return sum(t.errors for t in self.tallies.values())

    def counter_faults(self) -> dict[str, list[str]]:
        """Per sensor, a line for each kind of implausible interval that was bridged."""
        found = {name: t.check.describe(name) for name, t in self.tallies.items()}
        return {name: lines for name, lines in found.items() if lines}


class SensorReader:
    """Reads one sensor on its own daemon thread, one read at a time (R14: a sensor that hangs
    holds only its own thread). ``ask`` starts a read, ``take`` returns its answer."""

    def __init__(self, sensor: Sensor, clock: Callable[[], float]) -> None:
        self.sensor = sensor
        self.asked_s: float | None = None
        """The sampler's time when the read under way was asked (None: no read under way)."""
        self._clock = clock
        self._asked_mono: float | None = None
        self._answer: tuple[Reading | Exception, float] | None = None
        self._want = threading.Event()
        self._done = threading.Event()
        self._closed = False
        self._cpu_s = 0.0
        self.thread = threading.Thread(
            target=self._run, name=f"ecoai-read:{sensor.name}", daemon=True
        )
        self.thread.start()

    def ask(self, now_s: float) -> bool:
        """Start a read unless one is under way or unanswered; True if one was started."""
        if self._closed or self._asked_mono is not None:
            return False
        self.asked_s, self._asked_mono = now_s, time.monotonic()
        self._done.clear()
        self._want.set()
        return True

    def age_s(self) -> float:
        """How long the read under way has run (0: none). Units: s."""
        return 0.0 if self._asked_mono is None else time.monotonic() - self._asked_mono

    def wait(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the read under way; True when answered."""
        if self._asked_mono is None:
            return False
        return self._done.wait(max(0.0, timeout_s))

    def take(self) -> tuple[Reading | Exception, float] | None:
        """The answer (a reading or the error it raised, and when) if it came; frees the reader."""
        if not self._done.is_set() or self._answer is None:
            return None
        answer, self._answer = self._answer, None
        self._done.clear()
        self.asked_s = self._asked_mono = None
        return answer

    def close(self) -> None:
        """Let the thread end: at once if idle, else when its read returns (if ever)."""
        self._closed = True
        self._want.set()

    def join(self, timeout_s: float) -> float:
        """Wait up to ``timeout_s`` for the thread to end; the CPU time it used (0 if it has
        not ended). Units: s."""
        self.thread.join(timeout_s)
        return 0.0 if self.thread.is_alive() else self._cpu_s

    def _run(self) -> None:
        while True:
            self._want.wait()
            self._want.clear()
            if self._closed:
                break
            began_s = self._clock()
            try:
                reading: Reading | Exception = self.sensor.read()
            except Exception as error:  # counted against the sensor by the sampler
                reading = error
            self._answer = (reading, began_s)
            self._done.set()
        self._cpu_s = time.thread_time()


class Waker:
    """Sleep until a timeout or a ``wake()``: one poll(2) per wait, about half the CPU time of
    ``threading.Event.wait`` (measured), which matters at ten wake-ups a second for days."""

    def __init__(self) -> None:
        self._read_fd, self._write_fd = os.pipe()
        self._poll = select.poll()
        self._poll.register(self._read_fd, select.POLLIN)

    def wait(self, timeout_s: float) -> bool:
        """Return True when woken, False when the timeout passed."""
        return bool(self._poll.poll(timeout_s * 1e3))

    def wake(self) -> None:
        os.write(self._write_fd, b"x")

    def close(self) -> None:
        os.close(self._read_fd)
        os.close(self._write_fd)


@dataclass
class Timeline:
    """A listener keeping at most ``max_points`` (t_s, mean total power W) points.

    Each point averages ``stride`` rounds; when full, neighbours merge and the stride doubles,
    so memory stays bounded however long the run and no interval is left out.
    """

    max_points: int = 256
    points: list[tuple[float, float]] = field(default_factory=list)
    stride: int = 1
    _start_s: float = 0.0
    _sum_w: float = 0.0
    _count: int = 0

    def __call__(self, sample: Sample) -> None:
        if self._count == 0:
            self._start_s = sample.t_s
        self._sum_w += sum(sample.power_w.values())
        self._count += 1
        if self._count < self.stride:
            return
        self.points.append((self._start_s, self._sum_w / self._count))
        self._sum_w, self._count = 0.0, 0
        if len(self.points) >= self.max_points:
            pairs = zip(self.points[::2], self.points[1::2], strict=False)
            self.points = [(a[0], (a[1] + b[1]) / 2) for a, b in pairs]
            self.stride *= 2

    def snapshot(self) -> list[tuple[float, float]]:
        """The points so far, with the partly filled last one."""
        if self._count == 0:
            return list(self.points)
        return [*self.points, (self._start_s, self._sum_w / self._count)]
