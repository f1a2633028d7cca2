"""Pure: resolved inputs of an open model -> its per-query footprint (``estimate`` calls it).

The methods are in ``ecoai.estimation.open_model`` (LLMs) and ``open_diffusion`` (images and
videos); this module checks the inputs (parameters, precision, GPU, GPU count, batch, image size,
steps, frames), fills the stated defaults and builds the footprint.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecoai import footprint, units
from ecoai.errors import InputError, did_you_mean
from ecoai.estimation.applies import user_given
from ecoai.estimation.open_diffusion import ItemConfig
from ecoai.estimation.open_model import (
    NON_GPU_W_PER_GPU,
    NON_GPU_W_PER_GPU_LOW,
    Calibration,
    Config,
    OpenLlm,
    default_gpu_count,
    estimate_open_llm,
    uncalibrated_ratio,
)
from ecoai.footprint import Multipliers
from ecoai.inputs.keys import BY_NAME, value
from ecoai.inputs.mlenergy import BYTES_PER_WEIGHT, CITATION, Architecture
from ecoai.models import Footprint, Method, Param, Source, Stat

DEFAULT_PRECISION = "bf16"
DEFAULT_BATCH = 8
"""The paper's batch B (Jegham et al. 2025 v6, Sec. 3.3), as in ecoai's other estimates."""
MAX_NODE_GPUS = 8
"""The largest node the default GPU count may fill (an 8-GPU HGX/DGX server)."""


def open_llm(
    params: Mapping[str, Param], factors: Multipliers
) -> tuple[dict[str, Param], Footprint, Method, dict[str, float], list[str]]:
    """(inputs with the derived values, per-query footprint, method, intermediate values, notes).

    The notes say where the configuration lies outside the measured data (the fit
    extrapolates there, beyond the error it was measured with).

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
    experts, per_token = _experts(inputs, total_b, active_b)
    config = Config(total_b, active_b, precision, gpu, gpu_count, batch, _model_id(params),
                    output_tokens=value(params, "output_tokens"),
                    data_parallel=_data_parallel(inputs, gpu_count), experts=experts,
                    experts_per_token=per_token)  # fmt: skip
    tdp_w = units.kw_to_w(value(params, "p_gpu_kw")) / value(params, "gpus_per_node")
    gpu_facts = (tdp_w, value(params, "gpu_memory_bandwidth_tb_s"))
    calibration = _calibration(params)
    result = estimate_open_llm(
        config, value(params, "output_tokens"), gpu_facts, _non_gpu_w(inputs), calibration
    )
    inputs["gpu_energy_per_token_j"] = Param.trusted(
        value=result.gpu_energy_per_token_j[0],
        source=Source.trusted(
            kind="derived", ref=f"{result.path}: {result.detail}", citation=CITATION
        ),
    )
    mean, low, high = result.it_energy_j
    per_query = footprint.footprint_from_it(Stat.trusted(mean=mean, min=low, max=high), factors)
    intermediate = _intermediate(result, gpu_count, factors.pue)
    if calibration is not None:
        intermediate["uncalibrated_ratio"] = uncalibrated_ratio(config, gpu_facts, calibration)
    notes = []
    if result.outside:
        where = "; ".join(result.outside)
        notes.append(
            "outside the measured data, extrapolated by the fit (its error was measured inside "
            f"the data only): {where}"
        )
    return inputs, per_query, _method(result), intermediate, notes


def _calibration(params: Mapping[str, Param]) -> Calibration | None:
    """The calibration among the inputs (``ecoai.inputs.calibration``), if any."""
    if "calibration_gpu_energy_per_token_j" not in params:
        return None
    source = params["calibration_gpu_energy_per_token_j"].source
    return Calibration(
        gpu_energy_per_token_j=value(params, "calibration_gpu_energy_per_token_j"),
        time_per_token_s=value(params, "calibration_time_per_token_s"),
        batch_size=value(params, "calibration_batch"),
        ref=f"{source.ref}: {source.citation}" if source.citation else str(source.ref),
    )


def _active_params_b(inputs: dict[str, Param], total_b: float) -> float:
    if "active_params_b" not in inputs:
        inputs["active_params_b"] = Param.trusted(
            value=total_b,
            source=Source.trusted(kind="default", citation="a dense model: all active"),
        )
    active_b = value(inputs, "active_params_b")
    if active_b > total_b:
        raise InputError(
            f"--active-params-b ({active_b:g}) is above --params-b ({total_b:g})",
            "a mixture of experts activates part of its parameters: active <= total",
        )
    return active_b


