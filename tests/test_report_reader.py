"""The report reader's fast path (``ecoai.report_files._plausible``) decides exactly as the full
validation: the same reports accepted with the same numbers, the same one-line errors."""

from __future__ import annotations

import copy
import io
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fakes.reports import estimate_report, measured_report
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoai import report_files
from ecoai.errors import EcoaiError, format_error
from ecoai.models import Report, plain
from ecoai.report_files import read_report, read_report_text
from ecoai.validation import dump_json, validate_json

HERE = Path(__file__).parent
WRITTEN = {
    "estimate (golden)": (HERE / "golden" / "estimate.json").read_text(encoding="utf-8"),
    "measured, 2 runs, phases, queries": (
        HERE / "data" / "reports" / "measured-repeat.json"
    ).read_text(encoding="utf-8"),
    "estimate range": dump_json(estimate_report(1.0, it_max_wh=1.5, label="est")),
    "measured, 3 runs": dump_json(measured_report([10.0, 11.0, 12.0], label="meas")),
}
SOURCES = [json.loads(text) for text in WRITTEN.values()]

NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.sampled_from([0, 0.0, -0.0, 1, -1, 10**400, 2**63, 1e308, 5e-324, -5e-324]),
)
EXTREME = st.sampled_from(
    [math.nan, math.inf, -math.inf, -1.0, -0.0, -1, 10**400, 1e308, "1.5", "-1", "NaN", True]
)
ANY = st.one_of(
    NUMBER,
    st.none(),
    st.booleans(),
    st.text(max_size=6),
    st.sampled_from(["1.5", "-1", "NaN", "inf", "1e400", "2026-01-01T00:00:00Z", "measured"]),
    st.lists(NUMBER, max_size=3),
    st.dictionaries(st.sampled_from(["mean", "min", "max", "x"]), NUMBER, max_size=3),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        children: Any = node.items()
    elif isinstance(node, list):
        children = enumerate(node)
    else:
        children = []
    for key, child in children:
        found += _paths(child, (*prefix, key))
    return found


def _nudged(value: Any, draw: st.DrawFn) -> Any:
    """A number moved a little or a lot, either way (out of order by rounding, or by far)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return draw(ANY)
    factor = draw(st.sampled_from([1 + 1e-12, 1 - 1e-12, 1 + 1e-6, 0.5, 2.0, -1.0, 0.0]))
    try:
        return value * factor
    except OverflowError:  # an int beyond the float range
        return -value


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A report ecoai wrote, with 0-3 values replaced, nudged, deleted or added, written in any
    of the JSON layouts (compact, indented, NaN/Infinity literals allowed)."""
    data = copy.deepcopy(draw(st.sampled_from(SOURCES)))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(_paths(data)))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "extreme", "nudge", "nudge", "delete", "add"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra_key", "x", "mean"]))] = draw(ANY)
        elif action == "extreme":
            parent[path[-1]] = draw(EXTREME)
        elif action == "nudge":
            parent[path[-1]] = _nudged(parent[path[-1]], draw)
        else:
            parent[path[-1]] = draw(ANY)
    if draw(st.booleans()):
        data["extra"] = draw(st.sampled_from([{}, {"x": 1}, {"energy_wh": {"mean": 2, "min": 3, "max": 1}}]))  # fmt: skip  # noqa: E501
    indent = draw(st.sampled_from([None, 2, "\t"]))
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (",", ": ")]))
    return json.dumps(data, indent=indent, separators=separators)


def outcome(read: Any) -> tuple[str, ...]:
    """What reading gave: the report as JSON with every value's type, or the error as printed."""
    try:
        report = read()
    except EcoaiError as error:
        return ("error", format_error(error))
    assert type(report) is Report
    return ("report", dump_json(report), repr(plain(report)))


def full(text: str) -> tuple[str, ...]:
    return outcome(lambda: read_report_text(text, "<stdin>"))


def fast(text: str) -> tuple[str, ...]:
    return outcome(lambda: read_report("-", io.StringIO(text)))


@settings(max_examples=600, deadline=None)
@given(mutated())
def test_fast_reader_decides_as_the_full_validation(text: str) -> None:
    assert fast(text) == full(text)
    if report_files._plausible(text) is not None:  # what the fast path takes, the full accepts
        assert full(text)[0] == "report"


