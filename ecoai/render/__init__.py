"""Renderers: pure functions from a Report to a string, one per output format."""

from __future__ import annotations

from ecoai.models import Report
from ecoai.output import Format


def render(
    report: Report, fmt: Format, *, width: int = 100, color: bool = False, explain: bool = False
) -> str:
    """Render ``report`` in ``fmt``; never opens files or prints."""
    if fmt is Format.JSON:
        from ecoai.render.json import render_json

        return render_json(report)
    if fmt is Format.MARKDOWN:
        from ecoai.render.markdown import render_markdown

        return render_markdown(report, explain=explain)
    if fmt is Format.CSV:
        from ecoai.render.csv import render_csv

        return render_csv(report)
    if fmt is Format.CODECARBON_CSV:
        from ecoai.render.interop import render_codecarbon_csv

        return render_codecarbon_csv(report)
    if fmt is Format.MODEL_CARD:
        from ecoai.render.interop import render_model_card

        return render_model_card(report)
    from ecoai.render.table import render_table

    return render_table(report, width=width, color=color, explain=explain)
