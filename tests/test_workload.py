"""WorkMeter: queries, tokens and the energy inside phase windows, driven by hand-made samples."""

from __future__ import annotations

import pytest

from ecoai.measurement.sampler import Mark, Sample
from ecoai.measurement.work import WorkMeter

POWER_W = {"gpu0": 100.0, "cpu": 20.0}


def sample(t_s: float) -> Sample:
    """Constant power since t = 0: energy = power x t."""
    return Sample(t_s, dict(POWER_W), {n: w * t_s for n, w in POWER_W.items()})


def mark(t_s: float) -> Mark:
    return Mark(t_s, sample(t_s).energy_j)


def meter_over(events: list[dict[str, object]], until_s: float = 10.0) -> WorkMeter:
    """Feed ``events`` (their ``t`` on the sampler clock) while samples tick every second."""
    meter = WorkMeter(to_clock=lambda t: t)
    meter.begin(mark(0.0))
    for event in events:
        meter.feed(event)
    for second in range(1, int(until_s) + 1):
        meter(sample(float(second)))
    return meter


def test_phase_energy_is_interpolated_between_samples() -> None:
    meter = meter_over(
        [
            {"event": "phase", "name": "prefill", "edge": "start", "t": 1.25},
            {"event": "phase", "name": "prefill", "edge": "end", "t": 2.5},
            {"event": "phase", "name": "decode", "edge": "start", "t": 2.5},
            {"event": "phase", "name": "decode", "edge": "end", "t": 7.75},
            {"event": "query", "n": 2, "input_tokens": 10, "output_tokens": 40, "t": 7.8},
        ]
    )
    record = meter.end(mark(10.0))
    prefill, decode = record.phases["prefill"], record.phases["decode"]
    assert prefill.duration_s == pytest.approx(1.25) and decode.duration_s == pytest.approx(5.25)
    assert prefill.energy_j == pytest.approx({"gpu0": 125.0, "cpu": 25.0})
    assert decode.energy_j["gpu0"] == pytest.approx(525.0)
    assert record.any_phase.energy_j["gpu0"] == pytest.approx(650.0)
    assert (record.queries, record.input_tokens, record.output_tokens) == (2, 10, 40)
    assert prefill.windows == 1 and record.events == 5
    assert [name for name, _, _ in meter.windows] == ["prefill", "decode"]


def test_overlapping_windows_of_one_name_count_once() -> None:
    meter = meter_over(
        [
            {"event": "phase", "name": "decode", "edge": "start", "t": 1.0},
            {"event": "phase", "name": "decode", "edge": "start", "t": 2.0},
            {"event": "phase", "name": "decode", "edge": "end", "t": 3.0},
            {"event": "phase", "name": "decode", "edge": "end", "t": 4.0},
        ]
    )
    decode = meter.end(mark(10.0)).phases["decode"]
    assert decode.windows == 2
    assert decode.duration_s == pytest.approx(3.0)
    assert decode.energy_j["gpu0"] == pytest.approx(300.0)


def test_unclosed_phases_close_at_the_end_and_stray_ends_are_counted() -> None:
    meter = meter_over(
        [
            {"event": "phase", "name": "serve", "edge": "start", "t": 4.0},
            {"event": "phase", "name": "load", "edge": "end", "t": 1.0},
            {"event": "nonsense"},
        ]
    )
    record = meter.end(mark(10.0))
    assert record.unclosed == ["serve"] and record.unmatched_ends == 1
    assert record.malformed == 1
    assert record.phases["serve"].energy_j["cpu"] == pytest.approx(120.0)


def test_events_without_time_are_stamped_on_arrival() -> None:
    meter = WorkMeter(to_clock=lambda t: t)
    meter.begin(mark(0.0))
    meter(sample(1.0))
    meter.feed({"event": "phase", "name": "p", "edge": "start"})
    meter(sample(2.0))
    meter.feed({"event": "phase", "name": "p", "edge": "end"})
    meter(sample(5.0))
    assert meter.end(mark(6.0)).phases["p"].duration_s == pytest.approx(3.0)


def test_begin_forgets_the_previous_run() -> None:
    meter = meter_over([{"event": "query", "n": 5, "t": 1.0}])
    assert meter.end(mark(10.0)).queries == 5
    meter.begin(mark(10.0))
    meter(sample(11.0))
    assert meter.end(mark(12.0)).queries == 0
