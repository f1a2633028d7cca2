"""Models built without validation (``Frozen.trusted``, the built-in profiles) equal validated ones.

The estimate's table path builds its report from values ecoai computed and reads the built-in
profiles without pydantic's validation, so no schema is built there (issue 16: start-up). These
tests are what makes that safe: every built-in profile entry validates and equals its trusted
build, every preset's estimate equals its validated report field by field and type by type, and
``plain`` is ``model_dump`` without the serializer.
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
    validated = SCHEMAS[kind].model_validate(data)  # raises for a broken shipped profile
    assert_same(trusted(SCHEMAS[kind], data), validated)
    assert typed(plain(validated)) == typed(validated.model_dump())


def test_the_catalog_equals_one_validated_entry_by_entry() -> None:
    catalog = load_catalog(overlays=False)
    for kind, entry_id, data in ENTRIES:
        assert_same(catalog.get(kind, entry_id), SCHEMAS[kind].model_validate(data))


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
    validated = Report.model_validate(report.model_dump())
    assert_same(report, validated)
    assert typed(plain(report)) == typed(validated.model_dump())
    assert render(report, Format.JSON) == validated.model_dump_json(indent=2) + "\n"
    for fmt in (Format.TABLE, Format.MARKDOWN, Format.CSV):
        assert render(report, fmt, explain=True) == render(validated, fmt, explain=True)


def test_plain_is_model_dump_on_measured_and_golden_reports() -> None:
    golden = Report.model_validate_json((REPO_ROOT / "tests/golden/estimate.json").read_text())
    reports = [golden, estimate_report(1.0), measured_report([1.0, 2.0, 4.0], queries=3)]
    for report in reports:
        dumped = report.model_dump()
        assert typed(plain(report)) == typed(dumped)
        assert_same(trusted(Report, plain(report)), report)  # nested dicts become models
        assert render(report, Format.JSON) == report.model_dump_json(indent=2) + "\n"


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
    validated = model.model_validate(values)
    assert_same(model.trusted(**values), validated)
    if expected is not None:
        assert typed(plain(validated)) == typed({**plain(validated), **expected})


def test_water_stat_scales_without_validation() -> None:
    site, source = Stat.point(1), Stat.point(2)
    water = WaterStat.trusted(mean=3, min=3, max=3, site=site, source=source).scaled(2)
    assert_same(water, WaterStat(mean=6.0, min=6.0, max=6.0, site=Stat.point(2.0),
                                 source=Stat.point(4.0)))  # fmt: skip


SCHEMA_PROBE = """
import contextlib, io, sys
import pydantic
sys.argv = ['ecoai', *{argv!r}]
from ecoai.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit:
        pass
def every(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from every(sub)
print(sorted(c.__name__ for c in every(pydantic.BaseModel)
             if c.__module__.startswith('ecoai.') and c.__pydantic_complete__))
"""
PRESET = ["estimate", "--model", "gpt-4o", "--prompt", "short"]
FLAGS = ["estimate", *(f"{BY_NAME[k].flag}={v}" for k, v in FLAG_VALUES.items())]


@pytest.mark.parametrize("argv", [PRESET, FLAGS, [*PRESET, "-f", "markdown"]])
def test_the_estimate_table_builds_no_schema(argv: list[str]) -> None:
    """No model's validator or serializer is built on the way to a table (issue 16)."""
    run = run_probe(SCHEMA_PROBE.format(argv=argv))
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stdout + run.stderr


def test_the_json_output_is_validated() -> None:
    """The probe can fail: --json validates the report (and builds the schema) before writing."""
    run = run_probe(SCHEMA_PROBE.format(argv=[*PRESET, "--json"]))
    assert "Report" in json.loads(run.stdout.strip().splitlines()[-1].replace("'", '"'))


MEASURED_PROBE = """
import os, sys
os.environ.update({env!r})
sys.argv = ['ecoai', *{argv!r}]
import ecoai.measurement.report as built
from ecoai.models import Report, plain
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
validated = Report.model_validate(report.model_dump())
print(report == validated, typed(plain(report)) == typed(validated.model_dump()),
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
