"""Property: random counter traces (wraps, resets, stalls, spikes, gaps, with power readings) fed
through the real sensors and the sampler's tally with a fake clock never give a negative or
non-finite figure; energy stays within [0, max power x (duration + BURST_S)] of the trace, and
equals the true energy where the trace is well-behaved.

``BURST_S``: a counter may run ahead of max power x elapsed time by one coarse update or a
trusted pause (see ecoai.sensors.counters); the first interval starts with that allowance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.nvml import FakeGpu, FakeNvml
from fakes.powercap import add_zone, set_energy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecoai.footprint import Multipliers, footprint_point
from ecoai.measurement.sampler import Sampler
from ecoai.models import plain
from ecoai.sanity import report_problem
from ecoai.sensors.counters import BURST_S
from ecoai.sensors.nvml import open_nvml
from ecoai.sensors.rapl import open_rapl

FACTORS = Multipliers(pue=1.2, wue_site_l_per_kwh=0.5, wue_source_l_per_kwh=3.0, cif_g_per_kwh=400)
FAULTS = ("none", "none", "none", "stall", "reset", "spike", "glitch", "gap")


@dataclass(frozen=True)
class Step:
    """One interval of a trace: its length, the device's true power, and what goes wrong."""

    dt_s: float
    power_w: float
    fault: str


def steps(max_power_w: float) -> st.SearchStrategy[list[Step]]:
    step = st.builds(
        Step,
        dt_s=st.floats(0.01, 0.5),
        power_w=st.one_of(st.just(0.0), st.floats(1.0, max_power_w)),
        fault=st.sampled_from(FAULTS),
    )
    return st.lists(step, min_size=1, max_size=40)


def check(sampler: Sampler, name: str, trace: list[Step], ceiling_w: float) -> float:
    """The invariants every trace must hold; returns the tallied energy (J)."""
    energy_j = sampler.tallies[name].energy_j
    duration_s = sum(s.dt_s if s.fault != "gap" else s.dt_s * 20 for s in trace)
    assert math.isfinite(energy_j) and energy_j >= 0
    assert energy_j <= ceiling_w * (duration_s + BURST_S) * (1 + 1e-9)
    assert report_problem(plain(footprint_point(energy_j, FACTORS))) is None
    return energy_j


@settings(max_examples=150, deadline=None)
@given(trace=steps(700.0))
def test_nvml_traces_are_never_negative_and_within_the_gpus_bounds(trace: list[Step]) -> None:
    gpu = FakeGpu(energy_mj=10**12)  # 700 W enforced limit: a ceiling of 1400 W
    clock = FakeClock()
    (sensor,) = open_nvml(FakeNvml([gpu]), None, clock=clock).sensors
    sampler = Sampler([sensor], interval_s=0.1, clock=clock)
    sampler.tick()
    true_j, counter_mj, glitch = 0.0, gpu.energy_mj, 0
    for step in trace:
        dt_s = step.dt_s * 20 if step.fault == "gap" else step.dt_s
        clock.advance(dt_s)
        true_j += step.power_w * dt_s
        if step.fault != "stall":
            counter_mj += round(step.power_w * dt_s * 1000)
        if step.fault == "reset":
            counter_mj = 5_000
        if step.fault == "spike":
            counter_mj += 10**10  # 10 MJ at once, and the counter stays there
        glitch = 10**11 if step.fault == "glitch" else 0  # one bad read
        gpu.energy_mj, gpu.power_mw = counter_mj + glitch, round(step.power_w * 1000)
        sampler.tick()
    energy_j = check(sampler, "nvml:0", trace, sensor.max_power_w)  # type: ignore[attr-defined]
    if all(s.fault in ("none", "gap") for s in trace):
        assert energy_j == pytest.approx(true_j, rel=1e-9, abs=1e-3 * len(trace))
        assert sampler.counter_faults() == {}


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(trace=steps(125.0), range_uj=st.integers(2_000_000, 10**9))
def test_rapl_traces_with_wraps_are_never_negative_and_within_bounds(
    tmp_path: Path, trace: list[Step], range_uj: int
) -> None:
    root = tmp_path / f"r{range_uj}-{len(trace)}-{id(trace)}"
    zone = add_zone(root, "intel-rapl:0", "package-0", range_uj // 2, max_range_uj=range_uj)
    (zone / "constraint_0_max_power_uw").write_text("125000000\n")  # a ceiling of 250 W
    clock = FakeClock()
    (sensor,) = open_rapl(root, clock=clock).sensors
    sampler = Sampler([sensor], interval_s=0.1, clock=clock)
    sampler.tick()
    true_j, raw_uj, wraps_ok = 0.0, range_uj // 2, True
    for step in trace:
        dt_s = step.dt_s * 20 if step.fault == "gap" else step.dt_s
        clock.advance(dt_s)
        true_j += step.power_w * dt_s
        step_uj = round(step.power_w * dt_s * 1e6)
        wraps_ok &= step_uj < range_uj  # at most one wrap between reads
        if step.fault != "stall":
            raw_uj = (raw_uj + step_uj) % range_uj
        if step.fault == "reset":
            raw_uj = 0
        if step.fault == "spike":
            raw_uj = (raw_uj + range_uj // 2) % range_uj  # a bogus jump forward
        shown_uj = (raw_uj + range_uj // 3) % range_uj if step.fault == "glitch" else raw_uj
        set_energy(zone, shown_uj)
        sampler.tick()
    ceiling_w = sensor.max_power_w  # type: ignore[attr-defined]
    energy_j = check(sampler, "rapl:package-0", trace, ceiling_w)
    if wraps_ok and all(s.fault in ("none", "gap") for s in trace):
        assert energy_j == pytest.approx(true_j, rel=1e-9, abs=1e-5 * len(trace))
