"""Schemas of the profile TOML files: one frozen dataclass per kind, unknown fields refused.

Each schema says in ``summary()`` what ``ecoai profiles list`` shows of an entry and in
``references()`` which other entries it names (the loader checks they exist). The kinds and
their schema names are registered in ``preset_kinds.py``.

Plain dataclasses, no pydantic (issue 16: the built-in profiles are read on every estimate,
trusted): a user's profile file is validated by pydantic (``ecoai.validation``) against these
same classes, their ``Rule`` constraints and their ``__post_init__`` checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import field
from typing import Annotated, Any, ClassVar, Literal

from ecoai.inputs.preset_kinds import PRESET_KINDS
from ecoai.models import Frozen, Rule

PromptClass = Literal["short", "medium", "long"]
PROMPT_CLASSES: tuple[str, ...] = ("short", "medium", "long")

NonNeg = Annotated[float, Rule(ge=0)]
Positive = Annotated[float, Rule(gt=0)]
Fraction = Annotated[float, Rule(ge=0)]


def _non_decreasing(values: list[float]) -> list[float]:
    """Percentiles P5 <= P25 <= P50 <= P75 <= P95 (a list out of order is a typo)."""
    if any(later < earlier for earlier, later in itertools.pairwise(values)):
        raise ValueError("percentiles must not decrease from P5 to P95")
    return values


Quantiles = Annotated[list[NonNeg], Rule(min_length=5, max_length=5, after=_non_decreasing)]
PositiveQuantiles = Annotated[
    list[Positive], Rule(min_length=5, max_length=5, after=_non_decreasing)
]
Text = Annotated[str, Rule(min_length=1)]


class Strict(Frozen):
    """Base of the entries' dataclasses: no NaN or infinity either, where pydantic validates."""

    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid", "allow_inf_nan": False}


class Entry(Strict):
    """Fields every profile entry has; ``id`` and ``origin`` are set by the loader."""

    id: str
    origin: str
    """'built-in', or 'user: <file>' when a user file supplied (or replaced) the entry."""
    name: str | None = None
    aliases: list[Text] = field(default_factory=list)
    note: str | None = None
    sources: Annotated[list[Text], Rule(min_length=1)]
    """The publications or datasheets behind every number of the entry."""

    @property
    def citation(self) -> str:
        return "; ".join(self.sources)

    def summary(self) -> str:
        """One line with the entry's key figures, units included (``ecoai profiles list``)."""
        raise NotImplementedError(f"{type(self).__name__} defines no summary()")

    def references(self) -> Iterator[tuple[str, str, str]]:
        """(field, target kind, id) for every other entry this one names; none by default."""
        yield from ()


class PromptPreset(Strict):
    """One prompt class of a model: tokens and the published TTFT / TPS percentiles."""

    input_tokens: Annotated[int, Rule(ge=0)]
    output_tokens: Positive
    ttft_quantiles_s: Quantiles
    """Time to first token at P5, P25, P50, P75, P95. Units: s."""
    tps_quantiles: PositiveQuantiles
    """Output tokens per second at P5, P25, P50, P75, P95. Units: tokens/s."""


class ModelEntry(Entry):
    api_id: str | None = None
    host: Text
    hardware: Text
    size_class: Text
    prompts: dict[PromptClass, PromptPreset] = field(default_factory=dict)
    skipped_prompts: dict[PromptClass, Text] = field(default_factory=dict)
    """Prompt classes the source does not publish, with the reason."""

    def __post_init__(self) -> None:
        both = sorted(set(self.prompts) & set(self.skipped_prompts))
        if both:
            raise ValueError(f"prompt class {both[0]!r} is both in prompts and skipped_prompts")

    def summary(self) -> str:
        prompts = "/".join(self.prompts) or "no prompt classes"
        return f"{self.host}, {self.hardware}, {self.size_class}; {prompts}"

    def references(self) -> Iterator[tuple[str, str, str]]:
        yield ("host", "hosts", self.host)
        yield ("hardware", "hardware", self.hardware)
        yield ("size_class", "size_classes", self.size_class)


class UVariant(Strict):
    """Published utilisation of a size class on some nodes at one batch size."""

    hardware: Annotated[list[Text], Rule(min_length=1)]
    batch_size: Annotated[int, Rule(ge=1)]
    d_gpu_min: Fraction
    d_gpu_max: Fraction
    d_non_gpu: Fraction
    u_gpu_min: Annotated[float, Rule(ge=0, le=1)]
    u_gpu_max: Annotated[float, Rule(ge=0, le=1)]
    u_non_gpu: Annotated[float, Rule(ge=0, le=1)]
    sources: Annotated[list[Text], Rule(min_length=1)]


