"""The scenario keys: every input of the estimator, with its type, unit and bounds.

The same names are TOML keys in a scenario file, ``--flag-names`` on the command line (with
dashes), keys of ``Report.inputs`` and the parameters a profile preset supplies. ``coerce`` checks
a value against its key's type and bounds, wherever it comes from (a flag, a scenario file);
``value`` reads a required numeric input from resolved inputs.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ecoai import units
from ecoai.errors import InputError, MissingInput

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ecoai.footprint import Multipliers
    from ecoai.models import Param, ParamValue

Kind = Literal["float", "int", "str", "bool", "quantiles"]


@dataclass(frozen=True)
class Key:
    name: str
    kind: Kind
    unit: str
    help: str
    low: float | None = None
    """Smallest allowed value (inclusive unless ``low_open``)."""
    low_open: bool = False
    high: float | None = None
    example: str | None = None
    """A typical value for hints (else ``EXAMPLES``, else one inside the bounds)."""

    @property
    def flag(self) -> str:
        """The command-line flag for this key."""
        return FLAGS.get(self.name, "--" + self.name.replace("_", "-"))


# Flags whose name is shorter than the key (the unit is in the help text instead).
FLAGS = {
    "ttft_s": "--ttft",
    "duration_s": "--duration",
    "wue_site_l_per_kwh": "--wue-site",
    "wue_source_l_per_kwh": "--wue-source",
    "cif_kg_per_kwh": "--cif",
    "ttft_quantiles_s": "--ttft-quantiles",
    "width_px": "--width",
    "height_px": "--height",
}

KEYS: tuple[Key, ...] = (
    # What is being estimated
    Key("label", "str", "", "a name for this scenario, shown in reports and comparisons"),
    Key("model", "str", "", "model preset id (profiles/models.toml), e.g. gpt-4.1"),
    Key("prompt", "str", "", "prompt class of a model preset: short, medium or long"),
    Key("task", "str", "", "task preset id (profiles/tasks.toml), e.g. image-generation"),
    Key("host", "str", "", "host / data-centre preset id (PUE, WUE), e.g. azure"),
    Key("grid", "str", "", "grid preset: country (ISO alpha-3, FRA), U.S. state (US-WA), world"),
    Key("hardware", "str", "", "hardware preset id: a node (dgx-h100) or a GPU (h100-sxm)"),
    Key("gpu", "str", "", "the GPU's hardware id (set by --hardware: a node's GPU)"),
    Key("gpu_memory_gb", "float", "GB", "memory of one GPU", low=0, low_open=True),
    Key(
        "gpu_memory_bandwidth_tb_s",
        "float",
        "TB/s",
        "peak memory bandwidth of one GPU",
        low=0,
        low_open=True,
    ),
    Key("size_class", "str", "", "model size class preset (nano, micro, small, medium, large)"),
    # Workload
    Key("input_tokens", "int", "tokens", "input tokens per query (informational)", low=0),
    Key("output_tokens", "float", "tokens", "output tokens per query", low=0, low_open=True),
    Key("tps", "float", "tokens/s", "output tokens per second", low=0, low_open=True),
    Key("ttft_s", "float", "s", "time to first token", low=0),
    Key(
        "duration_s",
        "float",
        "s",
        "time per query, instead of TTFT + tokens / TPS",
        low=0,
        low_open=True,
    ),
    Key("ttft_quantiles_s", "quantiles", "s", "TTFT at P5, P25, P50, P75, P95", low=0),
    Key(
        "tps_quantiles",
        "quantiles",
        "tokens/s",
        "TPS at P5, P25, P50, P75, P95",
        low=0,
        low_open=True,
    ),
    # Node power and utilisation
    Key("p_gpu_kw", "float", "kW", "rated power of the node's GPUs (P_GPU)", low=0, low_open=True),
    Key("p_non_gpu_kw", "float", "kW", "rated power of the rest of the node (P_nonGPU)", low=0),
    Key("gpu_count", "int", "GPUs", "GPUs serving the model (G)", low=1),
    Key("gpus_per_node", "int", "GPUs", "GPUs per node (N)", low=1),
    Key("batch_size", "int", "requests", "concurrent requests per batch (B)", low=1),
    Key(
        "d_gpu_min", "float", "fraction", "GPU draw as a fraction of peak, low bound", low=0, high=1
    ),
    Key(
        "d_gpu_max",
        "float",
        "fraction",
        "GPU draw as a fraction of peak, high bound",
        low=0,
        high=1,
    ),
    Key("d_non_gpu", "float", "fraction", "non-GPU draw as a fraction of peak", low=0, high=1),
    Key("u_gpu_min", "float", "fraction", "per-request GPU utilisation, low bound", low=0, high=1),
    Key("u_gpu_max", "float", "fraction", "per-request GPU utilisation, high bound", low=0, high=1),
    Key("u_non_gpu", "float", "fraction", "per-request non-GPU utilisation", low=0, high=1),
    Key(
        "w_max",
        "float",
        "fraction",
        "weight of the high bound in the expected value",
        low=0,
        high=1,
    ),
    # Energy given directly
    Key("it_energy_wh", "float", "Wh", "IT energy per query, measured or published", low=0),
    Key("it_energy_std_wh", "float", "Wh", "standard deviation of it_energy_wh", low=0),
    Key("facility_energy_wh", "float", "Wh", "facility energy per query (IT x PUE)", low=0),
    # Data centre and grid
    Key("pue", "float", "ratio", "power usage effectiveness (>= 1)", low=1),
    Key("wue_site_l_per_kwh", "float", "L/kWh", "on-site water per kWh of IT energy", low=0),
    Key("wue_source_l_per_kwh", "float", "L/kWh", "off-site water per kWh of electricity", low=0),
    Key("cif_kg_per_kwh", "float", "kgCO2e/kWh", "carbon intensity of the electricity", low=0),
    # Volume
    Key("queries", "int", "queries", "number of queries in the total", low=1),
    Key(
        "queries_per_day",
        "float",
        "queries/day",
        "query rate for per-day and per-year totals",
        low=0,
        low_open=True,
    ),
    # Open models, estimated from measured data (ML.ENERGY Benchmark v3)
    Key("params_b", "float", "billion", "total parameters of an open model", low=0, low_open=True),
    Key(
        "active_params_b",
        "float",
        "billion",
        "parameters active per token (MoE; default: all)",
        low=0,
        low_open=True,
    ),
    Key("experts", "int", "experts", "routed experts per MoE layer (E; config.json)", low=2),
    Key(
        "experts_per_token",
        "int",
        "experts",
        "routed experts each token picks (K of E; default: A/P)",
        low=1,
    ),
    Key(
        "data_parallel",
        "int",
        "ranks",
        "data-parallel attention ranks sharing the batch (default 1)",
        low=1,
    ),
    Key("precision", "str", "", "weight precision: bf16, fp16, fp8, int8, mxfp4, int4, fp32"),
    Key("calibrate", "str", "", "a measured report (ecoai profile) to calibrate this estimate by"),
    Key(
        "calibration_gpu_energy_per_token_j",
        "float",
        "J",
        "measured GPU energy per output token (set by a calibration)",
        low=0,
        low_open=True,
    ),
    Key(
        "calibration_time_per_token_s",
        "float",
        "s",
        "measured replica time per output token (set by a calibration)",
        low=0,
        low_open=True,
    ),
    Key("calibration_batch", "int", "requests", "batch of the calibration's run", low=1),
    # Open diffusion models (text-to-image, text-to-video), from the same measurements
    Key("pipeline", "str", "", "diffusion pipeline: text-to-image or text-to-video"),
    Key("steps", "int", "steps", "denoising (inference) steps per image or video", low=1),
    Key("width_px", "int", "px", "width of the image or video", low=1),
    Key("height_px", "int", "px", "height of the image or video", low=1),
    Key("frames", "int", "frames", "frames per video (text-to-video only)", low=1),
    Key(
        "vae_compression",
        "int",
        "px/latent px",
        "autoencoder's spatial compression (SANA's DC-AE 32; default 8)",
        low=1,
    ),
    Key(
        "vae_temporal_compression",
        "int",
        "frames/latent frame",
        "video autoencoder's temporal compression (default 4)",
        low=1,
    ),
    Key("patch_size", "int", "latent px", "transformer patch size (config.json; default 2)", low=1),
    Key(
        "guidance_passes",
        "int",
        "passes/step",
        "transformer passes per step (1 if guidance-distilled, as FLUX.1-dev; default 2)",
        low=1,
    ),
    Key("layers", "int", "blocks", "transformer blocks, double and single (config.json)", low=1),
    Key("hidden_size", "int", "", "transformer width: heads x head dim (config.json)", low=1),
    Key("attention", "str", "", "attention: softmax (default) or linear (SANA)"),
    Key(
        "non_gpu_w_per_gpu",
        "float",
        "W",
        "average non-GPU server power per GPU (CPU, memory, network, fans)",
        low=0,
    ),
    # Monte Carlo (presets with percentile data)
    Key("samples", "int", "draws", "Monte Carlo draws", low=2, high=1_000_000),
    Key("seed", "int", "", "Monte Carlo seed", low=0),
    Key("rho", "float", "", "TTFT-TPS correlation of the Gaussian copula", low=-1, high=1),
    # Embodied carbon (optional extra line)
    Key("embodied", "bool", "", "add the embodied (manufacturing) carbon line"),
    Key("embodied_gpu_kg", "float", "kgCO2e", "manufacturing emissions of one GPU", low=0),
    Key("embodied_gpu_kg_min", "float", "kgCO2e", "lowest published figure for one GPU", low=0),
    Key("embodied_gpu_kg_max", "float", "kgCO2e", "highest published figure for one GPU", low=0),
    Key(
        "embodied_server_kg",
        "float",
        "kgCO2e",
        "manufacturing emissions of the server, no GPUs",
        low=0,
    ),
    Key("embodied_server_kg_min", "float", "kgCO2e", "lowest published server figure", low=0),
    Key("embodied_server_kg_max", "float", "kgCO2e", "highest published server figure", low=0),
    Key("lifetime_years", "float", "years", "hardware life for amortisation", low=0, low_open=True),
)

BY_NAME: dict[str, Key] = {key.name: key for key in KEYS}

# The keys that turn measured IT energy into facility energy, water and carbon (profile, measure).
FOOTPRINT_KEYS: tuple[str, ...] = (
    "host",
    "grid",
    "pue",
    "wue_site_l_per_kwh",
    "wue_source_l_per_kwh",
    "cif_kg_per_kwh",
)


def coerce(key: Key, raw: Any, where: str) -> ParamValue:
    """Check ``raw`` against ``key``'s type and bounds; return the value in its canonical type.

    ``where`` is a flag (``--queries``) or ``FILE: key``; the hint's example is written the
    same way (``e.g. --queries 1000`` or ``e.g. queries = 1000``).
    """
    if key.kind == "str":
        if not isinstance(raw, str) or not raw.strip() or not raw.isprintable():
            raise InputError(
                f"{where}: must be a non-empty printable string", _example(key, where, '"..."')
            )
        return raw.strip()
    if key.kind == "bool":
        if not isinstance(raw, bool):
            raise InputError(f"{where}: must be true or false", _example(key, where, "true"))
        return raw
    if key.kind == "quantiles":
        return _quantiles(key, raw, where)
    number = _number(key, raw, where)
    if key.kind == "int":
        if isinstance(raw, int):
            return raw  # exact: a float would round 12345678901234567
        if number != int(number):
            raise InputError(f"{where}: must be a whole number, got {raw!r}", _example(key, where))
        return int(number)
    return number


def _quantiles(key: Key, raw: Any, where: str) -> list[float]:
    example = _example(key, where)
    if not isinstance(raw, list) or len(raw) != 5:
        raise InputError(f"{where}: must be a list of 5 numbers (P5, P25, P50, P75, P95)", example)
    values = [_number(key, item, f"{where}[{i}]") for i, item in enumerate(raw)]
    if any(later < earlier for earlier, later in itertools.pairwise(values)):
        shown = ", ".join(f"{v:g}" for v in values)
        raise InputError(
            f"{where}: percentiles must not decrease from P5 to P95, got {shown}",
            f"list them in order, {example}",
        )
    return values


def parse_number(key: Key, text: str, where: str) -> ParamValue:
    """The number a flag's ``text`` spells, for ``coerce``: an int kept exact for a count
    (``12345678901234567``, and ``1e6`` when integral), else a float (``nan`` included, which
    ``coerce`` refuses as not finite)."""
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(text.strip().replace("_", ""))
    except InvalidOperation:
        raise InputError(f"{where}: must be a number, got {text!r}", _example(key, where)) from None
    if key.kind == "int" and number.is_finite() and number == number.to_integral_value():
        return int(number)
    return float(number)


def _number(key: Key, raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(f"{where}: must be a number, got {raw!r}", _example(key, where))
    try:
        value = float(raw)
    except OverflowError:  # an integer beyond 1.8e308 (typed on the command line)
        value = math.inf
    if not math.isfinite(value):
        raise InputError(
            f"{where}: must be a finite number, got {raw!r}",
            f"NaN and infinity are not allowed; {_example(key, where)}",
        )
    check_bounds(key, value, where)
    return value


def check_bounds(key: Key, value: float, where: str) -> None:
    """Raise InputError if ``value`` is outside ``key``'s allowed range."""
    if key.low is not None and (value < key.low or (key.low_open and value == key.low)):
        op = ">" if key.low_open else ">="
        raise InputError(
            f"{where}: must be {op} {key.low:g}, got {value:g}", _unit_hint(key, where)
        )
    if key.high is not None and value > key.high:
        raise InputError(f"{where}: must be <= {key.high:g}, got {value:g}", _unit_hint(key, where))


