"""CPU package and DRAM energy from RAPL counters in powercap sysfs (root settable).

Layout (Linux ``powercap``): ``<root>/intel-rapl:N/{name,energy_uj,max_energy_range_uj}`` is a
package; its subzones ``intel-rapl:N:M`` are ``core``/``uncore`` (inside the package: skipped to
avoid double counting) or ``dram`` (outside it: kept). ``intel-rapl-mmio:N`` exposes the same
package counter again and ``psys`` contains the packages, so both are skipped.

Wrap-around: ``energy_uj`` wraps to 0 after ``max_energy_range_uj``; a backwards step adds one
range. This assumes at most one wrap between two reads, which holds when reads are more frequent
than range / power (2^32 uJ at 400 W wraps every ~10 s; the default interval is 0.1 s). Any
number of wraps over a run is handled. Between two reads further apart than one wrap at the
highest power seen (a stalled sampler, a suspended machine) extra wraps cannot be seen: such
intervals are counted and named in the sensor's assumptions as possibly under-counted.
A zone whose ``max_energy_range_uj`` is 0 or unreadable is refused at discovery with its reason
(the CPU model takes over): without a range a backwards step cannot be told from a reset, and
adding a range of 0 made every wrap a negative energy (codecarbon#1309).
Every interval is also checked by ``ecoai.sensors.counters`` against the zone's ceiling:
``HEADROOM`` x the highest ``constraint_N_max_power_uw`` it exposes, else
``FALLBACK_MAX_POWER_W``; a reset read as a wrap lands above it and is bridged.
Since Linux 5.10 ``energy_uj`` is readable by root only.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ecoai import units
from ecoai.sensors.base import Discovery, Reading, skip
from ecoai.sensors.counters import HEADROOM, unwrap_uj

if TYPE_CHECKING:
    from ecoai.models import Component, SensorMethod, SensorScope

Reader = Callable[[Path], str]

FALLBACK_MAX_POWER_W = 1000.0
"""A zone's ceiling when it exposes no power constraint: twice the highest CPU package TDP on
sale (AMD EPYC 9965 and Intel Xeon 6980P: 500 W, datasheets)."""

PERMISSION_HINT = (
    "energy_uj is readable by root only since Linux 5.10: run "
    "`sudo chmod -R a+r /sys/class/powercap/intel-rapl` or run as root"
)


def read_text(path: Path) -> str:
    """Read a sysfs file (the default reader; tests inject one that raises PermissionError).

    Opened without blocking and read only if it is a regular file (sysfs attributes are), at
    most 4 KiB: a FIFO or a device under a fake ``--powercap-root`` raises OSError instead of
    hanging discovery or sampling."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, f"{path.name} is not a regular file")
        return os.read(fd, 4096).decode("ascii").strip()
    finally:
        os.close(fd)


class RaplSensor:
    """One RAPL zone (a package or its DRAM). Units: counter uJ; readings J."""

    scope: SensorScope = "machine"
    method: SensorMethod = "counter"
    component: Component

    def __init__(
        self,
        zone: Path,
        label: str,
        max_range_uj: int,
        reader: Reader,
        clock: Callable[[], float],
        max_power_w: tuple[float, str] = (FALLBACK_MAX_POWER_W, "no power constraint readable"),
    ) -> None:
        self.zone = zone
        self.name = f"rapl:{label}"
        self.component = "dram" if label.endswith("dram") else "cpu"
        self.facts = {"zone": zone.name, "max_energy_range_uj": str(max_range_uj)}
        self.assumptions: list[str] = []
        self.max_range_uj = max_range_uj
        # the ceiling each interval is checked against (ecoai.sensors.counters). Units: W.
        self.max_power_w, self.max_power_source = max_power_w
        self.resets = 0
        """Backwards steps that cannot be a wrap (a counter reset): counted as no energy."""
        self._reader = reader
        self._clock = clock
        self._last_uj: int | None = None
        self._total_uj = 0
        self.wraps = 0
        self.unsure = 0
        """Intervals long enough for the counter to have wrapped more than we can see."""
        self._last_t_s: float | None = None
        self._peak_w = 0.0

    def read(self) -> Reading:
        t_s = self._clock()
        raw_uj = int(self._reader(self.zone / "energy_uj"))
        step_uj = self.advance_uj(raw_uj)
        self._check_interval(t_s, step_uj)
        self._total_uj += step_uj
        return Reading(t_s, energy_j=units.uj_to_j(self._total_uj))

    def _check_interval(self, t_s: float, step_uj: int) -> None:
        """Flag an interval in which, at the highest power seen, the counter wraps at least once
        more than counted; otherwise learn the power."""
        last_s, self._last_t_s = self._last_t_s, t_s
        if last_s is None or t_s <= last_s:
            return
        span_s, range_j = t_s - last_s, units.uj_to_j(self.max_range_uj)
        if self._peak_w > 0 and span_s * self._peak_w >= range_j:
            self.unsure += 1
            note = (
                f"{self.unsure} interval(s) between reads (the last {span_s:.3g} s) exceeded one "
                f"wrap of energy_uj at the highest power seen ({range_j / self._peak_w:.3g} s at "
                f"{self._peak_w:.0f} W): more wraps are invisible, energy may be under-counted"
            )
            self._set_note(note)
        else:
            self._peak_w = max(self._peak_w, units.uj_to_j(step_uj) / span_s)

    def _set_note(self, note: str) -> None:
        found = [i for i, text in enumerate(self.assumptions) if "exceeded one wrap" in text]
        if found:
            self.assumptions[found[0]] = note
        else:
            self.assumptions.append(note)

    def advance_uj(self, raw_uj: int) -> int:
        """Energy since the previous raw value, correcting one wrap-around. Units: uJ."""
        last, self._last_uj = self._last_uj, raw_uj
        if last is None:
            return 0
        step_uj = unwrap_uj(last, raw_uj, self.max_range_uj)
        if step_uj is None:
            self.resets += 1
            return 0
        if raw_uj < last:
            self.wraps += 1
        return step_uj

    def close(self) -> None:
        """Nothing to release: every read opens and closes its file."""


