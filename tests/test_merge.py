"""Merging the reports of one job's ranks: sums, per-host factors, duplicate GPUs refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakes.reports import EASY, estimate_report, measured_report

from ecoai.comparison.merge import Part, devices_of, merge
from ecoai.errors import InputError
from ecoai.footprint import Multipliers

NOW = datetime(2026, 1, 2, tzinfo=UTC)
# A second site: cleaner grid, more water per kWh.
CLEAN = Multipliers(pue=1.2, wue_site_l_per_kwh=1.0, wue_source_l_per_kwh=1.0, cif_g_per_kwh=50.0)


def _merge(*parts: Part, queries: int | None = None):  # type: ignore[no-untyped-def]
    return merge(parts, version="t", now=NOW, queries=queries)


def test_sums_with_each_hosts_factors() -> None:
    a = measured_report([10.0], host="a", gpus=["GPU-1", "GPU-2"], factors=EASY)
    b = measured_report([20.0], host="b", gpus=["GPU-1"], factors=CLEAN)
    merged = _merge(Part("a.json", a), Part("b.json", b), queries=30)
    total = merged.total
    assert total is not None
    # IT: 10 + 20 Wh. Facility: 10 x 1.5 + 20 x 1.2 = 39 Wh.
    assert total.it_energy_wh.mean == pytest.approx(30.0)
    assert total.energy_wh.mean == pytest.approx(39.0)
    # Carbon: 15 Wh x 400 g/kWh + 24 Wh x 50 g/kWh = 6 + 1.2 g.
    assert total.carbon_g.mean == pytest.approx(7.2)
    # Water on site: 10 Wh x 0.5 + 20 Wh x 1.0 L/kWh = 5 + 20 mL; off site: 15 x 2 + 24 x 1 = 54 mL.
    assert total.water_ml.site.mean == pytest.approx(25.0)
    assert total.water_ml.source.mean == pytest.approx(54.0)
    assert total.water_ml.mean == pytest.approx(79.0)
    assert merged.per_query is not None
    assert merged.per_query.energy_wh.mean == pytest.approx(39.0 / 30)
    assert merged.kind == "merged"
    assert [m["origin"] for m in merged.extra["merged_from"]] == ["a.json", "b.json"]
    assert merged.extra["merged_from"][0]["gpu_uuids"] == ["GPU-1", "GPU-2"]
    assert sorted(devices_of(merged)) == [("a", "GPU-1"), ("a", "GPU-2"), ("b", "GPU-1")]


def test_refuses_the_same_gpu_twice() -> None:
    rank0 = measured_report([10.0], host="node", gpus=["GPU-1", "GPU-2"])
    rank1 = measured_report([10.0], host="node", gpus=["GPU-2"])
    with pytest.raises(InputError, match=r"GPU GPU-2 on node is in both r0\.json and r1\.json"):
        _merge(Part("r0.json", rank0), Part("r1.json", rank1))


def test_refuses_a_merged_report_merged_again_with_its_part() -> None:
    a = measured_report([1.0], host="a", gpus=["GPU-1"])
    b = measured_report([1.0], host="b", gpus=["GPU-1"])
    job = _merge(Part("a.json", a), Part("b.json", b))
    with pytest.raises(InputError, match=r"GPU GPU-1 on a is in both job\.json and a\.json"):
        _merge(Part("job.json", job), Part("a.json", a))


def test_runs_add_up_index_by_index() -> None:
    a = measured_report([10.0, 12.0], host="a", gpus=["GPU-1"], queries=None)
    b = measured_report([1.0, 2.0], host="b", gpus=["GPU-9"], queries=None)
    merged = _merge(Part("a", a), Part("b", b))
    assert merged.runs is not None
    assert [r.it_energy_wh.mean for r in merged.runs] == pytest.approx([11.0, 14.0])
    assert merged.per_query is None
    assert any("--queries" in note for note in merged.notes)


def test_estimates_cannot_be_merged() -> None:
    with pytest.raises(InputError, match="an estimate cannot be merged"):
        _merge(Part("e.json", estimate_report(1.0)), Part("m.json", measured_report([1.0])))


def test_needs_two_reports() -> None:
    with pytest.raises(InputError, match="at least two"):
        _merge(Part("m.json", measured_report([1.0])))


def test_refuses_two_whole_machine_reports_of_one_host() -> None:
    a = measured_report([1.0], host="n", gpus=["GPU-1"], scope="machine")
    b = measured_report([1.0], host="n", gpus=["GPU-2"], scope="machine")
    with pytest.raises(InputError, match="both measured the whole machine n"):
        _merge(Part("a.json", a), Part("b.json", b))


def test_process_tree_ranks_on_one_host_with_their_own_gpus_add_up() -> None:
    a = measured_report([1.0], host="n", gpus=["GPU-1"])
    b = measured_report([2.0], host="n", gpus=["GPU-2"])
    merged = _merge(Part("a.json", a), Part("b.json", b))
    assert merged.total is not None and merged.total.it_energy_wh.mean == pytest.approx(3.0)


def test_counted_queries_are_summed_into_per_query_figures() -> None:
    a = measured_report([10.0], host="a", gpus=["GPU-1"], queries=4)
    b = measured_report([20.0], host="b", gpus=["GPU-1"], queries=6)
    merged = _merge(Part("m1.json", a), Part("m2.json", b))
    assert merged.queries == 10
    assert merged.total is not None and merged.per_query is not None
    assert merged.per_query.energy_wh.mean == pytest.approx(merged.total.energy_wh.mean / 10)
    assert not any("no per-query" in note for note in merged.notes)
    assert _merge(Part("m1.json", a), Part("m2.json", b), queries=5).queries == 5  # flag wins


def test_one_part_without_a_count_leaves_per_query_out_and_names_it() -> None:
    a = measured_report([10.0], host="a", gpus=["GPU-1"], queries=4)
    b = measured_report([20.0], host="b", gpus=["GPU-1"], queries=None)
    merged = _merge(Part("m1.json", a), Part("m2.json", b))
    assert merged.per_query is None and merged.queries is None
    assert any("m2.json counted no queries" in note for note in merged.notes)


def test_the_title_says_merged_once() -> None:
    from ecoai.render.table import render_table

    a = measured_report([10.0], host="a", gpus=["GPU-1"])
    b = measured_report([20.0], host="b", gpus=["GPU-1"])
    title = render_table(_merge(Part("d/m1.json", a), Part("m2.json", b))).splitlines()[0]
    assert title.strip() == "ecoai merged: m1.json + m2.json"


def test_a_part_whose_command_failed_is_named_and_a_gate_refuses_the_merge() -> None:
    """`ecoai merge` took a crashed rank's report without a word, and a gate then judged the
    merged report as if the job had run (fresh-eyes review)."""
    from dataclasses import replace

    from ecoai.comparison.compare import Item, compare
    from ecoai.comparison.gates import make_gate
    from ecoai.comparison.merge import failed_status

    ok = measured_report([10.0], host="a", gpus=["GPU-1"])
    crashed = measured_report([1.0], host="b", gpus=["GPU-1"])
    assert crashed.measurement is not None
    crashed = replace(crashed, measurement=replace(crashed.measurement, exit_status=3))
    job = _merge(Part("a.json", ok), Part("b.json", crashed))
    assert "b.json: the measured command failed (exit status 3): the merged figures are not the " \
        "whole workload's" in job.notes  # fmt: skip
    assert [m["exit_status"] for m in job.extra["merged_from"]] == [0, 3]
    assert failed_status(job) == 3 and failed_status(ok) is None
    again = _merge(Part("job.json", job), Part("c.json", measured_report([1.0], host="c")))
    assert failed_status(again) == 3  # a merge of a merge keeps it
    gate = make_gate("budget", "total.energy_wh", "100", "total.energy_wh=100")
    items = [Item("ok", "ok.json", ok), Item("job", "job.json", job)]
    with pytest.raises(
        InputError, match=r"job\.json: the measured command failed \(exit status 3\)"
    ):
        compare(items, gates=[gate], version="t")
