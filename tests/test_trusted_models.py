"""Models built without validation (``Frozen.trusted``, the built-in profiles) equal validated ones.

An estimate (table or JSON) builds its report from values ecoai computed, reads the built-in
profiles without validation and writes its JSON with the standard library, so it never imports
pydantic (issue 16: start-up). These tests are what makes that safe: every built-in profile entry
validates and equals its trusted build, every preset's estimate equals its validated report field
by field and type by type, its JSON parses to pydantic's dump of the validated report and
validates against ``ecoai schema``, and ``plain`` is pydantic's ``dump_python``.
"""

from __future__ import annotations

import json
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, run_probe
from fakes.reports import estimate_report, measured_report
from test_estimate import FLAG_VALUES

from ecoai.estimation.estimate import estimate
from ecoai.inputs.catalog import (
    BUILT_IN,
    PARSED_FILE,
    SERVE_METRICS_FILE,
    _parsed_built_in,
    built_in_dir,
    load_catalog,
    parsed_text,
)
from ecoai.inputs.catalog_schema import SCHEMAS
from ecoai.inputs.keys import BY_NAME
from ecoai.inputs.mlenergy import diffusion_models, open_models
from ecoai.inputs.resolve import resolve
from ecoai.models import Param, Report, Source, Stat, WaterStat, plain, trusted
from ecoai.render import Format, render
from ecoai.validation import dump, dump_json, json_schema, validate, validate_json

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def typed(node: Any) -> Any:
    """``node`` with every leaf as (type name, value): 300 and 300.0 differ, True and 1 too."""
    if isinstance(node, dict):
        return {key: typed(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return (type(node).__name__, [typed(value) for value in node])
    return (type(node).__name__, repr(node))


def assert_same(built: Any, validated: Any) -> None:
    assert type(built) is type(validated)
    assert typed(plain(built)) == typed(plain(validated))
    assert built == validated


def built_in_entries() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path in sorted(built_in_dir().glob("*.toml")):
        if path.name == SERVE_METRICS_FILE:
            continue
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        data.pop("schema_version", None)
        for kind, table in data.items():
            for entry_id, fields in table.items():
                found.append((kind, entry_id, {**fields, "id": entry_id, "origin": BUILT_IN}))
    return found


ENTRIES = built_in_entries()


def test_every_kind_has_built_in_entries() -> None:
    assert {kind for kind, _, _ in ENTRIES} >= {"models", "hardware", "hosts", "grids", "cpus"}


@pytest.mark.parametrize(
    ("kind", "entry_id", "data"), ENTRIES, ids=[f"{k}.{i}" for k, i, _ in ENTRIES]
)
def test_every_built_in_entry_validates_and_equals_its_trusted_build(
    kind: str, entry_id: str, data: dict[str, Any]
) -> None:
    """The built-in profiles are read without validation at run time: validated here instead."""
    validated = validate(SCHEMAS[kind], data)  # raises for a broken shipped profile
    assert_same(trusted(SCHEMAS[kind], data), validated)
    assert typed(plain(validated)) == typed(dump(validated))


def test_the_catalog_equals_one_validated_entry_by_entry() -> None:
    catalog = load_catalog(overlays=False)
    for kind, entry_id, data in ENTRIES:
        assert_same(catalog.get(kind, entry_id), validate(SCHEMAS[kind], data))


def test_a_broken_user_profile_is_still_validated(tmp_path: Path) -> None:
    from ecoai.errors import ProfileError

    (tmp_path / "mine.toml").write_text(
        '[grids.mine]\ncif_g_per_kwh = -1\nyear = 2024\nsources = ["me"]\n', encoding="utf-8"
    )
    with pytest.raises(ProfileError, match=r"mine.toml: grids.mine.cif_g_per_kwh: must be >= 0"):
        load_catalog([tmp_path])


def preset_scenarios() -> list[dict[str, Any]]:
    catalog = load_catalog(overlays=False)
    scenarios: list[dict[str, Any]] = [dict(FLAG_VALUES), {**FLAG_VALUES, "queries": 7}]
    for model in catalog.entries("models"):
        scenarios += [{"model": model.id, "prompt": prompt} for prompt in model.prompts]  # type: ignore[attr-defined]
    scenarios += [{"task": entry.id, "queries": 1000} for entry in catalog.entries("tasks")]
    for host in catalog.entries("hosts"):
        scenarios.append({"model": "gpt-4o", "prompt": "short", "host": host.id, "embodied": True})
    for grid in catalog.entries("grids")[:20]:
        scenarios.append({"model": "gpt-4o", "prompt": "long", "grid": grid.id})
    for node in [e for e in catalog.entries("hardware") if getattr(e, "type", "") == "node"]:
        scenarios.append({"model": "gpt-4o", "prompt": "medium", "hardware": node.id,
                          "batch_size": 4, "queries_per_day": 1e6})  # fmt: skip
    site = {"pue": 1.2, "wue_site_l_per_kwh": 0.5, "wue_source_l_per_kwh": 3.0}
    for model_id in list(open_models())[:8]:
        scenarios.append({"model": model_id, "hardware": "h100-sxm", "output_tokens": 500})
    for model_id in list(diffusion_models())[:4]:
        scenarios.append({"model": model_id, "hardware": "h100-sxm", **site})
    scenarios.append({**site, "cif_kg_per_kwh": 0.3, "it_energy_wh": 2, "it_energy_std_wh": 1})
    return scenarios


SCENARIOS = preset_scenarios()


@pytest.mark.parametrize("flags", SCENARIOS, ids=[str(i) for i in range(len(SCENARIOS))])
def test_a_trusted_estimate_equals_its_validated_report(flags: dict[str, Any]) -> None:
    report = estimate(resolve(None, flags), now=NOW)
    validated = validate(Report, plain(report))
    assert_same(report, validated)
    assert typed(plain(report)) == typed(dump(validated))
    assert_json_as_pydantic_writes(report, validated)
    for fmt in (Format.TABLE, Format.MARKDOWN, Format.CSV):
        assert render(report, fmt, explain=True) == render(validated, fmt, explain=True)


REPORT_SCHEMA = json_schema(Report)
GOLDEN = [REPO_ROOT / "tests/golden/estimate.json", *sorted(REPO_ROOT.glob("tests/data/**/*.json"))]
GOLDEN_REPORTS = [path for path in GOLDEN if '"schema_version"' in path.read_text()]


def assert_json_as_pydantic_writes(report: Report, validated: Report) -> None:
    """ecoai's own JSON (the standard library's) parses to exactly pydantic's dump of the
    validated report, types included (1 is not 1.0), keys in order, and meets the schema."""
    import jsonschema

    written = render(report, Format.JSON)
    expected = json.loads(dump_json(validated, indent=2))
    found = json.loads(written)
    assert typed(found) == typed(expected)
    assert list(found) == list(expected)
    jsonschema.validate(found, REPORT_SCHEMA)
    assert validate_json(Report, written) == validated


def test_the_golden_reports_are_found() -> None:
    assert len(GOLDEN_REPORTS) >= 2, GOLDEN


@pytest.mark.parametrize("path", GOLDEN_REPORTS, ids=[p.name for p in GOLDEN_REPORTS])
def test_plain_is_pydantics_dump_on_golden_reports(path: Path) -> None:
    report = validate_json(Report, path.read_text(encoding="utf-8"))
    assert typed(plain(report)) == typed(dump(report))
    assert_same(trusted(Report, plain(report)), report)  # nested dicts become models
    assert_json_as_pydantic_writes(report, report)


def test_plain_is_pydantics_dump_on_built_reports() -> None:
    for report in [estimate_report(1.0), measured_report([1.0, 2.0, 4.0], queries=3)]:
        assert typed(plain(report)) == typed(dump(report))
        assert_same(trusted(Report, plain(report)), report)
        assert_json_as_pydantic_writes(report, validate(Report, plain(report)))


def test_the_json_writes_what_pydantic_writes_at_the_edges() -> None:
    """Non-finite floats as null (pydantic's default), UTC as Z, other offsets kept, the
    odd value in ``extra`` (a date) through pydantic, non-ASCII text as it is."""
    from datetime import date, timedelta, timezone

    from ecoai.render.json import render_json

    base = estimate_report(1.0)
    for created in [NOW, datetime(2026, 1, 1, 1, 2, 3, 4500, tzinfo=timezone(timedelta(hours=-5)))]:
        for extra in [{"x": float("nan"), "y": [float("inf"), 1, 2.5]}, {"when": date(2026, 1, 2)},
                      {"label": "Zürich ☃", "n": {"a": None}}]:  # fmt: skip
            report = Report.trusted(**{**plain(base), "created_at": created, "extra": extra})
            expected = json.loads(dump_json(report, indent=2))
            assert typed(json.loads(render_json(report))) == typed(expected)


@pytest.mark.parametrize(
    ("model", "values", "expected"),
    [
        (Stat, {"mean": 1, "min": 0, "max": 2}, {"mean": 1.0, "min": 0.0, "max": 2.0}),
        (Stat, {"mean": 1.5, "min": True, "max": 2, "std": 3}, None),
        (Param, {"value": [1, 2.5, 3, 4, 5], "source": {"kind": "flag"}}, None),
        (Param, {"value": 8, "source": {"kind": "profile", "ref": "x"}}, None),
        (Param, {"value": True, "source": {"kind": "default"}}, None),
        (Param, {"value": 0.5, "source": Source(kind="file")}, None),
        (Param, {"value": "h100", "source": {"kind": "env"}}, None),
    ],
)
def test_trusted_converts_as_validation_does(
    model: type[Stat | Param], values: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    validated = validate(model, values)
    assert_same(model.trusted(**values), validated)
    if expected is not None:
        assert typed(plain(validated)) == typed({**plain(validated), **expected})


def test_water_stat_scales_without_validation() -> None:
    site, source = Stat.point(1), Stat.point(2)
    water = WaterStat.trusted(mean=3, min=3, max=3, site=site, source=source).scaled(2)
    assert_same(water, WaterStat(mean=6.0, min=6.0, max=6.0, site=Stat.point(2.0),
                                 source=Stat.point(4.0)))  # fmt: skip


PYDANTIC_PROBE = """
import contextlib, io, sys
sys.argv = ['ecoai', *{argv!r}]
from ecoai.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main()
    except SystemExit:
        pass
assert out.getvalue(), 'no output'
print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')
             or m in ('ecoai.validation', 'annotated_types', 'importlib.metadata')))
"""
PRESET = ["estimate", "--model", "gpt-4o", "--prompt", "short"]
FLAGS = ["estimate", *(f"{BY_NAME[k].flag}={v}" for k, v in FLAG_VALUES.items())]


@pytest.mark.parametrize(
    "argv",
    [PRESET, FLAGS, [*PRESET, "-f", "markdown"], [*PRESET, "--json"], [*FLAGS, "--json"],
     ["estimate", "--model", "gpt-4.1", "--prompt", "short", "--json"]],
)  # fmt: skip
def test_an_estimate_imports_no_pydantic(argv: list[str]) -> None:
    """Neither the table nor the JSON of an estimate imports pydantic (issue 16): the report
    model is plain dataclasses, the built-in profiles are trusted, the JSON is the stdlib's."""
    run = run_probe(PYDANTIC_PROBE.format(argv=argv))
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stdout + run.stderr


def test_the_pydantic_probe_can_fail(tmp_path: Path) -> None:
    """A user's profile directory is validated: pydantic is imported (the probe sees it)."""
    (tmp_path / "mine.toml").write_text(
        '[grids.mine]\ncif_g_per_kwh = 1\nyear = 2024\nsources = ["me"]\n', encoding="utf-8"
    )
    run = run_probe(PYDANTIC_PROBE.format(argv=[*PRESET, "--profiles", str(tmp_path)]))
    assert "pydantic" in run.stdout.strip().splitlines()[-1]


MEASURED_PROBE = """
import os, sys
os.environ.update({env!r})
sys.argv = ['ecoai', *{argv!r}]
import ecoai.measurement.report as built
from ecoai.models import Report, plain
from ecoai.validation import dump, validate
made = []
original = built.build_report
def capture(*args, **kwargs):
    made.append(original(*args, **kwargs))
    return made[-1]
built.build_report = capture
from ecoai.cli import main
try:
    main()
except SystemExit:
    pass
def typed(node):
    if isinstance(node, dict):
        return {{key: typed(value) for key, value in node.items()}}
    if isinstance(node, (list, tuple)):
        return (type(node).__name__, [typed(value) for value in node])
    return (type(node).__name__, repr(node))
(report,) = made
validated = validate(Report, plain(report))
print(report == validated, typed(plain(report)) == typed(dump(validated)),
      report.measurement.workload is not None, len(report.runs or ()))
"""


def test_a_trusted_measured_report_equals_its_validated_one(tmp_path: Path) -> None:
    """``ecoai profile`` builds its report without validation: with runs, work and phases."""
    from integration_helpers import FACTORS, sensor_script, work_script

    env = sensor_script(tmp_path)
    argv = ["profile", "-q", "--repeat", "2", "--interval-s", "0.05", *FACTORS, "--"]
    argv += [sys.executable, str(work_script(tmp_path))]
    run = run_probe(MEASURED_PROBE.format(env=env, argv=argv))
    assert run.stdout.strip().splitlines()[-1] == "True True True 2", run.stdout + run.stderr


def test_the_parsed_built_in_profiles_are_fresh_and_exact() -> None:
    """``profiles/parsed.json`` is the TOML files parsed (types included): regenerate it with
    ``python -m ecoai.inputs.catalog`` after editing a built-in profile."""
    committed = (built_in_dir() / PARSED_FILE).read_text(encoding="utf-8")
    assert committed == parsed_text(), "stale: run python -m ecoai.inputs.catalog"
    paths = [p for p in sorted(built_in_dir().glob("*.toml")) if p.name != SERVE_METRICS_FILE]
    assert _parsed_built_in(built_in_dir(), paths) is not None  # used, not parsed again
    files = json.loads(committed)["files"]
    for path in built_in_dir().glob("*.toml"):
        if path.name != SERVE_METRICS_FILE:
            parsed = tomllib.loads(path.read_text(encoding="utf-8"))
            assert typed(files[path.name]["data"]) == typed(parsed), path.name


@pytest.mark.parametrize("change", ["edit", "add", "remove", "corrupt"])
def test_a_stale_parsed_copy_is_never_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """Any difference between the TOML files and the parsed copy: the TOML files are read."""
    import shutil

    from ecoai.inputs import catalog

    copy = tmp_path / "profiles"
    shutil.copytree(built_in_dir(), copy)
    monkeypatch.setattr(catalog, "built_in_dir", lambda: copy)
    hosts = copy / "hosts.toml"
    if change == "edit":  # the same size: only the checksum tells
        hosts.write_text(hosts.read_text().replace("pue = 1.12", "pue = 1.13", 1))
    elif change == "add":
        (copy / "extra.toml").write_text(
            '[grids.extra]\ncif_g_per_kwh = 1\nyear = 2024\nsources = ["x"]\n'
        )
    elif change == "remove":
        (copy / "tasks.toml").unlink()
    else:
        (copy / PARSED_FILE).write_text("{not json")
    found = load_catalog(overlays=False)
    assert found.get("hosts", "azure").pue == (1.13 if change == "edit" else 1.12)
    assert (found.find("grids", "extra") is not None) == (change == "add")
    assert bool(found.ids("tasks")) == (change != "remove")
