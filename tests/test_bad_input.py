"""Bad input, searched: reports, gates, --vary, flags and user profiles end in one EcoaiError.

The scenario-file paths are in test_properties.py. Here hypothesis generates the rest in-process
(the edge functions must raise EcoaiError and nothing else, and whatever they accept must compare
and render); a sample of the same cases then goes through the real CLI in a subprocess.
"""

from __future__ import annotations

import copy
import io
import json
import math
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from casecount import count
from conftest import CliRunner
from fakes.reports import estimate_report, measured_report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecoai.comparison.compare import Item, compare
from ecoai.comparison.gate_file import read_gate_file
from ecoai.comparison.gates import parse_gates
from ecoai.comparison.variation import variations
from ecoai.errors import EcoaiError, format_error
from ecoai.estimation.estimate import estimate
from ecoai.inputs.catalog import built_in_dir, load_catalog
from ecoai.inputs.keys import BY_NAME
from ecoai.inputs.resolve import resolve
from ecoai.render import Format
from ecoai.render.comparison import comparison_summary, render_comparison
from ecoai.report_files import read_report
from ecoai.validation import dump_json

TMP = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
VALID = [
    json.loads(dump_json(estimate_report(1.0, it_max_wh=1.5, label="est"))),
    json.loads(dump_json(measured_report([10.0, 11.0, 12.0], label="meas"))),
]
EXTREME = st.sampled_from(
    [1e308, -1e308, 5e-324, -0.0, math.nan, math.inf, -math.inf, 10**30, -(2**63), 2**64, 10**400]
)
SMALL_TABLE = st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)
ANY = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8), EXTREME,
    st.lists(st.integers(), max_size=3), SMALL_TABLE,
)  # fmt: skip
NUMBER_TEXT = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-1e400", "1e308", "5e-324", "-0", "1_0",
                     "0x10", "∞", "٣", "", " ", "%", "5%%", "1e-320"]),
    st.floats().map(repr), st.text(max_size=6),
)  # fmt: skip


def error_lines_ok(lines: list[str]) -> bool:
    """``ecoai: error:`` lines (a file's further problems each get one), then at most one hint."""
    errors = [line for line in lines if not line.startswith("hint: ")]
    return (
        bool(lines)
        and lines[: len(errors)] == errors
        and all(line.startswith("ecoai: error: ") for line in errors)
        and len(lines) - len(errors) <= 1
    )


def one_line(error: EcoaiError) -> str:
    """The error as the CLI prints it: error lines plus an optional hint line; the first line."""
    lines = format_error(error).split("\n")
    assert error_lines_ok(lines), lines
    return lines[0]


def compare_and_render(report_text: str) -> None:
    """Read a report; if accepted, compare it (with gates) against a valid one and render all."""
    report = read_report("-", io.StringIO(report_text))
    base = Item("base", "base.json", read_report("-", io.StringIO(json.dumps(VALID[0]))))
    item = Item(report.label or "item", "item.json", report)
    gates = parse_gates("max_increase", "energy=5%,total.carbon=1") + parse_gates(
        "budget", "energy_wh=1,total.water_ml=3"
    )
    for chosen in (gates, []):
        try:
            comparison = compare([base, item], version="t", gates=chosen)
        except EcoaiError as error:
            one_line(error)
            continue
        for fmt in Format:
            try:
                render_comparison(comparison, fmt)
            except EcoaiError as error:  # a format for one measured run (codecarbon-csv)
                assert "not a comparison" in one_line(error)
        comparison_summary(comparison)
        json.loads(comparison.model_dump_json())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []  # fmt: skip  # noqa: E501
    for key, child in children:
        found += _paths(child, (*prefix, key))
    return found


@st.composite
def mutated_reports(draw: st.DrawFn) -> str:
    """A valid report with 1-3 fields deleted, replaced by anything, or added."""
    data = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["delete", "replace", "add"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=5))] = draw(ANY)
        elif path[-1] in (parent if isinstance(parent, dict) else range(len(parent))):
            parent[path[-1]] = draw(ANY)
    return json.dumps(data)


@settings(max_examples=600, deadline=None)
@given(mutated_reports())
def test_mutated_report_is_compared_or_one_error(text: str) -> None:
    count("report: mutated fields")
    try:
        compare_and_render(text)
    except EcoaiError as error:
        one_line(error)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([json.dumps(v) for v in VALID]), st.integers(0, 4000))
