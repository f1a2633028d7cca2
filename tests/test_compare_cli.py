"""`ecoai compare` and `ecoai merge` end to end: formats (golden files), exit codes, bad input."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from conftest import CliRunner, check_golden, run_probe
from fakes.reports import estimate_report, measured_report

from ecoai.models import Report
from ecoai.validation import dump_json

SCENARIO = Path(__file__).resolve().parent / "data" / "compare" / "paper.toml"


def _write(path: Path, report: Report) -> str:
    path.write_text(dump_json(report, indent=2), encoding="utf-8")
    return str(path)


@pytest.fixture
def three(tmp_path: Path) -> list[str]:
    """Ranged estimates, 1,000 queries each: expected IT energy 1.1, 1.265 (+15 %), 0.92 Wh."""
    return [
        _write(tmp_path / "base.json", estimate_report(1.0, it_max_wh=1.2, queries=1000)),
        _write(tmp_path / "worse.json", estimate_report(1.21, it_max_wh=1.32, queries=1000)),
        _write(tmp_path / "better.json", estimate_report(0.88, it_max_wh=0.96, queries=1000)),
    ]


GATES = ["--max-increase", "energy=5%", "--budget", "total.carbon_g=700"]


@pytest.mark.parametrize("fmt", ["markdown", "csv", "table"])
def test_formats_match_golden_files(ecoai_cli: CliRunner, three: list[str], fmt: str) -> None:
    run = ecoai_cli("compare", *three, *GATES, "--format", fmt)
    assert run.returncode == 1, run.stderr
    check_golden(f"compare.{fmt}", run.stdout)
    # The verdicts go to stderr in every format, a table on stdout included.
    assert run.stderr == (
        "ecoai: 3 of 5 gates passed\n"
        "  FAIL energy=5% [worse]: +15.0% vs max +5.0%\n"
        "  FAIL total.carbon_g=700 [worse total]: 759 g vs budget 700 g\n"
    )


def test_json_lists_every_gate(ecoai_cli: CliRunner, three: list[str]) -> None:
    run = ecoai_cli("compare", *three, *GATES, "--json")
    data = json.loads(run.stdout)
    assert data["kind"] == "comparison" and data["baseline"] == "base" and not data["passed"]
    gates = [(g["gate"], g["item"], g["verdict"]) for g in data["gates"]]
    assert gates == [
        ("max_increase", "worse", "fail"),
        ("max_increase", "better", "pass"),
        ("budget", "base", "pass"),
        ("budget", "worse", "fail"),
        ("budget", "better", "pass"),
    ]
    worse = data["gates"][0]
    # Expected IT energy 1.1 Wh -> 1.265 Wh vs 1.1 Wh: +15 % over the baseline (hand calculation).
    assert worse["value"] == pytest.approx(15.0)
    assert worse["threshold"] == 5.0 and worse["unit"] == "%" and worse["test"] is None
    # 1,000 queries x 1.265 Wh IT x 1.5 PUE x 400 g/kWh = 759 g > 700 g.
    assert data["gates"][3]["value"] == pytest.approx(759.0)


def test_all_gates_pass_exit_0(ecoai_cli: CliRunner, three: list[str]) -> None:
    run = ecoai_cli(
        "compare",
        *three,
        "--max-increase",
        "energy=15.01%",
        "--budget",
        "total.carbon_g=760,energy_wh=2",
        "-f",
        "csv",
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == "ecoai: 8 of 8 gates passed\n"


@pytest.mark.parametrize(
    ("gate", "code"),
    [
        (["--max-increase", "energy=15.1"], 0),
        (["--max-increase", "energy=14.9"], 1),
        (["--max-increase", "carbon=-10%"], 1),  # demands a 10 % cut; worse is +15 %
        (["--budget", "energy_wh=1.9"], 0),  # worse: 1.265 x 1.5 = 1.8975 Wh per query
        (["--budget", "energy_wh=1.89"], 1),
        (["--budget", "total.water_ml=6000"], 0),  # worse: 1.265 x (0.5 + 3) x 1000 = 4427.5 mL
        (["--budget", "total.water_site_ml=600"], 1),  # worse: 632.5 mL on site
    ],
)
def test_each_gate_exit_code(
    ecoai_cli: CliRunner, three: list[str], gate: list[str], code: int
) -> None:
    run = ecoai_cli("compare", *three, *gate, "--json")
    assert run.returncode == code, run.stderr


def test_gates_file(ecoai_cli: CliRunner, three: list[str], tmp_path: Path) -> None:
    (tmp_path / "gates.toml").write_text(
        '[max_increase]\nenergy = "20%"\n[budget]\ntotal.carbon_g = 700\n', encoding="utf-8"
    )
    run = ecoai_cli("compare", *three, "--gates", "gates.toml", "--json")
    assert run.returncode == 1
    failed = [g["spec"] for g in json.loads(run.stdout)["gates"] if g["verdict"] == "fail"]
    assert failed == ["total.carbon_g=700"]


def test_output_file_and_baseline_by_label(
    ecoai_cli: CliRunner, three: list[str], tmp_path: Path
) -> None:
    run = ecoai_cli("compare", *three, "--baseline", "worse", "-o", "out.md")
    assert run.returncode == 0 and run.stdout == ""
    text = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert "| worse (baseline) |" in text.splitlines()[2].replace("| Metric ", "")
    again = ecoai_cli("compare", *three, "-o", "out.md")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_stdin_report_into_a_budget(ecoai_cli: CliRunner) -> None:
    estimate = ecoai_cli("estimate", str(SCENARIO), "--json")
    assert estimate.returncode == 0, estimate.stderr
    passed = ecoai_cli("compare", "-", "--budget", "energy_wh=1", input=estimate.stdout)
    failed = ecoai_cli("compare", "-", "--budget", "energy_wh=0.5", input=estimate.stdout)
    assert (passed.returncode, failed.returncode) == (0, 1), failed.stderr
    assert "FAIL energy_wh=0.5 [paper]: 773 mWh vs budget 500 mWh" in failed.stdout


def test_scenario_and_vary(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli(
        "compare", str(SCENARIO), "--vary", "pue=1.1,1.32", "--vary", "cif=0.05,0.4", "--json"
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    labels = [i["label"] for i in data["items"]]
    assert labels == [
        "pue=1.1,cif=0.05",
        "pue=1.1,cif=0.4",
        "pue=1.32,cif=0.05",
        "pue=1.32,cif=0.4",
    ]
    carbon = next(r for r in data["rows"] if r["metric"] == "carbon_g")
    # carbon ~ PUE x CIF: 1.32 x 0.4 / (1.1 x 0.05) = 9.6.
    assert carbon["cells"][3]["ratio"] == pytest.approx(9.6)


def _runs(seed: int, centre: float, n: int = 8) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(centre, centre * 0.03) for _ in range(n)]


def test_noise_aware_gate(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    base = _write(tmp_path / "base.json", measured_report(_runs(1, 100.0), label="base"))
    same = _write(tmp_path / "same.json", measured_report(_runs(2, 100.0), label="same"))
    worse = _write(tmp_path / "worse.json", measured_report(_runs(3, 110.0), label="worse"))
    noise = ecoai_cli("compare", base, same, "--max-increase", "energy=0%", "--json")
    assert noise.returncode == 0, noise.stderr
    (gate,) = json.loads(noise.stdout)["gates"]
    assert gate["value"] > 0 and gate["test"]["name"] == "welch-t"
    assert gate["test"]["p_value"] > 0.05 and not gate["test"]["significant"]
    real = ecoai_cli("compare", base, worse, "--max-increase", "energy=5%", "--json")
    assert real.returncode == 1
    (gate,) = json.loads(real.stdout)["gates"]
    assert gate["test"]["p_value"] < 0.05 and gate["test"]["significant"]
    boot = ecoai_cli(
        "compare",
        base,
        worse,
        "--max-increase",
        "energy=5%",
        "--test",
        "bootstrap",
        "--confidence",
        "0.99",
        "--json",
    )
    assert boot.returncode == 1
    (gate,) = json.loads(boot.stdout)["gates"]
    assert gate["test"]["name"] == "bootstrap-ratio" and gate["test"]["confidence"] == 0.99
    assert gate["test"]["interval"][0] > 1.0
    # the summary says what the interval is: the ratio to the gate's limit between the 1st and
    # 99th percentiles (it said "99% interval" beside a percentage of the baseline)
    low, high = gate["test"]["interval"]
    assert f"(bootstrap-ratio ratio to the limit P1–P99 {low:.3f}–{high:.3f}, significant)" in (
        boot.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json"], "ecoai: error: missing.json: no such file"),
        (["bad.json"], "ecoai: error: bad.json: not JSON"),
        (["list.json"], "ecoai: error: list.json: not an ecoai report (no schema_version)"),
        (["v9.json"], "ecoai: error: v9.json: report schema_version 9; this ecoai reads 1"),
        (["broken.json"], "ecoai: error: broken.json: invalid report: kind:"),
        (["cmp.json"], "ecoai: error: cmp.json: is a comparison, not a report"),
        (
            ["ok.json", "--max-increase", "enrgy=5%"],
            "ecoai: error: --max-increase: unknown metric 'enrgy'",
        ),
        (
            ["ok.json", "--max-increase", "energy=5%%"],
            "ecoai: error: --max-increase: malformed threshold in 'energy=5%%'",
        ),
        (["ok.json", "--budget", "energy=1"], "ecoai: error: --budget: 'energy' needs its unit"),
        (["ok.json", "--gates", "nope.toml"], "ecoai: error: nope.toml: no such file"),
        (["ok.json", "--baseline", "7"], "ecoai: error: --baseline '7' names no item"),
        (["ok.json", "--confidence", "1.5"], "ecoai: error: --confidence 1.5 is out of range"),
        (["ok.json", "--test", "anova"], "ecoai: error: --test 'anova' is unknown"),
        (
            ["ok.json", "--gates", "g5.toml"],
            "ecoai: error: g5.toml: confidence = 5 is out of range",
        ),
        (["ok.json", "--gates", "gt.toml"], "ecoai: error: gt.toml: test = 'anova' is unknown"),
        ([str(SCENARIO), "--vary", "gird=FRA"], "ecoai: error: --vary: unknown key 'gird'"),
        (["no-such-model:short/x"], "ecoai: error: no-such-model:short/x: no such file"),
        ([], "ecoai: error: nothing to compare"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    ecoai_cli: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    _write(tmp_path / "ok.json", estimate_report(1.0))
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    data = json.loads(dump_json(estimate_report(1.0)))
    (tmp_path / "v9.json").write_text(json.dumps({**data, "schema_version": 9}), encoding="utf-8")
    (tmp_path / "broken.json").write_text(json.dumps({**data, "kind": "guess"}), encoding="utf-8")
    (tmp_path / "cmp.json").write_text(
        '{"schema_version": 1, "kind": "comparison"}', encoding="utf-8"
    )
    (tmp_path / "g5.toml").write_text("confidence = 5\n", encoding="utf-8")
    (tmp_path / "gt.toml").write_text('test = "anova"\n', encoding="utf-8")
    run = ecoai_cli("compare", *args)
    assert run.returncode == 2, run.stderr
    first, *rest = run.stderr.splitlines()
    assert first.startswith(message), run.stderr
    assert all(line.startswith("hint: ") for line in rest) and len(rest) <= 1


def test_merge_then_compare(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    a = _write(tmp_path / "r0.json", measured_report([10.0], host="n1", gpus=["GPU-a"]))
    b = _write(tmp_path / "r1.json", measured_report([20.0], host="n2", gpus=["GPU-a"]))
    run = ecoai_cli("merge", a, b, "--queries", "30", "-o", "job.json")
    assert run.returncode == 0, run.stderr
    job = json.loads((tmp_path / "job.json").read_text(encoding="utf-8"))
    assert job["kind"] == "merged"
    assert job["total"]["energy_wh"]["mean"] == pytest.approx(45.0)  # 30 Wh IT x 1.5
    assert [m["origin"] for m in job["extra"]["merged_from"]] == [a, b]
    assert "ecoai: merged 2 reports: 45.0 Wh, " in run.stderr  # the table's units, not 4.5e+01
    table = ecoai_cli("merge", a, b, "--queries", "30").stdout
    assert all(f" {figure} " in table for figure in ("45.0 Wh", "18.0 g"))
    assert ", 18.0 g CO2e" in run.stderr
    gate = ecoai_cli("compare", a, "job.json", "--budget", "total.energy_wh=40")
    assert gate.returncode == 1


def test_merge_refuses_the_same_gpu(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    a = _write(tmp_path / "r0.json", measured_report([10.0], host="n1", gpus=["GPU-a"]))
    b = _write(tmp_path / "r1.json", measured_report([10.0], host="n1", gpus=["GPU-a"]))
    run = ecoai_cli("merge", a, b, "-o", "job.json")
    assert run.returncode == 2
    assert run.stderr.startswith(f"ecoai: error: GPU GPU-a on n1 is in both {a} and {b}")
    assert not (tmp_path / "job.json").exists()


def test_compare_json_imports_nothing_heavy(three: list[str]) -> None:

    heavy = ("torch", "pynvml", "psutil", "numpy", "tomli_w", "rich.table", "rich.console")
    probe = (
        "import sys, io, contextlib\n"
        f"sys.argv = ['ecoai', 'compare', *{three!r}, '--json', '--max-increase', 'energy=5%']\n"
        "from ecoai.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        f"print(sorted(m for m in sys.modules if m in {heavy!r}))\n"
    )
    run = run_probe(probe)
    assert run.stdout.strip() == "[]", run.stdout


def test_presets_with_vary(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli(
        "compare", "gpt-4o:short", "--vary", "grid=FRA,POL", "--vary", "pue=1.1,2.2", "--json"
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert [i["label"] for i in data["items"]] == [
        "grid=FRA,pue=1.1",
        "grid=FRA,pue=2.2",
        "grid=POL,pue=1.1",
        "grid=POL,pue=2.2",
    ]
    energy = next(r for r in data["rows"] if r["metric"] == "energy_wh")
    carbon = next(r for r in data["rows"] if r["metric"] == "carbon_g")
    # Facility energy = IT energy x PUE (same seed, same draws); the grid changes only carbon.
    assert [c["ratio"] for c in energy["cells"]] == pytest.approx([1.0, 2.0, 1.0, 2.0])
    assert carbon["cells"][2]["ratio"] > 5  # Poland's grid vs France's nuclear-heavy grid


def test_unknown_preset_suggests(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("compare", "gpt-4o:short", "gpt-4p:short")
    assert run.returncode == 2
    assert run.stderr.startswith("ecoai: error: unknown model 'gpt-4p'"), run.stderr