# Typical values, for the examples in hints (the help text gives the meaning).
EXAMPLES: dict[str, str] = {
    "queries": "1000",
    "queries_per_day": "1000000",
    "input_tokens": "1000",
    "output_tokens": "500",
    "tps": "50",
    "ttft_s": "0.5",
    "duration_s": "10",
    "ttft_quantiles_s": "0.3,0.4,0.5,0.7,1.2",
    "tps_quantiles": "20,40,60,80,100",
    "gpu_count": "8",
    "gpus_per_node": "8",
    "batch_size": "8",
    "samples": "10000",
    "seed": "0",
    "p_gpu_kw": "5.6",
    "p_non_gpu_kw": "4.6",
    "it_energy_wh": "0.3",
    "facility_energy_wh": "0.35",
    "params_b": "8",
    "active_params_b": "3",
    "experts": "128",
    "experts_per_token": "8",
    "data_parallel": "1",
    "vae_compression": "8",
    "vae_temporal_compression": "4",
    "patch_size": "2",
    "guidance_passes": "2",
    "layers": "57",
    "hidden_size": "3072",
    "lifetime_years": "5",
    "gpu_memory_gb": "80",
}


def _example(key: Key, where: str, example: str | None = None) -> str:
    """``e.g. --queries 1000`` for a flag, ``e.g. queries = 1000`` for a file key."""
    shown = example or key.example or EXAMPLES.get(key.name) or _typical(key)
    if where.startswith("--"):
        return f"e.g. {where} {shown}"
    if key.kind == "quantiles":
        shown = f"[{shown.replace(',', ', ')}]"
    return f"e.g. {key.name} = {shown}"


