"""NVIDIA Jetson (Orin, Xavier) power rails from the INA3221 / INA238 monitors on the I2C bus.

On a Jetson NVML answers "not supported" for energy and power: the GPU is then measured by these
rails, or skipped with the reason; never read as zero.

Layout (Linux hwmon drivers ``ina3221`` and ``ina238``, ``Documentation/hwmon/``):
``<root>/ina3221/<bus-addr>/hwmon/hwmonN/{inK_label, inK_input (mV), currK_input (mA)}`` for
channels K = 1..3; ``<root>/ina238/<bus-addr>/hwmon/hwmonN/{power1_input (uW), in1_input (mV),
curr1_input (mA), in1_label if the device tree names it}``. ``<root>`` is
``/sys/bus/i2c/drivers``. Power is ``power1_input`` where present, else V x I.

Which rail is what (NVIDIA Jetson Linux Developer Guide, "Power Management", per module):

- ``VDD_IN`` (Orin Nano/NX, Xavier NX), ``VIN_SYS_5V0`` / ``SYS5V`` (AGX): the module's total
  input; it contains every other rail, so it is skipped (counting it too would double count);
- ``VDD_CPU_GPU_CV`` (Orin Nano/NX, Xavier NX): CPU, GPU and the CV accelerators on one rail:
  read as the GPU, covering the CPU (the CPU model is then not added on top);
- ``VDD_GPU_SOC`` (AGX Orin): GPU and SoC; ``GPU`` / ``CPU`` (AGX Xavier): one each;
- ``VDD_SOC``, ``CV``, ``VDDRQ``, ``VDDQ_VDD2_1V8AO``: SoC, accelerators and memory rails that
  are not a component ecoai separates: skipped with that reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ecoai.sensors.base import Discovery, Reading, skip
from ecoai.sensors.sysfs import (
    Reader,
    mv_ma_to_w,
    optional_text,
    read_number,
    read_text,
    uw_to_w,
)

if TYPE_CHECKING:
    from ecoai.models import Component, SensorMethod, SensorScope

TOTAL_RAILS = frozenset({"VDD_IN", "VIN_SYS_5V0", "SYS5V"})
"""Rails that carry the module's whole input."""

FALLBACK_MAX_POWER_W = 260.0
"""A rail's ceiling: twice the highest Jetson module power (AGX Thor: 130 W, NVIDIA datasheet)."""

PERMISSION_HINT = "run as root, or `sudo chmod a+r` the monitor's hwmon files"


def rail_components(label: str) -> tuple[Component, frozenset[Component]] | None:
    """The component a rail is read as, and every component it covers; None: not used."""
    parts = set(label.upper().replace("VDD_", "").replace("VIN_", "").split("_"))
    if "GPU" in parts:
        return "gpu", frozenset({"gpu", "cpu"} if "CPU" in parts else {"gpu"})
    if parts == {"CPU"} or parts == {"CPU", "CV"}:
        return "cpu", frozenset({"cpu"})
    return None


class JetsonRailSensor:
    """One power-monitor channel (a rail). Units: mV, mA or uW in sysfs; readings W."""

    method: SensorMethod = "power"
    scope: SensorScope = "device"
    component: Component

    def __init__(
        self,
        hwmon: Path,
        channel: int,
        label: str,
        chip: str,
        covers: frozenset[Component],
        reader: Reader,
        clock: Callable[[], float],
    ) -> None:
        self.hwmon = hwmon
        self.channel = channel
        self.name = f"jetson:{label}"
        self.component, _ = rail_components(label) or ("gpu", frozenset())
        self.covers = covers
        """Components this rail's power contains: discovery adds no model for them."""
        self.facts = {"rail": label, "monitor": chip, "hwmon": hwmon.name, "channel": str(channel)}
        self.assumptions = [f"{label}: power readings of the {chip} monitor integrated over time"]
        if covers - {self.component}:
            others = ", ".join(sorted(c.upper() for c in covers - {self.component}))
            self.assumptions.append(f"{label} also feeds the {others}: counted here, not modelled")
        # the ceiling each interval is checked against (shared counter-plausibility check). W.
        self.max_power_w = FALLBACK_MAX_POWER_W
        self.max_power_source = "twice the highest Jetson module power (AGX Thor, 130 W)"
        self._reader = reader
        self._clock = clock

    def read(self) -> Reading:
        return Reading(self._clock(), power_w=self.read_power_w())

    def read_power_w(self) -> float:
        """The rail's power now. Units: W."""
        power = self.hwmon / f"power{self.channel}_input"
        if power.exists():
            return uw_to_w(read_number(self._reader, power))
        voltage_mv = read_number(self._reader, self.hwmon / f"in{self.channel}_input")
        current_ma = read_number(self._reader, self.hwmon / f"curr{self.channel}_input")
        return mv_ma_to_w(voltage_mv, current_ma)

    def close(self) -> None:
        """Nothing to release: every read opens and closes its file."""


def open_jetson(
    root: Path, reader: Reader = read_text, clock: Callable[[], float] | None = None
) -> Discovery:
    """Open a sensor per GPU or CPU rail of the INA3221/INA238 monitors under ``root``; every
    other rail is a skip naming what it carries."""
    found = Discovery()
    monitors = [
        (chip, hwmon)
        for chip in ("ina3221", "ina238")
        for hwmon in sorted((root / chip).glob("*/hwmon/hwmon*"))
    ]
    if not monitors:
        found.skipped.append(
            skip("jetson", f"no ina3221 or ina238 power monitor under {root} (not a Jetson)")
        )
        return found
    for chip, hwmon in monitors:
        for channel in _channels(hwmon):
            _open_rail(chip, hwmon, channel, reader, clock or time.monotonic, found)
    return found


def _channels(hwmon: Path) -> list[int]:
    found = {
        int(path.name[2:].split("_")[0])
        for path in hwmon.glob("in*_input")
        if path.name[2:].split("_")[0].isdigit()
    }
    return sorted(found)


def _open_rail(
    chip: str,
    hwmon: Path,
    channel: int,
    reader: Reader,
    clock: Callable[[], float],
    found: Discovery,
) -> None:
    where = f"{chip} {hwmon.parent.parent.name} channel {channel}"
    label = optional_text(reader, hwmon / f"in{channel}_label")
    if not label:
        reason = f"{where} has no rail label: what it measures is unknown"
        found.skipped.append(skip(f"jetson:{chip}-{hwmon.parent.parent.name}-{channel}", reason))
        return
    if label.upper() in TOTAL_RAILS:
        found.skipped.append(
            skip(f"jetson:{label}", f"the module's total input ({where}): contains the other rails")
        )
        return
    components = rail_components(label)
    if components is None:
        found.skipped.append(
            skip(
                f"jetson:{label}", f"a SoC, accelerator or memory rail ({where}): not a GPU or CPU"
            )
        )
        return
    sensor = JetsonRailSensor(hwmon, channel, label, chip, components[1], reader, clock)
    try:
        sensor.read()  # fails here, before the child starts, if the rail is unreadable
    except PermissionError:
        found.skipped.append(skip(sensor.name, f"permission denied: {PERMISSION_HINT}"))
        return
    except (OSError, ValueError) as error:
        found.skipped.append(skip(sensor.name, f"unreadable: {error}"))
        return
    if any(getattr(s, "covers", frozenset()) & components[1] for s in found.sensors):
        found.skipped.append(skip(sensor.name, "its components are on a rail already read"))
        return
    found.sensors.append(sensor)
