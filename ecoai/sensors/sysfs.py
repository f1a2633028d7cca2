"""What the sysfs backends (Intel GPU hwmon, Jetson power monitors) share: reading a file
through an injectable reader, and the unit conversions of hwmon (Linux
``Documentation/hwmon/sysfs-interface``: energy uJ, power uW, voltage mV, current mA).

Tests inject a reader (a ``PermissionError`` for a root-only file) and a root directory holding
the exact layout of the real ``/sys``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Reader = Callable[[Path], str]


def read_text(path: Path) -> str:
    """Read a sysfs file (the default reader; tests inject one that raises PermissionError)."""
    with open(path, encoding="ascii") as handle:
        return handle.read().strip()


def uw_to_w(power_uw: float) -> float:
    """Microwatts (hwmon ``power*_input``, amdsmi power caps) to watts."""
    return power_uw / 1e6


def mv_ma_to_w(voltage_mv: float, current_ma: float) -> float:
    """Power (W) from hwmon's ``in*_input`` (mV) and ``curr*_input`` (mA): V x I."""
    return voltage_mv * current_ma / 1e6


def read_number(reader: Reader, path: Path) -> float:
    """A number from a sysfs file; ValueError if it holds something else."""
    return float(int(reader(path)))


def optional_number(reader: Reader, path: Path) -> float | None:
    """A number from a sysfs file that may be absent or unreadable (a limit, a label)."""
    try:
        return read_number(reader, path)
    except (OSError, ValueError):
        return None


def optional_text(reader: Reader, path: Path) -> str | None:
    """A sysfs file's text, or None when it is absent or unreadable."""
    try:
        return reader(path)
    except (OSError, ValueError):
        return None
