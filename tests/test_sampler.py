"""The sampler: driven by tick() and a fake clock, and once for real on its thread."""

from __future__ import annotations

import time

import pytest
from fakes.clock import FakeClock
from fakes.threads import no_thread_leak  # noqa: F401  (fixture)

from ecoai.measurement.sampler import Sample, Sampler, Tally, Timeline
from ecoai.sensors import Reading


class Scripted:
    """A sensor returning queued readings; an Exception in the queue is raised."""

    def __init__(self, name: str, clock: FakeClock, values: list[object], kind: str = "energy"):
        self.name, self.component, self.method, self.scope = name, "gpu", "counter", "device"
        self.facts: dict[str, str] = {}
        self.assumptions: list[str] = []
        self.clock, self.values, self.kind = clock, list(values), kind

    def read(self) -> Reading:
        value = self.values.pop(0)
        if isinstance(value, Exception):
            raise value
        assert isinstance(value, float)
        if self.kind == "energy":
            return Reading(self.clock(), energy_j=value)
        return Reading(self.clock(), power_w=value)

    def close(self) -> None:
        pass


def run_ticks(sampler: Sampler, clock: FakeClock, steps_s: list[float]) -> None:
    sampler.tick()
    for step_s in steps_s:
        clock.advance(step_s)
        sampler.tick()


def test_counters_by_difference_and_power_by_trapezoid() -> None:
    clock = FakeClock()
    counter = Scripted("c", clock, [100.0, 110.0, 130.0])
    power = Scripted("p", clock, [10.0, 30.0, 30.0], kind="power")
    sampler = Sampler([counter, power], interval_s=1.0, clock=clock)  # type: ignore[list-item]
    run_ticks(sampler, clock, [1.0, 1.0])
    assert sampler.tallies["c"].energy_j == pytest.approx(30.0)
    assert sampler.tallies["p"].energy_j == pytest.approx(20.0 + 30.0)
    assert sampler.tallies["c"].power_w == pytest.approx(20.0)
    assert sampler.tallies["c"].peak_power_w == pytest.approx(20.0)


def test_read_errors_are_counted_never_fatal() -> None:
    clock = FakeClock()
    flaky = Scripted("f", clock, [0.0, OSError("EIO"), 5.0])
    sampler = Sampler([flaky], interval_s=1.0, clock=clock)  # type: ignore[list-item]
    run_ticks(sampler, clock, [1.0, 1.0])
    tally = sampler.tallies["f"]
    assert (tally.samples, tally.errors, tally.energy_j) == (2, 1, 5.0)
    assert tally.last_error == "OSError: EIO" and sampler.read_errors == 1


def test_long_intervals_are_recorded_as_gaps() -> None:
    clock = FakeClock()
    sampler = Sampler([Scripted("c", clock, [0.0] * 4)], interval_s=0.1, clock=clock)  # type: ignore[list-item]
    sampler.started_s = clock()
    run_ticks(sampler, clock, [0.1, 2.0, 0.1])
    assert sampler.gap_count == 1
    assert sampler.gaps[0].start_s == pytest.approx(0.1)
    assert sampler.gaps[0].duration_s == pytest.approx(2.0)


def test_marks_give_energy_between_instants() -> None:
    clock = FakeClock()
    sampler = Sampler([Scripted("c", clock, [0.0, 4.0, 9.0])], interval_s=1.0, clock=clock)  # type: ignore[list-item]
    first = sampler.mark()
    clock.advance(1.0)
    sampler.tick()
    clock.advance(1.0)
    assert first.until(sampler.mark()) == {"c": 9.0}


def test_listeners_see_every_round_and_their_errors_are_counted() -> None:
    clock = FakeClock()
    seen: list[Sample] = []

    def broken(sample: Sample) -> None:
        raise RuntimeError("display gone")

    sampler = Sampler([Scripted("c", clock, [0.0, 2.0])], interval_s=1.0, clock=clock)  # type: ignore[list-item]
    sampler.add_listener(seen.append)
    sampler.add_listener(broken)
    run_ticks(sampler, clock, [1.0])
    assert [s.energy_j["c"] for s in seen] == [0.0, 2.0]
    assert seen[-1].power_w == {"c": 2.0} and sampler.listener_errors == 2
    sampler.remove_listener(seen.append)
    sampler.remove_listener(broken)


def test_timeline_memory_stays_bounded() -> None:
    timeline = Timeline(max_points=8)
    for i in range(10_000):
        timeline(Sample(float(i), {"c": 1.0 + (i % 2)}, {"c": 0.0}))
    points = timeline.snapshot()
    assert len(timeline.points) < 8 and len(points) <= 8
    assert points[0][0] == 0.0 and points[-1][0] > 8_000
    assert all(p == pytest.approx(1.5) for _, p in points)


def test_a_tally_without_a_usable_pair_adds_nothing() -> None:
    tally = Tally()
    tally.add(Reading(0.0, energy_j=1.0))
    tally.add(Reading(1.0, power_w=5.0))
    assert tally.energy_j == 0.0 and tally.samples == 2


class Wall:
    def __init__(self) -> None:
        self.name, self.component, self.method, self.scope = "wall", "cpu", "counter", "machine"
        self.facts: dict[str, str] = {}
        self.assumptions: list[str] = []

    def read(self) -> Reading:
        now = time.monotonic()
        return Reading(now, energy_j=now * 10.0)  # a constant 10 W

    def close(self) -> None:
        pass


@pytest.mark.usefixtures("no_thread_leak")
def test_thread_samples_at_the_interval_and_reports_its_cpu_time() -> None:
    sampler = Sampler([Wall()], interval_s=0.02)  # type: ignore[list-item]
    start = sampler.start()
    time.sleep(0.3)
    end = sampler.stop()
    span_s = end.t_s - start.t_s
    assert start.until(end)["wall"] == pytest.approx(10.0 * span_s, rel=1e-3)
    assert 8 <= sampler.ticks <= 20
    assert 0.0 < sampler.overhead_cpu_s < span_s
    assert sampler.thread_cpu_s() == sampler.overhead_cpu_s
