"""The paper's own statistic reproduces its published Table 4 figures (Jegham et al. v6)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import CliRunner

from ecoai import footprint, units
from ecoai.estimation.montecarlo import draw_pairs
from ecoai.inputs.catalog import load_catalog, preset_layer
from ecoai.models import Param

EXAMPLES = tomllib.loads((Path(__file__).parent / "data" / "jegham_v6_examples.toml").read_text())
REFERENCE = Path(__file__).resolve().parents[2] / "shared/reference/jegham_v6_inputs.toml"


def paper_energy_wh(
    params: dict[str, Param], samples: int = 10_000, seed: int = 0
) -> tuple[float, float]:
    """Mean and std (ddof = 1) of facility energy E_exp over the Monte Carlo draws. Units: Wh."""

    def num(name: str) -> float:
        return float(params[name].value)  # type: ignore[arg-type]

    def quantiles(name: str) -> list[float]:
        return [float(x) for x in params[name].value]  # type: ignore[union-attr]

    ttft_q, tps_q = quantiles("ttft_quantiles_s"), quantiles("tps_quantiles")
    ttft_s, tps = draw_pairs(ttft_q, tps_q, samples, seed)
    p_gpu_w, p_non_w = units.kw_to_w(num("p_gpu_kw")), units.kw_to_w(num("p_non_gpu_kw"))
    power_min_w = footprint.it_power_w(p_gpu_w, num("u_gpu_min"), p_non_w, num("u_non_gpu"))
    power_max_w = footprint.it_power_w(p_gpu_w, num("u_gpu_max"), p_non_w, num("u_non_gpu"))
    tokens = num("output_tokens")
    durations = [footprint.query_duration_s(t, tokens, r) for t, r in zip(ttft_s, tps, strict=True)]
    lows = [d * power_min_w for d in durations]
    highs = [d * power_max_w for d in durations]
    exps = [footprint.expected(lo, hi, 0.5) for lo, hi in zip(lows, highs, strict=True)]
    factors = footprint.Multipliers(num("pue"), 0.0, 0.0, 0.0)
    energy = footprint.footprint_samples(exps, lows, highs, factors).energy_wh
    assert energy.std is not None
    return energy.mean, energy.std


@pytest.mark.parametrize("example", EXAMPLES["examples"], ids=lambda e: e["id"])
def test_published_table4_cell(example: dict[str, object]) -> None:
    params = preset_layer(load_catalog(), {"model": example["model"], "prompt": example["prompt"]})  # type: ignore[dict-item]
    mean_wh, std_wh = paper_energy_wh(params)
    assert mean_wh == pytest.approx(example["paper_energy_wh_mean"], rel=0.01)
    assert std_wh == pytest.approx(example["paper_energy_wh_std"], rel=0.10)


def test_examples_are_the_references() -> None:
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} not present")
    reference = tomllib.loads(REFERENCE.read_text())["examples"]
    ours = [
        {k: v for k, v in e.items() if k not in ("model", "prompt")} for e in EXAMPLES["examples"]
    ]
    assert ours == reference


def test_cli_estimate_reproduces_gpt_4_1_nano_long(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("estimate", "--model", "gpt-4.1-nano", "--prompt", "long", "--json")
    assert done.returncode == 0, done.stderr
    energy = json.loads(done.stdout)["per_query"]["energy_wh"]
    assert energy["mean"] == pytest.approx(0.827, rel=0.01)
    assert energy["std"] == pytest.approx(0.094, rel=0.10)
