"""Equivalences for people (never for CI): everyday quantities of the same energy, water, carbon.

Figures from README, Method §9: Jegham et al. v6 Sec. 6 (household, car), Luccioni et al. 2024
(smartphone charge), Google (a search, 0.30 Wh).
"""

from __future__ import annotations

from ecoai.models import Footprint

HOUSEHOLD_WH_PER_YEAR = 10.79e6  # U.S. household, 10.79 MWh/yr (Jegham v6 Sec. 6)
SMARTPHONE_CHARGE_WH = 22.0  # 0.022 kWh (Luccioni, Jernite, Strubell 2024)
SEARCH_WH = 0.30  # one Google search (Google, 2009; cited by Jegham v6)
BOTTLE_ML = 500.0  # a 500 mL bottle of water
CAR_G_PER_YEAR = 4.6e6  # a gasoline car, ~4.6 tCO2e/yr (Jegham v6 Sec. 6)

# Below these totals an equivalence says nothing useful ("0.0001 households").
_MIN_ENERGY_WH = 1_000.0


def equivalences(footprint: Footprint) -> list[str]:
    """Sentences comparing a footprint to everyday things; empty when it is small."""
    energy_wh = footprint.energy_wh.mean
    if energy_wh < _MIN_ENERGY_WH:
        return []
    water_ml = footprint.water_ml.mean
    carbon_g = footprint.carbon_g.mean
    return [
        f"energy: {energy_wh / SMARTPHONE_CHARGE_WH:,.0f} smartphone charges, "
        f"{energy_wh / SEARCH_WH:,.0f} web searches, "
        f"{energy_wh / HOUSEHOLD_WH_PER_YEAR:,.3g} U.S. households for a year",
        f"water: {water_ml / BOTTLE_ML:,.0f} bottles of 500 mL",
        f"carbon: {carbon_g / CAR_G_PER_YEAR:,.3g} gasoline cars driven for a year",
    ]
