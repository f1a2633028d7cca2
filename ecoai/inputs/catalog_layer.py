"""The preset layer: the user's preset ids (model, prompt, host, ...) -> sourced scenario values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ecoai import units
from ecoai.errors import InputError, ProfileError, did_you_mean
from ecoai.footprint import utilisation
from ecoai.inputs.catalog_schema import (
    PROMPT_CLASSES,
    Entry,
    GridEntry,
    HardwareEntry,
    HostEntry,
    ModelEntry,
    SizeClassEntry,
    TaskEntry,
    UVariant,
)
from ecoai.inputs.preset_kinds import PRESET_KEYS
from ecoai.models import Param, ParamValue, Source, plain

if TYPE_CHECKING:
    from ecoai.inputs.catalog import Catalog
    from ecoai.inputs.mlenergy import DiffusionModel, OpenModel

DEFAULT_BATCH = 8  # the paper's B (v6 Sec. 3.3)


def preset_layer(catalog: Catalog, wanted: Mapping[str, ParamValue]) -> dict[str, Param]:
    """Scenario values the presets in ``wanted`` determine, each with its profile source.

    ``wanted`` holds the user's preset ids (keys of PRESET_KEYS) and ``batch_size`` if set.
    A model supplies host, hardware and size class unless the user gave those.
    """
    given = {k: str(wanted[k]) for k in PRESET_KEYS if wanted.get(k) not in (None, "")}
    batch = wanted.get("batch_size")
    out: dict[str, Param] = {}
    if "model" in given and catalog.find("models", given["model"]) is None:
        out |= _open_model_layer(catalog, given)
    if "model" in given:
        model: ModelEntry = catalog.get("models", given["model"])
        for key in ("host", "hardware", "size_class"):
            if key not in given:
                given[key] = getattr(model, key)
                out[key] = Param.trusted(value=given[key], source=profile_source("models", model))
        if "prompt" in given:
            out |= prompt_params(model, given["prompt"])
    elif "prompt" in given:
        raise InputError("a prompt class needs a model preset", "add --model ID")
    hardware = catalog.get("hardware", given["hardware"]) if "hardware" in given else None
    if "size_class" in given:
        size = catalog.get("size_classes", given["size_class"])
        out |= size_class_params(size, hardware, None if batch is None else _int(batch))
    if hardware is not None:
        out |= hardware_params(catalog, hardware, out)
    if "host" in given:
        out |= host_params(catalog, catalog.get("hosts", given["host"]))
    if "grid" in given:
        out |= grid_params(catalog.get("grids", given["grid"]))
    if "task" in given:
        out |= task_params(catalog.get("tasks", given["task"]))
    return out


def profile_source(kind: str, entry: Entry, citation: str | None = None) -> Source:
    """Source(kind="profile") naming ``kind.id`` (and the user file when a user entry won)."""
    ref = f"{kind}.{entry.id}" + ("" if entry.origin == "built-in" else f" ({entry.origin})")
    return Source.trusted(kind="profile", ref=ref, citation=citation or entry.citation)


def _int(value: ParamValue) -> int:
    if isinstance(value, list | str):
        raise InputError(f"expected a whole number, got {value!r}")
    return int(value)


def _params(source: Source, **values: Any) -> dict[str, Param]:
    return {key: Param.trusted(value=value, source=source) for key, value in values.items()}


def prompt_params(model: ModelEntry, prompt: str) -> dict[str, Param]:
    """Tokens and TTFT / TPS percentiles of one prompt class of a model."""
    name = prompt.lower()
    if name in model.skipped_prompts and name in PROMPT_CLASSES:
        have = ", ".join(model.prompts)
        raise ProfileError(
            f"model {model.id} has no {name!r} prompt class: {model.skipped_prompts[name]}",
            f"choose one of: {have}",
        )
    preset = model.prompts.get(name)  # type: ignore[call-overload]
    if preset is None:
        known = [p for p in PROMPT_CLASSES if p in model.prompts]
        raise ProfileError(f"unknown prompt class {prompt!r} for model {model.id}",
                           "choose one of: " + ", ".join(known))  # fmt: skip
    return _params(profile_source("models", model), **plain(preset))


def size_class_params(
    size: SizeClassEntry, hardware: HardwareEntry | None, batch: int | None
) -> dict[str, Param]:
    """GPU count, batch size, draw fractions and utilisations of a size class on some hardware.

    Published (paper v6 Table 2, Table 5) where the node and batch size match a variant; else
    derived as U = G x D / (N x B) from the class's draw range, with a "derived" source.
    """
    node_id = hardware.id if hardware is not None and hardware.type == "node" else None
    variant = _variant(size, node_id, batch)
    source = profile_source("size_classes", size, "; ".join(variant.sources))
    out = _params(source, gpu_count=size.gpu_count, d_gpu_min=variant.d_gpu_min,
                  d_gpu_max=variant.d_gpu_max, d_non_gpu=variant.d_non_gpu)  # fmt: skip
    if batch is None:
        out["batch_size"] = Param.trusted(value=variant.batch_size, source=source)
    published = node_id in variant.hardware or (hardware is None and node_id is None)
    if published and (batch is None or batch == variant.batch_size):
        return out | _params(source, u_gpu_min=variant.u_gpu_min, u_gpu_max=variant.u_gpu_max,
                             u_non_gpu=variant.u_non_gpu)  # fmt: skip
    gpus = size.gpu_count
    per_node = hardware.gpus_per_node if hardware is not None and node_id else gpus
    b = batch or variant.batch_size
    derived = Source.trusted(
        kind="derived",
        ref=f"size_classes.{size.id}",
        citation=f"U = G x D / (N x B) with G={gpus}, N={per_node}, B={b} (paper v6 Sec. 3.3); "
        f"D from {', '.join(variant.hardware)}: {'; '.join(variant.sources)}",
    )
    return out | _params(
        derived,
        u_gpu_min=utilisation(gpus, variant.d_gpu_min, per_node or gpus, b),
        u_gpu_max=utilisation(gpus, variant.d_gpu_max, per_node or gpus, b),
        u_non_gpu=utilisation(gpus, variant.d_non_gpu, per_node or gpus, b),
    )


def _variant(size: SizeClassEntry, node_id: str | None, batch: int | None) -> UVariant:
    """The published variant for this node and batch, else the closest one to derive from."""
    on_node = [v for v in size.variants if node_id in v.hardware] or size.variants[:1]
    exact = [v for v in on_node if v.batch_size == (batch or DEFAULT_BATCH)]
    return (exact or [v for v in on_node if v.batch_size == DEFAULT_BATCH] or on_node)[0]


def _open_model_layer(catalog: Catalog, given: dict[str, str]) -> dict[str, Param]:
    """The values an open model of the data determines; removes ``model`` from ``given``."""
    name = given.pop("model")
    from ecoai.inputs.mlenergy import find_diffusion_model, find_open_model

    model = find_open_model(name)
    diffusion = find_diffusion_model(name) if model is None else None
    if model is None and diffusion is None:
        from ecoai.inputs.mlenergy import diffusion_models, open_models

        known = catalog.ids("models") + [m.model_id for m in open_models().values()]
        known += [m.model_id for m in diffusion_models().values()]
        raise did_you_mean("model", name, known, "ecoai profiles list models")
    if given.pop("prompt", None) is not None:
        found = model.model_id if model is not None else diffusion.model_id  # type: ignore[union-attr]
        raise InputError(
            f"--prompt applies to the paper's model presets, not to {found}",
            "give --output-tokens (and --batch-size, --hardware) for an open model",
        )
    return open_model_params(model) if model is not None else diffusion_params(diffusion)


def diffusion_params(model: DiffusionModel | None) -> dict[str, Param]:
    """Pipeline, parameters and the measured size, frames and steps of a diffusion model."""
    from ecoai.inputs.mlenergy import ARCHITECTURE_CITATION, DIFFUSION_CITATION

    assert model is not None
    source = Source.trusted(
        kind="profile", ref=f"mlenergy-v3.{model.model_id}", citation=DIFFUSION_CITATION
    )
    out = _params(source, model=model.model_id, pipeline=model.pipeline,
                  params_b=model.params_b, steps=model.steps, width_px=model.width,
                  height_px=model.height)  # fmt: skip
    if model.pipeline == "text-to-video":
        out |= _params(source, frames=model.frames)
    arch = model.architecture
    facts = Source.trusted(
        kind="profile", ref=f"huggingface.co/{model.model_id}", citation=ARCHITECTURE_CITATION
    )
    out |= _params(facts, vae_compression=arch.vae_compression, patch_size=arch.patch_size,
                   guidance_passes=arch.guidance_passes, attention=arch.attention)  # fmt: skip
    if arch.layers is not None and arch.hidden_size is not None:
        out |= _params(facts, layers=arch.layers, hidden_size=arch.hidden_size)
    if model.pipeline == "text-to-video":
        out |= _params(facts, vae_temporal_compression=arch.vae_temporal_compression)
    return out


def open_model_params(model: OpenModel) -> dict[str, Param]:
    """Parameters and weight precision of an open model, sourced to the data's index, and a
    mixture of experts' experts and experts per token, sourced to its config.json."""
    from ecoai.inputs.mlenergy import CITATION, EXPERTS_CITATION

    source = Source.trusted(kind="profile", ref=f"mlenergy-v3.{model.model_id}", citation=CITATION)
    out = _params(
        source,
        model=model.model_id,
        params_b=model.total_params_b,
        active_params_b=model.active_params_b,
        precision=model.precision,
    )
    if model.experts is None or model.experts_per_token is None:
        return out
    experts = Source.trusted(
        kind="profile", ref=f"huggingface.co/{model.model_id}", citation=EXPERTS_CITATION
    )
    return out | _params(experts, experts=model.experts, experts_per_token=model.experts_per_token)