class SizeClassEntry(Entry):
    gpu_count: Annotated[int, Rule(ge=1)]
    variants: Annotated[list[UVariant], Rule(min_length=1)]

    def summary(self) -> str:
        v = self.variants[0]
        return (f"{self.gpu_count} GPU(s); U_GPU {v.u_gpu_min:g}-{v.u_gpu_max:g}, "
                f"U_nonGPU {v.u_non_gpu:g} ({v.hardware[0]}, B={v.batch_size})")  # fmt: skip

    def references(self) -> Iterator[tuple[str, str, str]]:
        for i, variant in enumerate(self.variants):
            yield from ((f"variants.{i}.hardware", "hardware", hw) for hw in variant.hardware)


class HardwareEntry(Entry):
    """A GPU (``type = "gpu"``: its TDP) or a node (``type = "node"``: its power split)."""

    type: Literal["gpu", "node"]
    tdp_w: Positive | None = None
    idle_w: NonNeg | None = None
    memory_gb: Positive | None = None
    """A GPU's memory (HBM or GDDR). Units: GB."""
    memory_bandwidth_tb_s: Positive | None = None
    """A GPU's peak memory bandwidth. Units: TB/s."""
    embodied_kg: NonNeg | None = None
    """Manufacturing emissions of one GPU (the central figure). Units: kgCO2e."""
    embodied_kg_min: NonNeg | None = None
    embodied_kg_max: NonNeg | None = None
    """The range of published figures where sources disagree. Units: kgCO2e."""
    gpu: str | None = None
    """A node's GPU (a hardware id of kind gpu)."""
    gpus_per_node: Annotated[int, Rule(ge=1)] | None = None
    node_power_kw: Positive | None = None
    p_gpu_kw: Positive | None = None
    p_non_gpu_kw: NonNeg | None = None
    embodied_server_kg: NonNeg | None = None
    """Manufacturing emissions of the server without its GPUs (central figure). Units: kgCO2e."""
    embodied_server_kg_min: NonNeg | None = None
    embodied_server_kg_max: NonNeg | None = None
    """The range of published figures where sources disagree. Units: kgCO2e."""
    lifetime_years: Positive | None = None

    def __post_init__(self) -> None:
        needed = (
            ("tdp_w",)
            if self.type == "gpu"
            else ("gpu", "gpus_per_node", "p_gpu_kw", "p_non_gpu_kw")
        )
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.type} needs {', '.join(missing)}")
        for name in ("embodied_kg", "embodied_server_kg"):
            _check_range(name, getattr(self, name), *self._range(name))

    def summary(self) -> str:
        if self.type == "gpu":
            return f"GPU, TDP {self.tdp_w:g} W"
        return (f"{self.gpus_per_node} x {self.gpu}, P_GPU {self.p_gpu_kw:g} kW + "
                f"P_nonGPU {self.p_non_gpu_kw:g} kW")  # fmt: skip

    def references(self) -> Iterator[tuple[str, str, str]]:
        if self.gpu is not None:  # the loader also checks that it is of type gpu
            yield ("gpu", "hardware", self.gpu)

    def _range(self, name: str) -> tuple[float | None, float | None]:
        return getattr(self, name + "_min"), getattr(self, name + "_max")


def _check_range(name: str, central: float | None, low: float | None, high: float | None) -> None:
    """A range needs its central figure and must hold it: low <= central <= high."""
    if (low is not None or high is not None) and central is None:
        raise ValueError(f"{name}_min/{name}_max need {name}")
    if central is not None and low is not None and low > central:
        raise ValueError(f"{name}_min ({low:g}) is above {name} ({central:g})")
    if central is not None and high is not None and high < central:
        raise ValueError(f"{name}_max ({high:g}) is below {name} ({central:g})")


