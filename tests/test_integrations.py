"""What every integration shares (issue 14): the metric names, `--log` bad input, missing extras."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CliRunner, cli_env
from integration_helpers import FACTORS, read_report, sensor_script, work_script

from ecoai.errors import InputError
from ecoai.integrations import SINKS, parse_sinks
from ecoai.metrics import (
    COUNT_EXPORTS,
    EXPORT_NAMES,
    METRICS,
    SENSOR_ENERGY_EXPORT,
    SENSOR_POWER_EXPORT,
    report_figures,
)


def test_one_name_per_report_field_and_sink() -> None:
    keys = [e.key for e in EXPORT_NAMES]
    assert len(keys) == len(set(keys))
    assert [e.key.format(scope="") for e in EXPORT_NAMES[: len(METRICS)]] == [
        f"ecoai.{m.name}" for m in METRICS
    ]
    assert SENSOR_ENERGY_EXPORT.otel == "hw.energy" and SENSOR_ENERGY_EXPORT.otel_unit == "J"
    assert SENSOR_POWER_EXPORT.otel == "hw.power" and SENSOR_POWER_EXPORT.otel_unit == "W"


def test_the_readme_table_is_the_mapping() -> None:
    from conftest import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for export in EXPORT_NAMES:
        prometheus = f"`{export.prometheus}`" if export.prometheus else "—"
        row = (
            f"| `{export.field}` | `{export.key}` | `{export.otel}` ({export.otel_unit}) "
            f"| {prometheus} |"
        )
        assert row in readme, f"README.md's Integrations table lacks {row}"


def test_the_prometheus_endpoint_serves_the_shared_names() -> None:
    pytest.importorskip("prometheus_client", reason="needs pip install 'ecoai[metrics]'")
    from ecoai.sensors.fake import ScriptedSensor
    from ecoai.watch.prometheus import MetricsServer

    sensor = ScriptedSensor({"name": "g", "power_w": 10.0}, lambda: 0.0)
    server = MetricsServer("127.0.0.1", 0, [sensor], lambda: {"queries": 3})
    names = [family.name for family in server.collect()]
    prometheus = [SENSOR_POWER_EXPORT.prometheus, SENSOR_ENERGY_EXPORT.prometheus]
    assert names == [*prometheus, COUNT_EXPORTS["queries"].prometheus]


def test_a_measured_report_gives_totals_per_unit_phases_work_and_sensors(
    ecoai_cli: CliRunner, tmp_path: Path
) -> None:
    done = ecoai_cli(
        "profile", *FACTORS, "-q", "-o", "r.json", "--", "python", str(work_script(tmp_path)),
        env=sensor_script(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = read_report(tmp_path / "r.json")
    figures = {f.key: f for f in report_figures(report)}
    assert report.total is not None and report.per_query is not None
    assert figures["ecoai.energy_wh"].value == report.total.energy_wh.mean
    assert figures["ecoai.water_site_ml"].value == report.total.water_ml.site.mean
    assert figures["ecoai.per_query.carbon_g"].value == report.per_query.carbon_g.mean
    assert figures["ecoai.per_query.carbon_g"].attributes == {"ecoai.scope": "per_query"}
    assert figures["ecoai.queries"].value == 2 and figures["ecoai.output_tokens"].value == 500
    per_1k = figures["ecoai.per_1k_output_tokens.energy_wh"].value
    assert per_1k == pytest.approx(report.total.energy_wh.mean * 1000 / 500)
    assert figures["ecoai.phase.train.energy_wh"].attributes["ecoai.phase"] == "train"
    outside = figures["ecoai.outside_phases.energy_wh"]
    assert outside.attributes == {"ecoai.scope": "outside_phases"}
    sensor = figures["ecoai.sensor.fake-gpu.energy_j"]
    assert sensor.attributes["hw.id"] == "GPU-fake" and sensor.attributes["hw.type"] == "gpu"
    assert figures["ecoai.duration_s"].value > 0.3


def test_an_unknown_sink_is_one_line_naming_the_choices(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profile", "--log", "mlfow", "--", "true")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "ecoai: error: --log: unknown sink 'mlfow'",
        "hint: choose mlflow, wandb, otel",
    ]
    with pytest.raises(InputError, match="log=: unknown sink 'x'"):
        import ecoai

        ecoai.measure(log="x")


@pytest.mark.parametrize("name", list(SINKS))
def test_a_missing_extra_is_one_line_naming_the_pip_install(tmp_path: Path, name: str) -> None:
    """The library is hidden (sys.modules[...] = None, Python's own way to block an import)."""
    blocked = SINKS[name].needs[0]
    out = tmp_path / "r.json"
    probe = (
        "import sys\n"
        f"sys.modules[{blocked!r}] = None\n"
        f"sys.argv = ['ecoai', 'profile', '--log', {name!r}, '-o', {str(out)!r}, '--', 'true']\n"
        "from ecoai.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env(), timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"ecoai: error: --log {name} needs {blocked.split('.')[0]}",
        f"hint: pip install 'ecoai[{SINKS[name].extra}]' (or pip install {SINKS[name].packages})",
    ]
    assert not out.exists()  # nothing ran: the error comes before the command


def test_sinks_parse_repeated_and_comma_separated() -> None:
    installed = [n for n in SINKS if all(_found(m) for m in SINKS[n].needs)]
    if len(installed) < 2:
        pytest.skip("needs two of the optional extras installed")
    a, b = installed[:2]
    assert [s.name for s in parse_sinks([f"{a},{b}", a])] == [a, b]


def _found(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False
