"""The metric table: every figure of a footprint, written once.

Each ``Metric`` carries its public name (the unit in the name: ``water_site_ml``), the dotted
path of its ``Stat`` in a ``Footprint`` (``water_ml.site``), its unit, the labels people read,
and its quantity (energy, water or carbon, which picks the readable units). The report CSV,
the report table and markdown, the comparison rows, its renderers and the CI gates all read
this table, so a metric has one name everywhere a user meets it (``--budget water_site_ml=2``,
the ``metric`` column of both CSVs, ``Row.metric`` in ``compare --json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ecoai.errors import InputError, closest
from ecoai.models import Footprint, Stat

Quantity = Literal["energy", "water", "carbon"]
"""What a metric measures; picks its readable units (render/quantity.py)."""


@dataclass(frozen=True)
class Metric:
    """One figure of a footprint.

    ``name`` carries the unit (``energy_wh``), ``alias`` does not (``energy``; allowed where a
    ratio is meant, as in ``--max-increase``). ``path`` is the attribute path in ``Footprint``.
    ``label`` names the figure on its own (a comparison row); ``row_label`` names it in the
    report table, where ``IT energy`` and the water parts sit indented under their total.
    """

    name: str
    alias: str
    path: str
    unit: str
    quantity: Quantity
    label: str
    row_label: str

    def read(self, footprint: Footprint) -> Stat | None:
        """The Stat at this metric's ``path`` in ``footprint``, or None where it is absent."""
        node: object = footprint
        for part in self.path.split("."):
            node = getattr(node, part, None)
            if node is None:
                return None
        return node if isinstance(node, Stat) else None


METRICS: tuple[Metric, ...] = (
    Metric("energy_wh", "energy", "energy_wh", "Wh", "energy", "Energy", "Energy (facility)"),
    Metric("it_energy_wh", "it_energy", "it_energy_wh", "Wh", "energy", "IT energy", "  IT energy"),
    Metric("water_ml", "water", "water_ml", "mL", "water", "Water", "Water"),
    Metric(
        "water_site_ml", "water_site", "water_ml.site", "mL", "water", "Water on-site", "  on-site"
    ),
    Metric(
        "water_source_ml",
        "water_source",
        "water_ml.source",
        "mL",
        "water",
        "Water off-site",
        "  off-site",
    ),
    Metric("carbon_g", "carbon", "carbon_g", "gCO2e", "carbon", "Carbon", "Carbon"),
    Metric(
        "embodied_carbon_g",
        "embodied_carbon",
        "embodied_carbon_g",
        "gCO2e",
        "carbon",
        "Embodied carbon",
        "Embodied carbon",
    ),
)
"""Every metric, in the order of the report table and the report CSV."""

METRIC_BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
METRIC_BY_ALIAS: dict[str, Metric] = {m.alias: m for m in METRICS}

TABLE_METRICS: tuple[str, ...] = (
    "energy_wh",
    "water_site_ml",
    "water_source_ml",
    "water_ml",
    "carbon_g",
)
"""The rows of a comparison (issue 6); embodied carbon joins them when an item has it."""

FOOTPRINT_HEADINGS: dict[str, str] = {
    "per_query": "per query",
    "total": "total",
    "per_day": "per day",
    "per_year": "per year",
}
"""The footprints a Report holds (its field names), in display order, and the heading of each.
A comparison and its gates read two of them (``models.FigureScope``)."""


def find_metric(name: str, *, need_unit: bool, context: str) -> Metric:
    """Look up a metric by ``energy_wh`` (or ``energy`` unless ``need_unit``); one-line errors."""
    if name in METRIC_BY_NAME:
        return METRIC_BY_NAME[name]
    if name in METRIC_BY_ALIAS:
        if not need_unit:
            return METRIC_BY_ALIAS[name]
        unit_name = METRIC_BY_ALIAS[name].name
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
