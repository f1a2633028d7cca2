"""Pure: resolved inputs of an open LLM -> its per-query footprint (``estimate`` calls it).

The method is in ``ecoai.estimation.open_model``; this module checks the inputs (parameters,
precision, GPU, GPU count, batch), fills the stated defaults and builds the footprint.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecoai import footprint, units
from ecoai.errors import InputError, did_you_mean
from ecoai.estimation.open_model import (
    NON_GPU_W_PER_GPU,
    NON_GPU_W_PER_GPU_LOW,
    Config,
    OpenLlm,
    default_gpu_count,
    estimate_open_llm,
)
from ecoai.footprint import Multipliers
from ecoai.inputs.keys import value
from ecoai.inputs.mlenergy import BYTES_PER_WEIGHT, CITATION
from ecoai.models import Footprint, Method, Param, Source, Stat

DEFAULT_PRECISION = "bf16"
DEFAULT_BATCH = 8
"""The paper's batch B (Jegham et al. 2025 v6, Sec. 3.3), as in ecoai's other estimates."""
MAX_NODE_GPUS = 8
"""The largest node the default GPU count may fill (an 8-GPU HGX/DGX server)."""


def open_llm(
    params: Mapping[str, Param], factors: Multipliers
) -> tuple[dict[str, Param], Footprint, Method, dict[str, float]]:
    """(inputs with the derived values, per-query footprint, method, intermediate values).

    Raises InputError for inconsistent inputs: active > total parameters, an unknown
    precision, no --hardware, weights that do not fit the GPUs.
    """
    inputs = dict(params)
    total_b = value(params, "params_b")
    active_b = _active_params_b(inputs, total_b)
    precision = _precision(inputs)
    if "gpu" not in params:
        raise InputError(
            "an open model needs the GPU it runs on",
            "pass --hardware, e.g. --hardware h100-sxm (ecoai profiles list hardware)",
        )
    gpu = str(params["gpu"].value)
    weights_gb = total_b * BYTES_PER_WEIGHT[precision]
    gpu_count = _gpu_count(inputs, weights_gb, gpu)
    batch = _batch(inputs)
    config = Config(total_b, active_b, precision, gpu, gpu_count, batch, _model_id(params))
    tdp_w = units.kw_to_w(value(params, "p_gpu_kw")) / value(params, "gpus_per_node")
    result = estimate_open_llm(
        config,
        value(params, "output_tokens"),
        (tdp_w, value(params, "gpu_memory_bandwidth_tb_s")),
        _non_gpu_w(inputs),
    )
    inputs["gpu_energy_per_token_j"] = Param(
        value=result.gpu_energy_per_token_j[0],
        source=Source(kind="derived", ref=f"{result.path}: {result.detail}", citation=CITATION),
    )
    mean, low, high = result.it_energy_j
    per_query = footprint.footprint_from_it(Stat(mean=mean, min=low, max=high), factors)
    return inputs, per_query, _method(result), _intermediate(result, gpu_count, factors.pue)


def _active_params_b(inputs: dict[str, Param], total_b: float) -> float:
    if "active_params_b" not in inputs:
        inputs["active_params_b"] = Param(
            value=total_b, source=Source(kind="default", citation="a dense model: all active")
        )
    active_b = value(inputs, "active_params_b")
    if active_b > total_b:
        raise InputError(
            f"--active-params-b ({active_b:g}) is above --params-b ({total_b:g})",
            "a mixture of experts activates part of its parameters: active <= total",
        )
    return active_b


def _precision(inputs: dict[str, Param]) -> str:
    if "precision" not in inputs:
        inputs["precision"] = Param(
            value=DEFAULT_PRECISION,
            source=Source(kind="default", citation="16-bit weights, as most open models ship"),
        )
    precision = str(inputs["precision"].value).lower()
    if precision not in BYTES_PER_WEIGHT:
        raise did_you_mean("precision", precision, list(BYTES_PER_WEIGHT))
    return precision


def _gpu_count(inputs: dict[str, Param], weights_gb: float, gpu: str) -> int:
    memory_gb = value(inputs, "gpu_memory_gb")
    if "gpu_count" in inputs and inputs["gpu_count"].source.kind in ("flag", "file"):
        count = int(value(inputs, "gpu_count"))
        if count * memory_gb < weights_gb:
            raise InputError(
                f"the weights ({weights_gb:,.0f} GB) do not fit in {count} x {memory_gb:g} GB",
                "raise --gpu-count, choose a larger GPU or a lower --precision",
            )
        return count
    count = default_gpu_count(weights_gb, memory_gb)
    if count > MAX_NODE_GPUS:
        raise InputError(
            f"the weights ({weights_gb:,.0f} GB, +20 % for the KV cache) need {count} x "
            f"{gpu} ({memory_gb:g} GB each), more than one {MAX_NODE_GPUS}-GPU node",
            "give --gpu-count for a multi-node replica, a larger GPU or a lower --precision",
        )
    derived = Source(
        kind="derived", ref="smallest power of two of GPUs holding the weights x 1.2 (KV cache)"
    )
    inputs["gpu_count"] = Param(value=count, source=derived)
    if value(inputs, "gpus_per_node") < count:
        inputs["gpus_per_node"] = Param(value=count, source=derived)
    return count


def _batch(inputs: dict[str, Param]) -> float:
    if "batch_size" not in inputs:
        inputs["batch_size"] = Param(
            value=DEFAULT_BATCH,
            source=Source(kind="default", citation="Jegham et al. 2025, arXiv:2505.09598 v6"),
        )
    return value(inputs, "batch_size")


def _model_id(params: Mapping[str, Param]) -> str | None:
    """The data's id of the model named (any spelling ``find_open_model`` accepts), if any."""
    from ecoai.inputs.mlenergy import find_open_model

    model = params.get("model")
    found = None if model is None else find_open_model(str(model.value))
    return None if found is None else found.model_id