def test_truncated_report_is_one_error(text: str, cut: int) -> None:
    count("report: truncated")
    if cut >= len(text):
        return compare_and_render(text)
    with pytest.raises(EcoaiError) as caught:
        compare_and_render(text[:cut])
    one_line(caught.value)


@settings(max_examples=100, deadline=None)
@given(ANY.filter(lambda v: v != 1 or isinstance(v, bool)))
def test_wrong_schema_version_is_one_error(version: object) -> None:
    count("report: schema_version")
    data = {**VALID[1], "schema_version": version}
    with pytest.raises(EcoaiError) as caught:
        compare_and_render(json.dumps(data))
    assert "schema_version" in one_line(caught.value)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_figure_in_report_is_refused(literal: str) -> None:
    count("report: non-finite")
    data = copy.deepcopy(VALID[0])
    data["per_query"]["energy_wh"]["mean"] = math.inf  # json.dumps writes Infinity
    text = json.dumps(data).replace("Infinity", literal, 1)
    with pytest.raises(EcoaiError) as caught:
        compare_and_render(text)
    assert "per_query.energy_wh.mean: not a finite number" in one_line(caught.value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_label_compares_and_renders(label: str) -> None:
    count("report: unicode/control label")
    compare_and_render(json.dumps({**VALID[1], "label": label}))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["max_increase", "budget"]),
    st.lists(
        st.tuples(
            st.sampled_from(["energy", "energy_wh", "total.energy_wh", "carbon", "water_ml",
                             "per_query.carbon_g", "x.energy", "total.", "", "it_energy"]),
            st.sampled_from(["=", "==", ":", ""]), NUMBER_TEXT,
        ), max_size=3,
    ), st.text(max_size=5),
)  # fmt: skip
def test_gate_flag_is_gates_or_one_error(
    kind: Any, parts: list[tuple[str, str, str]], junk: str
) -> None:
    count(f"--{kind.replace('_', '-')}")
    try:
        gates = parse_gates(kind, ",".join(a + b + c for a, b, c in parts) + junk)
    except EcoaiError as error:
        one_line(error)
        return
    assert all(math.isfinite(gate.threshold) for gate in gates)


table_value = st.one_of(
    st.floats(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=5), st.booleans(),
    st.lists(st.floats(), max_size=2),
)  # fmt: skip
gate_names = st.sampled_from(["energy", "energy_wh", "total", "carbon", "x"])
gate_table = st.dictionaries(
    gate_names,
    st.one_of(table_value, st.dictionaries(st.text(max_size=4), table_value, max_size=2)),
    max_size=3,
)


@TMP
@given(
    st.dictionaries(
        st.sampled_from(["max_increase", "budget", "confidence", "test", "other"]),
        st.one_of(table_value, gate_table),
        max_size=4,
    )
)
def test_gates_file_is_gates_or_one_error(tmp_path: Path, data: dict[str, Any]) -> None:
    count("--gates file")
    path = tmp_path / "gates.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    try:
        found = read_gate_file(path)
    except EcoaiError as error:
        assert str(path) in one_line(error)
        return
    assert all(math.isfinite(gate.threshold) for gate in found.gates)


CATALOG = load_catalog()
PRESET = {"model": "gpt-4.1", "prompt": "short"}


def estimate_or_one_error(flags: dict[str, Any]) -> None:
    try:
        report = estimate(resolve(None, flags, catalog=CATALOG))
    except EcoaiError as error:
        one_line(error)
        return
    assert report.per_query is not None and math.isfinite(report.per_query.energy_wh.max)
    json.loads(dump_json(report))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*sorted(BY_NAME), "grid", "cif", "wue-site", "--pue", "nope", ""]),
            st.lists(st.one_of(NUMBER_TEXT, st.sampled_from(["true", "FALSE", "USA"])), max_size=3),
        ), min_size=1, max_size=2,
    )
)  # fmt: skip
def test_vary_is_variations_or_one_error(specs: list[tuple[str, list[str]]]) -> None:
    count("--vary")
    try:
        expanded = variations([f"{key}={','.join(values)}" for key, values in specs])
    except EcoaiError as error:
        one_line(error)
        return
    for _, overrides in expanded[:4]:
        estimate_or_one_error({**PRESET, **overrides})


