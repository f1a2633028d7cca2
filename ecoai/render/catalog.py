"""Plain-text views of profile entries for `ecoai profiles`: one-line summaries and field rows."""

from __future__ import annotations

from typing import Any

from ecoai.errors import InputError, did_you_mean
from ecoai.inputs.catalog import SINGULAR, Catalog, kind_of
from ecoai.inputs.catalog_schema import SCHEMAS, Entry


def summary(kind: str, entry: Any) -> str:
    """One line with the entry's key figures, units included."""
    if kind == "models":
        prompts = "/".join(entry.prompts) or "no prompt classes"
        return f"{entry.host}, {entry.hardware}, {entry.size_class}; {prompts}"
    if kind == "hardware" and entry.type == "gpu":
        return f"GPU, TDP {entry.tdp_w:g} W"
    if kind == "hardware":
        return (f"{entry.gpus_per_node} x {entry.gpu}, P_GPU {entry.p_gpu_kw:g} kW + "
                f"P_nonGPU {entry.p_non_gpu_kw:g} kW")  # fmt: skip
    if kind == "size_classes":
        v = entry.variants[0]
        return (f"{entry.gpu_count} GPU(s); U_GPU {v.u_gpu_min:g}-{v.u_gpu_max:g}, "
                f"U_nonGPU {v.u_non_gpu:g} ({v.hardware[0]}, B={v.batch_size})")  # fmt: skip
    if kind == "hosts":
        cif = f"{entry.cif_kg_per_kwh:g} kg/kWh" if entry.cif_kg_per_kwh is not None else entry.grid
        return (f"PUE {entry.pue:g}, WUE site {entry.wue_site_l_per_kwh:g} / source "
                f"{entry.wue_source_l_per_kwh:g} L/kWh, CIF {cif}")  # fmt: skip
    if kind == "grids":
        tail = ", fallback" if entry.fallback else ""
        return f"{entry.cif_g_per_kwh:g} gCO2e/kWh ({entry.year}{tail})"
    if kind == "tasks":
        std = entry.it_energy_kwh_per_1000_std
        return f"{entry.it_energy_kwh_per_1000_mean:g} kWh / 1,000 inferences" + (
            f" (std {std:g})" if std is not None else ""
        )
    return f"TDP {entry.tdp_w:g} W; matches {', '.join(entry.match)}"


def find_any(catalog: Catalog, id: str, kind: str | None) -> tuple[str, Entry]:
    """The one entry called ``id`` in ``kind`` (or in any kind); ambiguous or unknown -> error."""
    kinds = [kind_of(kind)] if kind else list(SCHEMAS)
    found = [(k, e) for k in kinds if (e := catalog.find(k, id)) is not None]
    if len(found) > 1:
        names = ", ".join(k for k, _ in found)
        raise InputError(f"{id!r} names entries of several kinds: {names}", "add --kind KIND")
    if not found:
        every = [i for k in kinds for i in catalog.ids(k)]
        listing = f"ecoai profiles list {kind_of(kind)}" if kind else "ecoai profiles list"
        raise did_you_mean(SINGULAR[kind_of(kind)] if kind else "profile", id, every, listing)
    return found[0]


def detail_rows(kind: str, entry: Entry) -> list[list[str]]:
    """(field, value) rows: every field, prompts and variants flattened, sources last."""
    data = entry.model_dump(exclude={"sources", "origin"}, exclude_none=True)
    rows = [["kind", kind]]
    for key, value in data.items():
        rows += _flatten(key, value)
    rows += [["origin", entry.origin]]
    rows += [["source", source] for source in entry.sources]
    return rows


def _flatten(key: str, value: Any) -> list[list[str]]:
    if isinstance(value, dict) and value:
        return [row for k, v in value.items() for row in _flatten(f"{key}.{k}", v)]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [row for i, v in enumerate(value) for row in _flatten(f"{key}.{i}", v)]
    if isinstance(value, list) and value:
        return [[key, ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in value)]]
    if isinstance(value, float):
        return [[key, f"{value:g}"]]
    return [] if value in ({}, []) else [[key, str(value)]]
