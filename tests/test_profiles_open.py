"""`ecoai profiles list models` / `show`: the paper's presets and the open models of the data."""

from __future__ import annotations

import json

from conftest import CliRunner

from ecoai.inputs.mlenergy import diffusion_models, open_models


def test_list_models_shows_both_kinds_with_sources(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profiles", "list", "models", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    presets = [r for r in rows if r["origin"] == "built-in"]
    data = [r for r in rows if r["origin"].startswith("ML.ENERGY v3")]
    assert len(presets) == 30
    assert len(data) == len(open_models()) + len(diffusion_models())
    qwen = next(r for r in data if r["id"] == "Qwen/Qwen3-30B-A3B-Instruct-2507")
    assert (qwen["params_b"], qwen["active_params_b"]) == (30.0, 3.0)
    assert "h100-sxm" in qwen["measured_gpus"] and "3 B active" in qwen["summary"]
    flux = next(r for r in data if r["id"] == "black-forest-labs/FLUX.1-dev")
    assert flux["pipeline"] == "text-to-image" and "50 steps" in flux["summary"]
    table = ecoai_cli("profiles", "list", "models")
    assert "gpt-4o" in table.stdout and "FLUX.1-dev" in table.stdout


def test_all_kinds_list_the_open_models_once(ecoai_cli: CliRunner) -> None:
    rows = json.loads(ecoai_cli("profiles", "list", "--json").stdout)
    ids = [r["id"] for r in rows if r["kind"] == "models"]
    assert len(ids) == len(set(ids)) and "Qwen/Qwen3-14B" in ids
    hardware = json.loads(ecoai_cli("profiles", "list", "hardware", "--json").stdout)
    assert all(r["kind"] == "hardware" for r in hardware)


def test_show_an_open_model(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profiles", "show", "qwen3-14b", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["id"] == "Qwen/Qwen3-14B" and shown["params_b"] == 14.0
    assert "ML.ENERGY Benchmark v3" in shown["source"]
    video = json.loads(ecoai_cli("profiles", "show", "tencent/HunyuanVideo", "--json").stdout)
    assert video["pipeline"] == "text-to-video" and "diffusers" in video["source"]
    table = ecoai_cli("profiles", "show", "FLUX.1-dev")
    assert "measured_gpus" in table.stdout and "b200" in table.stdout
    preset = json.loads(ecoai_cli("profiles", "show", "gpt-4o", "--json").stdout)
    assert preset["origin"] == "built-in"
    elsewhere = ecoai_cli("profiles", "show", "qwen3-14b", "--kind", "hardware")
    assert elsewhere.returncode == 2 and elsewhere.stderr.startswith("ecoai: error:")
