"""Watch pieces without a run: missing extras, the timeline's flat memory, the sparkline."""

from __future__ import annotations

import importlib.util
import sys
import tracemalloc
from pathlib import Path

import pytest

from ecoai.errors import InputError
from ecoai.measurement.sampler import Sample
from ecoai.render.sparkline import power_line, sparkline
from ecoai.sensors import Reading
from ecoai.watch.plot import check_plot_path
from ecoai.watch.prometheus import MetricsServer
from ecoai.watch.timeline import TimelineWriter


class Named:
    def __init__(self, name: str, component: str = "gpu") -> None:
        self.name, self.component, self.method, self.scope = name, component, "counter", "device"
        self.facts: dict[str, str] = {}
        self.assumptions: list[str] = []

    def read(self) -> Reading:
        return Reading(0.0, energy_j=0.0)

    def close(self) -> None:
        """Nothing to release."""


def test_missing_matplotlib_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="--plot needs matplotlib") as caught:
        check_plot_path(Path("p.png"))
    assert caught.value.hint is not None and "ecoai[plot]" in caught.value.hint
    with pytest.raises(InputError, match="unknown extension"):
        check_plot_path(Path("p.jpg"))


def test_missing_prometheus_client_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(InputError, match="--metrics-port needs prometheus-client") as caught:
        MetricsServer("127.0.0.1", 0, []).start()
    assert caught.value.hint is not None and "ecoai[metrics]" in caught.value.hint


def test_timeline_memory_stays_flat(tmp_path: Path) -> None:
    writer = TimelineWriter(tmp_path / "t.csv", [Named("gpu0"), Named("cpu", "cpu")])
    rows = 50_000

    def feed(start: int, count: int) -> None:
        for i in range(start, start + count):
            writer(
                Sample(i * 0.1, {"gpu0": 300.0, "cpu": 40.0}, {"gpu0": 30.0 * i, "cpu": 4.0 * i})
            )

    feed(0, 1000)  # warm up buffers and caches
    tracemalloc.start()
    feed(1000, rows)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    writer.close()
    assert peak < 256 * 1024  # nothing is kept per sample: the rows are on disk
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert len(lines) == 1 + 1000 + rows
    assert lines[-1].split(",")[2:5] == ["300", "40", "340"]


def test_sparkline() -> None:
    assert sparkline([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5.0, 5.0, 5.0]) == "▄▄▄"
    assert len(sparkline([float(i % 10) for i in range(1000)], width=40)) == 40
    assert power_line([(0.0, 10.0), (1.0, 30.0)]) == "power ▁█  10.0-30.0 W"
    assert power_line([(0.0, 10.0)]) == ""