def open_rapl(
    root: Path, reader: Reader = read_text, clock: Callable[[], float] | None = None
) -> Discovery:
    """Open a sensor per package and DRAM zone under ``root``, skipping duplicates and nesting."""
    found = Discovery()
    if not root.is_dir():
        found.skipped.append(skip("rapl", f"{root} does not exist (no RAPL, or not mounted)"))
        return found
    packages = sorted(p for p in root.glob("intel-rapl:*") if p.name.count(":") == 1)
    for zone in sorted(root.glob("intel-rapl-mmio:*")):
        found.skipped.append(skip(f"rapl:{zone.name}", "MMIO duplicate of a package counter"))
    if not packages:
        found.skipped.append(skip("rapl", f"no intel-rapl zones under {root}"))
    for package in packages:
        parent = _open_zone(package, reader, clock or time.monotonic, found)
        for sub in sorted(package.glob(f"{package.name}:*")):
            _open_zone(sub, reader, clock or time.monotonic, found, parent=parent)
    return found


def zone_max_power(zone: Path, reader: Reader) -> tuple[float, str]:
    """The zone's ceiling for one interval's mean power (W), and where it comes from:
    ``HEADROOM`` x its highest ``constraint_N_max_power_uw``, else ``FALLBACK_MAX_POWER_W``."""
    limits_w = []
    for path in sorted(zone.glob("constraint_*_max_power_uw")):
        try:
            limits_w.append(units.uw_to_w(int(reader(path))))
        except (OSError, ValueError):
            continue
    usable = [w for w in limits_w if 0 < w < 1e6]
    if not usable:
        return FALLBACK_MAX_POWER_W, "no power constraint readable: a generous bound for a CPU"
    highest_w = max(usable)
    return HEADROOM * highest_w, f"{HEADROOM:g} x the zone's highest max power, {highest_w:.0f} W"


def _open_zone(
    zone: Path,
    reader: Reader,
    clock: Callable[[], float],
    found: Discovery,
    parent: str | None = None,
) -> str:
    """Open one zone if it counts; return its label (``package-0``) for its subzones' names."""
    try:
        label = reader(zone / "name")
        if parent is not None and label != "dram":
            found.skipped.append(skip(f"rapl:{zone.name}", f"{label} is inside its package"))
            return label
        if label == "psys":
            found.skipped.append(skip(f"rapl:{zone.name}", "psys contains the packages"))
            return label
        name = label if parent is None else f"{parent}/{label}"
        if any(s.name == f"rapl:{name}" for s in found.sensors):
            found.skipped.append(skip(f"rapl:{zone.name}", f"duplicate of zone {name}"))
            return label
        max_range_uj = int(reader(zone / "max_energy_range_uj"))
        if max_range_uj <= 0:
            found.skipped.append(
                skip(
                    f"rapl:{zone.name}",
                    f"max_energy_range_uj is {max_range_uj}: without the counter's range its "
                    "wraps cannot be told from resets",
                )
            )
            return label
        sensor = RaplSensor(zone, name, max_range_uj, reader, clock, zone_max_power(zone, reader))
        sensor.read()  # fails here, before the child starts, if the counter is unreadable
    except PermissionError:
        found.skipped.append(skip(f"rapl:{zone.name}", f"permission denied: {PERMISSION_HINT}"))
        return zone.name
    except (OSError, ValueError) as error:
        found.skipped.append(skip(f"rapl:{zone.name}", f"unreadable: {error}"))
        return zone.name
    found.sensors.append(sensor)
    return label
