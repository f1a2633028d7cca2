"""Schemas of the profile TOML files: one frozen pydantic model per kind, unknown fields refused."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PromptClass = Literal["short", "medium", "long"]
PROMPT_CLASSES: tuple[str, ...] = ("short", "medium", "long")

NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0)]
Quantiles = Annotated[list[NonNeg], Field(min_length=5, max_length=5)]
PositiveQuantiles = Annotated[list[Positive], Field(min_length=5, max_length=5)]
Text = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Entry(Strict):
    """Fields every profile entry has; ``id`` and ``origin`` are set by the loader."""

    id: str
    origin: str
    """'built-in', or 'user: <file>' when a user file supplied (or replaced) the entry."""
    name: str | None = None
    aliases: list[Text] = []
    note: str | None = None
    sources: Annotated[list[Text], Field(min_length=1)]
    """The publications or datasheets behind every number of the entry."""

    @property
    def citation(self) -> str:
        return "; ".join(self.sources)


class PromptPreset(Strict):
    """One prompt class of a model: tokens and the published TTFT / TPS percentiles."""

    input_tokens: Annotated[int, Field(ge=0)]
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
    prompts: dict[PromptClass, PromptPreset] = {}
    skipped_prompts: dict[PromptClass, Text] = {}
    """Prompt classes the source does not publish, with the reason."""

    @model_validator(mode="after")
    def _prompts_disjoint(self) -> ModelEntry:
        both = sorted(set(self.prompts) & set(self.skipped_prompts))
        if both:
            raise ValueError(f"prompt class {both[0]!r} is both in prompts and skipped_prompts")
        return self


class UVariant(Strict):
    """Published utilisation of a size class on some nodes at one batch size."""

    hardware: Annotated[list[Text], Field(min_length=1)]
    batch_size: Annotated[int, Field(ge=1)]
    d_gpu_min: Fraction
    d_gpu_max: Fraction
    d_non_gpu: Fraction
    u_gpu_min: Annotated[float, Field(ge=0, le=1)]
    u_gpu_max: Annotated[float, Field(ge=0, le=1)]
    u_non_gpu: Annotated[float, Field(ge=0, le=1)]
    sources: Annotated[list[Text], Field(min_length=1)]


class SizeClassEntry(Entry):
    gpu_count: Annotated[int, Field(ge=1)]
    variants: Annotated[list[UVariant], Field(min_length=1)]


class HardwareEntry(Entry):
    """A GPU (``type = "gpu"``: its TDP) or a node (``type = "node"``: its power split)."""

    type: Literal["gpu", "node"]
    tdp_w: Positive | None = None
    idle_w: NonNeg | None = None
    embodied_kg: NonNeg | None = None
    """Manufacturing emissions of one GPU. Units: kgCO2e."""
    gpu: str | None = None
    """A node's GPU (a hardware id of kind gpu)."""
    gpus_per_node: Annotated[int, Field(ge=1)] | None = None
    node_power_kw: Positive | None = None
    p_gpu_kw: Positive | None = None
    p_non_gpu_kw: NonNeg | None = None
    embodied_server_kg: NonNeg | None = None
    """Manufacturing emissions of the server without its GPUs. Units: kgCO2e."""
    lifetime_years: Positive | None = None

    @model_validator(mode="after")
    def _fields_of_kind(self) -> HardwareEntry:
        needed = (
            ("tdp_w",)
            if self.type == "gpu"
            else ("gpu", "gpus_per_node", "p_gpu_kw", "p_non_gpu_kw")
        )
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.type} needs {', '.join(missing)}")
        return self


class HostEntry(Entry):
    basis: Literal["computation", "table1", "location", "user"] = "user"
    pue: Annotated[float, Field(ge=1)]
    wue_site_l_per_kwh: NonNeg
    wue_source_l_per_kwh: NonNeg
    cif_kg_per_kwh: NonNeg | None = None
    grid: str | None = None
    """Grid id whose carbon intensity applies when the host gives none."""

    @model_validator(mode="after")
    def _has_carbon(self) -> HostEntry:
        if self.cif_kg_per_kwh is None and self.grid is None:
            raise ValueError("a host needs cif_kg_per_kwh or grid")
        return self


class GridEntry(Entry):
    cif_g_per_kwh: NonNeg
    """Location-based annual average carbon intensity. Units: gCO2e/kWh."""
    year: Annotated[int, Field(ge=1990, le=2100)]
    fallback: bool = False


class TaskEntry(Entry):
    it_energy_kwh_per_1000_mean: NonNeg
    it_energy_kwh_per_1000_std: NonNeg | None = None


class CpuEntry(Entry):
    match: Annotated[list[Text], Field(min_length=1)]
    """Substrings of /proc/cpuinfo's "model name" that identify this CPU."""
    tdp_w: Positive
    cores: Annotated[int, Field(ge=1)] | None = None
    """Physical cores per package (socket)."""
    threads_per_package: Annotated[int, Field(ge=1)] | None = None
    """Logical CPUs (hardware threads) per package: a VM seeing N of them is charged
    TDP x N / threads_per_package."""

    @model_validator(mode="after")
    def _threads_cover_cores(self) -> CpuEntry:
        if self.cores and self.threads_per_package and self.threads_per_package < self.cores:
            raise ValueError("threads_per_package is below cores")
        return self


SCHEMAS: dict[str, type[Entry]] = {
    "models": ModelEntry,
    "size_classes": SizeClassEntry,
    "hardware": HardwareEntry,
    "hosts": HostEntry,
    "grids": GridEntry,
    "tasks": TaskEntry,
    "cpus": CpuEntry,
}
"""Profile kinds: the top-level table of a profile file, and the schema of its entries."""
