"""Every input the user gives is used or refused: no flag or scenario key is silently dropped.

Also: one wording for a bad number on every command, counts written ``1e6``, exact large counts,
percentiles in order, positive power inputs, hints with an example, and every problem of a bad
user profile entry shown.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecoai.cli import main
from ecoai.errors import InputError
from ecoai.inputs.catalog import load_catalog
from ecoai.inputs.keys import BY_NAME, coerce

OPEN = ["--params-b", "7", "--hardware", "h100-sxm", "--output-tokens", "500"]
FIXED = ["--model", "gpt-4.1", "--prompt", "short", "--ttft", "1", "--tps", "5"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``ecoai ARGV`` run in this process."""
    try:
        main(list(argv))
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    """The (error line, hint line) of a refused command; checks exit 2 and the two-line shape."""
    code, out, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert code == 2 and out == "", err
    assert len(lines) == 2 and lines[0].startswith("ecoai: error: "), err
    assert lines[1].startswith("hint: ")
    return lines[0], lines[1]


@pytest.mark.parametrize(
    ("argv", "unused", "because", "fix"),
    [
        (
            ["--it-energy-wh", "1", "--facility-energy-wh", "2"],
            "--facility-energy-wh",
            "--it-energy-wh",
            "one of --it-energy-wh or --facility-energy-wh",
        ),
        (
            ["--model", "gpt-4.1", "--task", "image-generation"],
            "--model",
            "--task image-generation",
            "remove --model",
        ),
        ([*OPEN, "--model", "gpt-4.1"], "--model", "paper preset", "remove --model"),
        ([*OPEN, "--duration", "100"], "--duration", "--params-b", "remove --duration"),
        ([*OPEN, "--ttft", "1", "--tps", "50"], "--tps", "--params-b", "remove --tps"),
        ([*OPEN, "--p-non-gpu-kw", "1"], "--p-non-gpu-kw", "--non-gpu-w-per-gpu", "remove"),
        (
            ["--model", "gpt-4.1", "--prompt", "short", "--precision", "fp8"],
            "--precision",
            "open model",
            "add --params-b",
        ),
        (
            ["--model", "gpt-4.1", "--prompt", "short", "--duration", "3", "--tps", "50"],
            "--tps",
            "--duration",
            "remove --tps",
        ),
        (
            [*FIXED, "--tps-quantiles", "1,2,3,4,5"],
            "--tps-quantiles",
            "--ttft and --tps",
            "remove --tps-quantiles",
        ),
        (
            ["--model", "gpt-4.1", "--prompt", "short", "--ttft", "1", "--tps", "5", "--seed", "4"],
            "--seed",
            "Monte Carlo",
            "remove --seed",
        ),
        (
            ["--model", "gpt-4.1", "--prompt", "short", "--it-energy-std-wh", "0.1"],
            "--it-energy-std-wh",
            "--it-energy-wh",
            "add --it-energy-wh",
        ),
        (
            ["--model", "gpt-4.1", "--prompt", "short", "--lifetime-years", "3"],
            "--lifetime-years",
            "embodied",
            "add --embodied",
        ),
        (
            ["--it-energy-wh", "1", "--embodied"],
            "--embodied",
            "time per query",
            "remove --embodied",
        ),
    ],
)
def test_an_input_the_method_does_not_use_is_refused(
    capsys: pytest.CaptureFixture[str], argv: list[str], unused: str, because: str, fix: str
) -> None:
    error, hint = refused(capsys, "estimate", *argv)
    assert error.startswith(f"ecoai: error: {unused} does not apply: "), error
    assert because in error
    assert fix in hint


def test_preset_values_the_method_does_not_use_are_fine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The prompt preset gives percentiles; --ttft and --tps replace them: the user's own choice.
    code, out, err = run(
        capsys, "estimate", "--model", "gpt-4.1", "--prompt", "short", "--ttft", "1", "--tps", "50"
    )
    assert code == 0, err
    assert "(point)" in out


def test_scenario_files_and_compare_items_get_the_same_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("it_energy_wh = 1\nduration_s = 3\n", encoding="utf-8")
    error, hint = refused(capsys, "estimate", str(scenario))
    assert f"{scenario}: duration_s does not apply" in error
    assert f"remove duration_s from {scenario}" in hint
    error, _ = refused(capsys, "compare", str(scenario), "gpt-4.1:short")
    assert f"{scenario}: duration_s does not apply" in error
    error, _ = refused(capsys, "compare", "gpt-4.1:short", "--task", "image-generation")
    assert "--model does not apply" in error


