"""The metric table: every figure of a footprint, written once.

Each ``Metric`` carries its public name (the unit in the name: ``water_site_ml``), the dotted
path of its ``Stat`` in a ``Footprint`` (``water_ml.site``), its unit, the labels people read,
and its quantity (energy, water or carbon, which picks the readable units). The report CSV,
the report table and markdown, the comparison rows, its renderers and the CI gates all read
this table, so a metric has one name everywhere a user meets it (``--budget water_site_ml=2``,
the ``metric`` column of both CSVs, ``Row.metric`` in ``compare --json``).

It also names each figure outside ecoai, once for every sink (``EXPORT_NAMES``, ``report_figures``):
the keys of MLflow, W&B and the Hugging Face Trainer's loggers, the OpenTelemetry instruments and
the Prometheus families of ``--metrics-port`` (README, "Integrations").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ecoai.errors import InputError, closest
from ecoai.models import Footprint, Report, Stat

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


# --- Names outside ecoai: experiment trackers, OpenTelemetry, Prometheus (issue 14) -------------


@dataclass(frozen=True)
class ExportName:
    """How one kind of report figure is named in every sink (README "Integrations" table).

    ``key`` is the flat name of MLflow, W&B and the Hugging Face Trainer's loggers, with
    ``{scope}`` standing for ``""`` (total), ``per_query.``, ``per_1k_output_tokens.``,
    ``per_day.``, ``per_year.``, ``phase.NAME.`` or ``outside_phases.`` (the energy while no
    phase was open), and ``{sensor}`` for a sensor's name.
    ``otel`` is the OpenTelemetry instrument (unit in ``otel_unit``, UCUM; the scope, phase and
    device go into attributes, as the OTel naming guidelines ask); ``hw.*`` names are the OTel
    semantic conventions for hardware metrics. ``prometheus`` is the family name of
    ``--metrics-port`` (live values), None where the figure is only in reports.
    """

    field: str
    key: str
    otel: str
    otel_unit: str
    prometheus: str | None = None


_OTEL_UNITS = {"Wh": "W.h", "mL": "mL", "gCO2e": "g{CO2e}"}

FOOTPRINT_EXPORTS: dict[str, ExportName] = {
    m.name: ExportName(
        f"{{scope}}.{m.path}",
        f"ecoai.{{scope}}{m.name}",
        "ecoai." + m.name.rsplit("_", 1)[0],
        _OTEL_UNITS[m.unit],
    )
    for m in METRICS
}
"""Every footprint metric (``energy_wh`` ...) in every scope: ``ecoai.per_query.carbon_g``."""

DURATION_EXPORT = ExportName("intermediate.duration_s", "ecoai.duration_s", "ecoai.duration", "s")
COUNT_EXPORTS: dict[str, ExportName] = {
    name: ExportName(
        f"measurement.workload.{name}", f"ecoai.{name}", f"ecoai.{name}", unit, f"ecoai_{name}"
    )
    for name, unit in (
        ("queries", "{query}"),
        ("input_tokens", "{token}"),
        ("output_tokens", "{token}"),
    )
}
"""Work the command reported (per run, mean over runs); Prometheus counts it live."""

SENSOR_ENERGY_EXPORT = ExportName(
    "measurement.runs[].sensors[].attributed_energy_j",
    "ecoai.sensor.{sensor}.energy_j",
    "hw.energy",
    "J",
    "ecoai_energy_joules",
)
"""Energy per sensor (attributed, mean over runs); OTel attributes ``hw.id`` and ``hw.type``."""

SENSOR_POWER_EXPORT = ExportName(
    "(live samples)", "ecoai.sensor.{sensor}.power_w", "hw.power", "W", "ecoai_power_watts"
)
"""Power per sensor: live only (``--metrics-port``); a report keeps energy, not power."""

LIVE_EXPORTS: dict[str, ExportName] = {
    "energy_per_output_token_j": ExportName(
        "(live, last 10 s)",
        "ecoai.energy_per_output_token_j",
        "ecoai.energy_per_output_token",
        "J/{token}",
        "ecoai_energy_per_output_token_joules",
    ),
    "water_ml_per_s": ExportName(
        "(live samples)",
        "ecoai.water_ml_per_s",
        "ecoai.water_rate",
        "mL/s",
        "ecoai_water_milliliters_per_second",
    ),
    "carbon_g_per_s": ExportName(
        "(live samples)",
        "ecoai.carbon_g_per_s",
        "ecoai.carbon_rate",
        "g{CO2e}/s",
        "ecoai_carbon_grams_per_second",
    ),
}
"""Live only (``--metrics-port``): IT energy per output token over the last 10 s (the tokens
the command or ``--serve-metrics`` counted), and water and carbon per second at the latest
power through the run's PUE, WUE and grid."""

