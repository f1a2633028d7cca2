"""What an optimisation avoids: each item's saving over the baseline at a traffic.

A saving is baseline - item, per query, then scaled: per day = per query x queries_per_day,
per year = per day x 365 (``units.DAYS_PER_YEAR``), over N queries = per query x N. Positive is
avoided; negative is an increase. Where the inputs are ranges the saving is one too, the widest
it can be: min = baseline min - item max, max = baseline max - item min.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from ecoai import units
from ecoai.comparison.compare import Item
from ecoai.comparison.model import Amount, Assumption, ItemSaving, MetricSaving, Savings
from ecoai.errors import InputError
from ecoai.metrics import METRIC_BY_NAME
from ecoai.models import Footprint, Stat, non_finite_path

SAVING_METRICS: tuple[str, ...] = (
    "energy_wh",
    "it_energy_wh",
    "water_site_ml",
    "water_source_ml",
    "water_ml",
    "carbon_g",
)
"""Facility energy, IT energy, water (on-site, off-site, both) and operational carbon."""

RANGE_RULE = (
    "saving = baseline - item; min = baseline min - item max, max = baseline max - item min; "
    "a negative saving is an increase"
)


def check_rate(values: Mapping[str, float | None], origin: str | None = None) -> None:
    """Refuse any of ``values`` (name -> rate or count) that is not a finite number > 0.

    ``origin`` (a file) prefixes the message. Raises InputError, one line.
    """
    where = f"{origin}: " if origin else ""
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{where}{name} must be a number, got {value!r}", "e.g. 1e6")
        if not (math.isfinite(value) and value > 0):
            raise InputError(
                f"{where}{name} must be a finite number > 0, got {value:g}",
                "give the traffic a saving is for, e.g. 1e6 queries a day",
            )


def savings(
    items: Sequence[Item],
    baseline: int,
    *,
    queries_per_day: float | None = None,
    queries: int | None = None,
) -> Savings:
    """Each non-baseline item's saving over ``items[baseline]`` at the traffic given.

    ``queries_per_day`` (queries/day) gives per-day and per-year savings, ``queries`` a saving
    over that many queries; at least one must be given. Raises InputError when either is not a
    finite number > 0, or when an item (or the baseline) has no per-query figures.
    """
    from ecoai.footprint import (
        PLANT_CAPACITY_FACTOR,
        PLANT_NET_CAPACITY_W,
        PLANT_SOURCE,
        continuous_power_w,
        plants_equivalent,
    )

    if queries_per_day is None and queries is None:
        raise InputError("a saving needs a traffic", "give --queries-per-day RATE or --queries N")
    check_rate({"--queries-per-day": queries_per_day, "--queries": queries})
    base = _per_query(items[baseline])
    found = []
    for index, item in enumerate(items):
        if index == baseline:
            continue
        own = _per_query(item)
        metrics = []
        for name in SAVING_METRICS:
            metric = METRIC_BY_NAME[name]
            base_stat, own_stat = metric.read(base), metric.read(own)
            if base_stat is None or own_stat is None:
                continue
            per_query = _difference(base_stat, own_stat)
            metrics.append(
                MetricSaving(
                    metric=name,
                    label=metric.label,
                    unit=metric.unit,
                    per_query=per_query,
                    per_day=_times(per_query, queries_per_day),
                    per_year=_times(
                        per_query,
                        None if queries_per_day is None else queries_per_day * units.DAYS_PER_YEAR,
                    ),
                    over_queries=_times(per_query, queries),
                )
            )
        power = plants = None
        per_day = metrics[0].per_day if metrics and metrics[0].metric == "energy_wh" else None
        if per_day is not None:
            power = _map(per_day, lambda wh: continuous_power_w(wh, units.HOURS_PER_DAY))
            plants = _map(power, plants_equivalent)
        found.append(
            ItemSaving(
                item=item.label, metrics=metrics, avoided_power_w=power, avoided_plants=plants
            )
        )
    if non_finite_path([i.model_dump() for i in found]) is not None:
        raise InputError(
            "the savings at this traffic overflow (not a finite number)",
            "give a realistic --queries-per-day or --queries",
        )
    return Savings(
        baseline=items[baseline].label,
        queries_per_day=queries_per_day,
        queries=queries,
        days_per_year=units.DAYS_PER_YEAR,
        range_rule=RANGE_RULE,
        plant_net_capacity_w=PLANT_NET_CAPACITY_W,
        plant_capacity_factor=PLANT_CAPACITY_FACTOR,
        plant_source=PLANT_SOURCE,
        items=found,
        assumptions=[a for item in items for a in _assumptions(item)],
    )


ASSUMPTION_KEYS: tuple[str, ...] = (
    "model",
    "prompt",
    "task",
    "hardware",
    "host",
    "grid",
    "output_tokens",
    "pue",
    "wue_site_l_per_kwh",
    "wue_source_l_per_kwh",
    "cif_kg_per_kwh",
)
"""The inputs a reader of a saving needs: what ran where, and the data-centre and grid factors."""


def _assumptions(item: Item) -> list[Assumption]:
    found = []
    for name in ASSUMPTION_KEYS:
        param = item.report.inputs.get(name)
        if param is None:
            continue
        source = param.source.kind + (f" {param.source.ref}" if param.source.ref else "")
        value = param.value
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
        found.append(
            Assumption(
                item=item.label,
                input=name,
                value=text,
                source=source,
                citation=param.source.citation,
            )
        )
    if item.report.kind != "estimate":
        found.append(
            Assumption(
                item=item.label,
                input="per-query figures",
                value=f"{item.report.kind} over {item.report.queries or '?'} queries",
                source=f"report {item.origin}",
            )
        )
    return found


def _per_query(item: Item) -> Footprint:
    footprint = item.report.per_query
    if footprint is None:
        raise InputError(
            f"{item.label}: no per-query figures, so no saving at a query rate",
            "measure it with `ecoai profile --queries N` or query events (ECOAI_EVENTS), "
            "or compare estimates",
        )
    return footprint


def _difference(base: Stat, item: Stat) -> Amount:
    """baseline - item, its min from the baseline's min and the item's max (and vice versa)."""
    return Amount(mean=base.mean - item.mean, min=base.min - item.max, max=base.max - item.min)


def _times(amount: Amount, factor: float | None) -> Amount | None:
    if factor is None:
        return None
    return Amount(mean=amount.mean * factor, min=amount.min * factor, max=amount.max * factor)


def _map(amount: Amount, func: Callable[[float], float]) -> Amount:
    """``func`` (increasing) applied to the mean and both ends."""
    return Amount(mean=func(amount.mean), min=func(amount.min), max=func(amount.max))