def test_a_gpu_where_the_paper_needs_a_node_names_the_nodes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error, hint = refused(
        capsys, "estimate", "--model", "gpt-4.1", "--prompt", "short", "--hardware", "h100-sxm"
    )
    assert "--hardware h100-sxm is a single GPU" in error
    nodes = [e.id for e in load_catalog().entries("hardware") if getattr(e, "type", "") == "node"]
    assert "dgx-h100" in nodes and all(node in hint for node in nodes)
    assert "--p-non-gpu-kw" in hint


def test_counts_accept_integral_exponents_and_stay_exact(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "estimate", "--it-energy-wh", "1", "--queries", "1e6", "--json")
    assert code == 0, err
    assert json.loads(out)["queries"] == 1_000_000
    code, out, err = run(
        capsys, "estimate", "--it-energy-wh", "1", "--queries", "12345678901234567", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["queries"] == 12345678901234567
    scenario = tmp_path / "s.toml"
    scenario.write_text("it_energy_wh = 1\nqueries = 1.5\n", encoding="utf-8")
    error, hint = refused(capsys, "estimate", str(scenario))
    assert error == f"ecoai: error: {scenario}: queries: must be a whole number, got 1.5"
    assert hint == "hint: e.g. queries = 1000"  # not "queries = 1.0"
    error, hint = refused(capsys, "estimate", "--it-energy-wh", "1", "--queries", "1.5")
    assert error == "ecoai: error: --queries: must be a whole number, got 1.5"
    assert refused(capsys, "compare", "gpt-4.1:short", "--vary", "queries=1.5")


@pytest.mark.parametrize("command", ["estimate", "profile", "merge"])
def test_one_wording_for_a_count_below_its_bound(
    capsys: pytest.CaptureFixture[str], command: str, tmp_path: Path
) -> None:
    rest = {"estimate": ["--it-energy-wh", "1"], "profile": ["--", "true"], "merge": ["x.json"]}
    error, hint = refused(capsys, command, "--queries", "0", *rest[command])
    assert error == "ecoai: error: --queries: must be >= 1, got 0"
    assert "e.g. --queries " in hint and " is in " not in hint


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--interval-s", "nan", "--interval-s: must be a finite number, got nan"),
        ("--interval-s", "0", "--interval-s: must be >= 0.001, got 0"),
        ("--cpu-tdp-w", "0", "--cpu-tdp-w: must be > 0, got 0"),
        ("--dram-w-per-gb", "0", "--dram-w-per-gb: must be > 0, got 0"),
        ("--repeat", "1.5", "--repeat: must be a whole number, got 1.5"),
        ("--metrics-port", "70000", "--metrics-port: must be <= 65535, got 70000"),
        ("--grace-s", "x", "--grace-s: must be a number, got 'x'"),
    ],
)
def test_profile_numbers_are_checked_like_the_scenario_keys(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    error, hint = refused(capsys, "profile", flag, value, "--", "true")
    assert error == f"ecoai: error: {message}"
    assert f"e.g. {flag} " in hint


def test_hints_give_an_example_not_the_unit_restated() -> None:
    for key in BY_NAME.values():
        if key.kind not in ("int", "float") or key.low is None:
            continue
        with pytest.raises(InputError) as caught:
            coerce(key, key.low - 1, key.flag)
        assert caught.value.hint is not None
        assert f"{key.name} is in " not in caught.value.hint
        assert "e.g." in caught.value.hint, (key.name, caught.value.hint)


@pytest.mark.parametrize("flag", ["--tps-quantiles", "--ttft-quantiles"])
def test_percentiles_must_not_decrease(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    error, hint = refused(
        capsys, "estimate", "--model", "gpt-4.1", "--prompt", "short", flag, "5,4,3,2,1"
    )
    assert (
        error
        == f"ecoai: error: {flag}: percentiles must not decrease from P5 to P95, got 5, 4, 3, 2, 1"
    )
    assert f"e.g. {flag} " in hint


def test_percentiles_in_a_user_profile_must_not_decrease(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "models.toml").write_text(
        '[models.mine]\nhost = "azure"\nhardware = "dgx-h100"\nsize_class = "large"\n'
        'sources = ["test"]\n[models.mine.prompts.short]\ninput_tokens = 100\n'
        "output_tokens = 300\nttft_quantiles_s = [1, 2, 3, 4, 5]\n"
        "tps_quantiles = [50, 40, 30, 20, 10]\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "estimate", "--profiles", str(tmp_path), "--it-energy-wh", "1")
    assert code == 2
    assert "models.mine.prompts.short.tps_quantiles: percentiles must not decrease" in err


def test_gpu_power_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    error, _ = refused(
        capsys, "estimate", "--model", "gpt-4.1", "--prompt", "short", "--p-gpu-kw", "0"
    )
    assert error == "ecoai: error: --p-gpu-kw: must be > 0, got 0"


def test_every_problem_of_a_user_profile_entry_is_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "hardware.toml").write_text(
        '[hardware.my-gpu]\ntype = "gpu"\ntdp_w = -5\n', encoding="utf-8"
    )
    code, out, err = run(capsys, "estimate", "--profiles", str(tmp_path), "--it-energy-wh", "1")
    lines = err.strip().splitlines()
    assert code == 2 and out == ""
    assert lines[0].endswith("hardware.my-gpu.tdp_w: must be > 0")  # the wrong value first
    assert lines[1].endswith("hardware.my-gpu.sources: missing (required)")
    assert all(line.startswith("ecoai: error: ") for line in lines[:-1])
    assert lines[-1].startswith("hint: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["--model", "gpt-4.1", "--prompt", "short"],
        ["--model", "gpt-4.1", "--prompt", "short", "--ttft", "1", "--tps", "4", "--embodied"],
        ["--task", "image-generation"],
        ["--it-energy-wh", "1", "--queries", "5"],
        OPEN,
        ["--model", "qwen/qwen3-14b", "--hardware", "dgx-h100", "--output-tokens", "500"],
    ],
)
def test_a_saved_scenario_estimates_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    # The saved file holds only what the method reads: re-read, nothing in it is refused.
    saved = tmp_path / "saved.toml"
    code, out, err = run(capsys, "estimate", *argv, "--json", "--save-scenario", str(saved))
    assert code == 0, err
    again, out_again, err_again = run(capsys, "estimate", str(saved), "--json")
    assert again == 0, err_again
    first, second = json.loads(out), json.loads(out_again)
    assert first["per_query"] == second["per_query"]


def test_compare_scenario_flags_with_reports_only_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reports = [str(tmp_path / f"{name}.json") for name in ("a", "b")]
    for energy, path in zip(("1", "2"), reports, strict=True):
        assert run(capsys, "estimate", "--it-energy-wh", energy, "-o", path)[0] == 0
    error, hint = refused(capsys, "compare", *reports, "--pue", "1.5")
    assert error.startswith("ecoai: error: --pue does not apply: ")
    assert "remove --pue" in hint
    code, _, err = run(capsys, "compare", *reports, "--queries-per-day", "1e6")  # the savings'
    assert code == 0, err
    code, _, err = run(capsys, "compare", reports[0], "gpt-4.1:short", "--pue", "1.5")
    assert code == 0, err


def test_params_b_cannot_rename_an_open_model(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--model", "qwen/qwen3-14b", "--hardware", "h100-sxm", "--output-tokens", "500"]
    error, hint = refused(capsys, "estimate", *argv, "--params-b", "7")
    assert error == (
        "ecoai: error: --params-b 7 would replace the 14 billion parameters of the open model "
        "qwen/qwen3-14b"
    )
    assert "not both" in hint
    code, _, err = run(capsys, "estimate", *argv, "--params-b", "14")  # its own: a saved file
    assert code == 0, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["watch", "--interval-s", "nan", "x"], "--interval-s: must be a finite number, got nan"),
        (["watch", "--metrics-port", "70000", "x"], "--metrics-port: must be <= 65535, got 70000"),
        (
            ["profile", "--serve-interval-s", "0", "--", "true"],
            "--serve-interval-s: must be >= 0.01",
        ),
    ],
)
def test_watch_and_serve_numbers_read_the_same(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    error, hint = refused(capsys, *argv)
    assert error.startswith(f"ecoai: error: {message}")
    assert "e.g. " in hint
