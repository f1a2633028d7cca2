"""Unit conversions. Inside ecoai energy is J, power W, time s, water L, carbon gCO2e."""

from __future__ import annotations

J_PER_WH = 3600.0
J_PER_KWH = 3.6e6
S_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
HOURS_PER_YEAR = 8760.0
DAYS_PER_YEAR = 365.0


def wh_to_j(energy_wh: float) -> float:
    return energy_wh * J_PER_WH


def j_to_wh(energy_j: float) -> float:
    return energy_j / J_PER_WH


def j_to_kwh(energy_j: float) -> float:
    return energy_j / J_PER_KWH


def kwh_to_j(energy_kwh: float) -> float:
    return energy_kwh * J_PER_KWH


def mj_to_j(energy_mj: float) -> float:
    """Millijoules (NVML's counter unit) to joules."""
    return energy_mj / 1e3


def uj_to_j(energy_uj: float) -> float:
    """Microjoules (RAPL's counter unit) to joules."""
    return energy_uj / 1e6


def mw_to_w(power_mw: float) -> float:
    """Milliwatts (NVML's power unit) to watts."""
    return power_mw / 1e3


def uw_to_w(power_uw: float) -> float:
    """Microwatts (RAPL's power constraint unit) to watts."""
    return power_uw / 1e6


def kw_to_w(power_kw: float) -> float:
    return power_kw * 1e3


def l_to_ml(water_l: float) -> float:
    return water_l * 1e3


def kg_to_g(mass_kg: float) -> float:
    return mass_kg * 1e3


def g_per_kwh_to_kg_per_kwh(intensity_g_per_kwh: float) -> float:
    return intensity_g_per_kwh / 1e3