FLAG_VALUE = st.one_of(
    st.floats(), st.integers(-(2**70), 2**70), EXTREME, st.text(max_size=8), st.booleans(),
    st.lists(st.one_of(st.floats(), EXTREME), max_size=6),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(BY_NAME)), FLAG_VALUE, min_size=1, max_size=4))
def test_flag_values_estimate_or_one_error(flags: dict[str, Any]) -> None:
    count("flags")
    estimate_or_one_error({**PRESET, **flags})


BUILT_IN = {p.stem: p.read_text(encoding="utf-8") for p in sorted(built_in_dir().glob("*.toml"))}


def load_user_file(tmp_path: Path, name: str, text: str) -> None:
    directory = Path(tempfile.mkdtemp(dir=tmp_path))  # one per example: tmp_path is shared
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        catalog = load_catalog([directory])
    except EcoaiError as error:
        assert str(path) in one_line(error)
        return
    for flags in ({**PRESET, "host": "azure"}, {**PRESET, "grid": "FRA"}):
        estimate_or_one_error({**flags})
    assert catalog.ids("models")


@TMP
@given(st.sampled_from(sorted(BUILT_IN)), st.integers(0, 10_000))
def test_truncated_user_profile_is_loaded_or_one_error(tmp_path: Path, name: str, cut: int) -> None:
    count("user profile: truncated")
    load_user_file(tmp_path, name, BUILT_IN[name][:cut])


@TMP
@given(st.sampled_from(sorted(BUILT_IN)), st.data())
def test_user_profile_entry_with_wrong_values_is_one_error(
    tmp_path: Path, name: str, data: st.DataObject
) -> None:
    count("user profile: wrong types, unknown keys")
    parsed = tomllib.loads(BUILT_IN[name])
    parsed.pop("schema_version", None)
    kind = next(iter(parsed))
    entry_id = data.draw(st.sampled_from(sorted(parsed[kind])))
    entry = dict(parsed[kind][entry_id])
    field = data.draw(st.sampled_from([*sorted(entry), "unknown_field", "id", "origin"]))
    value = data.draw(
        st.one_of(
            table_value, st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), EXTREME
        )
    )
    entry[field] = value
    load_user_file(tmp_path, name, tomli_w.dumps({kind: {entry_id: entry}}))


@TMP
@given(st.text(max_size=120))
def test_random_text_user_profile_is_one_error_or_nothing(tmp_path: Path, text: str) -> None:
    count("user profile: random text")
    load_user_file(tmp_path, "hosts", text)


# --- the same inputs through the real CLI: exit 2, one line (+ hint), no traceback -------------

