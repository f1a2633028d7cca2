"""Read every sensor at a fixed interval on a background thread, keeping running totals only.

Memory stays bounded for runs of days: per sensor a running total, the first gaps, and whatever
the listeners keep (``Timeline`` halves its resolution when full). ``tick()`` does one round
of reads; the thread only calls it, so tests drive the sampler with a fake clock and no thread.
Read errors are counted, never fatal; intervals much longer than asked are recorded as gaps;
the thread's own CPU time is ecoai's overhead.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ecoai.models import GapInfo
from ecoai.sensors.base import Reading, Sensor

MAX_GAPS = 100
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

    def fail(self, reason: str, now_s: float) -> None:
        """Count one failed read."""
        self.errors += 1
        self.last_error = reason
        if self.failing_since_s is None:
            self.failing_since_s = now_s

    def add(self, reading: Reading) -> None:
        """Fold in one reading: counters by difference, power by the trapezoid rule."""
        previous, self.last = self.last, reading
        self.samples += 1
        self.failing_since_s = None
        if previous is None:
            self.first = reading
            self.power_w = reading.power_w
            return
        step_s = reading.t_s - previous.t_s
        if reading.energy_j is not None and previous.energy_j is not None:
            step_j = reading.energy_j - previous.energy_j
            self.power_w = step_j / step_s if step_s > 0 else self.power_w
        elif reading.power_w is not None and previous.power_w is not None:
            step_j = (reading.power_w + previous.power_w) / 2 * step_s
            self.power_w = reading.power_w
        else:
            return
        self.energy_j += step_j
        if self.power_w is not None:
            self.peak_power_w = max(self.power_w, self.peak_power_w or self.power_w)


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
    """Reads ``sensors`` every ``interval_s`` on a thread (``start``/``stop``) or by ``tick``."""

    sensors: Sequence[Sensor]
    interval_s: float = 0.1
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
    _reading: tuple[str, float] | None = None
    _generation: int = 0
    _listeners: list[Listener] = field(default_factory=list)
    _last_tick_s: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waker: Waker | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.tallies = {sensor.name: Tally() for sensor in self.sensors}

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` after every round (live view, timeline, phases, metrics)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def thread_cpu_s(self) -> float:
        """CPU time the sampler thread(s) used so far: ecoai's overhead. Units: s."""
        thread = self._thread
        if thread is None or thread.ident is None or not thread.is_alive():
            return self.overhead_cpu_s
        try:
            clock_id = time.pthread_getcpuclockid(thread.ident)
            return self.overhead_cpu_s + time.clock_gettime(clock_id)
        except (OSError, AttributeError):  # exited meanwhile, or not a POSIX system
            return self.overhead_cpu_s

    def tick(self) -> Sample:
        """Read every sensor once; errors are counted against the sensor, never raised."""
        return self._tick(None)

    def _tick(self, generation: int | None) -> Sample:
        """One round; ``generation`` is the sampler thread's (None: the caller's, current)."""
        lock = self._acquire()
        if generation is None:
            generation = self._generation  # after _acquire, which may have started a new one
        try:
            now_s = self.clock()
            self._note_gap(now_s)
            for sensor in self.sensors:
                if sensor.name in self.hung:
                    continue
                tally = self.tallies[sensor.name]
                self._reading = (sensor.name, now_s)
                try:
                    reading: Reading | Exception = sensor.read()
                except Exception as error:  # a flaky sensor must not stop the measurement
                    reading = error
                if generation != self._generation:  # this thread was abandoned while it read
                    return self._sample(now_s)
                self._reading = None
                if isinstance(reading, Exception):
                    tally.fail(f"{type(reading).__name__}: {reading}", now_s)
                else:
                    tally.add(reading)
            self.ticks += 1
            sample = self._sample(now_s)
        finally:
            lock.release()
        for listener in self._listeners:
            try:
                listener(sample)
            except Exception:  # a broken live view must not stop the measurement
                self.listener_errors += 1
        return sample

    def mark(self) -> Mark:
        """Take a fresh round of reads and return every sensor's energy so far."""
        sample = self.tick()
        return Mark(sample.t_s, sample.energy_j)

    def start(self) -> Mark:
        """Read once now (the origin), then keep reading on a daemon thread."""
        origin = self.mark()
        self.started_s = origin.t_s
        self._waker = Waker()
        self._thread = self._spawn(self._waker)
        return origin

    def stop(self) -> Mark:
        """Stop the thread and take a final round of reads (never blocked by a hung sensor)."""
        thread, waker, self._thread = self._thread, self._waker, None
        if thread is not None and waker is not None:
            waker.wake()
            thread.join(self._hang_s())
            if thread.is_alive():  # stuck in a read: leave it (a daemon) and its pipe behind
                self._abandon()
            else:
                waker.close()
        return self.mark()

    def _hang_s(self) -> float:
        return max(HANG_S, 2 * self.interval_s)

    def _acquire(self) -> threading.Lock:
        """The lock, taken; if the thread holding it is stuck in a read, give up on that sensor."""
        lock = self._lock
        if not lock.acquire(timeout=self._hang_s()):
            self._abandon()
            lock = self._lock
            lock.acquire()
        return lock

    def _abandon(self) -> None:
        """Mark the sensor being read as hung; a fresh lock and thread carry on without it."""
        reading = self._reading
        if reading is not None:
            name, since_s = reading
            self.hung[name] = since_s
            self.tallies[name].fail(f"read hung: no answer within {self._hang_s():g} s", since_s)
        self._generation += 1
        self._lock = threading.Lock()
        if self._thread is not None:
            self._waker = Waker()
            self._thread = self._spawn(self._waker)

    def _spawn(self, waker: Waker) -> threading.Thread:
        thread = threading.Thread(
            target=self._loop, args=(waker, self._generation), name="ecoai-sampler", daemon=True
        )
        thread.start()
        return thread

    def _loop(self, waker: Waker, generation: int) -> None:
        next_s = time.monotonic() + self.interval_s
        while not waker.wait(max(0.0, next_s - time.monotonic())):
            if generation != self._generation:
                return
            self._tick(generation)
            next_s = max(next_s + self.interval_s, time.monotonic())
        self.overhead_cpu_s += time.thread_time()

    def _note_gap(self, now_s: float) -> None:
        last, self._last_tick_s = self._last_tick_s, now_s
        if last is None or now_s - last <= self.gap_factor * self.interval_s:
            return
        self.gap_count += 1
        self.gap_s += now_s - last
        if len(self.gaps) < MAX_GAPS:
            self.gaps.append(
                GapInfo(start_s=last - (self.started_s or last), duration_s=now_s - last)
            )

    def _sample(self, now_s: float) -> Sample:
        power = {name: t.power_w for name, t in self.tallies.items() if t.power_w is not None}
        energy = {name: t.energy_j for name, t in self.tallies.items()}
        return Sample(now_s, power, energy)

    @property
    def read_errors(self) -> int:
        return sum(t.errors for t in self.tallies.values())


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