def _non_gpu_w(inputs: dict[str, Param]) -> tuple[float, float, float]:
    if "non_gpu_w_per_gpu" in inputs:
        watts = value(inputs, "non_gpu_w_per_gpu")
        return watts, watts, watts
    inputs["non_gpu_w_per_gpu"] = Param(
        value=NON_GPU_W_PER_GPU,
        source=Source(
            kind="default",
            citation="1.2 kW per 8-GPU server (EcoLogits 0.11.3); low bound 856 W per "
            "p5.48xlarge (BoaviztAPI 2.5.0)",
        ),
    )
    return NON_GPU_W_PER_GPU, NON_GPU_W_PER_GPU_LOW, NON_GPU_W_PER_GPU


def _method(result: OpenLlm) -> Method:
    return Method(
        statistic="open-model",
        description=(
            "GPU energy per output token from measured open LLMs (ML.ENERGY v3): "
            f"{result.path}; x output tokens, plus non-GPU power per GPU x time; "
            "range = the method's P90 error (leave-one-out) and the non-GPU range"
        ),
    )


def _intermediate(result: OpenLlm, gpu_count: int, pue: float) -> dict[str, float]:
    mean_j, low_j, high_j = result.gpu_energy_per_token_j
    return {
        "gpu_energy_per_token_j": mean_j,
        "gpu_energy_per_token_j_min": low_j,
        "gpu_energy_per_token_j_max": high_j,
        "gpu_count": float(gpu_count),
        "gpu_power_w": result.gpu_power_w,
        "throughput_tokens_per_s": result.throughput_tokens_per_s,
        "duration_s": result.request_s,
        "non_gpu_energy_j": result.non_gpu_energy_j,
        "it_energy_j": result.it_energy_j[0],
        "facility_energy_j": result.it_energy_j[0] * pue,
    }
