"""Which inputs each estimation method reads, and the refusal of a user's input it would ignore.

``estimate`` picks one method from the inputs present (an open model, energy given directly, a
task preset, published TTFT/TPS percentiles, else the paper's point formula). An input the user
gave (a flag or a scenario file key) that the chosen method does not read, or that another input
overrides, would be silently dropped: ``check_inputs_apply`` refuses it instead, naming both.
Values that presets and defaults supply are not checked: a preset gives more than any one
method needs.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecoai.errors import InputError
from ecoai.inputs.keys import BY_NAME
from ecoai.models import Param

USER_SOURCES = ("flag", "file")

# Read by every method: the label, the data centre and grid, the totals.
_COMMON = frozenset(
    (
        "label",
        "host",
        "grid",
        "pue",
        "wue_site_l_per_kwh",
        "wue_source_l_per_kwh",
        "cif_kg_per_kwh",
        "queries",
        "queries_per_day",
    )
)
# The optional embodied line (``embodied = true``).
_EMBODIED = frozenset(
    (
        "embodied_gpu_kg",
        "embodied_gpu_kg_min",
        "embodied_gpu_kg_max",
        "embodied_server_kg",
        "embodied_server_kg_min",
        "embodied_server_kg_max",
        "lifetime_years",
        "gpu_count",
        "gpus_per_node",
        "batch_size",
        "hardware",
    )
)
# The paper's formula (Jegham et al. v6 Eq. 1-3): node power x utilisation x time.
_NODE = frozenset(
    (
        "model",
        "prompt",
        "size_class",
        "hardware",
        "p_gpu_kw",
        "p_non_gpu_kw",
        "gpu_count",
        "gpus_per_node",
        "batch_size",
        "d_gpu_min",
        "d_gpu_max",
        "d_non_gpu",
        "u_gpu_min",
        "u_gpu_max",
        "u_non_gpu",
        "w_max",
        "input_tokens",  # informational: recorded in the report
    )
)
_TOKENS = frozenset(("ttft_s", "tps", "output_tokens"))
_QUANTILES = frozenset(("ttft_quantiles_s", "tps_quantiles", "samples", "seed", "rho"))
_OPEN = frozenset(
    (
        "model",
        "params_b",
        "active_params_b",
        "experts",
        "experts_per_token",
        "data_parallel",
        "precision",
        "hardware",
        "gpu",
        "gpu_memory_gb",
        "gpu_memory_bandwidth_tb_s",
        "p_gpu_kw",
        "gpus_per_node",
        "gpu_count",
        "batch_size",
        "output_tokens",
        "non_gpu_w_per_gpu",
        "input_tokens",  # informational: recorded in the report
    )
)
_CALIBRATE = frozenset(
    (
        "calibrate",
        "calibration_gpu_energy_per_token_j",
        "calibration_time_per_token_s",
        "calibration_batch",
    )
)
_DIFFUSION = frozenset(
    (
        "pipeline",
        "steps",
        "width_px",
        "height_px",
        "frames",
        "vae_compression",
        "vae_temporal_compression",
        "patch_size",
        "guidance_passes",
        "layers",
        "hidden_size",
        "attention",
    )
)
_OPEN_ONLY = (_OPEN | _CALIBRATE | _DIFFUSION) - _NODE - _TOKENS


def user_given(params: Mapping[str, Param], name: str) -> bool:
    """Whether ``name`` was given by a flag or a scenario file (not by a preset or default)."""
    return name in params and params[name].source.kind in USER_SOURCES


def used_keys(params: Mapping[str, Param]) -> frozenset[str]:
    """The keys the method chosen for ``params`` reads (``--save-scenario`` writes only these,
    so the saved file estimates the same and passes ``check_inputs_apply``)."""
    return _reads(params)[1]


def _reads(params: Mapping[str, Param]) -> tuple[str, frozenset[str]]:
    method, reads = _method(params)
    if "embodied" in params and params["embodied"].value is True and "embodied" in reads:
        reads = reads | _EMBODIED
    return method, reads


def check_inputs_apply(params: Mapping[str, Param]) -> None:
    """Raise InputError for the first user-given input the chosen method would ignore."""
    method, reads = _reads(params)
    if method == "open" and _model_and_params_disagree(params):
        reason, fix = _why_not_open(params, "model", _remove(params, "model"))
        raise InputError(f"{_where(params, 'model')} does not apply: {reason}", fix)
    for name in BY_NAME:  # the order of --help, so the first error is stable
        if user_given(params, name) and name not in reads:
            reason, fix = _why_unused(params, name, method)
            raise InputError(f"{_where(params, name)} does not apply: {reason}", fix)


def _method(params: Mapping[str, Param]) -> tuple[str, frozenset[str]]:
    """The method ``estimate`` will use for ``params`` and the keys it reads (as ``estimate``)."""
    timed = _COMMON | {"embodied"}  # the embodied line amortises hardware over the query time
    if "pipeline" in params:
        return "diffusion", timed | _OPEN | _DIFFUSION  # open_diffusion refuses LLM inputs
    if "params_b" in params:
        return "open", timed | _OPEN | _CALIBRATE
    if "task" in params:
        return "task", _COMMON | {"task", "it_energy_std_wh"}
    if "it_energy_wh" in params:
        return "direct", _COMMON | {"it_energy_wh", "it_energy_std_wh"}
    if "facility_energy_wh" in params:
        return "direct", _COMMON | {"facility_energy_wh", "it_energy_std_wh"}
    if "duration_s" in params:
        return "duration", timed | _NODE | {"duration_s"}
    fixed = "ttft_s" in params and "tps" in params
    has_quantiles = "ttft_quantiles_s" in params or "tps_quantiles" in params
    if has_quantiles and not fixed:
        return "monte-carlo", timed | _NODE | _TOKENS | _QUANTILES
    return "point", timed | _NODE | _TOKENS


def _why_unused(params: Mapping[str, Param], name: str, method: str) -> tuple[str, str]:
    """(why ``name`` is not used by ``method``, the fix) for the error message."""
    flag = _as_given(params, name)
    drop = _remove(params, name)
    if name in _EMBODIED - _NODE - _OPEN:
        return "it is used only by the embodied-carbon line", f"add --embodied, or {drop}"
    if method == "open":
        return _why_not_open(params, name, drop)
    if method == "diffusion":
        pipeline = _named(params, "pipeline")
        return (
            f"{pipeline} selects the diffusion estimate, which does not read {flag}",
            f"{drop}, or {_remove(params, 'pipeline')}",
        )
    if name == "embodied" and method in ("task", "direct"):
        given = "task" if method == "task" else _energy_key(params)
        return (
            f"the embodied line amortises the hardware over the time per query, which "
            f"{_named(params, given) if given == 'task' else _where(params, given)} does not give",
            f"{drop}, or estimate from --model and --prompt (or --duration)",
        )
    if method == "task":
        task = _named(params, "task")
        return (
            f"{task} gives the energy per query (measured), so {flag} is not used",
            f"{drop}, or {_remove(params, 'task')} to estimate from {flag}",
        )
    if method == "direct":
        given = _energy_key(params)
        if name in ("it_energy_wh", "facility_energy_wh"):
            return (
                f"{_where(params, given)} already gives the energy per query (facility = IT x PUE)",
                "give one of --it-energy-wh or --facility-energy-wh",
            )
        return (
            f"{_where(params, given)} gives the energy per query, so {flag} is not used",
            f"{drop}, or {_remove(params, given)} to estimate from {flag}",
        )
    if name in _OPEN_ONLY:
        return (
            "it describes an open model, estimated only with --params-b "
            "(or --model naming an open model)",
            f"add --params-b, or {drop}",
        )
    if name == "it_energy_std_wh":
        return (
            "it is the spread of --it-energy-wh, which is not given",
            f"add --it-energy-wh, or {drop}",
        )
    if method == "duration":
        return (
            f"{_where(params, 'duration_s')} gives the time per query, which replaces "
            "TTFT + output tokens / TPS and their percentiles",
            f"{drop}, or {_remove(params, 'duration_s')}",
        )
    if name in ("ttft_quantiles_s", "tps_quantiles"):
        return (
            f"--ttft and --tps fix both figures, so the percentiles in {flag} are not drawn",
            f"{drop}, or remove --ttft/--tps to draw from the percentiles",
        )
    return (
        "it sets the Monte Carlo over TTFT/TPS percentiles, which this estimate does not draw",
        f"{drop}, or give percentiles (--ttft-quantiles, --tps-quantiles) and not both "
        "--ttft and --tps",
    )


def _why_not_open(params: Mapping[str, Param], name: str, drop: str) -> tuple[str, str]:
    if name == "model":  # beside --params-b: a paper preset, or an open model overridden
        model = str(params["model"].value)
        return (
            f"{_where(params, 'params_b')} describes an open model, and {model} is a "
            "paper preset (its host and hardware would be mixed in)",
            f"{drop}, or {_remove(params, 'params_b')} to estimate {model} with --prompt",
        )
    why = {
        "duration_s": "the open-model method computes the time from measured throughput",
        "ttft_s": "the open-model method computes the time from measured throughput",
        "tps": "the open-model method computes the time from measured throughput",
        "p_non_gpu_kw": "the open-model method takes --non-gpu-w-per-gpu instead",
    }.get(name, "the open-model method reads measured energy per token, not this input")
    by = "params_b" if user_given(params, "params_b") else "model"
    trigger = _where(params, by) if by == "params_b" else _named(params, by)
    return f"{trigger} selects the open-model estimate: {why}", f"{drop}, or {_remove(params, by)}"


def _model_and_params_disagree(params: Mapping[str, Param]) -> bool:
    """A paper preset --model beside --params-b. (An open model's own parameters overridden
    by a different --params-b is refused by the resolver, which still sees both values.)"""
    return (
        user_given(params, "model") and user_given(params, "params_b") and _is_paper_preset(params)
    )


def _is_paper_preset(params: Mapping[str, Param]) -> bool:
    """Whether ``model`` named a paper preset (it then supplied the host)."""
    host = params.get("host")
    return host is not None and (host.source.ref or "").startswith("models.")


def _energy_key(params: Mapping[str, Param]) -> str:
    return "it_energy_wh" if "it_energy_wh" in params else "facility_energy_wh"


def _as_given(params: Mapping[str, Param], name: str) -> str:
    """``--duration`` when given as a flag, ``duration_s`` when given in a scenario file."""
    return name if params[name].source.kind == "file" else BY_NAME[name].flag


def _remove(params: Mapping[str, Param], name: str) -> str:
    """The fix that drops ``name``: ``remove --duration`` or ``remove duration_s from FILE``."""
    param = params[name]
    if param.source.kind == "file":
        return f"remove {name} from {param.source.ref}"
    return f"remove {BY_NAME[name].flag}"


def _named(params: Mapping[str, Param], name: str) -> str:
    """``--task image-generation``: the flag and the value of a preset choice."""
    return f"{BY_NAME[name].flag} {params[name].value}"


def _where(params: Mapping[str, Param], name: str) -> str:
    """How the user gave ``name``: its flag, or ``FILE: key`` for a scenario file."""
    param = params[name]
    if param.source.kind == "file":
        return f"{param.source.ref}: {name}"
    return BY_NAME[name].flag
