"""Security: input files are data only, the child runs without a shell, reports carry no secrets."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from conftest import CliRunner

from ecoai.errors import EcoaiError
from ecoai.inputs.catalog import load_catalog
from ecoai.inputs.catalog_schema import SCHEMAS
from ecoai.inputs.resolve import resolve

PY = sys.executable
FLAGS = ["--pue", "1.2", "--wue-site", "0.5", "--wue-source", "3", "--cif", "0.4"]
PAYLOADS = [
    "__import__('pathlib').Path('{marker}').touch()",
    "$(touch {marker})",
    "`touch {marker}`",
    "; touch {marker}",
    "{{{{ touch('{marker}') }}}}",
    "../../../../{marker}",
    "{marker}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_scenario_values_are_data_never_code_or_paths(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "pwned"
    text = payload.format(marker=marker)
    scenario = tmp_path / "s.toml"
    scenario.write_text(f"model = {json.dumps(text)}\nlabel = {json.dumps(text)}\n")
    with pytest.raises(EcoaiError) as caught:
        resolve(scenario, {"prompt": "short"})
    assert caught.value.message.startswith("unknown model")  # an id to look up, nothing more
    assert not marker.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_profile_values_are_data_never_code_or_paths(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "pwned"
    text = json.dumps(payload.format(marker=marker))
    (tmp_path / "grids.toml").write_text(
        f"[grids.XYZ]\nname = {text}\nnote = {text}\ncif_g_per_kwh = 100\nyear = 2024\n"
        f"sources = [{text}]\n"
    )
    catalog = load_catalog([tmp_path])
    assert catalog.get("grids", "XYZ").name == payload.format(marker=marker)
    assert not marker.exists()


def test_no_profile_field_names_a_file() -> None:
    """No include-like key: nothing in a profile entry is a path that ecoai would open."""
    pathish = {"include", "import", "file", "path", "dir", "source_file", "extends"}
    for schema in SCHEMAS.values():
        names = {each.name for each in dataclasses.fields(schema)}
        assert not {n for n in names if n in pathish or n.endswith(("_path", "_file", "_dir"))}


def test_the_child_gets_its_arguments_literally_without_a_shell(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    victim = tmp_path / "x"
    victim.mkdir()
    script = tmp_path / "sensors.json"
    script.write_text(json.dumps({"sensors": [{"name": "gpu", "power_w": 1.0}]}))
    args = ["; rm -rf x", "$(rm -rf x)", "`rm -rf x`", "x && rm -rf x", "*", "$HOME"]
    echo = "import sys, json; print(json.dumps(sys.argv[1:]))"
    done = ecoai_cli(
        "profile", *FLAGS, "-q", "--", PY, "-c", echo, *args,
        env={"ECOAI_FAKE_SENSORS": str(script)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == args
    assert victim.is_dir()


def test_a_report_does_not_carry_the_environment(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    secret = "s3cr3t-0f-the-ci-runner-4f2a"
    script = tmp_path / "sensors.json"
    script.write_text(json.dumps({"sensors": [{"name": "gpu", "power_w": 1.0}]}))
    env = {"ECOAI_FAKE_SENSORS": str(script), "AWS_SECRET_ACCESS_KEY": secret, "API_TOKEN": secret}
    done = ecoai_cli(
        "profile", *FLAGS, "--label", "ci", "-o", "r.json", "--", PY, "-c",
        # the child still gets its environment (this code names neither the variable nor value)
        "import os, sys; sys.exit(0 if 's3cr3t' in ''.join(os.environ.values()) else 9)",
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "r.json").read_text()
    for leak in (secret, "AWS_SECRET_ACCESS_KEY", "API_TOKEN"):
        assert leak not in text and leak not in done.stderr
    top = set(json.loads(text))
    assert top <= {"schema_version", "kind", "ecoai_version", "created_at", "label", "method",
                   "inputs", "intermediate", "queries", "per_query", "total", "per_day",
                   "per_year", "measurement", "runs", "notes", "extra"}  # fmt: skip
