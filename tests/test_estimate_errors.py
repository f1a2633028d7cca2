"""Bad input to `ecoai estimate`: one clear line, exit 2, no traceback, nothing half-written."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from conftest import CliRunner
from test_estimate import PAPER_FLAGS

from ecoai.errors import InputError, ReportWriteError
from ecoai.files import write_text
from ecoai.inputs.scenario import read_scenario


def without(flag: str) -> list[str]:
    index = PAPER_FLAGS.index(flag)
    return PAPER_FLAGS[:index] + PAPER_FLAGS[index + 2 :]


def assert_one_clear_error(run: object, *needles: str) -> None:
    assert run.returncode == 2, (run.stdout, run.stderr)  # type: ignore[attr-defined]
    err = run.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith("ecoai: error: ")
    assert len(lines) <= 2 and all(line.startswith(("ecoai: error: ", "hint: ")) for line in lines)
    for needle in needles:
        assert needle in err


@pytest.mark.parametrize(
    ("flag", "bad", "needle"),
    [
        ("--output-tokens", "-5", "must be > 0"),
        ("--output-tokens", "0", "must be > 0"),
        ("--tps", "0", "--tps: must be > 0"),
        ("--tps", "nan", "finite"),
        ("--ttft", "inf", "finite"),
        ("--u-gpu-min", "1.5", "must be <= 1"),
        ("--u-non-gpu", "-0.1", "must be >= 0"),
        ("--pue", "0.9", "--pue: must be >= 1"),
        ("--cif", "-1", "--cif: must be >= 0"),
    ],
)
def test_bad_numbers(ecoai_cli: CliRunner, flag: str, bad: str, needle: str) -> None:
    run = ecoai_cli("estimate", *without(flag), flag, bad, "--json")
    assert_one_clear_error(run, needle)
    assert run.stdout == ""


def test_not_a_number(ecoai_cli: CliRunner) -> None:
    assert_one_clear_error(ecoai_cli("estimate", *without("--tps"), "--tps", "fast"), "--tps")


def test_unknown_flag(ecoai_cli: CliRunner) -> None:
    assert_one_clear_error(ecoai_cli("estimate", "--tpss", "3"), "--tpss")


def test_missing_parameter_names_the_flag(ecoai_cli: CliRunner) -> None:
    assert_one_clear_error(ecoai_cli("estimate", *without("--p-gpu-kw")), "p_gpu_kw", "--p-gpu-kw")


def test_min_above_max(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("estimate", *without("--u-gpu-min"), "--u-gpu-min", "0.09")
    assert_one_clear_error(run, "--u-gpu-min 0.09 is above --u-gpu-max 0.075")


def test_malformed_toml_names_line_and_column(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("pue = 1.1\ntps = = 3\n")
    assert_one_clear_error(ecoai_cli("estimate", "bad.toml"), "bad.toml", "line 2", "column")


def test_unknown_scenario_key_suggests(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text("tps_quantile = [1, 2, 3, 4, 5]\n")
    assert_one_clear_error(ecoai_cli("estimate", "s.toml"), "tps_quantile", "tps_quantiles")


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('tps = "fast"', "tps: must be a number"),
        ("queries = 2.5", "whole number"),
        ("pue = 0.5", "pue: must be >= 1"),
        ("embodied = 1", "true or false"),
        ("tps_quantiles = [1, 2]", "list of 5 numbers"),
        ('host = ""', "non-empty"),
        ("pue = nan", "finite"),
    ],
)
def test_wrong_types_in_scenario(
    ecoai_cli: CliRunner, tmp_path: Path, line: str, needle: str
) -> None:
    (tmp_path / "s.toml").write_text(line + "\n")
    assert_one_clear_error(ecoai_cli("estimate", "s.toml"), needle, "s.toml")


def test_directory_instead_of_file(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "dir.toml").mkdir()
    assert_one_clear_error(ecoai_cli("estimate", "dir.toml"), "is a directory")


def test_missing_file(ecoai_cli: CliRunner) -> None:
    assert_one_clear_error(ecoai_cli("estimate", "nope.toml"), "nope.toml", "no such file")


def test_unreadable_file_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # CI runs as root, where chmod 000 does not stop reads: inject the failure instead.
    path = tmp_path / "s.toml"
    path.write_text("pue = 1.1\n")

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("ecoai.files.os.open", refuse)  # the one place user files are opened
    with pytest.raises(InputError, match="permission denied"):
        read_scenario(path)


def test_binary_file(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_bytes(b"\xff\xfe\x00garbage")
    assert_one_clear_error(ecoai_cli("estimate", "s.toml"), "UTF-8")


def test_output_is_a_directory(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    assert_one_clear_error(ecoai_cli("estimate", *PAPER_FLAGS, "-o", "out"), "is a directory")


def test_unknown_format(ecoai_cli: CliRunner) -> None:
    assert_one_clear_error(ecoai_cli("estimate", *PAPER_FLAGS, "--format", "xml"), "xml", "json")


def test_failed_write_keeps_the_old_report(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text('{"old": true}\n')

    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(ReportWriteError) as caught:
        write_text(str(target), '{"new": true}')
    assert "disk is full" in (caught.value.hint or "")
    assert target.read_text() == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left behind


def test_debug_shows_the_traceback(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("estimate", "nope.toml", "--debug")
    assert run.returncode != 0 and "Traceback" in run.stderr


@pytest.mark.parametrize(
    ("flags", "needles"),
    [
        # a low bound above its high bound, each named as it was given (flag or profile)
        (["--d-gpu-min", "0.9", "--d-gpu-max", "0.1"],
         ["--d-gpu-min 0.9 is above --d-gpu-max 0.1"]),
        (["--embodied", "--embodied-gpu-kg-min", "600"],
         ["--embodied-gpu-kg-min 600 is above",
          "embodied_gpu_kg_max 575 (profile hardware.h100-sxm)"]),
        (["--embodied", "--embodied-gpu-kg-max", "10"],
         ["embodied_gpu_kg_min 164", "above --embodied-gpu-kg-max 10"]),
        (["--embodied", "--embodied-server-kg-min", "9000", "--embodied-server-kg-max", "6000"],
         ["--embodied-server-kg-min 9000 is above --embodied-server-kg-max 6000"]),
        # a bound the user gives on the wrong side of the central figure
        (["--embodied", "--embodied-gpu-kg-min", "200"],
         ["--embodied-gpu-kg-min 200 is above embodied_gpu_kg 164",
          "hint: give --embodied-gpu-kg-min"]),
    ],
)  # fmt: skip
def test_a_range_given_out_of_order_is_refused(
    ecoai_cli: CliRunner, flags: list[str], needles: list[str]
) -> None:
    """Before 0.2, the first three were ignored: a min above the max fell back to the central
    figure, a max below it blanked the range column, and d_gpu was named by its derived u_gpu."""
    run = ecoai_cli("estimate", "--model", "gpt-4.1", "--prompt", "short", *flags, "--json")
    assert_one_clear_error(run, *needles)
    assert run.stdout == ""


def test_a_scenario_range_out_of_order_names_its_keys(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text('model = "gpt-4.1"\nprompt = "short"\nd_gpu_min = 0.8\nd_gpu_max = 0.2\n')
    run = ecoai_cli("estimate", str(scenario))
    assert_one_clear_error(run, "s.toml: d_gpu_min = 0.8 is above", "give d_gpu_min <= d_gpu_max")


def test_a_central_figure_given_outside_the_published_range_widens_it(
    ecoai_cli: CliRunner,
) -> None:
    """The user's own figure for their GPU is kept; the range shows it beside the published."""
    run = ecoai_cli(
        "estimate", "--model", "gpt-4.1", "--prompt", "short", "--embodied",
        "--embodied-gpu-kg", "1000", "--json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    import json

    line = json.loads(run.stdout)["per_query"]["embodied_carbon_g"]
    assert line["min"] < line["mean"] == line["max"]


def test_another_node_size_without_its_power_is_refused(ecoai_cli: CliRunner) -> None:
    """`--gpus-per-node 4` on gpt-4.1's 8-GPU DGX H100 doubled U while still charging the whole
    8-GPU node's P_GPU: 1.765 Wh instead of 0.878 (fresh-eyes review)."""
    preset = ["estimate", "--model", "gpt-4.1", "--prompt", "short"]
    run = ecoai_cli(*preset, "--gpus-per-node", "4", "--json")
    assert_one_clear_error(
        run, "--gpus-per-node 4 describes another node than hardware.dgx-h100 (8 GPUs",
        "give that node's --p-gpu-kw and --p-non-gpu-kw",
    )  # fmt: skip
    assert ecoai_cli(*preset, "--gpus-per-node", "8", "--json").returncode == 0
    described = ecoai_cli(*preset, "--gpus-per-node", "4", "--p-gpu-kw", "2.8", "--json")
    assert described.returncode == 0, described.stderr