def hardware_params(
    catalog: Catalog, hardware: HardwareEntry, so_far: Mapping[str, Param]
) -> dict[str, Param]:
    """Node power split (P_GPU, P_nonGPU kW), GPUs per node and embodied carbon of the hardware."""
    source = profile_source("hardware", hardware)
    if hardware.type == "gpu":  # G single GPUs: a "node" of G GPUs, nothing known about the rest
        gpus = _int(so_far["gpu_count"].value) if "gpu_count" in so_far else 1
        out = _params(source, p_gpu_kw=gpus * (hardware.tdp_w or 0.0) / 1000.0,
                      gpus_per_node=gpus)  # fmt: skip
        return out | _embodied_gpu_params(source, hardware) | _gpu_facts(source, hardware)
    out = _params(source, p_gpu_kw=hardware.p_gpu_kw, p_non_gpu_kw=hardware.p_non_gpu_kw,
                  gpus_per_node=hardware.gpus_per_node)  # fmt: skip
    gpu: HardwareEntry = catalog.get("hardware", hardware.gpu or "")
    out |= _embodied_gpu_params(profile_source("hardware", gpu), gpu)
    out |= _gpu_facts(profile_source("hardware", gpu), gpu)
    for key in ("embodied_server_kg", "embodied_server_kg_min", "embodied_server_kg_max"):
        out |= _present(source, key, getattr(hardware, key))
    return out | _present(source, "lifetime_years", hardware.lifetime_years)


