"""What `ecoai profile` does before the command it measures starts (issue 16: at most 50 ms).

Only what reading the sensors once needs: no report model (pydantic), no catalog, no renderer,
no pynvml where the NVIDIA library is absent. The probe spies on ``subprocess.Popen`` (how the
runner starts the command) and records ``sys.modules`` at that instant; the report written
afterwards must still be whole (the inputs resolved while the command ran).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import run_probe

from ecoai.commands.profile import built_in_tdp_lookup, tdp_lookup
from ecoai.inputs.built_in import built_in_entries
from ecoai.inputs.catalog import load_catalog
from ecoai.measurement.session import DEFAULT_SCOPE, plan, prepare, resolve_inputs
from ecoai.models import ATTRIBUTION_SCOPES

PROBE = """
import json, subprocess, sys
started = []

class Spy(subprocess.Popen):
    def __init__(self, args, *rest, **options):
        started.append([list(args), sorted(sys.modules)])
        super().__init__(args, *rest, **options)

subprocess.Popen = Spy
from ecoai.cli import main
try:
    main({argv!r})
except SystemExit as end:
    status = end.code
print(json.dumps({{"status": status, "started": started}}))
"""

NOT_BEFORE_START = (
    "pydantic",
    "ecoai.models",
    "ecoai.footprint",
    "ecoai.inputs.catalog",
    "ecoai.inputs.catalog_schema",
    "ecoai.inputs.resolve",
    "ecoai.measurement.report",
    "ecoai.measurement.serving",
    "ecoai.render.json",
    "ecoai.render.table",
    "rich",
    "typer",
    "click",
    "tomllib",
    "plistlib",
)
"""What reading the sensors once does not need: loaded while the command runs, if at all."""


def _nvml_library() -> bool:
    import ctypes

    from ecoai.sensors import NVML_LIBRARY

    try:
        ctypes.CDLL(NVML_LIBRARY)
    except OSError:
        return False
    return True


def _first_start(argv: list[str]) -> tuple[int, list[str], set[str]]:
    """ecoai's exit status, and the argv and modules at the first process it started."""
    seen = json.loads(run_probe(PROBE.format(argv=argv)).stdout.splitlines()[-1])
    command, modules = seen["started"][0]
    return seen["status"], command, set(modules)


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("extra", [[], ["--json"], ["-f", "csv"]])
def test_the_command_starts_before_the_report_model_and_the_catalog_load(
    tmp_path: Path, extra: list[str]
) -> None:
    report = tmp_path / "r.json"
    argv = ["profile", "-q", "-o", str(report), *extra, "--", sys.executable, "-c", "pass"]
    status, command, modules = _first_start(argv)
    assert status == 0 and command == [sys.executable, "-c", "pass"]
    heavy = NOT_BEFORE_START + (() if _nvml_library() else ("pynvml",))
    assert _loaded(modules, heavy) == []
    if extra == ["-f", "csv"]:
        assert ",measured,total,carbon_g,gCO2e," in report.read_text()
        return
    written = json.loads(report.read_text())
    inputs = written["inputs"]
    assert set(inputs) == {"pue", "wue_site_l_per_kwh", "wue_source_l_per_kwh", "cif_kg_per_kwh"}
    assert {p["source"]["kind"] for p in inputs.values()} <= {"profile", "default"}
    assert written["total"]["carbon_g"]["mean"] > 0


@pytest.mark.parametrize(
    "given",
    [["--grid", "FRA"], ["--pue", "1.2"], ["--metrics-port", "0", "--metrics-host", "127.0.0.1"]],
)
def test_inputs_that_may_fail_or_serve_are_resolved_before_the_command(
    tmp_path: Path, given: list[str]
) -> None:
    """Inputs on the command line (a wrong one must be refused before the command runs) and a
    metrics endpoint (it serves carbon from the start): the catalog loads first, as before."""
    argv = ["profile", "-q", "-o", str(tmp_path / "r.json"), *given, "--", "true"]
    status, _, modules = _first_start(argv)
    assert status == 0
    assert _loaded(modules, ("ecoai.inputs.catalog",)) == ["ecoai.inputs.catalog"]


def test_user_profiles_are_loaded_before_the_command(tmp_path: Path) -> None:
    """A user profile directory may fail to load: it is read (and refused) before the command."""
    (tmp_path / "bad.toml").write_text("[grids.x]\ncif_g_per_kwh = -1\n")
    marker = tmp_path / "ran"
    argv = ["profile", "-q", "--profiles", str(tmp_path), "--", "touch", str(marker)]
    done = run_probe(PROBE.format(argv=argv))
    assert json.loads(done.stdout.splitlines()[-1])["status"] == 2
    assert not marker.exists()
    assert done.stderr.startswith("ecoai: error: ")


def test_inputs_resolved_later_are_the_inputs_resolved_at_once() -> None:
    later = resolve_inputs(plan(["true"]), {}, load_catalog(overlays=False))
    assert later == prepare(["true"], {}, catalog=load_catalog(overlays=False))
    assert DEFAULT_SCOPE in ATTRIBUTION_SCOPES  # plan checks only other scopes


def test_the_built_in_tdp_lookup_is_the_catalogs() -> None:
    """The CPU TDP read from the parsed built-in profiles (before the command) matches the
    catalog's lookup for every pattern of every built-in CPU, and for an unknown CPU."""
    entries = built_in_entries("cpus")
    assert entries, "parsed.json is stale: run python -m ecoai.inputs.catalog"
    catalog = tdp_lookup(load_catalog(overlays=False))
    light = built_in_tdp_lookup()
    names = [f"Vendor {pattern} CPU @ 2.0GHz" for e in entries for pattern in e["match"]]
    for name in [*names, "Intel(R) Xeon(R) Processor", "no such CPU"]:
        expected, got = catalog(name), light(name)
        assert got == expected, name
        for extra in ("threads_per_package", "cores"):
            assert getattr(got, extra, None) == getattr(expected, extra, None), name
    ids = [entry.id for entry in load_catalog(overlays=False).entries("cpus")]
    assert [entry["id"] for entry in entries] == ids
