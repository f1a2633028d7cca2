"""Embodied carbon: every model preset has sourced GPU and server figures, shown as a range."""

from __future__ import annotations

import pytest

from ecoai import footprint
from ecoai.estimation.estimate import estimate
from ecoai.inputs.catalog import load_catalog
from ecoai.inputs.resolve import resolve

CATALOG = load_catalog()
MODELS = sorted(entry.id for entry in CATALOG.entries("models"))


@pytest.mark.parametrize("model_id", MODELS)
def test_every_model_preset_estimates_embodied_carbon(model_id: str) -> None:
    params = resolve(None, {"model": model_id, "prompt": "short", "embodied": True})
    report = estimate(params)
    assert report.per_query is not None
    line = report.per_query.embodied_carbon_g
    assert line is not None
    assert 0 < line.min <= line.mean <= line.max
    assert params["embodied_gpu_kg"].source.kind == "profile"


def test_the_range_uses_the_lowest_and_highest_published_figures() -> None:
    flags = {
        "duration_s": 3600.0, "p_gpu_kw": 5.6, "p_non_gpu_kw": 4.6, "u_gpu_min": 0.05,
        "u_gpu_max": 0.1, "u_non_gpu": 0.05, "pue": 1.2, "wue_site_l_per_kwh": 0.0,
        "wue_source_l_per_kwh": 0.0, "cif_kg_per_kwh": 0.4, "embodied": True, "gpu_count": 2,
        "gpus_per_node": 8, "batch_size": 8, "embodied_gpu_kg": 164.0,
        "embodied_gpu_kg_min": 164.0, "embodied_gpu_kg_max": 575.0,
        "embodied_server_kg": 5700.0, "embodied_server_kg_min": 3000.0,
        "lifetime_years": 5.0,
    }  # fmt: skip
    line = estimate(resolve(None, flags)).per_query.embodied_carbon_g  # type: ignore[union-attr]
    assert line is not None
    # By hand: 1000 x (1 h / 43,800 h) x (2 x kg_gpu + 2/8 x kg_server) / 8
    hours = 5 * 8760.0
    assert line.mean == pytest.approx(1000 / hours * (2 * 164 + 0.25 * 5700) / 8)
    assert line.min == pytest.approx(1000 / hours * (2 * 164 + 0.25 * 3000) / 8)
    assert line.max == pytest.approx(1000 / hours * (2 * 575 + 0.25 * 5700) / 8)
    assert line.mean == pytest.approx(footprint.embodied_carbon_g(3600, 5, 2, 8, 164, 5700, 8))


def test_a_hopper_node_carries_the_h100_server_figure() -> None:
    node = CATALOG.get("hardware", "dgx-h100")
    gpu = CATALOG.get("hardware", "h100-sxm")
    assert node.embodied_server_kg == 5700
    assert (gpu.embodied_kg_min, gpu.embodied_kg, gpu.embodied_kg_max) == (164, 164, 575)
    assert any("1,312" in source for source in gpu.sources)


def test_a_range_must_hold_its_central_figure(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ecoai.errors import EcoaiError

    (tmp_path / "hardware.toml").write_text(
        'schema_version = 1\n[hardware.bad]\ntype = "gpu"\nname = "x"\ntdp_w = 300\n'
        'embodied_kg = 100\nembodied_kg_max = 50\nsources = ["test"]\n'
    )
    with pytest.raises(EcoaiError, match="embodied_kg_max"):
        load_catalog((tmp_path,))


LOOP = """
import contextlib, io, json, sys
from ecoai.cli import main
for model_id in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main(["estimate", "--model", model_id, "--prompt", "short", "--embodied", "--json"])
        except SystemExit as done:
            if done.code:
                sys.exit(f"{model_id}: exit {done.code}")
    line = json.loads(out.getvalue())["per_query"]["embodied_carbon_g"]
    print(model_id, line["min"], line["mean"], line["max"])
"""


def test_the_command_line_estimates_embodied_carbon_for_all_30_presets() -> None:
    """`ecoai estimate --model M --prompt short --embodied` for each of the paper's 30 presets,
    through the command line's entry point (one process: 30 interpreters would take a minute)."""
    import subprocess
    import sys

    from conftest import cli_env

    assert len(MODELS) == 30
    done = subprocess.run([sys.executable, "-c", LOOP, *MODELS], capture_output=True, text=True,
                          env=cli_env(), timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == MODELS
    for line in lines:
        low, mean, high = map(float, line.split()[1:])
        assert 0 < low <= mean <= high