def _gpu_facts(source: Source, gpu: HardwareEntry) -> dict[str, Param]:
    """The GPU's id, memory and memory bandwidth (what the open-model method needs)."""
    return (
        _present(source, "gpu", gpu.id)
        | _present(source, "gpu_memory_gb", gpu.memory_gb)
        | _present(source, "gpu_memory_bandwidth_tb_s", gpu.memory_bandwidth_tb_s)
    )


def _embodied_gpu_params(source: Source, gpu: HardwareEntry) -> dict[str, Param]:
    """A GPU's embodied figure and, where sources disagree, its published range."""
    return (
        _present(source, "embodied_gpu_kg", gpu.embodied_kg)
        | _present(source, "embodied_gpu_kg_min", gpu.embodied_kg_min)
        | _present(source, "embodied_gpu_kg_max", gpu.embodied_kg_max)
    )


def _present(source: Source, key: str, value: float | str | None) -> dict[str, Param]:
    return {} if value is None else {key: Param.trusted(value=value, source=source)}


def host_params(catalog: Catalog, host: HostEntry) -> dict[str, Param]:
    """PUE, on-site and off-site WUE and carbon intensity of a host (or of its grid)."""
    source = profile_source("hosts", host)
    out = _params(source, pue=host.pue, wue_site_l_per_kwh=host.wue_site_l_per_kwh,
                  wue_source_l_per_kwh=host.wue_source_l_per_kwh)  # fmt: skip
    if host.cif_kg_per_kwh is not None:
        return out | _params(source, cif_kg_per_kwh=host.cif_kg_per_kwh)
    return out | grid_params(catalog.get("grids", host.grid or ""))


def grid_params(grid: GridEntry) -> dict[str, Param]:
    """Carbon intensity of a grid (overrides the host's); the world fallback says it is one."""
    citation = f"{grid.name}, {grid.year}: {grid.citation}"
    if grid.fallback:
        citation = "FALLBACK (no local grid known): " + citation
    source = profile_source("grids", grid, citation)
    return _params(source, cif_kg_per_kwh=units.g_per_kwh_to_kg_per_kwh(grid.cif_g_per_kwh))


def task_params(task: TaskEntry) -> dict[str, Param]:
    """IT energy per inference of a task: kWh per 1,000 inferences is numerically Wh each."""
    source = profile_source(
        "tasks", task, f"measured average over task-specific models on NVIDIA A100; {task.citation}"
    )
    out = _params(source, it_energy_wh=task.it_energy_kwh_per_1000_mean)
    if task.it_energy_kwh_per_1000_std is not None:
        out |= _params(source, it_energy_std_wh=task.it_energy_kwh_per_1000_std)
    return out
