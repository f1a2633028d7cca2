"""The open models of the shipped ML.ENERGY data as ``ecoai profiles`` rows and details.

They are models too (``--model Qwen/Qwen3-14B``), but not presets: they come from the data
(profiles/mlenergy-v3), read here, outside the renderers.
"""

from __future__ import annotations

from typing import Any

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
    from ecoai.inputs.mlenergy import (
        CITATION,
        DIFFUSION_CITATION,
        find_diffusion_model,
        find_open_model,
    )

    llm = find_open_model(name)
    model_id = llm.model_id if llm else getattr(find_diffusion_model(name), "model_id", None)
    if model_id is None:
        return None
    row = next(r for r in open_model_rows() if r["id"] == model_id)
    fields = ("pipeline", "params_b", "active_params_b", "precision", "measured_gpus")
    data: dict[str, Any] = {"kind": "models", "id": model_id}
    data |= {key: row[key] for key in fields if row[key] is not None}
    return data | {"origin": OPEN_ORIGIN, "source": CITATION if llm else DIFFUSION_CITATION}
