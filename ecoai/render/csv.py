"""CSV renderer: one row per scope and metric (per-token and per-phase too), in JSON units.

The ``metric`` column holds the public metric name (``water_site_ml``, ``ecoai.metrics``), the
same name the comparison CSV and the gates use.
"""

from __future__ import annotations

import csv
import io

from ecoai.metrics import METRICS
from ecoai.models import Report
from ecoai.render.quantity import scopes_present
from ecoai.render.text import csv_cell

COLUMNS = ("label", "kind", "scope", "metric", "unit", "mean", "min", "max", "std", "p5", "p95")


def render_csv(report: Report) -> str:
    """The report's figures as CSV with a header row; empty cells where a value is undefined."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    from ecoai.render.per_unit import workload_scopes

    for scope, _heading, footprint in [*scopes_present(report), *workload_scopes(report)]:
        for metric in METRICS:
            stat = metric.read(footprint)
            if stat is None:
                continue
            numbers = (stat.mean, stat.min, stat.max, stat.std, stat.p5, stat.p95)
            writer.writerow(
                [
                    csv_cell(report.label or ""),
                    report.kind,
                    csv_cell(scope),
                    metric.name,
                    metric.unit,
                    *("" if n is None else repr(n) for n in numbers),
                ]
            )
    from ecoai.render.per_unit import throughput_rows

    for scope, rate, unit, value in throughput_rows(report):
        writer.writerow([report.label or "", report.kind, scope, rate, unit, repr(value)])
    return buffer.getvalue()