def _typical(key: Key) -> str:
    """A value inside ``key``'s bounds: the low bound (plus one when open), or 1."""
    if key.kind == "int":
        return str(int(key.low) + (1 if key.low_open else 0)) if key.low is not None else "1"
    if key.high is not None and key.low is not None:
        return f"{(key.low + key.high) / 2:g}"
    return "1.0" if key.low is None else f"{key.low + 1:g}"


def _unit_hint(key: Key, where: str) -> str:
    if key.unit == "fraction":
        return f"{key.name} is a fraction between 0 and 1 (e.g. 0.05 for 5 %)"
    if key.name == "pue":
        return "PUE is facility energy / IT energy, so it is at least 1.0 (e.g. 1.12)"
    unit = f" ({key.unit})" if key.unit and key.unit not in key.help else ""
    return f"{key.help}{unit}: {_example(key, where)}"


def value(params: Mapping[str, Param], name: str) -> float:
    """The numeric value of a required resolved input, or an InputError naming how to supply it."""
    if name not in params:
        flag = BY_NAME[name].flag
        raise MissingInput(
            name,
            f"missing {name} ({BY_NAME[name].help})",
            f"pass {flag}, set it in the scenario file, or choose a preset",
        )
    raw = params[name].value
    assert isinstance(raw, int | float) and not isinstance(raw, bool)
    return float(raw)


def multipliers(params: Mapping[str, Param]) -> Multipliers:
    """The data-centre and grid factors (PUE, WUE, CIF) of resolved inputs, CIF in g/kWh.

    Shared by the estimate and the measurement: both turn IT energy into facility energy,
    water and carbon with them. Raises InputError naming a factor that is missing.
    """
    from ecoai.footprint import Multipliers  # the report model stays off the flag parser's path

    return Multipliers(
        pue=value(params, "pue"),
        wue_site_l_per_kwh=value(params, "wue_site_l_per_kwh"),
        wue_source_l_per_kwh=value(params, "wue_source_l_per_kwh"),
        cif_g_per_kwh=units.kg_to_g(value(params, "cif_kg_per_kwh")),
    )
