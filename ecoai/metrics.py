"""The metrics a comparison shows and a gate can name: how to read each one from a Footprint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ecoai.errors import InputError, closest
from ecoai.models import Footprint, Stat

Scope = Literal["per_query", "total"]
SCOPES: tuple[Scope, ...] = ("per_query", "total")


@dataclass(frozen=True)
class Metric:
    """One figure of a footprint; ``name`` carries the unit (``energy_wh``), ``alias`` does not."""

    name: str
    alias: str
    label: str
    unit: str
    read: Callable[[Footprint], Stat | None]


METRICS: tuple[Metric, ...] = (
    Metric("energy_wh", "energy", "Energy", "Wh", lambda f: f.energy_wh),
    Metric("it_energy_wh", "it_energy", "IT energy", "Wh", lambda f: f.it_energy_wh),
    Metric("water_site_ml", "water_site", "Water on-site", "mL", lambda f: f.water_ml.site),
    Metric("water_source_ml", "water_source", "Water off-site", "mL", lambda f: f.water_ml.source),
    Metric("water_ml", "water", "Water", "mL", lambda f: f.water_ml),
    Metric("carbon_g", "carbon", "Carbon", "gCO2e", lambda f: f.carbon_g),
    Metric(
        "embodied_carbon_g",
        "embodied_carbon",
        "Embodied carbon",
        "gCO2e",
        lambda f: f.embodied_carbon_g,
    ),
)
BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
BY_ALIAS: dict[str, Metric] = {m.alias: m for m in METRICS}

TABLE_METRICS: tuple[str, ...] = (
    "energy_wh",
    "water_site_ml",
    "water_source_ml",
    "water_ml",
    "carbon_g",
)
"""The rows of a comparison (issue 6); embodied carbon joins them when an item has it."""


def find_metric(name: str, *, need_unit: bool, context: str) -> Metric:
    """Look up a metric by ``energy_wh`` (or ``energy`` unless ``need_unit``); one-line errors."""
    if name in BY_NAME:
        return BY_NAME[name]
    if name in BY_ALIAS:
        if not need_unit:
            return BY_ALIAS[name]
        unit_name = BY_ALIAS[name].name
        raise InputError(
            f"{context}: {name!r} needs its unit",
            f"write {unit_name} (absolute budgets carry units)",
        )
    choices = [m.name for m in METRICS] if need_unit else [m.alias for m in METRICS]
    near = closest(name, [m.name for m in METRICS] + [m.alias for m in METRICS])
    if near:
        hint = "did you mean " + ", ".join(repr(n) for n in near) + "?"
    else:
        hint = "known: " + ", ".join(choices)
    raise InputError(f"{context}: unknown metric {name!r}", hint)
