"""Resolve the inputs of an estimate: presets < scenario file < flags, each with provenance."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ecoai.errors import InputError, MissingInput
from ecoai.inputs.keys import BY_NAME, coerce
from ecoai.inputs.preset_kinds import PRESET_KEYS
from ecoai.inputs.scenario import read_scenario
from ecoai.models import Param, ParamValue, Source

if TYPE_CHECKING:
    from ecoai.inputs.catalog import Catalog


_RANK = {"default": 0, "profile": 1, "derived": 1, "file": 2, "flag": 3}

# Defaults of the method itself (Jegham et al. v6 Eq. 3 and §4.2; README, Method §2, §6).
_PAPER = "Jegham et al. 2025, arXiv:2505.09598 v6"
DEFAULTS: dict[str, tuple[ParamValue, str]] = {
    "w_max": (0.5, f"{_PAPER}, Eq. 3"),
    "samples": (10_000, f"{_PAPER}, Sec. 4.2"),
    "seed": (0, "ecoai default"),
    "rho": (-0.3, f"{_PAPER}, Sec. 4.2"),
    "lifetime_years": (5.0, "EcoLogits methodology (from Boavizta): 5-year hardware life"),
}
# What fills in when nothing names a data centre or a grid; reported as a fallback.
DEFAULT_HOST = "us-average"
DEFAULT_GRID = "world"

_U_DETERMINANTS = {
    "u_gpu_min": ("gpu_count", "d_gpu_min"),
    "u_gpu_max": ("gpu_count", "d_gpu_max"),
    "u_non_gpu": ("gpu_count", "d_non_gpu"),
}


def resolve(
    scenario_file: Path | None,
    flags: Mapping[str, ParamValue | None],
    catalog: Catalog | None = None,
    profile_dirs: tuple[Path, ...] = (),
) -> dict[str, Param]:
    """Merge presets, a scenario file and flags (highest wins) into validated, sourced inputs."""
    layered: dict[str, Param] = {}
    if scenario_file is not None:
        for name, value in read_scenario(scenario_file).items():
            layered[name] = Param.trusted(
                value=value, source=Source.trusted(kind="file", ref=str(scenario_file))
            )
    for name, given in flags.items():
        if given is None:
            continue
        if name not in BY_NAME:
            raise InputError(f"unknown parameter {name!r}", "see `ecoai estimate --help`")
        flag = BY_NAME[name].flag
        checked = coerce(BY_NAME[name], given, where=flag)
        layered[name] = Param.trusted(value=checked, source=Source.trusted(kind="flag", ref=flag))
    presets = _presets(layered, catalog, profile_dirs)
    _check_open_model_parameters(presets, layered)
    _check_node_size(presets, layered)
    merged = {**presets, **layered}
    if "params_b" in merged and "pipeline" not in merged:
        merged |= _calibration(merged, catalog, profile_dirs)
    # A preset asked with the user's batch size already gives U for that batch (Table 5 or derived).
    batch_honoured = "batch_size" in layered and any(name in layered for name in PRESET_KEYS)
    _derive_utilisation(merged, batch_honoured)
    _check_ranges(merged)
    for name in _relevant_defaults(merged):
        default, why = DEFAULTS[name]
        merged.setdefault(
            name, Param.trusted(value=default, source=Source.trusted(kind="default", citation=why))
        )
    return merged


def _check_open_model_parameters(
    presets: Mapping[str, Param], layered: Mapping[str, Param]
) -> None:
    """An open --model gives its parameter count; a different --params-b would silently
    describe another model under its name."""
    preset, given = presets.get("params_b"), layered.get("params_b")
    if preset is None or given is None or "model" not in layered or preset.value == given.value:
        return
    model = layered["model"].value
    where = (
        f"{given.source.ref}: params_b = {given.value:g}"
        if given.source.kind == "file"
        else f"--params-b {given.value:g}"
    )
    raise InputError(
        f"{where} would replace the {preset.value:g} billion parameters of the open model {model}",
        f"give either --model {model} or --params-b, not both",
    )


_ORDERED = (
    ("d_gpu_min", None, "d_gpu_max"),
    ("u_gpu_min", None, "u_gpu_max"),
    ("embodied_gpu_kg_min", "embodied_gpu_kg", "embodied_gpu_kg_max"),
    ("embodied_server_kg_min", "embodied_server_kg", "embodied_server_kg_max"),
)
"""Inputs that bound a range: low <= (central <=) high."""


def _check_ranges(merged: Mapping[str, Param]) -> None:
    """Raise InputError when a low bound is above its high bound, or a bound the user gave (flag
    or file) is on the wrong side of its central figure; each value is named as it was given.

    A central figure the user gave outside a profile's published range is kept: the range then
    widens to include it (``estimate._with_embodied``).
    """
    for low, central, high in _ORDERED:
        pairs = [(low, high)]
        if central is not None:
            pairs += [(low, central), (central, high)]
        for below, above in pairs:
            if below not in merged or above not in merged:
                continue
            a, b = merged[below], merged[above]
            if float(a.value) <= float(b.value):  # type: ignore[arg-type]
                continue
            bound = a if below == low else b
            if (below, above) != (low, high) and not _given(bound):
                continue  # a central figure given outside a profile's range widens it
            raise InputError(
                f"{_origin(below, a)} is above {_origin(above, b)}",
                f"give {_spelled(below, a)} <= {_spelled(above, b)}"
                + ("" if central is None else f" (the bounds of {_spelled(central, a)})"),
            )


def _spelled(name: str, param: Param) -> str:
    """The scenario key where the value came from a file, else the flag."""
    return name if param.source.kind == "file" else BY_NAME[name].flag


def _given(param: Param) -> bool:
    return param.source.kind in ("flag", "file")


def _origin(name: str, param: Param) -> str:
    """``--d-gpu-min 0.9``, ``FILE: key = 0.9``, ``u_gpu_min 0.9 (gpu_count x d_gpu_min / ...)``
    or ``embodied_gpu_kg_max 575 (profile hardware.h100-sxm)``: a value and how it was given."""
    value, source = param.value, param.source
    shown = f"{value:g}" if isinstance(value, float | int) else str(value)
    if source.kind == "flag":
        return f"{source.ref} {shown}"
    if source.kind == "file":
        return f"{source.ref}: {name} = {shown}"
    if source.kind == "derived":
        return f"{name} {shown} (= {source.ref})"
    return f"{name} {shown} ({source.kind} {source.ref})" if source.ref else f"{name} {shown}"


def _check_node_size(presets: Mapping[str, Param], layered: Mapping[str, Param]) -> None:
    """A node preset's P_GPU is all of its GPUs (``dgx-h100``: 8 x 700 W): another
    ``gpus_per_node`` without ``p_gpu_kw`` would double or halve U = G x D / (N x B) while
    charging the preset's whole node, so it is refused, naming what describes another node."""
    preset, given = presets.get("gpus_per_node"), layered.get("gpus_per_node")
    if preset is None or given is None or preset.value == given.value:
        return
    if "p_gpu_kw" in layered or "p_gpu_kw" not in presets:
        return
    node = presets["p_gpu_kw"].source.ref or "the hardware preset"
    where = (
        f"{given.source.ref}: gpus_per_node = {given.value}"
        if given.source.kind == "file"
        else f"--gpus-per-node {given.value}"
    )
    raise InputError(
        f"{where} describes another node than {node} ({preset.value} GPUs, P_GPU "
        f"{presets['p_gpu_kw'].value:g} kW)",
        "give that node's --p-gpu-kw and --p-non-gpu-kw too, or drop --gpus-per-node",
    )


