"""The comparison model: what ``ecoai compare`` found, the JSON contract CI scripts read."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ecoai.models import SCHEMA_VERSION, FigureScope, GateKind, ReportKind

M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


def trusted(cls: type[M], fields: dict[str, Any]) -> M:
    """An instance of ``cls`` holding ``fields`` as given, without validation.

    For the objects ``compare`` makes by the hundred thousand (cells, verdicts, item infos):
    their values are computed by ecoai from validated inputs, so validating each again costs
    time and proves nothing (issue 16). The caller gives every field (defaults too) with the
    type the model declares (a float as a float); ``tests/test_compare_trusted.py`` checks on
    many comparisons that the result equals, and dumps byte for byte like, the validated one.
    ``model_construct`` would do the same, slower than validating (it walks the fields).

    Every instance of a class shares one set of fields set (all of them): pydantic never changes
    it in place (``model_copy`` copies it first), and 100,000 cells would hold 100,000 sets."""
    set_dict, set_fields_set, set_extra, set_private = slot_setters(cls)
    instance = cls.__new__(cls)
    set_dict(instance, fields)
    set_fields_set(instance, all_fields(cls))
    set_extra(instance, None)
    set_private(instance, None)
    return instance


_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
"""What a pydantic model instance holds: its fields, which of them were set, extra, private."""


@cache
def slot_setters(cls: type[BaseModel]) -> tuple[Callable[[Any, Any], None], ...]:
    """The setters of ``_SLOTS`` on an instance of ``cls``, in that order: each descriptor's
    ``__set__``, called directly (as ``object.__setattr__`` would find and call it, without the
    look-up by name; 100,000 cells set four each). The instance's own frozen ``__setattr__``
    is never involved."""
    setters = []
    for name in _SLOTS:
        owner = next(klass for klass in cls.__mro__ if name in vars(klass))
        setters.append(vars(owner)[name].__set__)
    return tuple(setters)


class Frozen(BaseModel):
    """Base of the comparison's pydantic models: unknown fields are an error, values never
    change. The report's own model (``ecoai.models``) is plain dataclasses instead: a
    comparison is built only by ``compare``, which imports pydantic anyway to read reports."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


@cache
def all_fields(cls: type[BaseModel]) -> set[str]:
    """The fields set of every trusted instance of ``cls``: all its fields, one set per class."""
    return set(cls.model_fields)


class TestInfo(Frozen):
    """The significance test behind a gate on repeated runs (one-sided: is it larger?)."""

    name: Literal["welch-t", "one-sample-t", "bootstrap-ratio"]
    confidence: float
    p_value: float | None = None
    statistic: float | None = None
    df: float | None = None
    interval: tuple[float, float] | None = None
    """Bootstrap interval of item / limit; significant when its low end is above 1."""
    significant: bool


class GateResult(Frozen):
    """One gate judged for one item."""

    gate: GateKind
    spec: str
    """The gate as written, e.g. ``energy=5%``."""
    metric: str
    scope: FigureScope
    item: str
    threshold: float
    unit: str
    """``%`` for max_increase; the metric's unit for a budget."""
    value: float
    """The item's change over the baseline in % (max_increase) or its mean (budget)."""
    limit: float
    """The largest mean that passes, in the metric's unit."""
    verdict: Literal["pass", "fail"]
    test: TestInfo | None = None
    """Set when the item (and, for max_increase, the baseline) has >= 2 runs."""


class ItemInfo(Frozen):
    """One compared item: where it came from and what kind of report it is."""

    label: str
    origin: str
    """The report path, scenario file, preset (``gpt-4.1:short``) or variation it came from."""
    kind: ReportKind
    queries: int | None = None
    runs: int | None = None
    """How many repeated runs the report holds (``profile --repeat``), if any."""


class Cell(Frozen):
    """One metric of one item: its value (a range when the input was one) and its ratio."""

    mean: float
    min: float
    max: float
    std: float | None = None
    ratio: float | None = None
    """mean / the baseline's mean (1.0 for the baseline; None when the baseline is 0)."""
    change_pct: float | None = None
    """Signed percentage change over the baseline: (ratio - 1) x 100."""
    failed: bool = False
    """A gate on this metric failed for this item."""


class Row(Frozen):
    """One metric in one scope, across all items (None where an item lacks the scope)."""

    metric: str
    label: str
    unit: str
    scope: FigureScope
    cells: list[Cell | None]


class Amount(Frozen):
    """A saving as a range: positive = avoided, negative = an increase (the item uses more)."""

    mean: float
    """baseline mean - item mean."""
    min: float
    """baseline min - item max: the least it can avoid when both are ranges."""
    max: float
    """baseline max - item min: the most it can avoid."""


class MetricSaving(Frozen):
    """What one item avoids of one metric against the baseline, per query and at the traffic."""

    metric: str
    """The metric's name with its unit (``energy_wh``, ``water_site_ml``, ``carbon_g``)."""
    label: str
    unit: str
    per_query: Amount
    per_day: Amount | None = None
    """per_query x queries_per_day (set with --queries-per-day)."""
    per_year: Amount | None = None
    """per_day x days_per_year."""
    over_queries: Amount | None = None
    """per_query x queries (set with --queries)."""


class ItemSaving(Frozen):
    """Everything one item avoids against the baseline."""

    item: str
    metrics: list[MetricSaving]
    avoided_power_w: Amount | None = None
    """Facility energy avoided per day / 24 h: the average continuous power it equals. Units: W."""
    avoided_plants: Amount | None = None
    """avoided_power_w / (plant_net_capacity_w x plant_capacity_factor)."""


class Assumption(Frozen):
    """One input behind a saving, with where it came from (for a sustainability report)."""

    item: str
    input: str
    value: str
    source: str
    """``profile hosts.azure``, ``flag --pue``, ``report r.json``..."""
    citation: str | None = None
    """The publication or datasheet behind a profile value."""


class Savings(Frozen):
    """What each item avoids against the baseline at a traffic (``compare --queries-per-day``)."""

    baseline: str
    queries_per_day: float | None = None
    queries: int | None = None
    days_per_year: float
    range_rule: str
    """How the min and max of a saving are formed from the two ranges."""
    plant_net_capacity_w: float
    plant_capacity_factor: float
    plant_source: str
    items: list[ItemSaving]
    assumptions: list[Assumption] = Field(default_factory=list)
    """The baseline's and each item's footprint inputs (model, host, PUE, WUE, CIF...)."""


class Comparison(Frozen):
    """Items side by side against a baseline, with every gate's verdict."""

    schema_version: int = SCHEMA_VERSION
    kind: Literal["comparison"] = "comparison"
    ecoai_version: str
    baseline: str
    """The baseline item's label."""
    items: list[ItemInfo]
    rows: list[Row]
    gates: list[GateResult]
    passed: bool
    """True when every gate passed (exit 0); False makes ``ecoai compare`` exit 1."""
    savings: Savings | None = None
    """What each item avoids at a traffic; set with --queries-per-day or --queries."""