EXPORT_NAMES: tuple[ExportName, ...] = (
    *FOOTPRINT_EXPORTS.values(),
    DURATION_EXPORT,
    *COUNT_EXPORTS.values(),
    SENSOR_ENERGY_EXPORT,
    SENSOR_POWER_EXPORT,
    *LIVE_EXPORTS.values(),
)
"""The whole mapping, in the order of the README table."""

HW_TYPES: dict[str, str] = {"gpu": "gpu", "cpu": "cpu", "dram": "memory"}
"""ecoai's components as the OTel ``hw.type`` attribute names them."""


@dataclass(frozen=True)
class Figure:
    """One number of a report as the sinks receive it: its flat ``key`` and its OTel form."""

    key: str
    value: float
    export: ExportName
    attributes: dict[str, str]
    """OTel attributes: ``ecoai.scope``, ``ecoai.phase``, ``hw.id``, ``hw.type``."""


def hw_id(name: str, facts: Mapping[str, str]) -> str:
    """A sensor's device: a GPU's UUID, a RAPL zone, else the sensor's name (``hw.id``, and the
    ``device`` label of ``--metrics-port``)."""
    return facts.get("uuid") or facts.get("zone") or name


def safe_key(text: str) -> str:
    """A phase or sensor name made safe for every tracker's keys (letters, digits, ``_-.``)."""
    return "".join(c if c.isalnum() or c in "_-." else "_" for c in text) or "_"


def report_figures(report: Report) -> list[Figure]:
    """Every figure of ``report`` under the shared names, means only (a Stat's spread stays in
    the JSON report). Totals, per query, per 1,000 output tokens, per day and year, phases, the
    duration, the work reported and each sensor's attributed energy; absent ones are left out."""
    figures: list[Figure] = []
    scopes: list[tuple[str, Footprint | None, dict[str, str]]] = [
        ("", report.total, {"ecoai.scope": "total"}),
        ("per_query.", report.per_query, {"ecoai.scope": "per_query"}),
        ("per_day.", report.per_day, {"ecoai.scope": "per_day"}),
        ("per_year.", report.per_year, {"ecoai.scope": "per_year"}),
    ]
    m = report.measurement
    work = m.workload if m else None
    if work is not None:
        scopes.append(
            (
                "per_1k_output_tokens.",
                work.per_1k_output_tokens,
                {"ecoai.scope": "per_1k_output_tokens"},
            )
        )
        for phase in work.phases:
            attributes = {"ecoai.scope": "total", "ecoai.phase": phase.name}
            scopes.append((f"phase.{safe_key(phase.name)}.", phase.footprint, attributes))
        if work.outside_phases is not None:
            attributes = {"ecoai.scope": "outside_phases"}
            scopes.append(("outside_phases.", work.outside_phases.footprint, attributes))
    for prefix, footprint, attributes in scopes:
        if footprint is None:
            continue
        for metric in METRICS:
            stat = metric.read(footprint)
            if stat is not None:
                export = FOOTPRINT_EXPORTS[metric.name]
                key = export.key.format(scope=prefix)
                figures.append(Figure(key, stat.mean, export, dict(attributes)))
    if "duration_s" in report.intermediate:
        value = report.intermediate["duration_s"]
        figures.append(Figure(DURATION_EXPORT.key, value, DURATION_EXPORT, {}))
    if work is not None:
        for name, export in COUNT_EXPORTS.items():
            count = getattr(work, name)
            if count is not None:
                figures.append(Figure(export.key, float(count), export, {}))
    if m is not None and m.runs:
        for sensor in m.sensors:
            energies = [
                s.attributed_energy_j for r in m.runs for s in r.sensors if s.name == sensor.name
            ]
            if not energies:
                continue
            key = SENSOR_ENERGY_EXPORT.key.format(sensor=safe_key(sensor.name))
            attributes = {
                "hw.id": hw_id(sensor.name, sensor.facts),
                "hw.type": HW_TYPES[sensor.component],
                "ecoai.sensor": sensor.name,
            }
            value = sum(energies) / len(m.runs)
            figures.append(Figure(key, value, SENSOR_ENERGY_EXPORT, attributes))
    return figures