def _relevant_defaults(merged: Mapping[str, Param]) -> list[str]:
    """The method defaults that this scenario uses (Monte Carlo ones only with percentile data)."""
    names = ["w_max"]
    if "ttft_quantiles_s" in merged or "tps_quantiles" in merged:
        names += ["samples", "seed", "rho"]
    if "embodied" in merged and merged["embodied"].value is True:
        names.append("lifetime_years")
    return names


def _presets(
    layered: Mapping[str, Param], catalog: Catalog | None, profile_dirs: tuple[Path, ...]
) -> dict[str, Param]:
    """Values that the named presets supply, plus the host and grid fallbacks."""
    wanted: dict[str, ParamValue] = {
        name: layered[name].value for name in PRESET_KEYS if name in layered
    }
    if wanted and "batch_size" in layered:
        wanted["batch_size"] = layered["batch_size"].value  # selects a published batch variant
    if not wanted and _has_site_factors({}, layered) and "cif_kg_per_kwh" in layered:
        return {}  # everything given explicitly: no need to read the profiles
    if catalog is None:
        from ecoai.inputs.catalog import load_catalog

        catalog = load_catalog(profile_dirs)
    from ecoai.inputs.catalog import preset_layer

    found = preset_layer(catalog, wanted)
    if not _has_site_factors(found, layered) and "host" not in wanted:
        found = {**_fallback(catalog, {**wanted, "host": DEFAULT_HOST}, "host"), **found}
    if "cif_kg_per_kwh" not in found and "cif_kg_per_kwh" not in layered:
        found = {**_fallback(catalog, {"grid": DEFAULT_GRID}, "grid"), **found}
    return found


