"""R14: a sensor whose read hangs must not stop the other sensors' sampling.

Each sensor is read on its own thread once the sampler is started: while one read hangs, the
others keep their interval, listeners (live view, timeline) keep getting rounds, and the
watchdog gives up on the hung read after max(0.25 s, 2 intervals) with nobody calling mark().
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fakes.threads import no_thread_leak  # noqa: F401  (fixture)

from ecoai.measurement.sampler import Sample, Sampler
from ecoai.sensors.base import Reading


class Sensor:
    """A 100 W counter that records when it was read; its reads block while ``stuck`` is set."""

    component, method, scope = "gpu", "counter", "device"

    def __init__(self, name: str) -> None:
        self.name = name
        self.facts: dict[str, str] = {}
        self.assumptions: list[str] = []
        self.stuck = threading.Event()
        self.release = threading.Event()
        self.read_at: list[float] = []

    def read(self) -> Reading:
        if self.stuck.is_set():
            self.release.wait(30)
        now = time.monotonic()
        self.read_at.append(now)
        return Reading(now, energy_j=100.0 * now)

    def close(self) -> None:
        self.release.set()


@pytest.fixture
def sensors() -> Iterator[tuple[Sensor, Sensor, Sensor]]:
    trio = (Sensor("rapl:package-0"), Sensor("nvml:0"), Sensor("dram-model"))
    yield trio
    for sensor in trio:
        sensor.close()  # let the abandoned read return


@pytest.mark.usefixtures("no_thread_leak")
def test_r14_a_hung_sensor_delays_no_other_and_is_abandoned_by_the_watchdog(
    sensors: tuple[Sensor, Sensor, Sensor],
) -> None:
    stuck, first, last = sensors  # the hung one is read first in every round, as in R14
    rounds: list[Sample] = []
    sampler = Sampler(list(sensors), interval_s=0.02)  # type: ignore[arg-type]
    sampler.add_listener(rounds.append)
    sampler.start()
    time.sleep(0.1)
    stuck.stuck.set()
    hung_at = time.monotonic()
    time.sleep(0.6)  # nobody calls mark(): only the sampler's own rounds run
    during = [t for t in first.read_at if t > hung_at]
    assert "rapl:package-0" in sampler.hung  # given up within 0.25 s, by the sampler itself
    assert len(during) >= 15  # ~30 rounds in 0.6 s; before R14 none until the run's end
    steps = [b - a for a, b in zip([hung_at, *during], during, strict=False)]
    assert max(steps) < 0.1  # never held up by the hung read (0.25 s)
    assert len([t for t in last.read_at if t > hung_at]) >= 15
    assert len([r for r in rounds if r.t_s > hung_at]) >= 15 and sampler.gap_count == 0
    start = time.monotonic()
    end = sampler.stop()
    assert time.monotonic() - start < 0.3
    assert end.energy_j["nvml:0"] == pytest.approx(
        100.0 * (first.read_at[-1] - first.read_at[0]), rel=1e-6
    )
    tally = sampler.tallies["rapl:package-0"]
    assert tally.last_error == "read hung: no answer within 0.25 s"
    assert tally.failing_since_s is not None and abs(tally.failing_since_s - hung_at) < 0.05
    stuck.release.set()  # the abandoned read returns: its thread ends, no leak
    for thread in threading.enumerate():
        if thread.name == "ecoai-read:rapl:package-0":
            thread.join(5)


def test_a_slow_read_answers_in_a_later_round_not_lost(
    sensors: tuple[Sensor, Sensor, Sensor],
) -> None:
    slow, other, _ = sensors
    slow_reads = 0
    original = slow.read

    def slow_read() -> Reading:
        nonlocal slow_reads
        slow_reads += 1
        if slow_reads == 3:
            time.sleep(0.08)  # slower than a round waits (interval/2), faster than the watchdog
        return original()

    slow.read = slow_read  # type: ignore[method-assign]
    sampler = Sampler([slow, other], interval_s=0.05)  # type: ignore[list-item]
    sampler.start()
    time.sleep(0.4)
    sampler.stop()
    assert sampler.hung == {} and sampler.read_errors == 0
    span_s = slow.read_at[-1] - slow.read_at[0]
    assert sampler.tallies["rapl:package-0"].energy_j == pytest.approx(100.0 * span_s, rel=1e-6)
