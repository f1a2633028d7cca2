"""The live line on a terminal: elapsed time, power by component, energy and queries so far.

The bottom row of the terminal is kept for it (a scroll region, as apt does), so the command's
own output scrolls above it untouched; it is cleared and the region reset when the run ends.
Drawn at most every ``min_gap_s`` from whichever thread delivers a sample.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from ecoai.measurement.sampler import Sample
from ecoai.sensors import Sensor
from ecoai.watch.rates import RecentRates


def live_text(
    elapsed_s: float,
    power_w: Mapping[str, float],
    energy_j: float,
    queries: int | None,
    width: int = 100,
    per_token_j: float | None = None,
    recent_w: float | None = None,
) -> str:
    """The live line: ``ecoai 12.3 s | gpu 210 W cpu 35 W | 2.71 kJ | 40 queries``, then
    ``| 0.31 J/token, 300 W (10 s)`` when tokens were counted in the last seconds (the mean
    power over those seconds beside the J/token)."""
    from ecoai.models import COMPONENTS  # not at the top: `wanted` is read before the command

    power = " ".join(f"{c} {power_w[c]:.0f} W" for c in COMPONENTS if c in power_w) or "no power"
    energy = f"{energy_j / 1e3:.2f} kJ" if energy_j >= 1e3 else f"{energy_j:.1f} J"
    parts = [f"ecoai {elapsed_s:.1f} s", power, energy]
    if queries is not None:
        parts.append(f"{queries} queries")
    if per_token_j is not None:
        watts = f", {recent_w:.0f} W" if recent_w is not None else ""
        parts.append(f"{per_token_j:.3g} J/token{watts} (10 s)")
    text = " | ".join(parts)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class LiveLine:
    """A sampler listener drawing ``live_text`` on the terminal's last row of ``stream``."""

    def __init__(
        self,
        stream: TextIO,
        sensors: Sequence[Sensor],
        queries: Callable[[], int] | None = None,
        min_gap_s: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        per_token: RecentRates | None = None,
    ) -> None:
        self.stream = stream
        self.component = {s.name: s.component for s in sensors}
        self.queries = queries
        self.per_token = per_token
        self.min_gap_s = min_gap_s
        self.clock = clock
        self._rows = 0
        self._drawn_s: float | None = None
        self._first: Sample | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Keep the bottom row for the live line."""
        with self._lock:
            self._rows = _rows(self.stream)
            if self._rows >= 3:
                self._write(f"\n\x1b7\x1b[1;{self._rows - 1}r\x1b8\x1b[1A")

    def __call__(self, sample: Sample) -> None:
        with self._lock:
            if self._first is None:
                self._first = sample
            now_s = self.clock()
            if self._drawn_s is not None and now_s - self._drawn_s < self.min_gap_s:
                return
            self._drawn_s = now_s
            by_component: dict[str, float] = {}
            for name, power_w in sample.power_w.items():
                component = self.component.get(name, "other")
                by_component[component] = by_component.get(component, 0.0) + power_w
            energy_j = sum(sample.energy_j.values()) - sum(self._first.energy_j.values())
            queries = self.queries() if self.queries is not None else None
            text = live_text(
                sample.t_s - self._first.t_s,
                by_component,
                energy_j,
                queries,
                _columns(self.stream) - 1,
                self.per_token.joules_per_token() if self.per_token is not None else None,
                self.per_token.power_w() if self.per_token is not None else None,
            )
            if self._rows >= 3:
                self._write(f"\x1b7\x1b[{self._rows};1H\x1b[2K{text}\x1b8")
            else:
                self._write(f"\r\x1b[2K{text}")

    def close(self) -> None:
        """Clear the live line and give the whole terminal back."""
        with self._lock:
            if self._rows >= 3:
                self._write(f"\x1b7\x1b[{self._rows};1H\x1b[2K\x1b[r\x1b8")
            else:
                self._write("\r\x1b[2K")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: nothing left to show
            pass


def _rows(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).lines
    except (OSError, ValueError, AttributeError):
        return 0


def _columns(stream: TextIO) -> int:
    try:
        return max(20, os.get_terminal_size(stream.fileno()).columns)
    except (OSError, ValueError, AttributeError):
        return 80


def wanted(stream: TextIO, quiet: bool, env: Mapping[str, str]) -> bool:
    """A live line only on a real terminal, not with --quiet, not for TERM=dumb."""
    try:
        tty = stream.isatty()
    except (ValueError, AttributeError):
        tty = False
    return tty and not quiet and env.get("TERM", "") != "dumb"
