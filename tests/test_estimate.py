"""`ecoai estimate`: the formula end to end, precedence, direct energy, embodied carbon."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CliRunner

from ecoai.estimation.estimate import estimate
from ecoai.inputs.resolve import resolve

PAPER_FLAGS = [
    "--output-tokens",
    "300",
    "--tps",
    "96",
    "--ttft",
    "0.69",
    "--p-gpu-kw",
    "5.6",
    "--p-non-gpu-kw",
    "4.6",
    "--u-gpu-min",
    "0.055",
    "--u-gpu-max",
    "0.075",
    "--u-non-gpu",
    "0.0625",
    "--pue",
    "1.12",
    "--wue-site",
    "0.3",
    "--wue-source",
    "4.35",
    "--cif",
    "0.34",
]
FLAG_VALUES = {
    "output_tokens": 300,
    "tps": 96,
    "ttft_s": 0.69,
    "p_gpu_kw": 5.6,
    "p_non_gpu_kw": 4.6,
    "u_gpu_min": 0.055,
    "u_gpu_max": 0.075,
    "u_non_gpu": 0.0625,
    "pue": 1.12,
    "wue_site_l_per_kwh": 0.3,
    "wue_source_l_per_kwh": 4.35,
    "cif_kg_per_kwh": 0.34,
}


def hand(u_gpu: float) -> float:
    """README, Method §1 by hand: facility energy per query in kWh."""
    t_h = (0.69 + 300 / 96) / 3600
    return t_h * (5.6 * u_gpu + 4.6 * 0.0625) * 1.12


def test_json_matches_hand_calculation(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("estimate", *PAPER_FLAGS, "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    e_min, e_max = hand(0.055), hand(0.075)
    energy = report["per_query"]["energy_wh"]
    assert abs(energy["min"] - e_min * 1000) < 1e-9
    assert abs(energy["max"] - e_max * 1000) < 1e-9
    assert abs(energy["mean"] - (e_min + e_max) / 2 * 1000) < 1e-9
    water = report["per_query"]["water_ml"]
    assert abs(water["min"] - (e_min / 1.12 * 0.3 + e_min * 4.35) * 1000) < 1e-9
    assert abs(water["max"] - (e_max / 1.12 * 0.3 + e_max * 4.35) * 1000) < 1e-9
    assert abs(water["site"]["max"] - e_max / 1.12 * 0.3 * 1000) < 1e-9
    assert abs(water["source"]["min"] - e_min * 4.35 * 1000) < 1e-9
    carbon = report["per_query"]["carbon_g"]
    assert abs(carbon["min"] - e_min * 0.34 * 1000) < 1e-9
    assert abs(carbon["max"] - e_max * 0.34 * 1000) < 1e-9
    assert report["schema_version"] == 1 and report["kind"] == "estimate"
    assert report["total"] is None
    assert run.stderr == ""


def test_queries_and_daily_rate_scale_the_totals() -> None:
    params = resolve(None, {**FLAG_VALUES, "queries": 1000, "queries_per_day": 2e6})
    report = estimate(params)
    assert report.per_query is not None and report.total is not None
    assert report.total.energy_wh.mean == pytest.approx(report.per_query.energy_wh.mean * 1000)
    assert report.per_day is not None and report.per_year is not None
    assert report.per_year.carbon_g.max == pytest.approx(report.per_query.carbon_g.max * 2e6 * 365)
    assert report.queries == 1000


def test_every_input_remembers_its_source(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text('pue = 1.5\ncif_kg_per_kwh = 0.1\nlabel = "from file"\n')
    params = resolve(scenario, {**FLAG_VALUES, "pue": None, "cif_kg_per_kwh": 0.2})
    assert params["pue"].value == 1.5 and params["pue"].source.kind == "file"
    assert params["pue"].source.ref == str(scenario)
    assert params["cif_kg_per_kwh"].value == 0.2 and params["cif_kg_per_kwh"].source.kind == "flag"
    assert params["cif_kg_per_kwh"].source.ref == "--cif"
    assert params["w_max"].source.kind == "default"


def test_flags_override_file(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("\n".join(f"{k} = {v}" for k, v in FLAG_VALUES.items()) + "\n")
    from_file = json.loads(ecoai_cli("estimate", str(scenario), "--json").stdout)
    overridden = json.loads(ecoai_cli("estimate", str(scenario), "--pue", "2.24", "--json").stdout)
    ratio = (
        overridden["per_query"]["energy_wh"]["mean"] / from_file["per_query"]["energy_wh"]["mean"]
    )
    assert ratio == pytest.approx(2.0, rel=1e-12)
    assert overridden["inputs"]["pue"]["source"]["kind"] == "flag"
    assert from_file["inputs"]["pue"]["source"]["kind"] == "file"


def test_save_scenario_reproduces_the_run(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    first = ecoai_cli(
        "estimate", *PAPER_FLAGS, "--queries", "7", "--save-scenario", "saved.toml", "--json"
    )
    assert first.returncode == 0, first.stderr
    saved = (tmp_path / "saved.toml").read_text()
    assert "# pue: flag --pue" in saved
    again = ecoai_cli("estimate", "saved.toml", "--json")
    assert again.returncode == 0, again.stderr
    a, b = json.loads(first.stdout), json.loads(again.stdout)
    assert a["per_query"] == b["per_query"] and a["total"] == b["total"]


def test_duration_replaces_tokens_and_tps() -> None:
    flags = {k: v for k, v in FLAG_VALUES.items() if k not in ("ttft_s", "tps", "output_tokens")}
    params = resolve(None, {**flags, "duration_s": 3600.0})
    report = estimate(params)
    assert report.per_query is not None
    # One hour at (5.6 kW x 0.055 + 4.6 kW x 0.0625) x PUE 1.12.
    assert report.per_query.energy_wh.min == pytest.approx((5600 * 0.055 + 4600 * 0.0625) * 1.12)


def test_utilisation_derived_from_gpus_draw_and_batch() -> None:
    flags = {k: v for k, v in FLAG_VALUES.items() if not k.startswith("u_")}
    flags.update(
        gpu_count=8, gpus_per_node=8, batch_size=16, d_gpu_min=0.45, d_gpu_max=0.6, d_non_gpu=0.5
    )
    params = resolve(None, flags)
    assert params["u_gpu_max"].value == pytest.approx(8 * 0.6 / (8 * 16))
    assert params["u_non_gpu"].value == pytest.approx(0.03125)
    assert params["u_gpu_min"].source.kind == "derived"


def test_flag_utilisation_wins_over_derivation() -> None:
    flags = dict(
        FLAG_VALUES,
        gpu_count=8,
        gpus_per_node=8,
        batch_size=16,
        d_gpu_min=0.45,
        d_gpu_max=0.6,
        d_non_gpu=0.5,
    )
    params = resolve(None, flags)
    assert params["u_gpu_min"].value == 0.055 and params["u_gpu_min"].source.kind == "flag"


def test_direct_it_energy_turns_into_water_and_carbon(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli(
        "estimate",
        "--it-energy-wh",
        "1000",
        "--pue",
        "1.2",
        "--wue-site",
        "0.5",
        "--wue-source",
        "3",
        "--cif",
        "0.4",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    per_query = json.loads(run.stdout)["per_query"]
    assert per_query["energy_wh"]["mean"] == pytest.approx(1200)
    assert per_query["water_ml"]["site"]["mean"] == pytest.approx(500)  # 1 kWh x 0.5 L/kWh
    assert per_query["water_ml"]["source"]["mean"] == pytest.approx(3600)  # 1.2 kWh x 3 L/kWh
    assert per_query["carbon_g"]["mean"] == pytest.approx(480)


def test_facility_energy_is_divided_by_pue_for_site_water() -> None:
    params = resolve(
        None,
        {
            "facility_energy_wh": 1120.0,
            "pue": 1.12,
            "wue_site_l_per_kwh": 1.0,
            "wue_source_l_per_kwh": 0.0,
            "cif_kg_per_kwh": 0.0,
        },
    )
    report = estimate(params)
    assert report.per_query is not None
    assert report.per_query.water_ml.site.mean == pytest.approx(1000.0)


def test_embodied_is_a_separate_line() -> None:
    flags = dict(
        {k: v for k, v in FLAG_VALUES.items() if k not in ("ttft_s", "tps", "output_tokens")},
        embodied=True,
        gpu_count=1,
        gpus_per_node=8,
        batch_size=8,
        embodied_gpu_kg=143.0,
        embodied_server_kg=3000.0,
        duration_s=3600.0,
    )
    with_line = estimate(resolve(None, flags))
    without = estimate(resolve(None, {k: v for k, v in flags.items() if "embodied" not in k}))
    assert with_line.per_query is not None and without.per_query is not None
    assert without.per_query.embodied_carbon_g is None
    assert with_line.per_query.carbon_g == without.per_query.carbon_g
    expected_g = 1000 * (1 / (5 * 8760)) * (143 + 3000 / 8) / 8
    assert with_line.per_query.embodied_carbon_g is not None
    assert with_line.per_query.embodied_carbon_g.mean == pytest.approx(expected_g)
    assert with_line.inputs["lifetime_years"].source.kind == "default"


def test_table_goes_to_stdout_and_explain_shows_intermediates(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("estimate", *PAPER_FLAGS, "--explain")
    assert run.returncode == 0
    assert "Energy (facility)" in run.stdout and "it_power_w_min" in run.stdout
    assert "595.5" in run.stdout  # 5600 x 0.055 + 4600 x 0.0625 W


def test_output_file_and_format_from_extension(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    run = ecoai_cli("estimate", *PAPER_FLAGS, "-o", "r.md")
    assert run.returncode == 0 and run.stdout == ""
    assert (tmp_path / "r.md").read_text().startswith("### ecoai estimate")
    again = ecoai_cli("estimate", *PAPER_FLAGS, "-o", "r.md", "--format", "csv")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (tmp_path / "r.md").read_text().startswith("### ecoai estimate")
    forced = ecoai_cli("estimate", *PAPER_FLAGS, "-o", "r.md", "--format", "csv", "--force")
    assert forced.returncode == 0
    assert (tmp_path / "r.md").read_text().startswith("label,kind,scope")


def test_batch_size_flag_takes_the_published_variant() -> None:
    # Paper v6 Appendix A, Table 5: Large on H100 at B = 16 is U_GPU 0.035-0.045, U_nonGPU 0.03125.
    params = resolve(None, {"model": "gpt-4.1", "prompt": "short", "batch_size": 16})
    assert (params["u_gpu_min"].value, params["u_gpu_max"].value) == (0.035, 0.045)
    assert params["u_gpu_min"].source.kind == "profile"


def test_unpublished_batch_size_is_derived_and_says_so() -> None:
    params = resolve(None, {"model": "gpt-4.1", "prompt": "short", "batch_size": 12})
    assert params["u_gpu_max"].value == pytest.approx(8 * 0.6 / (8 * 12))
    assert params["u_gpu_max"].source.kind == "derived"


def test_flags_beat_presets(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli(
        "estimate",
        "--model",
        "gpt-4.1",
        "--prompt",
        "short",
        "--pue",
        "2.0",
        "--grid",
        "FRA",
        "--output-tokens",
        "2000",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    inputs = json.loads(run.stdout)["inputs"]
    assert inputs["pue"]["value"] == 2.0 and inputs["pue"]["source"]["kind"] == "flag"
    assert inputs["cif_kg_per_kwh"]["value"] == pytest.approx(0.04418)
    assert inputs["cif_kg_per_kwh"]["source"]["ref"].lower() == "grids.fra"
    assert inputs["output_tokens"]["value"] == 2000
    assert inputs["wue_site_l_per_kwh"]["source"]["ref"] == "hosts.azure"


def test_file_beats_presets(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text('model = "gpt-4.1"\nprompt = "short"\npue = 1.5\n')
    params = resolve(scenario, {"pue": None})
    assert params["pue"].value == 1.5 and params["pue"].source.kind == "file"
    assert params["p_gpu_kw"].source.kind == "profile"


def test_preset_monte_carlo_is_reproducible_bit_for_bit(ecoai_cli: CliRunner) -> None:
    args = (
        "estimate",
        "--model",
        "gpt-4.1-nano",
        "--prompt",
        "short",
        "--samples",
        "2000",
        "--seed",
        "7",
        "--json",
    )
    first, second = ecoai_cli(*args), ecoai_cli(*args)
    assert json.loads(first.stdout)["per_query"] == json.loads(second.stdout)["per_query"]
    other = ecoai_cli(*args[:-2], "8", "--json")
    assert json.loads(other.stdout)["per_query"] != json.loads(first.stdout)["per_query"]