def _calibration(
    merged: Mapping[str, Param], catalog: Catalog | None, profile_dirs: tuple[Path, ...]
) -> dict[str, Param]:
    """An open LLM's calibration: ``--calibrate report.json``, else one in the profiles."""
    from ecoai.inputs.calibration import calibration_layer
    from ecoai.inputs.catalog import load_catalog

    report = str(merged["calibrate"].value) if "calibrate" in merged else None
    found = calibration_layer(merged, catalog or load_catalog(profile_dirs), report)
    return {k: v for k, v in found.items() if k not in merged or k.startswith("calibration_")}


def _has_site_factors(found: Mapping[str, Param], layered: Mapping[str, Param]) -> bool:
    names = ("pue", "wue_site_l_per_kwh", "wue_source_l_per_kwh")
    return all(name in found or name in layered for name in names)


def _fallback(catalog: Catalog, wanted: dict[str, ParamValue], what: str) -> dict[str, Param]:
    from ecoai.inputs.catalog import preset_layer

    fallback = preset_layer(catalog, {what: wanted[what]})
    return {
        name: replace(param, source=replace(param.source, kind="default"))
        for name, param in fallback.items()
        if name != what
    }


def _derive_utilisation(merged: dict[str, Param], batch_honoured: bool) -> None:
    """Recompute U = G x D / (N x B) where a determinant was set above the U value's layer."""
    for u_name, (count, draw) in _U_DETERMINANTS.items():
        names = (count, draw, "gpus_per_node", "batch_size")
        if not all(name in merged for name in names):
            continue
        ranks = [_RANK[merged[name].source.kind] for name in names]
        if batch_honoured:
            ranks[-1] = _RANK["profile"]
        newest = max(ranks)
        if u_name in merged and _RANK[merged[u_name].source.kind] >= newest:
            continue
        g, d, n, b = (float(merged[name].value) for name in names)  # type: ignore[arg-type]
        merged[u_name] = Param.trusted(
            value=g * d / (n * b),
            source=Source.trusted(
                kind="derived",
                ref=f"{count} x {draw} / (gpus_per_node x batch_size)",
                citation=f"{_PAPER}, Sec. 3.3 (U = G x D / (N x B))",
            ),
        )


