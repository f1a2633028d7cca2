"""The shipped ML.ENERGY Benchmark v3 data: measured open LLMs, and the models' descriptions.

J.-W. Chung et al., "The ML.ENERGY Benchmark", leaderboard data of 2026-02-16 (v3, Apache-2.0),
shipped unchanged in ``profiles/mlenergy-v3/`` (see its SOURCE.md). An edge: reads those files.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ecoai.errors import InputError

CITATION = (
    "ML.ENERGY Benchmark v3 (J.-W. Chung et al., leaderboard data 2026-02-16, Apache-2.0), "
    "GPU energy per output token, vLLM"
)
DIFFUSION_CITATION = (
    "ML.ENERGY Benchmark v3 (J.-W. Chung et al., leaderboard data 2026-02-16, Apache-2.0), "
    "GPU energy per image or video, diffusers"
)
LLM_TASKS = ("lm-arena-chat", "gpqa", "sourcegraph-fim")
"""The shipped LLM tasks (chat, reasoning, code completion); their configurations are fitted."""

BYTES_PER_WEIGHT = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "mxfp4": 4.25 / 8,
    "int4": 4.25 / 8,
}
"""Bytes per weight, scales included: MXFP4 stores 32 4-bit values with one 8-bit scale (OCP
Microscaling Formats v1.0: 4.25 bits per value); int4 as group-quantised weights with a scale per
32 weights (the same 4.25 bits)."""

_DATA_PRECISION = {"bfloat16": "bf16", "fp8": "fp8", "mxfp4": "mxfp4"}

EXPERTS_CITATION = (
    "the model's Hugging Face config.json: routed experts per MoE layer (num_experts, "
    "num_local_experts or n_routed_experts) and experts per token (num_experts_per_tok); checked "
    "against public copies: Qwen3-235B-A22B and Qwen3-30B-A3B 128 experts, top-8 (their "
    "Megatron configs); Qwen3-Coder-480B-A35B 160 experts, 8 activated (Qwen's model card); "
    "DeepSeek-V3/R1 256 routed, 8 per token (config.json); gpt-oss-120b 4 of 128 (Hugging Face "
    "Transformers GptOss documentation); Llama 4 Maverick 128 experts (Hugging Face Llama 4 "
    "release), one routed expert per token beside the shared one (Meta's Llama 4 announcement)"
)
EXPERTS: dict[str, tuple[int, int]] = {
    "Qwen/Qwen3-235B-A22B-Instruct-2507": (128, 8),
    "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8": (128, 8),
    "Qwen/Qwen3-235B-A22B-Thinking-2507": (128, 8),
    "Qwen/Qwen3-235B-A22B-Thinking-2507-FP8": (128, 8),
    "Qwen/Qwen3-30B-A3B-Instruct-2507": (128, 8),
    "Qwen/Qwen3-30B-A3B-Thinking-2507": (128, 8),
    "Qwen/Qwen3-Coder-30B-A3B-Instruct": (128, 8),
    "Qwen/Qwen3-Coder-480B-A35B-Instruct": (160, 8),
    "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8": (160, 8),
    "deepseek-ai/DeepSeek-V3.1": (256, 8),
    "deepseek-ai/DeepSeek-R1-0528": (256, 8),
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8": (128, 1),
    "openai/gpt-oss-120b": (128, 4),
}
"""(routed experts E, experts each token picks K) of every mixture of experts among the data's
LLMs (``EXPERTS_CITATION``; shared experts are not counted: they are always active, part of the
active parameters). Not in the ML.ENERGY files; a test checks every MoE of them is here."""
DATA_GPUS = {"H100": "h100-sxm", "B200": "b200"}
"""The GPUs of the data (ML.ENERGY's names) and ecoai's hardware ids for them."""


@dataclass(frozen=True)
class Measured:
    """One measured LLM configuration. Energies are GPU energy, all GPUs of the replica."""

    task: str
    model_id: str
    gpu: str
    """ecoai hardware id (``h100-sxm`` or ``b200``)."""
    precision: str
    gpu_count: int
    batch_size: int
    """vLLM's max_num_seqs: the concurrent requests the server admits."""
    total_params_b: float
    active_params_b: float
    energy_per_token_j: float
    gpu_power_w: float
    """Average power of all GPUs of the replica. Units: W."""
    output_tokens: float = 1.0
    """Average output tokens per request of the task's prompts (``avg_output_len``)."""
    data_parallel: int = 1
    """Data-parallel degree of the attention (vLLM ``--data-parallel-size``): ranks that each
    hold the attention weights and serve 1/D of the batch (``data_parallel``)."""
    experts: int | None = None
    """Routed experts per MoE layer (``EXPERTS``); None for a dense model."""
    experts_per_token: int | None = None
    """Routed experts each token picks (``EXPERTS``); None for a dense model."""


def data_dir() -> Path:
    """The shipped ML.ENERGY files (inside the built-in profiles)."""
    from ecoai.inputs.catalog import built_in_dir

    return built_in_dir() / "mlenergy-v3"


@cache
def load_measurements(root: Path | None = None) -> tuple[Measured, ...]:
    """Every LLM configuration of the shipped tasks. Raises InputError if a file is unreadable."""
    directory = root or data_dir()
    out: list[Measured] = []
    for task in LLM_TASKS:
        try:
            text = (directory / f"{task}.json").read_text(encoding="utf-8")
            configurations = json.loads(text)["configurations"]
        except (OSError, ValueError, KeyError) as error:
            raise InputError(
                f"cannot read the shipped ML.ENERGY data {directory / task}.json: {error}",
                "reinstall ecoai; the file is part of its profiles",
            ) from None
        out += [_measured(task, row) for row in configurations if row["gpu_model"] in DATA_GPUS]
    return tuple(out)


def _measured(task: str, row: dict[str, object]) -> Measured:
    def num(key: str) -> float:
        value = row[key]
        assert isinstance(value, int | float)
        return float(value)

    return Measured(
        task=task,
        model_id=str(row["model_id"]),
        gpu=DATA_GPUS[str(row["gpu_model"])],
        precision=_DATA_PRECISION[str(row["weight_precision"])],
        gpu_count=int(num("num_gpus")),
        batch_size=int(num("max_num_seqs")),
        total_params_b=num("total_params_billions"),
        active_params_b=num("activated_params_billions"),
        energy_per_token_j=num("energy_per_token_joules"),
        gpu_power_w=num("avg_power_watts"),
        output_tokens=num("avg_output_len"),
        data_parallel=int(num("data_parallel")),
        experts=EXPERTS.get(str(row["model_id"]), (None, None))[0],
        experts_per_token=EXPERTS.get(str(row["model_id"]), (None, None))[1],
    )


@dataclass(frozen=True)
class OpenModel:
    """An open model of the data: its parameters (billions) and weight precision."""

    model_id: str
    total_params_b: float
    active_params_b: float
    precision: str
    experts: int | None = None
    """Routed experts per MoE layer (``EXPERTS``); None for a dense model."""
    experts_per_token: int | None = None
    """Routed experts each token picks; None for a dense model."""


@cache
def open_models(root: Path | None = None) -> dict[str, OpenModel]:
    """The data's LLMs by lower-case id (``index.json``), with their parameters."""
    path = (root or data_dir()) / "index.json"
    try:
        models = json.loads(path.read_text(encoding="utf-8"))["models"]
    except (OSError, ValueError, KeyError) as error:
        raise InputError(
            f"cannot read the shipped ML.ENERGY index {path}: {error}",
            "reinstall ecoai; the file is part of its profiles",
        ) from None
    llms = {p.model_id for p in load_measurements(root)}
    return {
        model_id.lower(): OpenModel(
            model_id=model_id,
            total_params_b=float(row["total_params_billions"]),
            active_params_b=float(row["activated_params_billions"]),
            precision=_DATA_PRECISION.get(row["weight_precision"], "bf16"),
            experts=EXPERTS.get(model_id, (None, None))[0],
            experts_per_token=EXPERTS.get(model_id, (None, None))[1],
        )
        for model_id, row in models.items()
        if model_id in llms
    }


PIPELINES = {"text-to-image": "energy_per_image_joules", "text-to-video": "energy_per_video_joules"}
"""The shipped diffusion tasks (a diffusers pipeline each) and the field of their energy."""


@dataclass(frozen=True)
class Architecture:
    """What a diffusion transformer does per denoising step, beyond its parameter count.

    ``vae_compression``: pixels per latent pixel along each side (the autoencoder's spatial
    downsampling); ``vae_temporal_compression``: frames per latent frame of a video autoencoder
    (the first frame is coded alone: 1 + (F - 1) / t latent frames); ``patch_size``: latent
    pixels per token along each side; ``guidance_passes``: transformer passes per step (2 with
    classifier-free guidance, 1 for a guidance-distilled model); ``layers`` and ``hidden_size``:
    transformer blocks (double- and single-stream blocks counted alike) and width, which set the
    attention's cost; ``attention``: ``softmax`` (cost quadratic in the tokens) or ``linear``.
    """

    vae_compression: int = 8
    vae_temporal_compression: int = 4
    patch_size: int = 2
    guidance_passes: int = 2
    layers: int | None = None
    hidden_size: int | None = None
    attention: str = "softmax"


ARCHITECTURE_CITATION = (
    "each model's diffusers configuration: transformer/config.json (num_layers plus "
    "num_single_layers, num_attention_heads x attention_head_dim, patch_size), the autoencoder's "
    "compression (vae_scale_factor; temporal compression of the video VAEs) and the pipeline's "
    "default guidance, which ML.ENERGY's runner keeps; FLUX.1-dev and HunyuanVideo are "
    "guidance-distilled (one pass per step; FLUX.1-dev model card, HunyuanVideo 'cfgdistill' "
    "transformer), SANA uses a 32x deep-compression autoencoder (DC-AE), patch 1 and linear "
    "attention (Xie et al. 2024, arXiv:2410.10629). Layers and width checked against public copies "
    "of the configurations (diffusers' conversion scripts): FLUX.1-dev 19 + 38 blocks, 24 x 128 "
    "(its 2x2 latent packing is the patch); SD3.5 Large 38, 38 x 64; PixArt-Sigma XL-2 28, "
    "16 x 72; HunyuanDiT v1.2 40, 16 x 88; SANA 1.6B 20, 70 x 32; Wan2.1 1.3B 30, 12 x 128 and "
    "14B 40, 40 x 128, patch (1, 2, 2); HunyuanVideo 20 + 40, 24 x 128. Not found in a public "
    "copy, so left to the parameters: the layers and width of SANA 1.5 4.8B and CogVideoX-2b"
)
ARCHITECTURES: dict[str, Architecture] = {
    "black-forest-labs/FLUX.1-dev": Architecture(8, 1, 2, 1, 19 + 38, 24 * 128),
    "stabilityai/stable-diffusion-3.5-large": Architecture(8, 1, 2, 2, 38, 38 * 64),
    "PixArt-alpha/PixArt-Sigma-XL-2-1024-MS": Architecture(8, 1, 2, 2, 28, 16 * 72),
    "Tencent-Hunyuan/HunyuanDiT-v1.2-Diffusers": Architecture(8, 1, 2, 2, 40, 16 * 88),
    "Efficient-Large-Model/SANA1.5_1.6B_1024px_diffusers": Architecture(
        32, 1, 1, 2, 20, 70 * 32, "linear"
    ),
    "Efficient-Large-Model/SANA1.5_4.8B_1024px_diffusers": Architecture(
        32, 1, 1, 2, None, None, "linear"
    ),
    "Wan-AI/Wan2.1-T2V-1.3B-Diffusers": Architecture(8, 4, 2, 2, 30, 12 * 128),
    "Wan-AI/Wan2.1-T2V-14B-Diffusers": Architecture(8, 4, 2, 2, 40, 40 * 128),
    "tencent/HunyuanVideo": Architecture(8, 4, 2, 1, 20 + 40, 24 * 128),
    "zai-org/CogVideoX-2b": Architecture(8, 4, 2, 2, None, None),
}
"""The architecture of every diffusion model of the data (``ARCHITECTURE_CITATION``); not in
the ML.ENERGY files, a test checks each of the data's models is here."""


@dataclass(frozen=True)
class MeasuredItem:
    """One measured diffusion configuration: GPU energy per image or video, all GPUs."""

    pipeline: str
    model_id: str
    gpu: str
    gpu_count: int
    batch_size: int
    """Images or videos generated together."""
    params_b: float
    steps: int
    """Denoising (inference) steps."""
    width: int
    height: int
    frames: int
    """Frames of a video; 1 for an image."""
    energy_per_item_j: float
    gpu_power_w: float
    """Average power of all GPUs of the replica. Units: W."""
    architecture: Architecture = dataclasses.field(default_factory=Architecture)
    """The model's autoencoder, patch, guidance passes and attention (``ARCHITECTURES``)."""


@cache
def load_diffusion(root: Path | None = None) -> tuple[MeasuredItem, ...]:
    """Every text-to-image and text-to-video configuration (H100 and B200).

    Raises InputError if a file is unreadable.
    """
    directory = root or data_dir()
    out: list[MeasuredItem] = []
    for pipeline, field in PIPELINES.items():
        try:
            text = (directory / f"{pipeline}.json").read_text(encoding="utf-8")
            configurations = json.loads(text)["configurations"]
        except (OSError, ValueError, KeyError) as error:
            raise InputError(
                f"cannot read the shipped ML.ENERGY data {directory / pipeline}.json: {error}",
                "reinstall ecoai; the file is part of its profiles",
            ) from None
        out += [
            _measured_item(pipeline, field, row)
            for row in configurations
            if row["gpu_model"] in DATA_GPUS
        ]
    return tuple(out)


def _measured_item(pipeline: str, field: str, row: dict[str, object]) -> MeasuredItem:
    def num(*keys: str) -> float:
        value = next((row[k] for k in keys if k in row), 1)
        assert isinstance(value, int | float)
        return float(value)

    return MeasuredItem(
        pipeline=pipeline,
        model_id=str(row["model_id"]),
        gpu=DATA_GPUS[str(row["gpu_model"])],
        gpu_count=int(num("num_gpus")),
        batch_size=int(num("batch_size")),
        params_b=num("total_params_billions"),
        steps=int(num("inference_steps")),
        width=int(num("image_width", "video_width")),
        height=int(num("image_height", "video_height")),
        frames=int(num("num_frames")),
        energy_per_item_j=num(field),
        gpu_power_w=num("avg_power_watts"),
        architecture=ARCHITECTURES.get(str(row["model_id"]), Architecture()),
    )


@dataclass(frozen=True)
class DiffusionModel:
    """A diffusion model of the data and the configuration it was measured in."""

    model_id: str
    pipeline: str
    params_b: float
    steps: int
    width: int
    height: int
    frames: int
    architecture: Architecture = dataclasses.field(default_factory=Architecture)


@cache
def diffusion_models(root: Path | None = None) -> dict[str, DiffusionModel]:
    """The data's diffusion models by lower-case id."""
    out: dict[str, DiffusionModel] = {}
    for p in load_diffusion(root):
        out.setdefault(
            p.model_id.lower(),
            DiffusionModel(
                p.model_id,
                p.pipeline,
                p.params_b,
                p.steps,
                p.width,
                p.height,
                p.frames,
                p.architecture,
            ),
        )
    return out


def find_open_model(name: str) -> OpenModel | None:
    """An open LLM of the shipped ML.ENERGY data by id (``Qwen/Qwen3-14B``) or by its name
    after the organisation (``qwen3-14b``), in any case; None if it is not in the data."""
    models = open_models()
    short = {m.model_id.split("/")[-1].lower(): m for m in models.values()}
    return models.get(name.lower()) or short.get(name.lower())


def find_diffusion_model(name: str) -> DiffusionModel | None:
    """A diffusion model of the shipped ML.ENERGY data by id (``black-forest-labs/FLUX.1-dev``)
    or by its name after the organisation (``flux.1-dev``), in any case; None if not in it."""
    models = diffusion_models()
    short = {m.model_id.split("/")[-1].lower(): m for m in models.values()}
    return models.get(name.lower()) or short.get(name.lower())
