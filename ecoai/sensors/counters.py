"""Plausibility of energy counters: each interval checked against the device's physical bounds.

One mechanism for every sensor (NVML, RAPL, the CPU model, any added later): the sampler's
``Tally`` passes each interval between two readings through an ``IntervalCheck`` and adds only
what it returns, so no sensor needs its own special case. An interval is a *fault* when

* ``backwards``: the cumulative energy stepped back. Wraps are resolved by the sensor before
  this point (``unwrap_uj``: a wrap needs a known, positive range), so what is left is a
  counter reset (driver reload, counter re-initialised) or a glitch;
* ``stall``: the counter did not move for ``STALL_S`` or more while the device reports power
  drawn (a stuck NVML counter, ml-energy/zeus#113); the whole stall is bridged. If the counter
  later catches up, the catch-up beyond that interval's power repays what was bridged, so the
  energy is not counted twice;
* ``spike``: more energy than the device's maximum power allows: ``max_power_w x interval``
  for power readings; for a counter, ``max_power_w`` x the time it had, at most ``BURST_S``
  ahead (a coarse counter adds a whole update at once). ``max_power_w`` is on the sensor: NVML
  from its power limits, RAPL from its zone's constraints, else a stated generous bound. A
  reset read as a wrap, or a bad read, lands here;
* ``invalid``: a non-finite energy, or a negative or non-finite power.

A faulty interval is *bridged*: with the sensor's power readings where it has them
(``read_power_w``, probed only when the counter looks wrong), else with the power of the latest
plausible interval, else dropped (0 J); never more than the ceiling allows. Every
fault is counted per kind with its seconds and bridged joules, and named in the report's notes
and the sensor's assumptions (``describe``). So no negative, non-finite or impossible energy
leaves a tally. Units: s, J, W.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ecoai.sensors.base import Reading

HEADROOM = 2.0
"""Ceiling over a device's highest power limit: transients above a limit last milliseconds
(NVIDIA and Intel both regulate power averaged over windows of ~1 ms to seconds), so a mean over
a whole interval at twice the highest limit is not physical. Applied by the sensors that read
limits (nvml.py, rapl.py)."""

FAULT_TEXT = {
    "backwards": "the counter stepped backwards (a reset, not a wrap)",
    "stall": "the counter did not advance while power was drawn",
    "spike": "the counter advanced more than the device's maximum power allows",
    "invalid": "a reading was not a finite, non-negative number",
}

STALL_S = 1.0
"""How long a counter may stand still while power is drawn before it counts as stuck: NVML
updates its energy counter about every 100 ms (ML.ENERGY, "Thermally Stable Profiling for
Accurate GPU Energy Measurement", the Zeus authors), so a second is ten updates missed. A
shorter stall is trusted to catch up (and counted by the counter when it does)."""

BURST_S = STALL_S
"""How far ahead of ``max_power_w x elapsed time`` a counter may run: a coarse counter adds a
whole update's energy at once, and one trusted to catch up after a pause of up to ``STALL_S``
adds the pause's. So a counter's energy over any stretch is at most ``max_power_w x (stretch +
BURST_S)``; a step beyond that is a ``spike``."""

PowerProbe = Callable[[], float | None]
"""Reads the device's power now (W); None when it cannot."""


def unwrap_uj(last_uj: int, raw_uj: int, range_uj: int | None) -> int | None:
    """Energy between two raw counter values that wrap to 0 after ``range_uj``. Units: uJ.

    A backwards step is a wrap only with a known, positive range; otherwise it is returned as
    None (a reset or a glitch, which the caller must not turn into energy).
    """
    if raw_uj >= last_uj:
        return raw_uj - last_uj
    if range_uj is None or range_uj <= 0 or raw_uj > range_uj or last_uj > range_uj:
        return None
    return raw_uj + range_uj - last_uj


@dataclass
class Fault:
    """The faulty intervals of one kind. Units: s, J."""

    count: int = 0
    seconds: float = 0.0
    bridged_j: float = 0.0
    bridged_by: dict[str, int] = field(default_factory=dict)
    """How many intervals were bridged by each method (power readings, held power, dropped)."""


@dataclass
class IntervalCheck:
    """Check and, if needed, bridge the intervals of one sensor (see the module docstring)."""

    max_power_w: float | None = None
    """The device's ceiling for the mean power of one interval; None: no upper bound known."""
    max_power_source: str = ""
    """Where ``max_power_w`` comes from, for the notes."""
    faults: dict[str, Fault] = field(default_factory=dict)
    owed_j: float = 0.0
    """Energy bridged over stalls that a catch-up of the counter would count again. Units: J."""
    held_power_w: float | None = None
    """The mean power of the latest plausible interval. Units: W."""
    _probe: tuple[float, float] | None = None
    _pending: tuple[int, float, float] | None = None
    """A stall not yet ``STALL_S`` long: (intervals, s, J by power readings)."""
    _stalling: bool = False
    _allowance_j: float | None = None
    """Energy the counter may still add: ``max_power_w x`` the time it had, at most ``BURST_S``
    ahead; full at the first interval (None: no ceiling known, or no interval seen yet). J."""

    def energy_j(
        self, previous: Reading, reading: Reading, probe: PowerProbe | None = None
    ) -> float | None:
        """The energy of the interval ``previous`` -> ``reading``; None if there is no pair.

        Always finite and within ``[0, max_power_w x interval]``.
        """
        step_s = reading.t_s - previous.t_s
        if reading.energy_j is not None and previous.energy_j is not None:
            step_j = reading.energy_j - previous.energy_j
            if math.isfinite(step_s) and step_s > 0:
                return self._counter(step_j, reading.t_s, step_s, probe)
            return self._timeless(step_j)
        if reading.power_w is not None and previous.power_w is not None:
            if math.isfinite(step_s) and step_s > 0:
                return self._power(previous.power_w, reading.power_w, step_s)
            return 0.0
        return None

    def _timeless(self, step_j: float) -> float:
        """A counter step with no time passed (a coarse or fake clock): kept only when finite,
        not negative and there is no ceiling to judge it by."""
        if math.isfinite(step_j) and step_j >= 0 and self.max_power_w is None:
            return step_j
        kind = "invalid" if not math.isfinite(step_j) else "backwards" if step_j < 0 else "spike"
        self._record(kind, 1, 0.0, 0.0, "dropped (no time passed)")
        return 0.0

    def _counter(self, step_j: float, t_s: float, step_s: float, probe: PowerProbe | None) -> float:
        self._accrue(step_s)
        usual = not self._stalling and self._pending is None  # as below, without the calls
        if usual and 0.0 < step_j < math.inf and step_j <= self._cap_j():
            self.held_power_w = step_j / step_s
            if self._allowance_j is not None:
                self._allowance_j -= step_j
            return step_j
        if not math.isfinite(step_j):
            return self._spend(self._bridge("invalid", step_s, t_s, probe))
        if step_j < 0:
            self._pending = None
            return self._spend(self._bridge("backwards", step_s, t_s, probe))
        if step_j == 0:
            power_j = self._probed_j(step_s, t_s, probe)
            if power_j is None or power_j <= 0:  # idle, or no way to tell: trust the counter
                return 0.0
            return self._spend(self._stalled(power_j, step_s))
        power_j = None
        if self._stalling:  # the first step after a bridged stall: a catch-up repays the bridge
            power_j = self._probed_j(step_s, t_s, probe)
            expected_j = power_j if power_j is not None else (self.held_power_w or 0.0) * step_s
            step_j -= min(self.owed_j, max(0.0, step_j - expected_j))
            self.owed_j, self._stalling = 0.0, False
        still_s = self._pending[1] if self._pending else 0.0  # the step covers the pause too
        self._pending = None
        if step_j > self._cap_j():
            if power_j is None:
                power_j = self._probed_j(step_s, t_s, probe)
            return self._spend(self._bridge("spike", step_s, None, None, power_j))
        self.held_power_w = step_j / (step_s + still_s)
        return self._spend(step_j)

    def _accrue(self, step_s: float) -> None:
        """Grow the counter's allowance by ``max_power_w x step_s`` over what is left of the
        earlier intervals', that carry-over capped at ``max_power_w x BURST_S``."""
        if self.max_power_w is not None:
            full_j = self.max_power_w * BURST_S
            current_j = full_j if self._allowance_j is None else self._allowance_j
            self._allowance_j = min(full_j, current_j) + self.max_power_w * step_s

    def _cap_j(self) -> float:
        return math.inf if self._allowance_j is None else self._allowance_j

    def _spend(self, energy_j: float) -> float:
        energy_j = min(max(0.0, energy_j), self._cap_j())
        if self._allowance_j is not None:
            self._allowance_j -= energy_j
        return energy_j

    def _stalled(self, power_j: float, step_s: float) -> float:
        """A counter that did not move while power was drawn: trusted to catch up for
        ``STALL_S``, then bridged with the power readings of the whole stall."""
        if not self._stalling:
            count, seconds, energy_j = self._pending or (0, 0.0, 0.0)
            count, seconds, energy_j = count + 1, seconds + step_s, energy_j + power_j
            if seconds < STALL_S:
                self._pending = (count, seconds, energy_j)
                return 0.0
            self._pending, self._stalling = None, True
        else:
            count, seconds, energy_j = 1, step_s, power_j
        energy_j = min(energy_j, self._cap_j())
        self._record("stall", count, seconds, energy_j, "bridged with power readings")
        self.owed_j += energy_j
        return energy_j

    def _power(self, first_w: float, last_w: float, step_s: float) -> float:
        if not all(math.isfinite(w) and w >= 0 for w in (first_w, last_w)):
            return self._bridge("invalid", step_s, None, None)
        energy_j = (first_w + last_w) / 2 * step_s
        if energy_j > self._bound_j(step_s):
            return self._bridge("spike", step_s, None, None)
        self.held_power_w = last_w
        return energy_j

    def _bound_j(self, step_s: float) -> float:
        return math.inf if self.max_power_w is None else self.max_power_w * step_s

    def _probed_j(self, step_s: float, t_s: float, probe: PowerProbe | None) -> float | None:
        """Energy of the interval from power readings: the mean of the one at its start (if it
        was probed) and one now; None without a usable power reading."""
        if probe is None:
            return None
        try:
            power_w = probe()
        except Exception:  # a failing power read leaves the other ways to bridge
            power_w = None
        if power_w is None or not math.isfinite(power_w) or power_w < 0:
            return None
        earlier, self._probe = self._probe, (t_s, power_w)
        if earlier is not None and math.isclose(earlier[0], t_s - step_s, abs_tol=1e-9):
            return (earlier[1] + power_w) / 2 * step_s
        return power_w * step_s

    def _bridge(
        self,
        kind: str,
        step_s: float,
        t_s: float | None,
        probe: PowerProbe | None,
        power_j: float | None = None,
    ) -> float:
        """Count a faulty interval and return the energy that replaces it."""
        if power_j is None and probe is not None and t_s is not None:
            power_j = self._probed_j(step_s, t_s, probe)
        if power_j is not None:
            how, energy_j = "bridged with power readings", power_j
        elif self.held_power_w is not None:
            how = "bridged with the latest plausible interval's power"
            energy_j = self.held_power_w * step_s
        else:
            how, energy_j = "dropped (no power known)", 0.0
        energy_j = min(max(0.0, energy_j), self._bound_j(step_s), self._cap_j())
        self._record(kind, 1, step_s, energy_j, how)
        return energy_j

    def _record(self, kind: str, count: int, seconds: float, energy_j: float, how: str) -> None:
        fault = self.faults.setdefault(kind, Fault())
        fault.count += count
        fault.seconds += seconds
        fault.bridged_j += energy_j
        fault.bridged_by[how] = fault.bridged_by.get(how, 0) + count

    def describe(self, name: str) -> list[str]:
        """One line per kind of fault seen, for the report's notes and the sensor's assumptions."""
        lines = []
        for kind, fault in self.faults.items():
            how = ", ".join(f"{n} {method}" for method, n in fault.bridged_by.items())
            text = FAULT_TEXT[kind]
            if kind == "spike" and self.max_power_w is not None:
                source = f": {self.max_power_source}" if self.max_power_source else ""
                text += f" ({self.max_power_w:.0f} W{source})"
            lines.append(
                f"{name}: {text} in {fault.count} interval(s), "
                f"{fault.seconds:.3g} s in all: {fault.bridged_j:.4g} J counted instead ({how})"
            )
        return lines
