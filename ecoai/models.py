"""The report model: the JSON contract that estimate and profile write and compare reads.

Every numeric field carries its unit in its name. ``Report.schema_version`` is bumped on any
incompatible change; ``ecoai schema`` prints the JSON Schema.

Plain frozen dataclasses: importing this module imports no pydantic (issue 16: start-up), and
ecoai builds its own reports with ``Frozen.trusted``. Everything read from outside is validated
by pydantic against these same classes (``ecoai.validation``: ``TypeAdapter`` reads the
dataclasses, ``__pydantic_config__`` and the fields' ``metadata``), which also gives the JSON
Schema; ``ecoai.render.json`` writes a report ecoai built itself with the standard library.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    Self,
    TypeVar,
    dataclass_transform,
    get_args,
    get_origin,
)

SCHEMA_VERSION = 1

# --- Vocabulary: each literal written once, imported everywhere it is used ---

Component = Literal["gpu", "cpu", "dram"]
"""What a sensor measures: one GPU, the CPU packages, or the DRAM."""
COMPONENTS: tuple[Component, ...] = get_args(Component)
"""The components in display order (GPU first)."""
SensorMethod = Literal["counter", "power", "model"]
"""counter: a hardware energy counter; power: integrated power readings; model: an estimate."""
SensorScope = Literal["device", "machine", "cgroup"]
"""What one sensor covers. device: one GPU; machine: a whole CPU package, all DRAM, or every CPU;
cgroup: the CPUs a container's cgroup may use (the CPU model inside a container)."""
AttributionScope = Literal["process-tree", "machine"]
"""Which measured energy a footprint uses: the share of the command's process tree, or the
whole machine (the ``--scope`` option of the profile command)."""
ATTRIBUTION_SCOPES: tuple[AttributionScope, ...] = get_args(AttributionScope)
FigureScope = Literal["per_query", "total", "per_1k_output_tokens"]
"""Which footprint of a report a comparison row or a gate reads (``Report.per_query``/``total``;
``per_1k_output_tokens``: a measured report's per 1,000 output tokens, an estimate's per query
scaled by its output tokens)."""
FIGURE_SCOPES: tuple[FigureScope, ...] = get_args(FigureScope)
GateKind = Literal["max_increase", "budget"]
"""max_increase: a % over the baseline (``--max-increase``); budget: an absolute limit
(``--budget``)."""
GATE_KINDS: tuple[GateKind, ...] = get_args(GateKind)
ReportKind = Literal["estimate", "measured", "merged"]
"""Which command made a report: estimate, profile (``kind`` measured) or merge."""

ParamValue = float | int | str | bool | list[float]
M = TypeVar("M", bound="Frozen")


