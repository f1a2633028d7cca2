"""``--plot FILE.png|.svg``: power by component over time, with the phases as bands.

``PowerTrace`` is a listener keeping at most ``max_points`` points per component (neighbours
merge when full, as ``sampler.Timeline`` does); ``draw`` renders through matplotlib, an
optional extra (``pip install 'ecoai[plot]'``), imported only here.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ecoai.errors import InputError, ReportWriteError
from ecoai.measurement.sampler import Sample
from ecoai.sensors import Sensor

SUFFIXES = (".png", ".svg")
INSTALL_HINT = "pip install 'ecoai[plot]' (or pip install matplotlib)"


def check_plot_path(path: Path) -> None:
    """Before the run: a known extension and matplotlib importable, else a one-line error."""
    import importlib.util

    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"--plot {path}: unknown extension", "name the file .png or .svg")
    if importlib.util.find_spec("matplotlib") is None:
        raise InputError("--plot needs matplotlib, which is not installed", INSTALL_HINT)


@dataclass
class PowerTrace:
    """(t_s, {component: W}) points, each the mean of ``stride`` samples; bounded."""

    sensors: Sequence[Sensor]
    max_points: int = 2000
    points: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    stride: int = 1
    _pending: list[Sample] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, sample: Sample) -> None:
        if not sample.power_w:  # the first reading of a counter has no power yet
            return
        with self._lock:
            self._pending.append(sample)
            if len(self._pending) < self.stride:
                return
            self.points.append(self._mean(self._pending))
            self._pending = []
            if len(self.points) >= self.max_points:
                pairs = zip(self.points[::2], self.points[1::2], strict=False)
                self.points = [(a[0], _mean_w(a[1], b[1])) for a, b in pairs]
                self.stride *= 2

    def _mean(self, samples: Sequence[Sample]) -> tuple[float, dict[str, float]]:
        component = {s.name: s.component for s in self.sensors}
        totals: dict[str, float] = {}
        for sample in samples:
            for name, power_w in sample.power_w.items():
                key = component.get(name, "other")
                totals[key] = totals.get(key, 0.0) + power_w / len(samples)
        return samples[0].t_s, totals


def _mean_w(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {k: (a.get(k, 0.0) + b.get(k, 0.0)) / 2 for k in {*a, *b}}


def draw(
    path: Path,
    trace: PowerTrace,
    windows: Sequence[tuple[str, float, float]],
    title: str,
) -> None:
    """Write the plot to ``path`` (.png or .svg)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("--plot needs matplotlib, which is not installed", INSTALL_HINT) from None
    origin_s = trace.points[0][0] if trace.points else 0.0
    figure, axes = plt.subplots(figsize=(10, 4), dpi=100)
    components = sorted({c for _, p in trace.points for c in p})
    times = [t - origin_s for t, _ in trace.points]
    for component in components:
        axes.plot(times, [p.get(component, 0.0) for _, p in trace.points], label=component)
    colours = plt.get_cmap("tab10")
    names = list(dict.fromkeys(name for name, _, _ in windows))
    for name, start_s, end_s in windows:
        index = names.index(name)
        axes.axvspan(
            start_s - origin_s,
            end_s - origin_s,
            alpha=0.15,
            color=colours(index + len(components)),
            lw=0,
        )
    for index, name in enumerate(names):
        axes.fill_between([], [], color=colours(index + len(components)), alpha=0.3, label=name)
    axes.set_xlabel("time (s)")
    axes.set_ylabel("power (W)")
    axes.set_title(title)
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    try:
        figure.savefig(path)
    except OSError as error:
        raise ReportWriteError(f"cannot write {path}: {error.strerror}") from None
    finally:
        plt.close(figure)
