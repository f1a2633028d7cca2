"""Intel discrete GPUs (Arc, Data Center GPU Flex/Max) through hwmon: the ``energy1_input`` counter.

Layout (Linux ``Documentation/ABI/testing/sysfs-driver-intel-i915-hwmon`` and ``...-xe-hwmon``):
``<root>/hwmonN/name`` is ``i915`` or ``xe``; ``energy1_input`` is the card's energy in uJ since
the driver loaded (the driver widens the hardware's 32-bit counter to 64 bits, so it does not
wrap in practice; a backwards step is a reset, which the shared counter-plausibility check
bridges with the latest plausible power, never negative); ``power1_max`` (PL1) and
``power1_rated_max`` (TDP, i915) or ``power1_crit`` are in uW and give the card's ceiling for the
shared counter-plausibility check. ``device`` links to the PCI device. Integrated GPUs expose no
hwmon (their energy is inside the RAPL package). ``energy1_input`` of i915 is root-only on some
kernels: the skip says so, with the fix.

``<root>`` is ``/sys/class/hwmon``; ecoai takes it beside ``--powercap-root`` (its sibling).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ecoai import units
from ecoai.sensors.base import Discovery, Reading, skip
from ecoai.sensors.counters import HEADROOM
from ecoai.sensors.sysfs import (
    Reader,
    optional_number,
    optional_text,
    read_number,
    read_text,
    uw_to_w,
)

if TYPE_CHECKING:
    from ecoai.models import Component, SensorMethod, SensorScope

DRIVERS = ("xe", "i915")
"""hwmon ``name`` values of Intel's GPU drivers."""


FALLBACK_MAX_POWER_W = 1200.0
"""A card's ceiling when no limit is readable: twice the highest Intel GPU board power (Data
Center GPU Max 1550: 600 W, Intel datasheet)."""

LIMIT_FILES = ("power1_max", "power1_rated_max", "power1_crit")
"""hwmon power limits, uW."""


def permission_hint(path: Path) -> str:
    """The fix for an unreadable energy file."""
    return f"{path} is readable by root only: run as root or `sudo chmod a+r {path}`"


class IntelGpuSensor:
    """One Intel GPU's hwmon energy counter. Units: counter uJ; readings J."""

    component: Component = "gpu"
    scope: SensorScope = "device"
    method: SensorMethod = "counter"

    def __init__(
        self,
        hwmon: Path,
        index: int,
        facts: dict[str, str],
        max_power_w: tuple[float, str],
        reader: Reader,
        clock: Callable[[], float],
    ) -> None:
        self.hwmon = hwmon
        self.name = f"intel-gpu:{index}"
        self.facts = facts
        self.assumptions: list[str] = []
        # the ceiling each interval is checked against (shared counter-plausibility check). W.
        self.max_power_w, self.max_power_source = max_power_w
        self._reader = reader
        self._clock = clock

    def read(self) -> Reading:
        """The counter as it is (J): the counter check judges each step, a reset included."""
        t_s = self._clock()
        raw_uj = read_number(self._reader, self.hwmon / "energy1_input")
        return Reading(t_s, energy_j=units.uj_to_j(raw_uj))

    def close(self) -> None:
        """Nothing to release: every read opens and closes its file."""


def card_max_power(hwmon: Path, reader: Reader) -> tuple[float, str]:
    """``HEADROOM`` x the card's highest hwmon power limit (W), else ``FALLBACK_MAX_POWER_W``."""
    limits_w = [
        uw_to_w(value)
        for value in (optional_number(reader, hwmon / name) for name in LIMIT_FILES)
        if value is not None and 0 < value < 1e10
    ]
    if not limits_w:
        return FALLBACK_MAX_POWER_W, "no power limit readable: a generous bound for a GPU"
    highest_w = max(limits_w)
    return HEADROOM * highest_w, f"{HEADROOM:g} x the highest power limit, {highest_w:.0f} W"


def open_intel_gpu(
    root: Path, reader: Reader = read_text, clock: Callable[[], float] | None = None
) -> Discovery:
    """Open a sensor per ``xe``/``i915`` hwmon device under ``root`` with a readable counter."""
    found = Discovery()
    if not root.is_dir():
        found.skipped.append(skip("intel-gpu", f"{root} does not exist (no hwmon)"))
        return found
    devices = []
    for hwmon in sorted(root.glob("hwmon*"), key=_number_of):
        driver = optional_text(reader, hwmon / "name")
        if driver in DRIVERS:
            devices.append((hwmon, driver))
    if not devices:
        found.skipped.append(
            skip("intel-gpu", f"no xe or i915 hwmon device under {root} (no Intel discrete GPU)")
        )
    for index, (hwmon, driver) in enumerate(devices):
        name = f"intel-gpu:{index}"
        energy = hwmon / "energy1_input"
        try:
            if not energy.exists():
                reason = f"{hwmon.name} ({driver}) has no energy1_input (Linux >= 6.2 for i915"
                found.skipped.append(skip(name, reason + ", >= 6.8 for xe)"))
                continue
            facts = {"hwmon": hwmon.name, "driver": driver}
            device = hwmon / "device"
            if device.exists():
                facts["pci_slot"] = device.resolve().name
            sensor = IntelGpuSensor(
                hwmon, index, facts, card_max_power(hwmon, reader), reader, clock or time.monotonic
            )
            sensor.read()  # fails here, before the child starts, if the counter is unreadable
        except PermissionError:
            found.skipped.append(skip(name, f"permission denied: {permission_hint(energy)}"))
            continue
        except (OSError, ValueError) as error:
            found.skipped.append(skip(name, f"unreadable: {error}"))
            continue
        found.sensors.append(sensor)
    return found


def _number_of(path: Path) -> int:
    digits = path.name.removeprefix("hwmon")
    return int(digits) if digits.isdigit() else 0