def _experts(
    inputs: dict[str, Param], total_b: float, active_b: float
) -> tuple[int | None, int | None]:
    """(routed experts E, experts per token K) of a mixture of experts, or (None, None) when
    not given (the fit then takes a token's share of the experts as A / P).

    Raises InputError for one of the two without the other, experts on a dense model, K >= E,
    or active parameters below the share K / E of the total (the picked experts alone would
    hold more than the active parameters)."""
    given = [name for name in ("experts", "experts_per_token") if name in inputs]
    if not given:
        return None, None
    if len(given) == 1:
        flag, other = (BY_NAME[n].flag for n in (given[0], _other(given[0])))
        raise InputError(
            f"{flag} needs {other}",
            "give both, from the model's config.json (e.g. --experts 128 --experts-per-token 8)",
        )
    experts, per_token = int(value(inputs, "experts")), int(value(inputs, "experts_per_token"))
    if active_b >= total_b:
        raise InputError(
            "--experts applies to a mixture of experts, but --active-params-b equals --params-b",
            "give the active parameters per token with --active-params-b, or drop --experts",
        )
    if per_token >= experts:
        raise InputError(
            f"--experts-per-token ({per_token}) is not below --experts ({experts})",
            "a token picks K of the E routed experts: K < E (config.json num_experts_per_tok)",
        )
    if active_b < per_token / experts * total_b:
        raise InputError(
            f"--active-params-b ({active_b:g}) is below the experts a token picks "
            f"({per_token}/{experts} of {total_b:g} B = {per_token / experts * total_b:.3g} B)",
            "check --params-b, --active-params-b, --experts and --experts-per-token against "
            "the model card",
        )
    return experts, per_token


def _other(name: str) -> str:
    return "experts_per_token" if name == "experts" else "experts"


def _data_parallel(inputs: dict[str, Param], gpu_count: int) -> int:
    """The data-parallel degree of the attention (default 1, stated); it must divide the GPUs."""
    if "data_parallel" not in inputs:
        inputs["data_parallel"] = Param.trusted(
            value=1,
            source=Source.trusted(
                kind="default", citation="no data-parallel attention (vLLM's default)"
            ),
        )
    ranks = int(value(inputs, "data_parallel"))
    if gpu_count % ranks:
        raise InputError(
            f"--data-parallel ({ranks}) does not divide the {gpu_count} GPUs of the replica",
            "each data-parallel rank runs on the same number of GPUs: give --gpu-count a "
            "multiple of --data-parallel",
        )
    return ranks