CLI_CASES = [
    ["compare", "{bad}", "gpt-4.1:short"],
    ["compare", "{truncated}", "gpt-4.1:short"],
    ["compare", "{nan}", "gpt-4.1:short"],
    ["compare", "{version}", "gpt-4.1:short"],
    ["compare", "{newline_key}", "gpt-4.1:short"],
    ["compare", "gpt-4.1:short", "gpt-4o:short", "--max-increase", "energy=nan"],
    ["compare", "gpt-4.1:short", "gpt-4o:short", "--max-increase", "energy=inf%"],
    ["compare", "gpt-4.1:short", "gpt-4o:short", "--budget", "energy_wh=-1"],
    ["compare", "gpt-4.1:short", "gpt-4o:short", "--budget", "energy=1"],
    ["compare", "gpt-4.1:short", "gpt-4o:short", "--gates", "{gates}"],
    ["compare", "gpt-4.1:short", "gpt-4o:short", "--confidence", "nan"],
    ["compare", "gpt-4.1:short", "--vary", "pue=1.1,nan"],
    ["compare", "gpt-4.1:short", "--vary", "pue=1e400"],
    ["compare", "gpt-4.1:short", "--vary", "gird=FRA"],
    ["estimate", "--model", "gpt-4.1", "--prompt", "short", "--pue", "inf"],
    ["estimate", "--model", "gpt-4.1", "--prompt", "short", "--output-tokens", "1e300"],
    ["estimate", "--model", "gpt-4.1", "--prompt", "short", "--queries-per-day", "1e308"],
    ["estimate", "--model", "gpt-4.1", "--prompt", "short", "--samples", "100000000000"],
    ["estimate", "--model", "gpt-4.1", "--prompt", "short", "--profiles", "{profile_dir}"],
    [
        "estimate",
        "--model",
        "gpt-4.1",
        "--prompt",
        "short",
        "--host",
        "x",
        "--profiles",
        "{inf_dir}",
    ],
    ["estimate", "--model", "gpt-4.1\n", "--prompt", "short"],
    ["estimate", "--model", "gpt-4.1", "--prompt", "short", "--queries", "1" + "0" * 400],
]


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, str]:
    full = json.dumps(VALID[1])
    nan = copy.deepcopy(VALID[0])
    nan["total"]["carbon_g"]["max"] = math.nan
    files = {
        "bad": {**VALID[0], "per_query": {"energy_wh": "lots"}},
        "nan": nan,
        "version": {**VALID[0], "schema_version": 99},
        "newline_key": {**VALID[0], "evil\nkey": 1},
    }
    paths = {name: tmp_path / f"{name}.json" for name in [*files, "truncated"]}
    for name, data in files.items():
        paths[name].write_text(json.dumps(data), encoding="utf-8")
    paths["truncated"].write_text(full[: len(full) // 2], encoding="utf-8")
    (tmp_path / "gates.toml").write_text("[budget]\nenergy_wh = nan\n", encoding="utf-8")
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "hosts.toml").write_text("[hosts.x]\npue = 'high'\n", encoding="utf-8")
    (tmp_path / "inf").mkdir()
    (tmp_path / "inf" / "hosts.toml").write_text(
        "[hosts.x]\npue = inf\nwue_site_l_per_kwh = 0\nwue_source_l_per_kwh = 0\n"
        'cif_kg_per_kwh = 0.3\nsources = ["test"]\n',
        encoding="utf-8",
    )
    return {
        "inf_dir": str(tmp_path / "inf"),
        **{name: str(path) for name, path in paths.items()},
        "gates": str(tmp_path / "gates.toml"),
        "profile_dir": str(tmp_path / "user"),
    }


@pytest.mark.parametrize("argv", CLI_CASES, ids=lambda a: " ".join(a).replace("\n", "\\n"))
def test_cli_bad_input_is_exit_2_one_line(
    ecoai_cli: CliRunner, bad_files: dict[str, str], argv: list[str]
) -> None:
    count("CLI subprocess")
    done = ecoai_cli(*[arg.format(**bad_files) for arg in argv])
    lines = done.stderr.splitlines()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert error_lines_ok(lines), done.stderr


# --- the event file a profiled command appends to (ECOAI_EVENTS) ---------------------------------

EVENT_VALUE = st.one_of(ANY, st.sampled_from(["query", "phase", "start", "end", "prefill", ""]))


@st.composite
def event_lines(draw: st.DrawFn) -> bytes:
    """A JSON event with random fields and values, random bytes, or a truncated event."""
    keys = st.sampled_from(["event", "n", "input_tokens", "output_tokens", "t", "name", "edge"])
    data = draw(st.dictionaries(st.one_of(keys, st.text(max_size=4)), EVENT_VALUE, max_size=5))
    line = json.dumps(data).encode()
    return draw(st.sampled_from([line, line[: draw(st.integers(0, len(line)))],
                                 draw(st.binary(max_size=40)).replace(b"\n", b"")]))  # fmt: skip


@TMP
@given(st.lists(event_lines(), max_size=8), st.integers(1, 64))
def test_event_file_lines_are_events_or_counted_as_malformed(
    tmp_path: Path, lines: list[bytes], read_bytes: int
) -> None:
    count("event file lines")
    from ecoai.measurement.events import EventTail, PhaseEdge, Query

    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "events.jsonl"
    path.write_bytes(b"\n".join(lines))
    tail = EventTail(path)
    events = []
    while batch := tail.read(read_bytes):  # in small reads, as the sampler does
        events += batch
    events += tail.finish()
    assert all(isinstance(e, Query | PhaseEdge) for e in events)
    assert len(events) + tail.malformed <= len([ln for ln in lines if ln.strip()])
    assert len(tail.examples) <= 3 and all("\n" not in example for example in tail.examples)
    for event in events:
        if isinstance(event, Query):
            assert event.n >= 0 and event.input_tokens >= 0 and event.output_tokens >= 0
