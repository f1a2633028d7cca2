"""`ecoai profiles list/show` end to end: tables, JSON, sources, origin, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import CliRunner

DATA = Path(__file__).parent / "data" / "profiles"


def test_list_models(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profiles", "list", "models", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {row["kind"] for row in rows} == {"models"}
    presets = [row for row in rows if row["origin"] == "built-in"]  # + the data's open models
    assert len(presets) == 30
    nano = next(row for row in rows if row["id"] == "gpt-4.1-nano")
    assert nano == {
        "kind": "models",
        "id": "gpt-4.1-nano",
        "name": "GPT-4.1 nano",
        "summary": "azure, dgx-h100, small; short/medium/long",
        "origin": "built-in",
    }


def test_list_table_accepts_singular_kind(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profiles", "list", "grid")
    assert done.returncode == 0, done.stderr
    assert "FRA" in done.stdout and "44.18 gCO2e/kWh (2024)" in done.stdout
    assert "472.94 gCO2e/kWh (2024, fallback)" in done.stdout


def test_show_json_has_sources(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profiles", "show", "dgx-h100", "--json")
    assert done.returncode == 0, done.stderr
    entry = json.loads(done.stdout)
    assert entry["kind"] == "hardware" and entry["type"] == "node"
    assert entry["p_gpu_kw"] == 5.6 and entry["p_non_gpu_kw"] == 4.6
    assert any("arXiv:2505.09598" in source for source in entry["sources"])


def test_show_table_by_alias(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profiles", "show", "gpt-4o")
    assert done.returncode == 0, done.stderr
    assert "gpt-4o-mar-25" in done.stdout
    assert "prompts.short.tps_quantiles" in done.stdout
    assert "Artificial Analysis" in done.stdout


def test_user_overlay_is_reported(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profiles", "show", "azure", "--json", "--profiles", str(DATA / "user-host"))
    entry = json.loads(done.stdout)
    assert entry["pue"] == 1.25
    assert entry["origin"] == f"user: {DATA / 'user-host' / 'hosts.toml'}"
    env = {"ECOAI_PROFILES": str(DATA / "user-host")}
    done = ecoai_cli("profiles", "list", "hosts", "--json", env=env)
    origins = {row["id"]: row["origin"] for row in json.loads(done.stdout)}
    assert origins["azure"].startswith("user: ") and origins["aws"] == "built-in"


def test_malformed_user_file_is_one_line(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profiles", "list", "--profiles", str(DATA / "bad-value"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == (
        f"ecoai: error: {DATA / 'bad-value' / 'hardware.toml'}: hardware.my-gpu.tdp_w: must be > 0"
    )
    assert "Traceback" not in done.stderr


def test_unknown_id_did_you_mean(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("profiles", "show", "gtp-4.1")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "ecoai: error: unknown profile 'gtp-4.1'",
        "hint: did you mean 'gpt-4.1', 'gpt-4', 'gpt-4.1-nano'?",
    ]


def test_estimate_with_a_skipped_prompt_is_a_clear_error(ecoai_cli: CliRunner) -> None:
    done = ecoai_cli("estimate", "--model", "llama-3-8b", "--prompt", "long")
    assert done.returncode == 2
    assert "model llama-3-8b has no 'long' prompt class: not published" in done.stderr
    assert "Traceback" not in done.stderr
