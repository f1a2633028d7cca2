"""Other tools' formats: a CodeCarbon ``emissions.csv`` row and a Hugging Face model-card block.

CodeCarbon's columns and units follow its documented output (docs.codecarbon.io, "Output"):
duration in s, emissions in kg CO2eq, powers in W, energies in kWh. ``cpu_energy`` holds
ecoai's CPU energy, ``ram_energy`` its DRAM energy, as counted in the report (attributed to
the process tree unless ``--scope machine``); ``energy_consumed`` is their IT sum and
``emissions`` ecoai's carbon, which includes the PUE written in ``pue``. Fields ecoai does not
know (location coordinates, cloud region, CodeCarbon's version) are left empty.
The model-card block is the ``co2_eq_emissions`` metadata of huggingface.co/docs/hub/model-cards-co2
(emissions in grams).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import Counter

from ecoai.errors import InputError
from ecoai.models import COMPONENTS, Measurement, Report
from ecoai.render import MEASURED_RUN_FORMATS, Format, format_names
from ecoai.units import J_PER_KWH

_HEADER = (
    "timestamp,project_name,run_id,duration,emissions,emissions_rate,cpu_power,gpu_power,"
    "ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,"
    "region,cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,"
    "gpu_count,gpu_model,longitude,latitude,ram_total_size,tracking_mode,on_cloud,pue"
)
CODECARBON_COLUMNS = tuple(_HEADER.split(","))
_OTHERS = [f for f in Format if f not in MEASURED_RUN_FORMATS]


def _measured(report: Report, fmt: str) -> Measurement:
    if report.measurement is None or not report.measurement.runs or report.total is None:
        raise InputError(
            f"--format {fmt} needs a measured report, not an {report.kind} one",
            f"use it with ecoai profile (or choose {format_names(_OTHERS)})",
        )
    return report.measurement


def component_energy_j(m: Measurement) -> dict[str, float]:
    """Mean energy per component over the runs, as the report counts it. Units: J."""
    machine = m.scope == "machine"
    totals: dict[str, float] = dict.fromkeys(COMPONENTS, 0.0)
    for run in m.runs:
        for s in run.sensors:
            totals[s.component] += (s.energy_j if machine else s.attributed_energy_j) / len(m.runs)
    return totals


def render_codecarbon_csv(report: Report) -> str:
    """One row, with a header, in CodeCarbon's emissions.csv column layout."""
    m = _measured(report, "codecarbon-csv")
    assert report.total is not None
    duration_s = sum(r.duration_s for r in m.runs) / len(m.runs)
    energy_j = component_energy_j(m)
    emissions_kg = report.total.carbon_g.mean / 1e3
    gpus = Counter(s.facts.get("device_name", s.name) for s in m.sensors if s.component == "gpu")
    grid = str(report.inputs["grid"].value) if "grid" in report.inputs else ""
    host = str(report.inputs["host"].value).lower() if "host" in report.inputs else ""
    row = {
        "timestamp": report.created_at.strftime("%Y-%m-%dT%H:%M:%S"),
        "project_name": report.label or "ecoai",
        "run_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecoai:{report.created_at.isoformat()}")),
        "duration": duration_s,
        "emissions": emissions_kg,
        "emissions_rate": emissions_kg / duration_s if duration_s > 0 else 0.0,
        "cpu_power": energy_j["cpu"] / duration_s if duration_s > 0 else 0.0,
        "gpu_power": energy_j["gpu"] / duration_s if duration_s > 0 else 0.0,
        "ram_power": energy_j["dram"] / duration_s if duration_s > 0 else 0.0,
        "cpu_energy": energy_j["cpu"] / J_PER_KWH,
        "gpu_energy": energy_j["gpu"] / J_PER_KWH,
        "ram_energy": energy_j["dram"] / J_PER_KWH,
        "energy_consumed": sum(energy_j.values()) / J_PER_KWH,
        "country_iso_code": grid.upper() if len(grid) == 3 and grid.isalpha() else "",
        "cloud_provider": host if host in ("aws", "azure", "gcp") else "",
        "os": m.host.platform,
        "cpu_count": m.host.logical_cpus,
        "cpu_model": m.host.cpu_model,
        "gpu_count": sum(gpus.values()) or None,
        "gpu_model": ", ".join(f"{n} x {name}" for name, n in gpus.items()),
        "ram_total_size": m.host.memory_gb,
        "tracking_mode": "machine" if m.scope == "machine" else "process",
        "pue": report.inputs["pue"].value if "pue" in report.inputs else None,
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CODECARBON_COLUMNS)
    writer.writerow(["" if row.get(c) is None else row.get(c, "") for c in CODECARBON_COLUMNS])
    return buffer.getvalue()


def render_model_card(report: Report) -> str:
    """The ``co2_eq_emissions`` block of a Hugging Face model card's YAML metadata."""
    if report.kind not in ("measured", "merged") or report.total is None:
        raise InputError(
            f"--format model-card needs a measured or merged report, not an {report.kind} one",
            "use it with ecoai profile or ecoai merge",
        )
    how = "measured" if report.kind == "measured" else "merged from measured reports"
    lines = [
        "co2_eq_emissions:",
        f"  emissions: {report.total.carbon_g.mean:.6g}",
        f"  source: {json.dumps(f'ecoai {report.ecoai_version} ({how}, location-based)')}",
        "  # training_type: pre-training or fine-tuning (ecoai cannot tell: add it)",
    ]
    location = _location(report)
    if location:
        lines.append(f"  geographical_location: {json.dumps(location)}")
    else:
        lines.append("  # geographical_location: where it ran (ecoai was not told: add it)")
    hardware = _hardware(report)
    if hardware:
        lines.append(f"  hardware_used: {json.dumps(hardware)}")
    return "\n".join(lines) + "\n"


def _location(report: Report) -> str:
    for key in ("grid", "host"):
        if key in report.inputs:
            param = report.inputs[key]
            return f"{key} {param.value}"
    return ""


def _hardware(report: Report) -> str:
    m = report.measurement
    if m is None:
        return ""
    gpus = Counter(s.facts.get("device_name", s.name) for s in m.sensors if s.component == "gpu")
    parts = [f"{n} x {name}" for name, n in gpus.items()]
    if m.host.cpu_model:
        parts.append(f"{m.host.cpu_model} ({m.host.logical_cpus or '?'} logical CPUs)")
    return ", ".join(parts)
