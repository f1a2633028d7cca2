"""Every ``Format`` member renders a report and a comparison, or refuses with an InputError.

A new member without a renderer must fail here rather than print a table silently.
"""

from __future__ import annotations

import pytest
from fakes.threads import no_thread_leak  # noqa: F401  (fixture)
from test_compare import _items
from test_interop import measured_report
from test_render import sample_report

from ecoai.comparison.compare import compare
from ecoai.comparison.model import Comparison
from ecoai.errors import InputError
from ecoai.models import Report
from ecoai.render import Format, render
from ecoai.render.comparison import COMPARISON_FORMATS, render_comparison


def _comparison() -> Comparison:
    return compare(_items(1.0, 1.1), version="0.0.0-test")


def _report_outputs(report: Report) -> dict[Format, str | InputError]:
    outputs: dict[Format, str | InputError] = {}
    for fmt in Format:
        try:
            outputs[fmt] = render(report, fmt)
        except InputError as error:
            outputs[fmt] = error
    return outputs


@pytest.mark.parametrize("make", [sample_report, measured_report], ids=["estimate", "measured"])
def test_every_format_renders_a_report_or_refuses(make: object) -> None:
    outputs = _report_outputs(make())  # type: ignore[operator]
    table = outputs[Format.TABLE]
    assert isinstance(table, str) and table.strip()
    for fmt, out in outputs.items():
        if isinstance(out, InputError):
            assert f"--format {fmt.value}" in str(out) and out.hint, fmt
            continue
        assert out.strip(), fmt
        if fmt is not Format.TABLE:
            assert out != table, f"{fmt} rendered the table"
    # A measured report is what every format exists for: none refuses it.
    if make is measured_report:
        assert not [f for f, out in outputs.items() if isinstance(out, InputError)]


def test_every_format_renders_a_comparison_or_refuses() -> None:
    comparison = _comparison()
    table = render_comparison(comparison, Format.TABLE)
    for fmt in Format:
        if fmt not in COMPARISON_FORMATS:
            with pytest.raises(InputError, match=f"--format {fmt.value} .*not a comparison"):
                render_comparison(comparison, fmt)
            continue
        out = render_comparison(comparison, fmt)
        assert out.strip(), fmt
        if fmt is not Format.TABLE:
            assert out != table, f"{fmt} rendered the table"


def test_the_refusal_names_the_formats_that_work() -> None:
    with pytest.raises(InputError) as caught:
        render_comparison(_comparison(), Format.MODEL_CARD)
    assert caught.value.hint == "choose table, json, markdown or csv"
