"""Equivalences for people (never for CI): everyday quantities of the same energy, water, carbon.

Figures from README, Method §9: Jegham et al. v6 Sec. 6 (household, car), Luccioni et al. 2024
(smartphone charge), Google (a search, 0.30 Wh). Continuous power and power plants: U.S. EIA,
"Nuclear explained: U.S. nuclear statistics" (data as of the end of 2021): 93 operable reactors,
95.55 GW net summer capacity (1.03 GW a reactor), average annual capacity factor 92.7 %.
"""

from __future__ import annotations

import math

from ecoai.footprint import PLANT_CAPACITY_FACTOR, continuous_power_w, plants_equivalent
from ecoai.models import Footprint
from ecoai.render.quantity import count_text

HOUSEHOLD_WH_PER_YEAR = 10.79e6  # U.S. household, 10.79 MWh/yr (Jegham v6 Sec. 6)
SMARTPHONE_CHARGE_WH = 22.0  # 0.022 kWh (Luccioni, Jernite, Strubell 2024)
SEARCH_WH = 0.30  # one Google search (Google, 2009; cited by Jegham v6)
BOTTLE_ML = 500.0  # a 500 mL bottle of water
CAR_G_PER_YEAR = 4.6e6  # a gasoline car, ~4.6 tCO2e/yr (Jegham v6 Sec. 6)


# Below these totals an equivalence says nothing useful ("0.0001 households").
_MIN_ENERGY_WH = 1_000.0
_POWER_W = ((1e9, "GW"), (1e6, "MW"), (1e3, "kW"), (1.0, "W"), (1e-3, "mW"))


def power_text(power_w: float) -> str:
    """``power_w`` (W) with a readable unit and three significant figures, e.g. 1.23 MW."""
    magnitude = abs(power_w)
    if magnitude == 0 or not math.isfinite(power_w):
        return f"{power_w:g} W"
    factor, unit = next(((f, u) for f, u in _POWER_W if magnitude >= f), _POWER_W[-1])
    return f"{count_text(power_w / factor)} {unit}"


def plants_text(plants: float) -> str:
    """A number of plants with three significant figures (``2.16``, ``0.000123``)."""
    return count_text(plants)


def power_line(energy_wh: float, hours: float) -> str:
    """'power: 1.23 MW running constantly = 0.00133 nuclear plants of 1 GW (...)' for a total."""
    power_w = continuous_power_w(energy_wh, hours)
    return (
        f"power: {power_text(power_w)} running constantly = "
        f"{plants_text(plants_equivalent(power_w))} power plants of 1 GW "
        f"(a nuclear unit at a {PLANT_CAPACITY_FACTOR:.1%} capacity factor, U.S. EIA 2021)"
    )


def equivalences(footprint: Footprint, hours: float | None = None) -> list[str]:
    """Sentences comparing a footprint to everyday things; empty when it is small.

    ``hours``: the period the footprint covers (24 for a day, 8760 for a year); when given, the
    average continuous power and the 1 GW power plants it equals are added.
    """
    energy_wh = footprint.energy_wh.mean
    if energy_wh < _MIN_ENERGY_WH:
        return []
    water_ml = footprint.water_ml.mean
    carbon_g = footprint.carbon_g.mean
    lines = [
        f"energy: {count_text(energy_wh / SMARTPHONE_CHARGE_WH)} smartphone charges, "
        f"{count_text(energy_wh / SEARCH_WH)} web searches, "
        f"{count_text(energy_wh / HOUSEHOLD_WH_PER_YEAR)} U.S. households for a year",
        f"water: {count_text(water_ml / BOTTLE_ML)} bottles of 500 mL",
        f"carbon: {count_text(carbon_g / CAR_G_PER_YEAR)} gasoline cars driven for a year",
    ]
    if hours is not None:
        lines.append(power_line(energy_wh, hours))
    return lines
