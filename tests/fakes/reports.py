"""Build Report objects for tests straight from the footprint formulas (no estimator needed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ecoai.footprint import Multipliers, footprint_point, footprint_range
from ecoai.models import Method, Param, Report, Source

# Round factors keep hand calculations easy: 1 kWh IT -> 1.5 kWh facility, 0.5 L on site,
# 3 L off site, 600 gCO2e.
EASY = Multipliers(pue=1.5, wue_site_l_per_kwh=0.5, wue_source_l_per_kwh=2.0, cif_g_per_kwh=400.0)
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def estimate_report(
    it_wh: float,
    *,
    it_max_wh: float | None = None,
    queries: int = 100,
    label: str | None = None,
    factors: Multipliers = EASY,
) -> Report:
    """An estimate of ``it_wh`` IT energy per query (a range up to ``it_max_wh`` if given)."""
    high = it_wh if it_max_wh is None else it_max_wh
    per_query = footprint_range(it_wh * 3600.0, high * 3600.0, 0.5, factors)
    return Report.trusted(
        kind="estimate",
        ecoai_version="0.0.0",
        created_at=WHEN,
        label=label,
        method=Method(statistic="point"),
        queries=queries,
        per_query=per_query,
        total=per_query.scaled(queries),
    )


def measured_report(
    runs_wh: Sequence[float],
    *,
    queries: int | None = 10,
    label: str | None = None,
    factors: Multipliers = EASY,
    host: str = "node-a",
    gpus: Sequence[str] = ("GPU-0000",),
    scope: str = "process-tree",
) -> Report:
    """A measured report: each run's IT energy total in Wh; per_query/total hold their means."""
    runs = [footprint_point(wh * 3600.0, factors) for wh in runs_wh]
    mean_wh = sum(runs_wh) / len(runs_wh)
    total = footprint_point(mean_wh * 3600.0, factors)
    inputs = {
        "pue": factors.pue,
        "wue_site_l_per_kwh": factors.wue_site_l_per_kwh,
        "wue_source_l_per_kwh": factors.wue_source_l_per_kwh,
        "cif_kg_per_kwh": factors.cif_g_per_kwh / 1000.0,
    }
    return Report.trusted(
        kind="measured",
        ecoai_version="0.0.0",
        created_at=WHEN,
        label=label,
        method=Method(statistic="measured"),
        inputs={k: Param(value=v, source=Source(kind="flag")) for k, v in inputs.items()},
        queries=queries,
        per_query=None if not queries else total.scaled(1.0 / queries),
        total=total,
        runs=runs if len(runs) > 1 else None,
        measurement=fake_measurement(host, gpus, scope),
    )


def fake_measurement(host: str, gpus: Sequence[str], scope: str = "process-tree") -> dict[str, Any]:
    """The measurement section as `ecoai profile` writes it, reduced to what merge reads."""
    sensors = [
        {
            "name": f"nvml:{i}",
            "component": "gpu",
            "method": "counter",
            "scope": "device",
            "facts": {"uuid": uuid},
        }
        for i, uuid in enumerate(gpus)
    ]
    sensors.append(
        {
            "name": "rapl:package-0",
            "component": "cpu",
            "method": "counter",
            "scope": "machine",
            "facts": {},
        }
    )
    return {
        "command": ["python", "infer.py"],
        "scope": scope,
        "interval_s": 0.1,
        "host": {"hostname": host, "platform": "linux"},
        "sensors": sensors,
        "runs": [],
        "exit_status": 0,
    }
