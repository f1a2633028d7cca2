"""A unicode sparkline of power over time for the end-of-run summary."""

from __future__ import annotations

from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 48) -> str:
    """``values`` squeezed into ``width`` bars (means of equal slices), lowest to highest."""
    if not values:
        return ""
    if len(values) > width:
        step = len(values) / width
        slices = [
            values[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)]
            for i in range(width)
        ]
        values = [sum(s) / len(s) for s in slices]
    low, high = min(values), max(values)
    if high - low <= 1e-9 * max(1.0, abs(high)):
        return BARS[3] * len(values)
    scale = (len(BARS) - 1) / (high - low)
    return "".join(BARS[round((v - low) * scale)] for v in values)


def power_line(timeline: Sequence[tuple[float, float]]) -> str:
    """``power ▁▃█▆▂  12.0-45.3 W`` from (t_s, W) points, or '' when there are too few."""
    watts = [w for _, w in timeline]
    if len(watts) < 2:
        return ""
    return f"power {sparkline(watts)}  {min(watts):.1f}-{max(watts):.1f} W"
