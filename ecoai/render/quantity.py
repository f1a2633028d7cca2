"""Human formatting of quantities: a readable unit and three significant figures."""

from __future__ import annotations

import math
from collections.abc import Callable

from ecoai.metrics import FOOTPRINT_HEADINGS, METRICS
from ecoai.models import Footprint, Report, Stat

# (scale from the canonical JSON unit, unit label), largest first.
_ENERGY_WH = (
    (1e12, "TWh"), (1e9, "GWh"), (1e6, "MWh"), (1e3, "kWh"), (1.0, "Wh"), (1e-3, "mWh")
)  # fmt: skip
_WATER_ML = ((1e6, "m³"), (1e3, "L"), (1.0, "mL"), (1e-3, "µL"))
_CARBON_G = ((1e12, "Mt"), (1e9, "kt"), (1e6, "t"), (1e3, "kg"), (1.0, "g"), (1e-3, "mg"))
SCALES = {"energy": _ENERGY_WH, "water": _WATER_ML, "carbon": _CARBON_G}


def fmt(value: float, kind: str) -> str:
    """``value`` (in the JSON unit of ``kind``) with a readable unit, e.g. 0.0123 Wh -> 12.3 mWh."""
    scales = SCALES[kind]
    magnitude = abs(value)
    if magnitude == 0:
        return "0 " + next(unit for factor, unit in scales if factor == 1.0)
    for factor, unit in scales:
        if magnitude >= factor:
            return f"{_sig(value / factor)} {unit}"
    factor, unit = scales[-1]
    return f"{_sig(value / factor)} {unit}"


def fmt_range(stat: Stat, kind: str) -> str:
    """'min – max' of a Stat, or '' when it is a point."""
    if math.isclose(stat.min, stat.max, rel_tol=1e-12, abs_tol=0.0):
        return ""
    return f"{fmt(stat.min, kind)} – {fmt(stat.max, kind)}"


def _sig(number: float) -> str:
    return count_text(number)


_WORDS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def count_text(number: float) -> str:
    """One style for every number people read: three significant figures, thousands separated
    below a million (``0.0123``, ``12,345``), a word up to trillions (``14.6 trillion``), and
    e-notation beyond (``1.46e+16``): never a 15-digit figure, never a cut-off one."""
    if number == 0 or not math.isfinite(number):  # a ratio to a tiny baseline can overflow
        return f"{number:g}"
    if abs(number) >= 1e6:
        number = float(f"{number:.3g}")  # rounded first: 999.96 million is 1.00 billion
        if abs(number) >= 1e15:
            return f"{number:.2e}"
        factor, word = next((f, w) for f, w in _WORDS if abs(number) >= f)
        return f"{_fixed(number / factor)} {word}"
    return _fixed(number)


def _fixed(number: float) -> str:
    """Three significant figures, more where the integer part has them (12,345)."""
    digits = max(0, 2 - math.floor(math.log10(abs(number))))
    return f"{number:,.{digits}f}"


def scopes_present(report: Report) -> list[tuple[str, str, Footprint]]:
    """(key, heading, footprint) for each scope the report has, with 'total' naming its count."""
    found = []
    for key, heading in FOOTPRINT_HEADINGS.items():
        footprint = getattr(report, key)
        if footprint is not None:
            if key == "total" and report.queries:
                heading = f"total ({report.queries:,} queries)"
            found.append((key, heading, footprint))
    return found


def param_text(value: object) -> str:
    """A scenario value as text for a table cell."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.6g}" for v in value) + "]"
    return str(value)


def rows(footprint: Footprint) -> list[tuple[str, str, Stat]]:
    """(row label, quantity, stat) for each metric this footprint has, in table order."""
    out: list[tuple[str, str, Stat]] = []
    for metric in METRICS:
        stat = metric.read(footprint)
        if stat is not None:
            out.append((metric.row_label, metric.quantity, stat))
    return out


Formatter = Callable[[float, str], str]


def assumptions(report: Report) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(input, value, source [n]) rows and the numbered citations they refer to, each once."""
    citations: list[str] = []
    table = []
    for name, param in report.inputs.items():
        source = param.source.kind + (f" {param.source.ref}" if param.source.ref else "")
        if param.source.citation:
            if param.source.citation not in citations:
                citations.append(param.source.citation)
            source += f" [{citations.index(param.source.citation) + 1}]"
        table.append((name, param_text(param.value), source))
    return table, citations
