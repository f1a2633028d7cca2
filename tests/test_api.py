"""ecoai.measure: a block measured in-process with scripted sensors; nested, repeated, decorated."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_probe
from fakes.threads import no_thread_leak  # noqa: F401  (fixture)

import ecoai
from ecoai import track
from ecoai.errors import InputError
from ecoai.sensors import Discovery
from ecoai.sensors.fake import load_script

FACTORS = {
    "pue": 1.2,
    "wue_site_l_per_kwh": 0.5,
    "wue_source_l_per_kwh": 3.0,
    "cif_kg_per_kwh": 0.4,
}


@pytest.fixture
def scripted(tmp_path: Path) -> Callable[[], Discovery]:
    script = tmp_path / "sensors.json"
    script.write_text(
        json.dumps({"sensors": [{"name": "fake-gpu", "component": "gpu", "power_w": 100.0}]})
    )
    return lambda: load_script(script)


def it_j(m: ecoai.Measure) -> float:
    total = m.report.total
    assert total is not None
    return total.it_energy_wh.mean * 3600


@pytest.mark.usefixtures("no_thread_leak")
def test_a_block_is_measured_like_a_profile(scripted: Callable[[], Discovery]) -> None:
    with ecoai.measure(discover=scripted, label="block", **FACTORS) as m:
        time.sleep(0.3)
        track.query(4, output_tokens=400)
    report = m.report
    assert report.kind == "measured" and report.label == "block"
    assert report.measurement is not None
    (run,) = report.measurement.runs
    assert run.duration_s == pytest.approx(0.3, abs=0.1)
    assert it_j(m) == pytest.approx(100.0 * run.duration_s, rel=0.05)
    assert report.queries == 4 and report.measurement.workload is not None
    assert report.measurement.workload.output_tokens == 400
    assert report.total is not None and report.per_query is not None
    assert report.per_query.carbon_g.mean == pytest.approx(report.total.carbon_g.mean / 4)


@pytest.mark.usefixtures("no_thread_leak")
def test_nested_blocks_each_measure_their_own_window(scripted: Callable[[], Discovery]) -> None:
    with ecoai.measure(discover=scripted, **FACTORS) as outer:
        time.sleep(0.2)
        with ecoai.measure(discover=scripted, **FACTORS) as inner:
            time.sleep(0.2)
            track.query()
        time.sleep(0.2)
    assert it_j(inner) == pytest.approx(20.0, rel=0.25)
    assert it_j(outer) == pytest.approx(60.0, rel=0.25)
    assert inner.report.queries == outer.report.queries == 1  # both blocks saw the query


@pytest.mark.usefixtures("no_thread_leak")
def test_repeated_blocks_and_decorated_calls_are_runs(scripted: Callable[[], Discovery]) -> None:
    m = ecoai.measure(discover=scripted, **FACTORS)

    @m
    def work(seconds: float) -> str:
        time.sleep(seconds)
        return "done"

    assert work(0.1) == "done"
    with m:
        time.sleep(0.3)
    assert m.report.measurement is not None and len(m.report.measurement.runs) == 2
    assert m.report.runs is not None
    low, high = sorted(r.it_energy_wh.mean * 3600 for r in m.report.runs)
    assert high > 2 * low


@pytest.mark.usefixtures("no_thread_leak")
def test_reentering_the_same_object_counts_once(scripted: Callable[[], Discovery]) -> None:
    m = ecoai.measure(discover=scripted, **FACTORS)
    with m, m:
        time.sleep(0.1)
    assert m.report.measurement is not None and len(m.report.measurement.runs) == 1


@pytest.mark.usefixtures("no_thread_leak")
def test_an_exception_propagates_and_the_run_is_kept(scripted: Callable[[], Discovery]) -> None:
    m = ecoai.measure(discover=scripted, **FACTORS)
    with pytest.raises(ZeroDivisionError), m:
        time.sleep(0.05)
        _ = 1 / 0
    assert m.report.measurement is not None
    (run,) = m.report.measurement.runs
    assert run.exit_status == 1 and run.error == "ZeroDivisionError: division by zero"


def test_report_before_any_block_and_unknown_arguments_are_errors() -> None:
    with pytest.raises(InputError, match="no block has been measured"):
        _ = ecoai.measure().report
    with pytest.raises(InputError, match="unknown measure\\(\\) argument 'pue_x'"):
        ecoai.measure(pue_x=1.0)


def test_never_imports_torch_itself(tmp_path: Path) -> None:
    script = tmp_path / "s.json"
    script.write_text(json.dumps({"sensors": [{"name": "g", "component": "gpu", "power_w": 1}]}))
    probe = (
        "import sys, ecoai\nfrom ecoai.sensors.fake import load_script\nfrom pathlib import Path\n"
        f"with ecoai.measure(discover=lambda: load_script(Path({str(script)!r})), pue=1.1,"
        " cif_kg_per_kwh=0.3, wue_site_l_per_kwh=0, wue_source_l_per_kwh=0) as m:\n    pass\n"
        "print('torch' in sys.modules, m.report.kind)\n"
    )
    run = run_probe(probe)
    assert run.stdout.split() == ["False", "measured"]


class FakeCuda:
    """The torch.cuda names ecoai calls, recording synchronize(device)."""

    def __init__(self) -> None:
        self.synced: list[int] = []

    def is_available(self) -> bool:
        return True

    def is_initialized(self) -> bool:
        return True

    def device_count(self) -> int:
        return 2

    def synchronize(self, device: int) -> None:
        self.synced.append(device)


@pytest.mark.usefixtures("no_thread_leak")
def test_cuda_work_is_awaited_at_both_edges(
    scripted: Callable[[], Discovery], monkeypatch: pytest.MonkeyPatch
) -> None:
    cuda = FakeCuda()
    monkeypatch.setitem(sys.modules, "torch", type("FakeTorch", (), {"cuda": cuda})())
    with ecoai.measure(discover=scripted, **FACTORS):
        assert cuda.synced == [0, 1]
    assert cuda.synced == [0, 1, 0, 1]


@pytest.mark.torch
def test_torch_names_used_exist_on_real_torch() -> None:
    import torch

    for name in ("is_available", "is_initialized", "device_count", "synchronize"):
        assert callable(getattr(torch.cuda, name))
