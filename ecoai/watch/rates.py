"""Energy per output token and power over the last seconds, for the live line and the metrics.

``RecentRates`` is a sampler listener keeping (time, energy so far, output tokens so far) for
the last ``window_s`` seconds: J/token = energy step / token step over that window (None while
no token was counted in it), W = energy step / time step. Memory: one entry per sample in the
window. The tokens come from the work meter (the event file or ``--serve-metrics``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from ecoai.measurement.sampler import Sample

WINDOW_S = 10.0
"""How far back the live figures look. Units: s."""


class RecentRates:
    """J per output token and W over the last ``window_s`` seconds (all sensors summed)."""

    def __init__(self, output_tokens: Callable[[], int], window_s: float = WINDOW_S) -> None:
        self.output_tokens = output_tokens
        self.window_s = window_s
        self._points: deque[tuple[float, float, int]] = deque()
        self._lock = threading.Lock()

    def __call__(self, sample: Sample) -> None:
        point = (sample.t_s, sum(sample.energy_j.values()), self.output_tokens())
        with self._lock:
            self._points.append(point)
            while len(self._points) > 2 and point[0] - self._points[1][0] >= self.window_s:
                self._points.popleft()

    def joules_per_token(self) -> float | None:
        """Energy per output token over the window. Units: J. None: no token in the window."""
        with self._lock:
            if len(self._points) < 2:
                return None
            (_, e0, n0), (_, e1, n1) = self._points[0], self._points[-1]
        return (e1 - e0) / (n1 - n0) if n1 > n0 else None

    def power_w(self) -> float | None:
        """Mean power over the window. Units: W."""
        with self._lock:
            if len(self._points) < 2:
                return None
            (t0, e0, _), (t1, e1, _) = self._points[0], self._points[-1]
        return (e1 - e0) / (t1 - t0) if t1 > t0 else None
