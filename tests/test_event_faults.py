"""Event-file faults (cases R5, R7, R12, R19) and the serving window, with hand-made samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecoai.footprint import Multipliers
from ecoai.measurement.events import EventTail, parse_line
from ecoai.measurement.per_unit import event_notes, run_work, workload
from ecoai.measurement.sampler import Mark, Sample
from ecoai.measurement.work import MAX_PHASES, WorkMeter
from ecoai.validation import dump_json

POWER_W = {"gpu0": 100.0, "cpu": 20.0}
RATIO = {"gpu0": 1.0, "cpu": 1.0}


def sample(t_s: float) -> Sample:
    """Constant power since t = 0: energy = power x t."""
    return Sample(t_s, dict(POWER_W), {n: w * t_s for n, w in POWER_W.items()})


def mark(t_s: float) -> Mark:
    return Mark(t_s, sample(t_s).energy_j)


def meter_over(events: list[dict[str, object]], until_s: float = 10.0) -> WorkMeter:
    meter = WorkMeter(to_clock=lambda t: t)
    meter.begin(mark(0.0))
    for event in events:
        meter.feed(event)
    for second in range(1, int(until_s) + 1):
        meter(sample(float(second)))
    return meter


# R5: one non-finite or out-of-range number is one malformed line, never its neighbours.
@pytest.mark.parametrize(
    "bad",
    [
        b'{"event":"query","n":1e400}',
        b'{"event":"query","n":Infinity}',
        b'{"event":"query","n":NaN}',
        b'{"event":"query","output_tokens":-Infinity}',
        b'{"event":"query","output_tokens":1' + b"0" * 400 + b"}",
        b'{"event":"query","t":1e400}',
        b'{"event":"query","t":1' + b"0" * 400 + b"}",
        b'{"event":"phase","name":"x","edge":"start","t":NaN}',
        b"[" * 50_000 + b"]" * 50_000,
    ],
)
def test_one_bad_number_drops_only_its_line(tmp_path: Path, bad: bytes) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"event":"query"}\n' * 200 + bad + b"\n" + b'{"event":"query"}\n' * 3)
    tail = EventTail(path)
    events = tail.finish()
    assert len(events) == 203
    assert tail.malformed == 1


def test_a_bad_number_says_why() -> None:
    with pytest.raises(ValueError, match="finite"):
        parse_line(b'{"event":"query","n":1e400}')
    with pytest.raises(ValueError, match="not a finite number"):
        parse_line(b'{"event":"query","n":Infinity}')


def test_feed_counts_an_infinite_value_as_malformed() -> None:
    meter = meter_over([{"event": "query", "n": float("inf")}, {"event": "query"}])
    record = meter.end(mark(10.0))
    assert (record.queries, record.malformed) == (1, 1)


# R7: edge times before the run start are clamped to it and counted.
def test_a_phase_stamped_before_the_run_starts_at_the_run_start() -> None:
    meter = meter_over(
        [
            {"event": "phase", "name": "load", "edge": "start", "t": -1_796_083_228.0},
            {"event": "phase", "name": "load", "edge": "end", "t": 3.0},
        ]
    )
    record = meter.end(mark(10.0))
    assert record.phases["load"].duration_s == pytest.approx(3.0)
    assert record.phases["load"].energy_j["gpu0"] == pytest.approx(300.0)
    assert record.early_events == 1
    note = event_notes(run_work(record, RATIO))
    assert any("1 event(s) were stamped before the run started" in n for n in note)


# R12: events stamped far in the future are applied now and counted, not held.
def test_future_events_are_applied_now_and_not_held() -> None:
    meter = WorkMeter(to_clock=lambda t: t)
    meter.begin(mark(0.0))
    for second in range(1, 6):
        for _ in range(1000):
            meter.feed({"event": "query", "t": second * 1000.0})  # milliseconds by mistake
        meter(sample(float(second)))
        assert len(meter._pending) == 0
    record = meter.end(mark(6.0))
    assert record.queries == 5000 and record.future_events == 5000
    assert any("ahead" in n for n in event_notes(run_work(record, RATIO)))


def test_near_future_events_wait_for_their_time() -> None:
    meter = WorkMeter(to_clock=lambda t: t)
    meter.begin(mark(0.0))
    meter.feed({"event": "phase", "name": "a", "edge": "start", "t": 1.5})
    meter(sample(1.0))
    assert len(meter._pending) == 1  # 0.5 s ahead: held until the sampler passes it
    meter.feed({"event": "phase", "name": "a", "edge": "end", "t": 2.5})
    meter(sample(2.0))
    meter(sample(3.0))
    record = meter.end(mark(4.0))
    assert record.phases["a"].duration_s == pytest.approx(1.0)
    assert record.future_events == 0


# R19: phases beyond the first 100 names are named in the notes.
def test_dropped_phases_reach_the_notes() -> None:
    events: list[dict[str, object]] = []
    for i in range(150):
        events += [
            {"event": "phase", "name": f"p{i}", "edge": "start", "t": 1.0},
            {"event": "phase", "name": f"p{i}", "edge": "end", "t": 2.0},
        ]
    record = meter_over(events).end(mark(10.0))
    assert len(record.phases) == MAX_PHASES and record.dropped_phases == 100
    work = run_work(record, RATIO)
    assert work.dropped_phases == 100
    assert any("100 phase edge(s)" in n for n in event_notes(work))


# Serving window: hand-computed. 120 W in all; load 0-4 s, first query event at 4 s
# (2 queries, 20 output tokens), then 8 queries / 400 tokens up to the last event at 8 s.
def test_serving_window_and_start_up_by_hand() -> None:
    meter = meter_over(
        [
            {"event": "query", "n": 2, "output_tokens": 20, "t": 4.0},
            {"event": "query", "n": 3, "output_tokens": 150, "t": 5.5},
            {"event": "query", "n": 5, "output_tokens": 250, "t": 8.0},
        ]
    )
    record = meter.end(mark(10.0))
    work = run_work(record, {"gpu0": 1.0, "cpu": 0.5})  # the CPU half attributed
    assert work.first_query_s == pytest.approx(4.0) and work.last_query_s == pytest.approx(8.0)
    assert work.startup_energy_j == pytest.approx(4.0 * (100 + 10))  # 440 J
    assert work.serving_energy_j == pytest.approx(4.0 * (100 + 10))  # 440 J
    assert (work.serving_queries, work.serving_output_tokens) == (8, 400)

    from ecoai.models import RunMeasurement

    run = RunMeasurement(
        exit_status=0, duration_s=10.0, energy_j=1200.0, attributed_energy_j=1100.0,
        child_cpu_s=1.0, sensors=[], samples=10, read_errors=0, overhead_cpu_s=0.0, work=work,
    )  # fmt: skip
    factors = Multipliers(pue=1.0, wue_site_l_per_kwh=0.0, wue_source_l_per_kwh=0.0,
                          cif_g_per_kwh=0.0)  # fmt: skip
    from ecoai.footprint import footprint_point

    total = footprint_point(1100.0, factors)
    result = workload([run], [1100.0], total, factors, None)
    assert result is not None
    assert result.serving_s == pytest.approx(4.0)
    assert result.serving_queries == 8
    assert result.serving_queries_per_s == pytest.approx(2.0)
    assert result.serving_output_tokens_per_s == pytest.approx(100.0)
    assert result.serving_per_query is not None and result.startup is not None
    assert result.serving_per_query.energy_wh.mean == pytest.approx(440.0 / 8 / 3600)
    assert result.serving_per_1k_output_tokens is not None
    assert result.serving_per_1k_output_tokens.energy_wh.mean == pytest.approx(440.0 / 0.4 / 3600)
    assert result.startup.it_energy_j == pytest.approx(440.0)
    assert result.startup.share == pytest.approx(0.4)
    # the whole-run figures still include start-up: 10 queries over 10 s
    assert result.queries_per_s == pytest.approx(1.0)
    json.loads(dump_json(result))


def test_one_query_event_has_a_start_up_but_no_window() -> None:
    record = meter_over([{"event": "query", "n": 4, "t": 3.0}]).end(mark(10.0))
    work = run_work(record, RATIO)
    assert work.startup_energy_j == pytest.approx(360.0)
    assert work.serving_energy_j is None and work.serving_queries is None
