"""The estimator's typed view: the method chosen from the inputs, read once before any formula."""

from __future__ import annotations

import pytest

from ecoai.errors import InputError
from ecoai.estimation.inputs import (
    Direct,
    MonteCarlo,
    Point,
    ReportInputs,
    read_formula,
    read_report_inputs,
)
from ecoai.inputs.keys import multipliers
from ecoai.inputs.resolve import resolve

PAPER = {
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


def test_the_point_formula_reads_typed_values_in_the_formula_units() -> None:
    params = resolve(None, {**PAPER, "queries": 7, "label": "x"})
    point = read_formula(params)
    assert isinstance(point, Point)
    assert point.duration_s == pytest.approx(0.69 + 300 / 96)
    assert point.power.p_gpu_w == pytest.approx(5600.0) and point.w_max == 0.5
    assert multipliers(params).cif_g_per_kwh == pytest.approx(340.0)
    assert read_report_inputs(params) == ReportInputs(
        embodied=None, queries=7, queries_per_day=None, label="x"
    )


def test_percentiles_choose_the_monte_carlo_and_energy_the_direct_method() -> None:
    quantiles = {**PAPER, "ttft_quantiles_s": [0.5, 0.6, 0.7, 0.8, 0.9]}
    del quantiles["ttft_s"]
    mc = read_formula(resolve(None, quantiles))
    assert isinstance(mc, MonteCarlo) and mc.ttft_s is None and mc.tps == 96.0
    assert (mc.samples, mc.seed, mc.rho) == (10_000, 0, -0.3)
    factors = {k: PAPER[k] for k in ("pue", "wue_site_l_per_kwh", "wue_source_l_per_kwh")}
    direct = read_formula(resolve(None, {**factors, "cif_kg_per_kwh": 0.3, "it_energy_wh": 2.0}))
    assert direct == Direct(it_energy_wh=2.0, facility_energy_wh=None, it_energy_std_wh=None)


@pytest.mark.parametrize("name", ["ttft_s", "p_gpu_kw", "u_non_gpu", "w_max"])
def test_a_missing_input_is_named_with_its_flag_before_any_formula(name: str) -> None:
    params = resolve(None, {k: v for k, v in PAPER.items() if k != name})
    params.pop(name, None)  # w_max has a default
    with pytest.raises(InputError) as caught:
        read_formula(params)
    assert caught.value.message.startswith(f"missing {name} ")
    assert caught.value.hint is not None and "pass --" in caught.value.hint


EMBODIED = {
    "embodied": True,
    "gpu_count": 8,
    "gpus_per_node": 8,
    "batch_size": 4,
    "embodied_gpu_kg": 150.0,
    "embodied_server_kg": 2500.0,
}


def test_the_embodied_line_needs_its_inputs_only_when_asked() -> None:
    given = {k: v for k, v in EMBODIED.items() if k != "embodied_gpu_kg"}
    with pytest.raises(InputError, match="missing embodied_gpu_kg"):
        read_report_inputs(resolve(None, {**PAPER, **given}))
    assert read_report_inputs(resolve(None, {**PAPER, "embodied": False})).embodied is None


def test_a_published_range_defaults_to_the_central_figure() -> None:
    params = resolve(None, {**PAPER, **EMBODIED, "embodied_gpu_kg_max": 200.0})
    embodied = read_report_inputs(params).embodied
    assert embodied is not None and embodied.lifetime_years == 5.0
    assert embodied.gpu_kg == (150.0, 150.0, 200.0)
    assert embodied.server_kg == (2500.0, 2500.0, 2500.0)
