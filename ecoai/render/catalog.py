"""Plain-text views of profile entries for `ecoai profiles show`: lookup and field rows.

The one-line summary of `ecoai profiles list` is each schema's ``summary()`` (catalog_schema.py).
"""

from __future__ import annotations

from typing import Any

from ecoai.errors import InputError, did_you_mean
from ecoai.inputs.catalog import Catalog, kind_of
from ecoai.inputs.catalog_schema import Entry
from ecoai.inputs.preset_kinds import KIND_TABLES


def find_any(catalog: Catalog, id: str, kind: str | None) -> tuple[str, Entry]:
    """The one entry called ``id`` in ``kind`` (or in any kind); ambiguous or unknown -> error."""
    kinds = [kind_of(kind)] if kind else list(KIND_TABLES)
    found = [(k, e) for k in kinds if (e := catalog.find(k, id)) is not None]
    if len(found) > 1:
        names = ", ".join(k for k, _ in found)
        raise InputError(f"{id!r} names entries of several kinds: {names}", "add --kind KIND")
    if not found:
        every = [i for k in kinds for i in catalog.ids(k)]
        raise did_you_mean(kind or "profile", id, every)
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


OPEN_ORIGIN = "ML.ENERGY v3 (profiles/mlenergy-v3)"
"""Where the open models of ``ecoai profiles list models`` come from."""


def open_model_rows() -> list[dict[str, Any]]:
    """The open models of the shipped ML.ENERGY data as ``profiles list`` rows (kind models):
    LLMs and diffusion models, with parameters, precision and the GPUs they were measured on."""
    from ecoai.inputs.mlenergy import diffusion_models, open_models

    rows = []
    for llm in open_models().values():
        size = f"{llm.total_params_b:g} B"
        if llm.active_params_b != llm.total_params_b:
            size += f" ({llm.active_params_b:g} B active)"
        rows.append(_open_row(llm.model_id, f"open LLM, {size}, {llm.precision}",
                              llm.total_params_b, llm.active_params_b, llm.precision))  # fmt: skip
    for item in diffusion_models().values():
        size = f"{item.width}x{item.height}" + (f"x{item.frames}" if item.frames > 1 else "")
        summary = f"{item.pipeline}, {item.params_b:g} B, bf16, {size}, {item.steps} steps"
        rows.append(_open_row(item.model_id, summary, item.params_b, item.params_b, "bf16",
                              item.pipeline))  # fmt: skip
    return rows


def _open_row(model_id: str, summary: str, total_b: float, active_b: float, precision: str,
              pipeline: str | None = None) -> dict[str, Any]:  # fmt: skip
    gpus = measured_gpus(model_id)
    return {
        "kind": "models",
        "id": model_id,
        "name": None,
        "summary": f"{summary}; measured on {gpus}",
        "origin": OPEN_ORIGIN,
        "params_b": total_b,
        "active_params_b": active_b,
        "precision": precision,
        "pipeline": pipeline,
        "measured_gpus": gpus,
    }


def measured_gpus(model_id: str) -> str:
    """``h100-sxm x1/2/4, b200 x1``: the GPUs and GPU counts a model of the data was measured on."""
    from ecoai.inputs.mlenergy import load_diffusion, load_measurements

    pairs = {(p.gpu, p.gpu_count) for p in load_measurements() if p.model_id == model_id}
    pairs |= {(p.gpu, p.gpu_count) for p in load_diffusion() if p.model_id == model_id}
    gpus = sorted({gpu for gpu, _ in pairs})
    return ", ".join(
        f"{gpu} x" + "/".join(str(n) for n in sorted(n for g, n in pairs if g == gpu))
        for gpu in gpus
    )


def open_model_detail(name: str) -> dict[str, Any] | None:
    """``profiles show`` fields of an open model of the data (any spelling the estimate
    accepts), in order, with its source; None if ``name`` is not one."""
    from ecoai.inputs.catalog_layer import find_diffusion_model, find_open_model
    from ecoai.inputs.mlenergy import CITATION, DIFFUSION_CITATION

    llm = find_open_model(name)
    model_id = llm.model_id if llm else getattr(find_diffusion_model(name), "model_id", None)
    if model_id is None:
        return None
    row = next(r for r in open_model_rows() if r["id"] == model_id)
    fields = ("pipeline", "params_b", "active_params_b", "precision", "measured_gpus")
    data: dict[str, Any] = {"kind": "models", "id": model_id}
    data |= {key: row[key] for key in fields if row[key] is not None}
    return data | {"origin": OPEN_ORIGIN, "source": CITATION if llm else DIFFUSION_CITATION}


def field_rows(data: dict[str, Any]) -> list[list[str]]:
    """(field, value) rows of flat ``data``; floats as %g."""
    return [[k, f"{v:g}" if isinstance(v, float) else str(v)] for k, v in data.items()]
