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
    assert_one_clear_error(run, "u_gpu_min")


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