# Which preset supplies a scenario value (a model also names its hardware, size class and host).
_SUPPLIED_BY = {
    **dict.fromkeys(("ttft_s", "tps", "input_tokens", "output_tokens"), "prompt"),
    **dict.fromkeys(
        ("gpu_count", "batch_size", "u_gpu_min", "u_gpu_max", "u_non_gpu"), "size_class"
    ),
    **dict.fromkeys(("p_gpu_kw", "p_non_gpu_kw", "gpus_per_node"), "hardware"),
    **dict.fromkeys(("pue", "wue_site_l_per_kwh", "wue_source_l_per_kwh"), "host"),
    "cif_kg_per_kwh": "grid",
    "it_energy_wh": "task",
}
_COMPANION = {"prompt": "model"}
"""A preset that gives values only together with another: a prompt class belongs to a model."""


@contextmanager
def naming_missing_inputs(params: Mapping[str, Param]) -> Iterator[None]:
    """Within the block, a MissingInput becomes ``missing_input``'s error for ``params``."""
    try:
        yield
    except MissingInput as error:
        raise missing_input(params, error.name) from None


def missing_input(params: Mapping[str, Param], name: str) -> InputError:
    """The error for a required value nothing supplied, naming the flag or preset that would.

    When a preset was chosen without the companion that gives this value (``--model`` without
    ``--prompt``), the companion and its choices are named.
    """
    flag = BY_NAME[name].flag
    what = f"missing {name} ({BY_NAME[name].help})"
    preset = _SUPPLIED_BY.get(name)
    if preset is None:
        return InputError(what, f"pass {flag} or set it in the scenario file")
    preset_flag = BY_NAME[preset].flag
    needs = _COMPANION.get(preset)
    if needs is not None and "params_b" in params:  # an open model: no prompt classes
        model = f"{params[needs].value}" if needs in params else "--params-b"
        return InputError(
            f"{what}: an open model ({model}) has no {preset} classes",
            f"pass {flag} N, e.g. {flag} 600",
        )
    if needs is not None and needs in params and preset not in params:
        chosen = str(params[needs].value)
        choices = _prompt_choices(chosen)
        return InputError(
            f"{what}: {BY_NAME[needs].flag} {chosen} gives it only with {preset_flag}",
            f"add {preset_flag} {choices} (the {preset} classes of {chosen}), or pass {flag}",
        )
    if preset == "hardware" and "hardware" in params:  # a GPU, not a node: no P_nonGPU
        chosen = str(params["hardware"].value)
        nodes = _node_ids()
        example = nodes[0] if nodes else "dgx-h100"
        return InputError(
            f"{what}: --hardware {chosen} is a single GPU, and the paper's formula needs a "
            "node (its non-GPU power)",
            f"choose a node, e.g. --hardware {example} (nodes: {', '.join(nodes)}), or pass {flag}",
        )
    if needs is not None:
        return InputError(
            what, f"pass {flag}, or choose {BY_NAME[needs].flag} ID with {preset_flag} CLASS"
        )
    return InputError(
        what,
        f"pass {flag}, set it in the scenario file, or choose {preset_flag} ID "
        f"(`ecoai profiles list` lists them)",
    )


def _prompt_choices(model_id: str) -> str:
    """ "short, medium or long": the prompt classes this model publishes (all if unknown)."""
    from ecoai.inputs.catalog_schema import PROMPT_CLASSES

    known: list[str] = list(PROMPT_CLASSES)
    try:
        from ecoai.inputs.catalog import load_catalog

        model = load_catalog().get("models", model_id)
        known = [p for p in PROMPT_CLASSES if p in model.prompts] or known
    except Exception:  # a model from a --profiles directory: name every class
        pass
    return known[0] if len(known) == 1 else ", ".join(known[:-1]) + " or " + known[-1]


def _node_ids() -> list[str]:
    """The ids of the built-in hardware presets that are whole nodes (``dgx-h100``)."""
    try:
        from ecoai.inputs.catalog import load_catalog

        entries = load_catalog().entries("hardware")
    except Exception:  # a broken user profile: the hint still names the built-in example
        return []
    return [entry.id for entry in entries if getattr(entry, "type", None) == "node"]
