"""The paper's own statistic reproduces its published Table 4 figures (Jegham et al. v6)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import CliRunner

from ecoai.estimation.estimate import estimate
from ecoai.inputs.catalog import load_catalog
from ecoai.inputs.resolve import resolve

EXAMPLES = tomllib.loads((Path(__file__).parent / "data" / "jegham_v6_examples.toml").read_text())
REFERENCE = Path(__file__).resolve().parents[2] / "shared/reference/jegham_v6_inputs.toml"


@pytest.mark.parametrize("example", EXAMPLES["examples"], ids=lambda e: e["id"])
def test_published_table4_cell(example: dict[str, object]) -> None:
    """ecoai's own estimator, on the built-in presets, gives the paper's Table 4 cell."""
    flags = {"model": example["model"], "prompt": example["prompt"]}
    report = estimate(resolve(None, flags, load_catalog()))  # type: ignore[arg-type]
    # The paper's statistic: mean and sample std of E_exp over 10,000 draws (README, Method).
    assert report.method.statistic == "monte-carlo" and report.method.samples == 10_000
    assert report.per_query is not None
    energy = report.per_query.energy_wh
    assert energy.std is not None
    assert energy.mean == pytest.approx(example["paper_energy_wh_mean"], rel=0.01)
    assert energy.std == pytest.approx(example["paper_energy_wh_std"], rel=0.10)


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
