"""Build hwmon sysfs trees under tmp_path in the real layouts: Intel GPU (``/sys/class/hwmon``)
and Jetson power monitors (``/sys/bus/i2c/drivers/{ina3221,ina238}``)."""

from __future__ import annotations

from pathlib import Path


def add_hwmon(root: Path, number: int, name: str, **files: int | str) -> Path:
    """``root/hwmon<number>`` with ``name`` and each keyword as a file (``energy1_input=...``)."""
    path = root / f"hwmon{number}"
    path.mkdir(parents=True, exist_ok=True)
    (path / "name").write_text(name + "\n")
    for file, value in files.items():
        (path / file).write_text(f"{value}\n")
    return path


def intel_card(root: Path, number: int = 2, driver: str = "xe", energy_uj: int = 5_000_000) -> Path:
    """A discrete card: energy1_input (uJ), power1_max (PL1, uW), and a PCI device link."""
    hwmon = add_hwmon(
        root,
        number,
        driver,
        energy1_input=energy_uj,
        power1_max=150_000_000,
        power1_crit=400_000_000,
    )
    pci = root.parent / "devices" / "0000:03:00.0"
    pci.mkdir(parents=True, exist_ok=True)
    (hwmon / "device").symlink_to(pci)
    return hwmon


def ina3221(
    drivers: Path, address: str, rails: dict[int, tuple[str, int, int]], hwmon: int = 1
) -> Path:
    """An INA3221 at ``1-0040``-style ``address``: channel -> (label, mV, mA)."""
    path = drivers / "ina3221" / address / "hwmon" / f"hwmon{hwmon}"
    path.mkdir(parents=True, exist_ok=True)
    (path / "name").write_text("ina3221\n")
    for channel, (label, voltage_mv, current_ma) in rails.items():
        (path / f"in{channel}_label").write_text(label + "\n")
        (path / f"in{channel}_input").write_text(f"{voltage_mv}\n")
        (path / f"curr{channel}_input").write_text(f"{current_ma}\n")
    return path


def ina238(
    drivers: Path, address: str, power_uw: int, label: str | None = None, hwmon: int = 5
) -> Path:
    """An INA238: power1_input (uW), in1_input (mV), curr1_input (mA), in1_label if named."""
    path = drivers / "ina238" / address / "hwmon" / f"hwmon{hwmon}"
    path.mkdir(parents=True, exist_ok=True)
    (path / "name").write_text("ina238\n")
    (path / "power1_input").write_text(f"{power_uw}\n")
    (path / "in1_input").write_text("19000\n")
    (path / "curr1_input").write_text(f"{power_uw // 19000}\n")
    if label:
        (path / "in1_label").write_text(label + "\n")
    return path


def set_file(path: Path, value: int) -> None:
    path.write_text(f"{value}\n")