@pytest.mark.parametrize("name", sorted(WRITTEN))
def test_reports_ecoai_writes_take_the_fast_path(name: str) -> None:
    """The fast path is not a dead branch: every kind of report ecoai writes goes through it,
    indented or compact."""
    text = WRITTEN[name]
    for layout in (text, json.dumps(json.loads(text)), json.dumps(json.loads(text), indent=1)):
        report = report_files._plausible(layout)
        assert report is not None, name
        assert report == validate_json(Report, text)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d["total"]["energy_wh"].update(mean=-1.0), "negative figure"),
        (lambda d: d["total"]["energy_wh"].update(min=99.0), "range out of order"),
        (lambda d: d["total"]["carbon_g"].update(max=math.inf), "infinite"),
        (lambda d: d["total"]["carbon_g"].update(std=math.nan), "NaN"),
        (lambda d: d["total"]["carbon_g"].update(std="1.5"), "a number in a string"),
        (lambda d: d.update(queries=10.0), "a float for an int"),
        (lambda d: d.update(extra={"note": 1}), "something in extra"),
        (lambda d: d["runs"][0]["water_ml"]["site"].update(mean=-0.0), "negative zero"),
        (
            lambda d: d["inputs"].update(energy_wh={"value": -1, "source": {"kind": "flag"}}),
            "a negative int where a figure is named",
        ),
    ],
)
def test_what_the_fast_path_leaves_to_the_full_one(change: Any, why: str) -> None:
    data = json.loads(WRITTEN["measured, 3 runs"])
    change(data)
    text = json.dumps(data)
    assert report_files._plausible(text) is None, why
    assert fast(text) == full(text)


def test_building_the_fast_validator_leaves_the_models_validator_lax() -> None:
    """The constrained copy is a copy: the ordinary validator still takes a negative figure
    (``ecoai.sanity`` words that refusal), and the fast one refuses it."""
    report_files._PLAUSIBLE = None
    assert report_files._plausible(WRITTEN["estimate range"]) is not None
    bad = json.loads(WRITTEN["estimate range"])
    bad["total"]["energy_wh"]["mean"] = -1.0
    assert validate_json(Report, json.dumps(bad)).total is not None  # the model's own: lax
    assert report_files._plausible(json.dumps(bad)) is None


# --- the comparison's own fast paths ---


@given(
    st.lists(
        st.one_of(st.none(), NUMBER, st.sampled_from([-0.0, 0.0, 1e-300])), min_size=4, max_size=4
    )
)
def test_a_plain_cell_is_one_report_problem_passes(values: list[Any]) -> None:
    """``sanity._plain_range`` (the comparison check's shortcut) passes only what the full
    check passes."""
    from ecoai.sanity import _plain_range, report_problem

    cell = dict(zip(("mean", "min", "max", "std"), values, strict=True))
    if _plain_range(cell):
        assert report_problem({"energy_wh": cell}) is None


def test_the_comparison_reads_each_metric_as_the_metric_table_does() -> None:
    from ecoai.comparison.compare import _reader
    from ecoai.metrics import METRICS

    report = validate_json(Report, WRITTEN["estimate (golden)"])
    without = report.total
    assert without is not None and without.embodied_carbon_g is None
    with_embodied = replace(without, embodied_carbon_g=without.carbon_g)
    for footprint in (with_embodied, without):
        for metric in METRICS:
            assert _reader(metric)(footprint) == metric.read(footprint), metric.name


def test_the_collector_is_paused_and_back_as_it_was() -> None:
    import gc
    import weakref

    from ecoai.comparison.items import collector_paused

    class Node:
        me: Any = None

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        node = Node()
        node.me = node  # a cycle made while paused
        collected = weakref.ref(node)
        del node
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.collect()
    assert collected() is None  # collected once the collector runs again
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_fast_reader_works_in_a_fresh_process(tmp_path: Path) -> None:
    """The first thing a process does is read a report (``ecoai compare r.json``): the models
    have deferred their schema build, and the fast validator must build Report's first (it
    failed with "'MockCoreSchema' object is not an instance of 'dict'")."""
    import subprocess
    import sys

    path = tmp_path / "r.json"
    path.write_text(WRITTEN["estimate range"], encoding="utf-8")
    code = (
        "import sys; from ecoai import report_files; "
        "r = report_files._plausible(open(sys.argv[1]).read()); "
        "print(type(r).__name__)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "Report"


@pytest.mark.parametrize("written", ['"0.85"', "true", '"1e3"'])
def test_a_number_written_as_a_string_or_a_bool_is_refused(tmp_path: Path, written: str) -> None:
    """The full (lax) path read `"0.85"` or `true` as a number (fresh-eyes review): a report's
    numbers must be JSON numbers, as ecoai writes them."""
    text = dump_json(estimate_report(0.5)).replace('"mean":0.5', f'"mean":{written}', 1)
    assert f'"mean":{written}' in text
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(EcoaiError, match=r"r\.json: invalid report: .*mean: Input should be"):
        read_report(str(path))