_MISSING: Any = object()
"""A required field not given (in ``Frozen._defaults``)."""


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field,))
class Frozen:
    """Base of ecoai's immutable models: keyword-only dataclasses whose values never change.

    A subclass declares its fields as a dataclass does (``field(default_factory=list)``,
    ``field(metadata=...)`` for pydantic ``Field`` arguments) and is made a dataclass when it
    is defined, but shares this base's ``__init__``, ``__eq__``, ``__repr__`` and
    ``__setattr__`` instead of having its own generated and compiled: that took as long as
    pydantic did at start-up (about 30 ms for the report model's 20 classes).

    Unknown fields are an error where pydantic validates them (``__pydantic_config__``, read
    by ``ecoai.validation``); constructing one directly, or with ``trusted``, validates nothing:
    that is for values ecoai computed itself. Everything read from outside (reports, profile
    files) goes through ``ecoai.validation.validate``.
    """

    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
    """pydantic's ``ConfigDict`` for these classes (a plain dict: no pydantic import here)."""
    _defaults: ClassVar[dict[str, Any]]
    """Every field in order, with its default (``_MISSING``: required; a factory's: its
    ``field``, replaced by a call to the factory)."""
    _required: ClassVar[tuple[str, ...]]
    _factories: ClassVar[tuple[tuple[str, Callable[[], Any]], ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(cls, init=False, repr=False, eq=False, match_args=False)  # fields only
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        cls._defaults = {
            each.name: _MISSING
            if each.default is dataclasses.MISSING and each.default_factory is dataclasses.MISSING
            else each.default
            if each.default_factory is dataclasses.MISSING
            else each
            for each in fields
        }
        cls._required = tuple(k for k, v in cls._defaults.items() if v is _MISSING)
        cls._factories = tuple(
            (each.name, each.default_factory)
            for each in fields
            if each.default_factory is not dataclasses.MISSING
        )

    def __init__(self, **values: Any) -> None:
        cls = type(self)
        found = {**cls._defaults, **values}  # in field order, whatever the order given
        if len(found) != len(cls._defaults):
            unknown = ", ".join(sorted(set(values) - set(cls._defaults)))
            raise TypeError(f"{cls.__name__}() got unexpected keyword argument(s): {unknown}")
        for name, factory in cls._factories:
            if name not in values:
                found[name] = factory()
        for name in cls._required:
            if found[name] is _MISSING:
                raise TypeError(f"{cls.__name__}() missing keyword argument: {name!r}")
        object.__setattr__(self, "__dict__", found)
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{type(self).__qualname__}({shown})"

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """An instance from values ecoai computed or already validated: no validation.

        Converts as validation would where the values allow it (an int in a float field
        becomes a float, a tuple in a list field a list, a dict in a model field that model),
        so the instance equals the validated one (tested on every preset and golden report).
        Never for values from a file, a flag or the environment: use
        ``ecoai.validation.validate``.
        """
        return trusted(cls, values)


class Rule:
    """``Annotated`` metadata: constraints on a value, checked where pydantic validates it.

    ``constraints`` are pydantic ``Field`` arguments (``ge=0``, ``min_length=1``: they also go
    into the JSON Schema), ``after`` a check on the validated value that raises ValueError.
    Nothing is imported or built until pydantic builds a schema of the class, so the class
    itself stays free of pydantic. One ``Rule`` per ``Annotated``.
    """

    __slots__ = ("after", "constraints")

    def __init__(self, after: Callable[[Any], Any] | None = None, **constraints: Any) -> None:
        self.after = after
        self.constraints = constraints

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        """pydantic's hook: ``source`` annotated with the equivalent ``Field`` and validator."""
        from pydantic import AfterValidator, Field

        metadata: list[Any] = [Field(**self.constraints)]
        if self.after is not None:
            metadata.append(AfterValidator(self.after))
        return handler.generate_schema(Annotated[(source, *metadata)])


class Source(Frozen):
    """Where a resolved input came from."""

    kind: Literal["flag", "file", "profile", "default", "derived", "measured", "env"]
    ref: str | None = None
    """The file path, profile id (``hosts.azure``) or flag name that supplied the value."""
    citation: str | None = None
    """The publication or datasheet behind a profile value."""


class Param(Frozen):
    """One resolved input value with its provenance."""

    value: ParamValue
    source: Source


class Stat(Frozen):
    """A quantity known as a range: the expected value with its min and max (and spread).

    For a point estimate ``mean`` is the expected value (w_max-weighted), ``min``/``max`` the
    low/high utilisation bounds. For a Monte Carlo estimate ``mean``/``std`` are over the draws
    of the expected value, ``min``/``max`` the means of the low/high bounds, ``p5``/``p95`` the
    percentiles of the expected value.
    """

    mean: float
    min: float
    max: float
    std: float | None = None
    p5: float | None = None
    p95: float | None = None

    def scaled(self, factor: float) -> Stat:
        """Return this range multiplied by ``factor`` (std too: the uncertainty is systematic)."""

        def mul(value: float | None) -> float | None:
            return None if value is None else value * factor

        return Stat.trusted(
            mean=self.mean * factor,
            min=self.min * factor,
            max=self.max * factor,
            std=mul(self.std),
            p5=mul(self.p5),
            p95=mul(self.p95),
        )

    @classmethod
    def point(cls, value: float) -> Stat:
        """A value known exactly (a measurement): min = mean = max."""
        return cls.trusted(mean=value, min=value, max=value)


class WaterStat(Stat):
    """Water consumption, with its on-site (cooling) and off-site (electricity) parts."""

    site: Stat
    source: Stat

    def scaled(self, factor: float) -> WaterStat:
        base = Stat.scaled(self, factor)
        return WaterStat.trusted(
            **base.__dict__, site=self.site.scaled(factor), source=self.source.scaled(factor)
        )


class Footprint(Frozen):
    """Energy, water and carbon of one unit of work (a query, a run, a day)."""

    energy_wh: Stat
    """Facility energy (IT energy x PUE). Units: Wh."""
    it_energy_wh: Stat
    """Energy drawn by the IT equipment (GPU, CPU, DRAM, rest of node). Units: Wh."""
    water_ml: WaterStat
    """Water consumed: on-site cooling + off-site electricity generation. Units: mL."""
    carbon_g: Stat
    """Operational emissions, location-based. Units: gCO2e."""
    embodied_carbon_g: Stat | None = None
    """Manufacturing emissions amortised over the hardware's life, never in carbon_g. Units: g."""

    def scaled(self, factor: float) -> Footprint:
        """Return this footprint multiplied by ``factor`` (e.g. the number of queries)."""
        return Footprint.trusted(
            energy_wh=self.energy_wh.scaled(factor),
            it_energy_wh=self.it_energy_wh.scaled(factor),
            water_ml=self.water_ml.scaled(factor),
            carbon_g=self.carbon_g.scaled(factor),
            embodied_carbon_g=(
                None if self.embodied_carbon_g is None else self.embodied_carbon_g.scaled(factor)
            ),
        )


class Method(Frozen):
    """How the figures were obtained."""

    statistic: Literal[
        "point", "monte-carlo", "measured", "direct-energy", "task", "merged", "open-model"
    ]
    samples: int | None = None
    seed: int | None = None
    rho: float | None = None
    w_max: float | None = None
    description: str = ""


# --- Measurement section (filled by `ecoai profile`; owned by the profile code) ---


class SensorInfo(Frozen):
    """A sensor used: what it reads, how, over what scope, and what it assumes."""

    name: str
    component: Component
    method: SensorMethod
    """counter: hardware energy counter; power: integrated power; model: an estimate."""
    scope: SensorScope
    facts: dict[str, str] = field(default_factory=dict)
    """Device name, UUID, driver, zone, CPU model name ..."""
    assumptions: list[str] = field(default_factory=list)


class SensorSkip(Frozen):
    """A sensor or zone not used, with the reason."""

    name: str
    reason: str


class SensorEnergy(Frozen):
    """One sensor's energy over one run. Units: J, W."""

    name: str
    component: Component
    energy_j: float
    """The whole device or machine."""
    attributed_energy_j: float
    """The share attributed to the command's process tree."""
    above_idle_energy_j: float | None = None
    """energy_j minus the idle baseline power x duration (with --baseline-s)."""
    baseline_power_w: float | None = None
    peak_power_w: float | None = None
    samples: int
    read_errors: int
    last_error: str | None = None


class GapInfo(Frozen):
    """An interval without readings much longer than the sampling interval. Units: s."""

    start_s: float
    duration_s: float


class PhaseEnergy(Frozen):
    """One phase of one run: windows ended, time inside and IT energy inside. Units: s, J."""

    name: str
    windows: int
    duration_s: float
    energy_j: float
    """IT energy inside the phase's windows (attributed like the run's, by sensor)."""


class RunWork(Frozen):
    """What the command reported about one run through its event file (ECOAI_EVENTS)."""

    queries: int
    input_tokens: int
    output_tokens: int
    events: int
    malformed_events: int = 0
    malformed_examples: list[str] = field(default_factory=list)
    phases: list[PhaseEnergy] = field(default_factory=list)
    any_phase_energy_j: float = 0.0
    """IT energy while at least one phase was open. Units: J."""
    any_phase_duration_s: float = 0.0
    unclosed_phases: list[str] = field(default_factory=list)
    """Phases still open when the command ended (closed there)."""
    unmatched_phase_ends: int = 0
    dropped_phases: int = 0
    """Phase edges whose name came after the first 100 names: not tallied."""
    early_events: int = 0
    """Events stamped before the run started (a monotonic clock?): applied at its start."""
    future_events: int = 0
    """Events stamped over 60 s ahead of when they were read (milliseconds?): applied then."""
    first_query_s: float | None = None
    """When the first query event came, from the run's start. Units: s."""
    last_query_s: float | None = None
    """When the last query event came, from the run's start. Units: s."""
    serving_queries: int | None = None
    """Queries reported after the first query event, up to the last (the serving window's)."""
    serving_output_tokens: int | None = None
    serving_input_tokens: int | None = None
    """Prompt tokens reported after the first query event, up to the last."""
    serving_energy_j: float | None = None
    """IT energy from the first to the last query event (attributed like the run's)."""
    startup_energy_j: float | None = None
    """IT energy from the run's start to the first query event (loading, warm-up)."""
    counted_from: Literal["events", "server"] = "events"
    """Where the queries and tokens came from: the event file (ECOAI_EVENTS, ecoai.track) or a
    model server's Prometheus counters (--serve-metrics)."""
    output_tokens_per_request: dict[str, float] = field(default_factory=dict)
    """Quantiles (p50, p90, p99) of generated tokens per request in the serving window, from
    the server's histogram of them (empty: the server exposes none)."""


class PhaseFootprint(Frozen):
    """A phase's share of the footprint (mean over runs). Units: s, J."""

    name: str
    windows: float
    duration_s: float
    it_energy_j: float
    share: float
    """Of the run's IT energy, within [0, 1]."""
    footprint: Footprint


class Workload(Frozen):
    """Per-query, per-token and per-phase figures of a measured run (mean over runs)."""

    queries_from: Literal["events", "flag", "server"]
    """Whether the queries were counted from the event file, given by --queries, or counted
    from a model server's metrics (--serve-metrics)."""
    queries: float
    input_tokens: float | None = None
    output_tokens: float | None = None
    queries_per_s: float | None = None
    output_tokens_per_s: float | None = None
    per_1k_output_tokens: Footprint | None = None
    phases: list[PhaseFootprint] = field(default_factory=list)
    outside_phases: PhaseFootprint | None = None
    """Energy while no phase was open (start-up before the first event, gaps)."""
    serving_s: float | None = None
    """The serving window: first to last query event (mean over runs). Units: s."""
    serving_queries: float | None = None
    """Queries completed inside the serving window (those after the first query event)."""
    serving_queries_per_s: float | None = None
    serving_output_tokens_per_s: float | None = None
    serving_per_query: Footprint | None = None
    """Per query over the serving window only: start-up and shut-down excluded."""
    serving_per_1k_output_tokens: Footprint | None = None
    startup: PhaseFootprint | None = None
    """From the run's start to the first query event (model loading, warm-up), on its own."""
    idle: PhaseFootprint | None = None
    """From the last query event to the run's end (serving nothing: drained, idle, shutting
    down), on its own: the run's energy less start-up and the serving window."""
    serving_per_request: dict[str, Footprint] = field(default_factory=dict)
    """Per-request quantiles (p50, p90, p99) under batching: the serving window's energy split
    across requests by their tokens, an output token weighing 1 and a prompt token
    ``prompt_token_weight`` (a request's share = (its output tokens + weight x its prompt
    tokens) / the same over the window). The output-token quantiles come from the server's
    histogram; prompt tokens enter at the window's mean per request. Their mean is
    ``serving_per_query``."""
    prompt_token_weight: float | None = None
    """The cost of a prompt (prefill) token relative to an output (decode) token used for the
    per-request split; its source is ``per_request_split``."""
    per_request_split: str | None = None
    """How the serving window's energy was split across requests, with the weight's source."""


class RunMeasurement(Frozen):
    """One run of the command: how it ended and what it drew. Units: s, J."""

    exit_status: int
    returncode: int | None = None
    signal: int | None = None
    interrupted: bool = False
    error: str | None = None
    duration_s: float
    energy_j: float
    """IT energy of the whole devices and machine."""
    attributed_energy_j: float
    """IT energy attributed to the command's process tree."""
    above_idle_energy_j: float | None = None
    child_cpu_s: float
    machine_busy_cpu_s: float | None = None
    cpu_share: float | None = None
    """child_cpu_s / machine_busy_cpu_s: the share of CPU energy attributed."""
    cpu_time_method: Literal["cgroup", "subreaper", "rusage"] | None = None
    """How child_cpu_s was counted: cgroup (the run's own cgroup v2 cpu.stat, every
    descendant), subreaper (adopted orphans reaped, live descendants read from /proc), or
    rusage (only descendants that were waited for). None in reports before this field."""
    memory_share: float | None = None
    """The process tree's share of memory in use (summed RSS / memory in use, 0 to 1): the
    share of DRAM energy attributed. None: not sampled (DRAM then goes by cpu_share)."""
    gpu_share: dict[str, float] = field(default_factory=dict)
    """Per shared GPU: the process tree's share of its per-process SM utilisation samples."""
    gpu_shared: list[str] = field(default_factory=list)
    """GPUs on which processes outside the command's tree were seen."""
    sensors: list[SensorEnergy]
    samples: int
    read_errors: int
    gap_count: int = 0
    gap_s: float = 0.0
    gaps: list[GapInfo] = field(default_factory=list)
    """The first gaps (at most 100)."""
    overhead_cpu_s: float
    """CPU time of ecoai's sampler thread."""
    timeline: list[tuple[float, float]] = field(default_factory=list)
    """(seconds since start, total power W), downsampled to at most 256 points."""
    work: RunWork | None = None


class HostInfo(Frozen):
    """The machine the command ran on."""

    hostname: str
    platform: str
    cpu_model: str | None = None
    logical_cpus: int | None = None
    memory_gb: float | None = None
    rank: int | None = None
    local_rank: int | None = None
    cgroup: str | None = None
    """The cgroup ecoai ran in (/proc/self/cgroup: the v2 path, else v1's memory controller's);
    "/" inside a container with its own cgroup namespace. None where there is no cgroup."""
    container: dict[str, str] = field(default_factory=dict)
    """Container and pod labels where the environment or the cgroup path exposes them: runtime,
    container_id, pod_uid (from the cgroup path), pod, namespace, node, container (from the
    downward API's conventional POD_NAME, POD_NAMESPACE, NODE_NAME, CONTAINER_NAME variables;
    pod from HOSTNAME in Kubernetes when POD_NAME is unset), orchestrator."""


class Measurement(Frozen):
    """What `ecoai profile` measured: the sensors, the runs, and how each was attributed."""

    command: list[str]
    scope: AttributionScope
    """Which energy the footprint uses: attributed to the process tree, or the whole machine."""
    interval_s: float
    baseline_s: float = 0.0
    host: HostInfo
    sensors: list[SensorInfo]
    skipped: list[SensorSkip] = field(default_factory=list)
    runs: list[RunMeasurement]
    exit_status: int
    """What ecoai exited with: the last run's status (the first failing one with --repeat)."""
    workload: Workload | None = None


# --- end of the measurement section ---


class Report(Frozen):
    """The one result model: written by estimate and profile, read by compare and merge."""

    schema_version: int = field(
        default=SCHEMA_VERSION, metadata={"strict": True}
    )  # `true` is not 1
    kind: ReportKind
    ecoai_version: str
    created_at: datetime
    label: str | None = None
    method: Method
    inputs: dict[str, Param] = field(default_factory=dict)
    """Every resolved input with its provenance, keyed by scenario key."""
    intermediate: dict[str, float] = field(default_factory=dict)
    """Intermediate values of the formula (duration_s, it_power_w_min, ...), units in the keys."""
    queries: int | None = None
    per_query: Footprint | None = None
    total: Footprint | None = None
    per_day: Footprint | None = None
    per_year: Footprint | None = None
    measurement: Measurement | None = None
    runs: list[Footprint] | None = None
    """Per-run totals when a measurement was repeated (``profile --repeat``)."""
    notes: list[str] = field(default_factory=list)
    """Warnings and fallbacks the reader should know about."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Room for additions that do not change the contract (equivalences, ...)."""


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """``cls`` from ``values`` without validation (see ``Frozen.trusted``): also for the
    built-in profiles' entries, whose files a test validates (``inputs.catalog``)."""
    converters = _converters(cls)
    return cls(
        **{
            name: value if (convert := converters.get(name)) is None else convert(value)
            for name, value in values.items()
        }
    )


Convert = Callable[[Any], Any]

_CONVERTERS: dict[type[Frozen], dict[str, Convert]] = {}


def _converters(cls: type[Frozen]) -> dict[str, Convert]:
    """Per field of ``cls``: what turns a computed value into the validated one (None: as is)."""
    found = _CONVERTERS.get(cls)
    if found is None:
        found = {}
        hints = typing.get_type_hints(cls)
        for each in dataclasses.fields(cls):  # type: ignore[arg-type]
            convert = _converter(hints[each.name])
            if convert is not None:
                found[each.name] = convert
        _CONVERTERS[cls] = found
    return found


def _to_float(value: Any) -> Any:
    return float(value) if type(value) is int or type(value) is bool else value


def _converter(annotation: Any) -> Convert | None:
    """How validation in lax mode changes a well-typed value of ``annotation``; None: never."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _converter(args[0])
    if annotation is float:
        return _to_float
    if isinstance(annotation, type) and issubclass(annotation, Frozen):
        model = annotation
        return lambda value: trusted(model, value) if isinstance(value, dict) else value
    if origin is list:
        item = _converter(args[0])
        if item is None:
            return list  # a copy, as validation makes
        each: Convert = item
        return lambda value: [each(v) for v in value]
    if origin is tuple and args and args[-1] is not Ellipsis:
        items = [_converter(arg) or (lambda v: v) for arg in args]
        return lambda value: tuple(f(v) for f, v in zip(items, value, strict=True))
    if origin is dict:
        item = _converter(args[1])
        if item is None:
            return dict
        every: Convert = item
        return lambda value: {k: every(v) for k, v in value.items()}
    if origin is types.UnionType or origin is typing.Union:
        return _union_converter(args)
    return None


def _union_converter(arms: tuple[Any, ...]) -> Convert | None:
    """Smart-mode unions: a value of one arm's exact type stays as it is; else the first arm
    that converts it (an int in ``float | None`` becomes a float, a list a list of floats)."""
    bare = [args[0] if get_origin(arm) is Annotated and (args := get_args(arm)) else arm
            for arm in arms]  # fmt: skip
    exact = {arm for arm in bare if isinstance(arm, type) and get_origin(arm) is None}
    shaped: list[tuple[Any, Convert]] = []
    for arm in bare:
        arm_convert = _converter(arm)
        if arm_convert is not None:
            shaped.append((get_origin(arm) or arm, arm_convert))
    if not shaped:
        return None

    def convert(value: Any) -> Any:
        if value is None or type(value) in exact:
            return value
        for kind, arm in shaped:
            if kind is float:
                if type(value) is int or type(value) is bool:
                    return float(value)
            elif kind is list:
                if isinstance(value, list | tuple):
                    return arm(value)
            elif isinstance(value, dict):  # a dict, or a dict for a model
                return arm(value)
        return value

    return convert


def plain(node: Any) -> Any:
    """``node`` with every model as a dict of its fields, in their order (what pydantic's
    ``dump_python`` gives, without pydantic), for reading figures (sanity checks, renderers)."""
    kind = type(node)
    if isinstance(node, Frozen):
        return {key: plain(value) for key, value in node.__dict__.items()}
    if kind is list:
        return [plain(value) for value in node]
    if kind is dict:
        return {key: plain(value) for key, value in node.items()}
    if kind is tuple:
        return tuple(plain(value) for value in node)
    return node


def non_finite_path(node: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The path of the first NaN or infinity in ``node`` (a ``plain`` dump), else None."""
    if isinstance(node, float):
        return None if math.isfinite(node) else path
    if isinstance(node, dict):
        children: Iterable[tuple[str | int, Any]] = node.items()
    elif isinstance(node, list):
        children = enumerate(node)
    else:
        return None
    for key, child in children:
        kind = type(child)
        if kind is float:
            if math.isfinite(child):
                continue
        elif kind is not dict and kind is not list:
            continue  # a str, int, bool or None: finite or not a number
        found = non_finite_path(child, (*path, key))
        if found is not None:
            return found
    return None