class HostEntry(Entry):
    basis: Literal["computation", "table1", "location", "provider", "user"] = "user"
    """computation / table1: Jegham et al.'s values; location: Li et al.'s; provider: the
    operator's own published figures; user: a user's profile."""
    pue: Annotated[float, Rule(ge=1)]
    wue_site_l_per_kwh: NonNeg
    wue_source_l_per_kwh: NonNeg
    cif_kg_per_kwh: NonNeg | None = None
    grid: str | None = None
    """Grid id whose carbon intensity applies when the host gives none."""

    def __post_init__(self) -> None:
        if self.cif_kg_per_kwh is None and self.grid is None:
            raise ValueError("a host needs cif_kg_per_kwh or grid")

    def summary(self) -> str:
        cif = f"{self.cif_kg_per_kwh:g} kg/kWh" if self.cif_kg_per_kwh is not None else self.grid
        return (f"PUE {self.pue:g}, WUE site {self.wue_site_l_per_kwh:g} / source "
                f"{self.wue_source_l_per_kwh:g} L/kWh, CIF {cif}")  # fmt: skip

    def references(self) -> Iterator[tuple[str, str, str]]:
        if self.grid is not None:
            yield ("grid", "grids", self.grid)


class GridEntry(Entry):
    cif_g_per_kwh: NonNeg
    """Location-based annual average carbon intensity. Units: gCO2e/kWh."""
    year: Annotated[int, Rule(ge=1990, le=2100)]
    fallback: bool = False

    def summary(self) -> str:
        tail = ", fallback" if self.fallback else ""
        return f"{self.cif_g_per_kwh:g} gCO2e/kWh ({self.year}{tail})"


class TaskEntry(Entry):
    it_energy_kwh_per_1000_mean: NonNeg
    it_energy_kwh_per_1000_std: NonNeg | None = None

    def summary(self) -> str:
        std = self.it_energy_kwh_per_1000_std
        return f"{self.it_energy_kwh_per_1000_mean:g} kWh / 1,000 inferences" + (
            f" (std {std:g})" if std is not None else ""
        )


class CpuEntry(Entry):
    match: Annotated[list[Text], Rule(min_length=1)]
    """Substrings of /proc/cpuinfo's "model name" that identify this CPU."""
    tdp_w: Positive
    cores: Annotated[int, Rule(ge=1)] | None = None
    """Physical cores per package (socket)."""
    threads_per_package: Annotated[int, Rule(ge=1)] | None = None
    """Logical CPUs (hardware threads) per package: a VM seeing N of them is charged
    TDP x N / threads_per_package."""

    def __post_init__(self) -> None:
        if self.cores and self.threads_per_package and self.threads_per_package < self.cores:
            raise ValueError("threads_per_package is below cores")

    def summary(self) -> str:
        return f"TDP {self.tdp_w:g} W; matches {', '.join(self.match)}"


class CalibrationEntry(Entry):
    """An open LLM measured on the user's own GPUs (``ecoai calibrate``): estimates of the same
    model, GPU, GPU count and precision use it in preference to the ML.ENERGY data."""

    hardware: Text
    """The GPU's hardware id."""
    gpu_count: Annotated[int, Rule(ge=1)]
    model: str | None = None
    params_b: Positive
    active_params_b: Positive
    precision: Text
    batch_size: Annotated[int, Rule(ge=1)]
    """Concurrent requests while measured."""
    output_tokens: Positive
    """Output tokens of one measured run (mean over runs)."""
    gpu_energy_per_token_j: Positive
    """Measured GPU energy per output token, all GPUs, IT side. Units: J."""
    time_per_token_s: Positive
    """Run time per output token of the replica (1 / throughput). Units: s."""
    uncalibrated_ratio: Positive | None = None
    """The data's estimate over the measurement at this configuration."""

    def summary(self) -> str:
        what = self.model or f"{self.params_b:g} B ({self.active_params_b:g} B active)"
        return (
            f"{what}, {self.precision} on {self.gpu_count} x {self.hardware}, "
            f"B={self.batch_size}: {self.gpu_energy_per_token_j:.3g} J/token measured"
        )

    def references(self) -> Iterator[tuple[str, str, str]]:
        yield ("hardware", "hardware", self.hardware)


def _schemas() -> dict[str, type[Entry]]:
    classes = {cls.__name__: cls for cls in Entry.__subclasses__()}
    missing = [kind.schema for kind in PRESET_KINDS if kind.schema not in classes]
    if missing:
        raise TypeError(f"preset_kinds.py names schemas catalog_schema.py lacks: {missing}")
    return {kind.table: classes[kind.schema] for kind in PRESET_KINDS}


SCHEMAS: dict[str, type[Entry]] = _schemas()
"""Profile kinds (``preset_kinds.PRESET_KINDS`` order): the top-level table of a profile file,
and the schema of its entries."""
