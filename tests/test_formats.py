"""Every ``Format`` member renders a report and a comparison, or refuses with an InputError.

A new member without a renderer must fail here rather than print a table silently.
"""

from __future__ import annotations

import pytest
from conftest import CliRunner
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


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("r.json", Format.JSON),
        ("r.MD", Format.MARKDOWN),
        ("r.csv", Format.CSV),
        ("r.txt", Format.TABLE),
        ("r", Format.JSON),  # a file without an extension: JSON, as the help says
        ("/dev/stdout", Format.JSON),
        (None, Format.TABLE),
        ("-", Format.TABLE),
    ],
)
def test_the_format_follows_the_extension_as_the_help_says(
    output: str | None, expected: Format
) -> None:
    from ecoai.render import EXTENSIONS_HELP, choose_format

    assert choose_format(None, False, output) is expected
    assert "json for a file without one" in EXTENSIONS_HELP and ".txt = table" in EXTENSIONS_HELP


def test_an_unknown_extension_is_an_error_unless_the_format_is_given() -> None:
    from ecoai.render import choose_format

    with pytest.raises(InputError, match=r"-o r\.html: \.html names no output format") as caught:
        choose_format(None, False, "r.html")
    assert ".json, .md, .csv or .txt" in caught.value.hint
    assert choose_format("markdown", False, "r.html") is Format.MARKDOWN


def test_json_and_another_format_together_are_refused() -> None:
    """`--json -f markdown` wrote JSON without a word (fresh-eyes review); `--json -f json`
    asks for one format twice and is fine."""
    from ecoai.render import choose_format

    with pytest.raises(InputError, match="--json and --format markdown ask for two formats"):
        choose_format("markdown", True, None)
    assert choose_format("json", True, None) is Format.JSON


@pytest.mark.parametrize("empty", ["", " "])
def test_an_empty_format_name_is_refused(empty: str) -> None:
    """`-f ''` took the default format (fresh-eyes review)."""
    from ecoai.render import choose_format

    with pytest.raises(InputError, match="--format: the format name is empty") as caught:
        choose_format(empty, False, "r.json")
    assert "table, json" in caught.value.hint


def test_the_command_line_refuses_json_with_another_format(ecoai_cli: CliRunner) -> None:
    for command in (["estimate", "--model", "gpt-4.1", "--prompt", "short"], ["compare", "x.json"]):
        run = ecoai_cli(*command, "--json", "-f", "csv")
        assert run.returncode == 2 and run.stdout == ""
        assert run.stderr.startswith("ecoai: error: --json and --format csv ask for two formats")


def test_each_command_lists_only_the_formats_it_writes() -> None:
    from ecoai.commands import compare, estimate, merge, options, profile

    def option_of(command: object) -> object:
        import inspect

        return inspect.signature(command).parameters["format_name"].default  # type: ignore[arg-type]

    for command in (compare.compare_command, merge.merge_command):
        assert option_of(command) is options.REPORT_FORMAT_OPTION
    # estimate and profile declare their options apart from their (typer-free) bodies
    assert estimate.declarations()["format_name"] is options.REPORT_FORMAT_OPTION
    assert profile.declarations()["format_name"] is options.FORMAT_OPTION
    few = options.REPORT_FORMAT_OPTION.help
    assert few.startswith("Output format: table, json, markdown or csv. Default")
    assert "codecarbon-csv" not in few and "model-card" not in few
    assert "codecarbon-csv or model-card" in options.FORMAT_OPTION.help


@pytest.mark.parametrize(
    "argv",
    [
        ("estimate", "--model", "gpt-4o", "--prompt", "short", "-f", "model-card"),
        ("merge", "a.json", "b.json", "-f", "codecarbon-csv"),
        ("compare", "a.json", "b.json", "--format", "model-card"),
    ],
)
def test_a_format_the_command_does_not_write_is_refused_up_front(
    ecoai_cli: CliRunner, argv: tuple[str, ...]
) -> None:
    run = ecoai_cli(*argv)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [
        f"ecoai: error: --format {argv[-1]} needs a measured report: not one this command writes",
        "hint: choose table, json, markdown or csv",
    ]
