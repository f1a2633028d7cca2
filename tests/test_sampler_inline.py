"""Sensors that cannot hang are read on the sampler's own thread (issue 16: a hand-off to a
reader thread costs more CPU than their read); every other sensor keeps a thread of its own (R14).
Either way the counters are read at the start and the end of sampling."""

from __future__ import annotations

import threading
import time

import pytest
from fakes.threads import no_thread_leak  # noqa: F401  (fixture)

from ecoai.measurement.sampler import Sampler
from ecoai.sensors.base import Reading, may_hang
from ecoai.sensors.cpu_model import CpuModelSensor, DramModelSensor


class Counter:
    """A 50 W counter; ``may_hang`` as given (None: the attribute is absent)."""

    component, method, scope = "cpu", "counter", "machine"

    def __init__(self, name: str, hangs: bool | None) -> None:
        self.name = name
        if hangs is not None:
            self.may_hang = hangs
        self.facts: dict[str, str] = {}
        self.assumptions: list[str] = []
        self.threads: set[str] = set()

    def read(self) -> Reading:
        self.threads.add(threading.current_thread().name)
        now = time.monotonic()
        return Reading(now, energy_j=50.0 * now)

    def close(self) -> None:
        pass


def test_only_a_sensor_that_says_so_is_taken_as_never_hanging() -> None:
    assert not may_hang(Counter("a", hangs=False))  # type: ignore[arg-type]
    assert may_hang(Counter("b", hangs=True))  # type: ignore[arg-type]
    assert may_hang(Counter("c", hangs=None))  # type: ignore[arg-type]
    assert CpuModelSensor.may_hang is False and DramModelSensor.may_hang is False


@pytest.mark.usefixtures("no_thread_leak")
def test_a_sensor_that_cannot_hang_is_read_on_the_sampler_thread_the_others_on_their_own() -> None:
    inline, threaded = Counter("cpu-model", hangs=False), Counter("rapl:package-0", hangs=None)
    sampler = Sampler([inline, threaded], interval_s=0.01)  # type: ignore[list-item]
    start = sampler.start()
    time.sleep(0.3)
    end = sampler.stop()
    main = threading.current_thread().name
    assert inline.threads == {main, "ecoai-sampler"}  # start and end marks, then the rounds
    assert "ecoai-read:rapl:package-0" in threaded.threads
    assert "ecoai-sampler" not in threaded.threads
    for name in ("cpu-model", "rapl:package-0"):  # read at the start and at the end: exact
        assert start.until(end)[name] == pytest.approx(50.0 * (end.t_s - start.t_s), rel=0.05)
        assert sampler.tallies[name].samples >= 3  # the two marks and a round (a loaded CI)
