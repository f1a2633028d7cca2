"""Build a powercap sysfs tree under tmp_path in the real layout, and advance its counters."""

from __future__ import annotations

from pathlib import Path

DEFAULT_RANGE_UJ = 262_143_328_850


def add_zone(
    root: Path, zone: str, name: str, energy_uj: int = 0, max_range_uj: int = DEFAULT_RANGE_UJ
) -> Path:
    """Create ``root/<zone>`` (nested zones go inside their parent, as in sysfs)."""
    parts = zone.split(":")
    path = root / zone if len(parts) <= 2 else root / ":".join(parts[:2]) / zone
    path.mkdir(parents=True, exist_ok=True)
    (path / "name").write_text(name + "\n")
    (path / "max_energy_range_uj").write_text(f"{max_range_uj}\n")
    set_energy(path, energy_uj)
    return path


def set_energy(zone: Path, energy_uj: int) -> None:
    (zone / "energy_uj").write_text(f"{energy_uj}\n")


def typical_tree(root: Path) -> dict[str, Path]:
    """Two packages with core/uncore/dram subzones, an MMIO duplicate and a psys zone."""
    return {
        "package-0": add_zone(root, "intel-rapl:0", "package-0", 1_000_000),
        "core-0": add_zone(root, "intel-rapl:0:0", "core", 500_000),
        "uncore-0": add_zone(root, "intel-rapl:0:1", "uncore", 100_000),
        "dram-0": add_zone(root, "intel-rapl:0:2", "dram", 200_000),
        "package-1": add_zone(root, "intel-rapl:1", "package-1", 3_000_000),
        "psys": add_zone(root, "intel-rapl:2", "psys", 9_000_000),
        "mmio": add_zone(root, "intel-rapl-mmio:0", "package-0", 1_000_000),
    }