def _precision(inputs: dict[str, Param]) -> str:
    if "precision" not in inputs:
        inputs["precision"] = Param.trusted(
            value=DEFAULT_PRECISION,
            source=Source.trusted(
                kind="default", citation="16-bit weights, as most open models ship"
            ),
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
    derived = Source.trusted(
        kind="derived", ref="smallest power of two of GPUs holding the weights x 1.2 (KV cache)"
    )
    inputs["gpu_count"] = Param.trusted(value=count, source=derived)
    if value(inputs, "gpus_per_node") < count:
        inputs["gpus_per_node"] = Param.trusted(value=count, source=derived)
    return count


def _batch(inputs: dict[str, Param]) -> float:
    if "batch_size" not in inputs:
        inputs["batch_size"] = Param.trusted(
            value=DEFAULT_BATCH,
            source=Source.trusted(
                kind="default", citation="Jegham et al. 2025, arXiv:2505.09598 v6"
            ),
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
    inputs["non_gpu_w_per_gpu"] = Param.trusted(
        value=NON_GPU_W_PER_GPU,
        source=Source.trusted(
            kind="default",
            citation="1.2 kW per 8-GPU server (EcoLogits 0.11.3); low bound 856 W per "
            "p5.48xlarge (BoaviztAPI 2.5.0)",
        ),
    )
    return NON_GPU_W_PER_GPU, NON_GPU_W_PER_GPU_LOW, NON_GPU_W_PER_GPU


def _method(result: OpenLlm) -> Method:
    return Method.trusted(
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


_LLM_ONLY = (
    "active_params_b",
    "experts",
    "experts_per_token",
    "data_parallel",
    "output_tokens",
    "input_tokens",
    "calibrate",
)


def open_diffusion(
    params: Mapping[str, Param], factors: Multipliers
) -> tuple[dict[str, Param], Footprint, Method, dict[str, float]]:
    """(inputs, per-item footprint, method, intermediate values) of a diffusion model.

    One query is one image or video. Raises InputError for an unknown pipeline, frames with
    text-to-image, a video without frames, LLM-only inputs, a precision other than bf16 (the
    data's), a GPU outside the data, or weights that do not fit the GPUs.
    """
    from ecoai.estimation.open_diffusion import FIT_ERROR_P90, INTERPOLATION_ERROR_P90, per_item
    from ecoai.inputs.mlenergy import DATA_GPUS, DIFFUSION_CITATION, PIPELINES

    inputs = dict(params)
    pipeline = str(params["pipeline"].value)
    if pipeline not in PIPELINES:
        raise InputError(f"unknown pipeline {pipeline!r}", "choose one of: " + ", ".join(PIPELINES))
    frames = _frames(inputs, pipeline)
    for name in _LLM_ONLY:
        if name in params and params[name].source.kind in ("flag", "file"):
            flag = BY_NAME[name].flag
            raise InputError(
                f"{flag} applies to LLMs, not to a {pipeline} pipeline",
                f"drop {flag}: one query of a diffusion model is one image or video",
            )
    if "precision" in params and str(params["precision"].value).lower() != "bf16":
        raise InputError(
            f"diffusion models are measured in bf16 only, not {params['precision'].value}",
            "drop --precision (or give bf16)",
        )
    if "gpu" not in params:
        raise InputError(
            "a diffusion model needs the GPU it runs on",
            "pass --hardware, e.g. --hardware h100-sxm",
        )
    gpu = str(params["gpu"].value)
    if gpu not in DATA_GPUS.values():
        raise InputError(
            f"diffusion models are measured on {' and '.join(DATA_GPUS.values())} only, not {gpu}",
            "choose --hardware h100-sxm, b200 or a node of them (dgx-h100, dgx-b200)",
        )
    total_b = value(params, "params_b")
    gpu_count = _gpu_count(inputs, total_b * BYTES_PER_WEIGHT["bf16"], gpu)
    batch = _diffusion_batch(inputs)
    architecture = _architecture(inputs, pipeline)
    config = ItemConfig(
        pipeline=pipeline,
        params_b=total_b,
        steps=int(value(params, "steps")),
        width=int(value(params, "width_px")),
        height=int(value(params, "height_px")),
        frames=frames,
        gpu=gpu,
        gpu_count=gpu_count,
        batch_size=batch,
        model_id=_diffusion_id(params),
        architecture=architecture,
    )
    found = per_item(config)
    error = INTERPOLATION_ERROR_P90 if found.path == "measured" else FIT_ERROR_P90
    energy_j = found.energy_per_item_j
    per_item_j = (energy_j, energy_j / error, energy_j * error)
    replica_s = energy_j / found.gpu_power_w  # the replica's time per item (B items per batch)
    non_gpu_j = [w * gpu_count * replica_s for w in _non_gpu_w(inputs)]
    it_j = [e + n for e, n in zip(per_item_j, non_gpu_j, strict=True)]
    inputs["gpu_energy_per_item_j"] = Param.trusted(
        value=energy_j,
        source=Source.trusted(
            kind="derived", ref=f"{found.path}: {found.detail}", citation=DIFFUSION_CITATION
        ),
    )
    per_query = footprint.footprint_from_it(
        Stat.trusted(mean=it_j[0], min=it_j[1], max=it_j[2]), factors
    )
    method = Method.trusted(
        statistic="open-model",
        description=(
            f"GPU energy per {_item(pipeline)} from measured diffusion models (ML.ENERGY v3): "
            f"{found.path}; plus non-GPU power per GPU x time; range = the method's P90 error "
            "(leave-one-out) and the non-GPU range"
        ),
    )
    intermediate = {
        "gpu_energy_per_item_j": energy_j,
        "gpu_energy_per_item_j_min": per_item_j[1],
        "gpu_energy_per_item_j_max": per_item_j[2],
        "gpu_count": float(gpu_count),
        "gpu_power_w": found.gpu_power_w,
        "duration_s": replica_s * batch,
        "non_gpu_energy_j": non_gpu_j[0],
        "it_energy_j": it_j[0],
        "facility_energy_j": it_j[0] * factors.pue,
    }
    return inputs, per_query, method, intermediate


DIFFUSION_BATCH = 1
"""Images or videos per batch when not given: one per request (the diffusers pipelines'
``num_images_per_prompt`` / ``num_videos_per_prompt`` default). The data measure batches 1 to 32
about equally often, so they suggest no other value."""

_ARCHITECTURE_DEFAULTS: dict[str, tuple[object, str]] = {
    "vae_compression": (8, "an 8x autoencoder (SD, SDXL, SD3, FLUX, HunyuanDiT, Wan, CogVideoX)"),
    "vae_temporal_compression": (4, "4 frames per latent frame (Wan, HunyuanVideo, CogVideoX)"),
    "patch_size": (2, "2x2 latent pixels per token (DiT-XL/2 and most diffusion transformers)"),
    "guidance_passes": (2, "classifier-free guidance: two transformer passes per step"),
    "attention": ("softmax", "softmax attention, cost quadratic in the tokens"),
}
"""The architecture taken when neither a flag nor a model of the data gives it: the value most
of the data's models have (``ecoai.inputs.mlenergy.ARCHITECTURES``)."""
ATTENTIONS = ("softmax", "linear")


def _diffusion_batch(inputs: dict[str, Param]) -> float:
    if "batch_size" not in inputs:
        inputs["batch_size"] = Param.trusted(
            value=DIFFUSION_BATCH,
            source=Source.trusted(
                kind="default",
                citation="one image or video per request (diffusers' num_images_per_prompt "
                "default); the data measure batches 1-32 about equally",
            ),
        )
    return value(inputs, "batch_size")


def _architecture(inputs: dict[str, Param], pipeline: str) -> Architecture:
    """The transformer's architecture from the inputs, defaults stated in ``inputs``.

    Raises InputError for a temporal compression on an image, or an unknown attention kind."""
    if pipeline == "text-to-image" and user_given(inputs, "vae_temporal_compression"):
        raise InputError(
            "--vae-temporal-compression applies to text-to-video, not to text-to-image",
            "drop --vae-temporal-compression, or use --pipeline text-to-video",
        )
    image = pipeline == "text-to-image"
    for name, (default, why) in _ARCHITECTURE_DEFAULTS.items():
        if name not in inputs and not (image and name == "vae_temporal_compression"):
            inputs[name] = Param.trusted(
                value=default,
                source=Source.trusted(kind="default", citation=why),
            )
    attention = str(inputs["attention"].value).lower()
    if attention not in ATTENTIONS:
        raise InputError(
            f"unknown attention {inputs['attention'].value!r}",
            "choose --attention softmax (the default) or linear (SANA-style linear attention)",
        )

    def whole(name: str) -> int | None:
        return int(value(inputs, name)) if name in inputs else None

    return Architecture(
        vae_compression=int(value(inputs, "vae_compression")),
        vae_temporal_compression=whole("vae_temporal_compression") or 1,
        patch_size=int(value(inputs, "patch_size")),
        guidance_passes=int(value(inputs, "guidance_passes")),
        layers=whole("layers"),
        hidden_size=whole("hidden_size"),
        attention=attention,
    )


def _item(pipeline: str) -> str:
    return "video" if pipeline == "text-to-video" else "image"


def _frames(inputs: dict[str, Param], pipeline: str) -> int:
    if pipeline == "text-to-image":
        if "frames" in inputs:
            raise InputError(
                "--frames applies to text-to-video, not to text-to-image",
                "drop --frames, or use --pipeline text-to-video",
            )
        return 1
    if "frames" not in inputs:
        raise InputError(
            "a text-to-video estimate needs the frames per video",
            "pass --frames, e.g. --frames 81 (5 s at 16 fps)",
        )
    return int(value(inputs, "frames"))


def _diffusion_id(params: Mapping[str, Param]) -> str | None:
    from ecoai.inputs.mlenergy import find_diffusion_model

    model = params.get("model")
    found = None if model is None else find_diffusion_model(str(model.value))
    return None if found is None else found.model_id
