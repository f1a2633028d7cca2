"""Open LLMs estimated from the ML.ENERGY measurements: interpolation, fit, inputs, contract."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from ecoai.errors import InputError
from ecoai.estimation.estimate import estimate
from ecoai.estimation.open_model import (
    FIT_ERROR_P90,
    HUBER_DELTA,
    INTERPOLATION_ERROR_P90,
    Config,
    always_active_b,
    default_gpu_count,
    gpu_scaling,
    huber_least_squares,
    least_squares,
    output_token_range,
    per_token,
    weights_read_gb,
)
from ecoai.inputs.mlenergy import LLM_TASKS, find_open_model, load_measurements, open_models
from ecoai.inputs.resolve import resolve
from ecoai.validation import dump_json

BENCHMARKS = Path(__file__).resolve().parent / "benchmarks"


def _estimate(**flags: object) -> dict[str, object]:
    report = estimate(resolve(None, {"cif_kg_per_kwh": 0.4, "pue": 1.2,
                                     "wue_site_l_per_kwh": 0.5, "wue_source_l_per_kwh": 3.0,
                                     **flags}))  # fmt: skip
    return json.loads(dump_json(report))  # type: ignore[no-any-return]


def test_measured_batch_sizes_are_reproduced_exactly() -> None:
    points = load_measurements()
    checked = 0
    for point in points:
        same = [
            p
            for p in points
            if (p.model_id, p.gpu, p.precision, p.gpu_count, p.data_parallel)
            == (point.model_id, point.gpu, point.precision, point.gpu_count, point.data_parallel)
        ]
        preferred = next(t for t in LLM_TASKS if any(p.task == t for p in same))
        if point.task != preferred:
            continue  # one task per configuration: chat first
        config = Config(point.total_params_b, point.active_params_b, point.precision, point.gpu,
                        point.gpu_count, point.batch_size, point.model_id,
                        data_parallel=point.data_parallel)  # fmt: skip
        got = per_token(config)
        repeats = [p.energy_per_token_j for p in same
                   if p.task == point.task and p.batch_size == point.batch_size]  # fmt: skip
        expected = math.prod(repeats) ** (1 / len(repeats))  # repeated runs: geometric mean
        assert got.path == "measured"
        assert got.energy_per_token_j == pytest.approx(expected, rel=1e-12)
        checked += 1
    assert checked > 300


def test_interpolation_lies_between_its_neighbours_in_log_space() -> None:
    got = per_token(Config(14, 14, "bf16", "h100-sxm", 1, 48, "Qwen/Qwen3-14B"))
    assert got.path == "measured"
    # Measured on H100 x1: batch 32 -> 0.244 J, batch 64 -> 0.167 J (lm-arena-chat).
    assert 0.167 < got.energy_per_token_j < 0.244
    assert "32 and 64" in got.detail


@pytest.mark.parametrize("gpu", ["h100-sxm", "b200"])
@pytest.mark.parametrize("batch", [8, 64, 256])
def test_more_active_parameters_never_cost_less_per_query(gpu: str, batch: int) -> None:
    energies = [
        _estimate(params_b=size, hardware=gpu, gpu_count=8, batch_size=batch,
                  output_tokens=500)["per_query"]["energy_wh"]["mean"]  # type: ignore[index]
        for size in (1, 3, 8, 14, 32, 70, 120, 235)
    ]  # fmt: skip
    assert energies == sorted(energies)
    moe = [
        _estimate(params_b=235, active_params_b=active, hardware=gpu, gpu_count=8,
                  batch_size=batch, output_tokens=500)["per_query"]["energy_wh"]["mean"]  # type: ignore[index]
        for active in (3, 10, 22, 70, 235)
    ]  # fmt: skip
    assert moe == sorted(moe)


@pytest.mark.parametrize("batch", [1, 8, 64, 1024])
def test_more_output_tokens_never_cost_less(batch: int) -> None:
    energies = [
        _estimate(params_b=32, hardware="h100-sxm", gpu_count=2, batch_size=batch,
                  output_tokens=n)["per_query"]["energy_wh"]["mean"]  # type: ignore[index]
        for n in (1, 10, 100, 250, 600, 2000, 7000, 12000, 40000)
    ]  # fmt: skip
    assert energies == sorted(energies)


def test_long_answers_cost_more_per_token_within_the_data_only() -> None:
    """Output length is a feature (KV cache), clamped to the range of the data's tasks."""
    low, chat, high = output_token_range()
    assert low < chat < high

    def per_token_j(tokens: float | None) -> float:
        return per_token(Config(32, 32, "bf16", "h100-sxm", 2, 64, None, tokens)).energy_per_token_j

    assert per_token_j(None) == per_token_j(chat)
    assert per_token_j(low) < per_token_j(chat) < per_token_j(high)
    assert per_token_j(low / 10) == per_token_j(low) and per_token_j(high * 10) == per_token_j(high)


def test_a_decode_step_reads_the_experts_its_batch_touches() -> None:
    """Dense: all weights at every batch; a mixture of experts: about its active weights at
    batch 1, more with each sequence, all of them in a large batch."""
    dense = [weights_read_gb(Config(8, 8, "bf16", "h100-sxm", 1, b)) for b in (1, 64)]
    assert dense == [16.0, 16.0]
    moe = [weights_read_gb(Config(30, 3, "fp8", "h100-sxm", 1, b)) for b in (1, 2, 8, 64, 1024)]
    assert moe[0] == pytest.approx(3.0)  # experts not given: P x A / P, 1 byte per weight
    assert moe == sorted(moe)
    assert moe[-1] == pytest.approx(30.0)


def test_known_experts_split_the_always_active_weights_from_the_routed_ones() -> None:
    """Qwen3-30B-A3B: 8 of 128 experts; A = S + (8/128)(P - S) gives S = 1.2 B always active."""

    def config(batch: int, ranks: int = 1) -> Config:
        return Config(30, 3, "bf16", "h100-sxm", 2, batch, experts=128, experts_per_token=8,
                      data_parallel=ranks)  # fmt: skip

    assert always_active_b(config(1)) == pytest.approx(1.2)
    assert weights_read_gb(config(1)) == pytest.approx(2 * 3.0)  # batch 1: the active weights
    touched = 1 - (1 - 8 / 128) ** 16
    assert weights_read_gb(config(16)) == pytest.approx(2 * (1.2 + 28.8 * touched))
    # two data-parallel ranks: each reads its own copy of the always-active weights
    assert weights_read_gb(config(16, 2)) == pytest.approx(2 * (2.4 + 28.8 * touched))
    assert weights_read_gb(config(4096)) == pytest.approx(2 * 30.0)


def test_more_experts_per_token_never_cost_less() -> None:
    energies = [
        _estimate(params_b=235, active_params_b=22, experts=128, experts_per_token=k,
                  hardware="h100-sxm", gpu_count=8, batch_size=16,
                  output_tokens=500)["per_query"]["energy_wh"]["mean"]  # type: ignore[index]
        for k in (1, 2, 4, 8, 11)
    ]  # fmt: skip
    assert energies == sorted(energies)


def test_a_data_parallel_rank_serves_its_share_of_the_batch() -> None:
    """Data-parallel attention splits the batch: each rank decodes B / D sequences, so the same
    replica and batch cost more per token than with one batch of B."""
    flags = {"params_b": 480, "active_params_b": 35, "experts": 160, "experts_per_token": 8,
             "precision": "fp8", "hardware": "b200", "gpu_count": 8, "batch_size": 256,
             "output_tokens": 250}  # fmt: skip
    one = _estimate(**flags)
    eight = _estimate(**flags, data_parallel=8)
    assert one["inputs"]["data_parallel"]["source"]["kind"] == "default"  # type: ignore[index]
    assert eight["inputs"]["data_parallel"]["source"]["kind"] == "flag"  # type: ignore[index]
    per_token_j = [r["intermediate"]["gpu_energy_per_token_j"] for r in (one, eight)]  # type: ignore[index]
    assert per_token_j[1] > per_token_j[0]


def test_a_model_id_of_the_data_supplies_its_experts_and_measured_layout() -> None:
    """Qwen3-Coder-480B FP8 was measured with 8 data-parallel ranks on 8 B200: given them, the
    measurement is reproduced; its experts come from its config.json, sourced."""
    measured = [p for p in load_measurements()
                if (p.model_id, p.gpu_count, p.data_parallel, p.batch_size)
                == ("Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", 8, 8, 64)]  # fmt: skip
    assert len(measured) == 1
    report = _estimate(model="Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", hardware="b200",
                       gpu_count=8, data_parallel=8, batch_size=64, output_tokens=250)  # fmt: skip
    inputs = report["inputs"]
    assert inputs["experts"]["value"] == 160  # type: ignore[index]
    assert inputs["experts_per_token"]["value"] == 8  # type: ignore[index]
    assert "config.json" in inputs["experts"]["source"]["citation"]  # type: ignore[index]
    got = report["intermediate"]["gpu_energy_per_token_j"]  # type: ignore[index]
    assert got == pytest.approx(measured[0].energy_per_token_j)


def test_every_mixture_of_experts_of_the_data_has_its_experts() -> None:
    for point in load_measurements():
        known = point.experts is not None and point.experts_per_token is not None
        assert known == (point.active_params_b < point.total_params_b), point.model_id
        if known:
            share = point.experts_per_token / point.experts  # type: ignore[operator]
            assert point.active_params_b >= share * point.total_params_b, point.model_id


def test_huber_least_squares_bounds_the_pull_of_an_outlier() -> None:
    rows = [[1.0, float(x)] for x in range(10)]
    targets = [1 + 0.5 * x for x in range(10)]
    targets[9] += 5.0  # one point far off the line
    ordinary = least_squares(rows, targets)
    robust = huber_least_squares(rows, targets)
    assert abs(robust[1] - 0.5) < abs(ordinary[1] - 0.5) / 5

    def loss(c: list[float]) -> float:  # Huber's loss, delta HUBER_DELTA
        residuals = [abs(c[0] + c[1] * r[1] - y) for r, y in zip(rows, targets, strict=True)]
        d = HUBER_DELTA
        return sum(e * e / 2 if e <= d else d * (e - d / 2) for e in residuals)

    # a minimum: every small step away costs more
    for step in ([1e-3, 0], [-1e-3, 0], [0, 1e-4], [0, -1e-4]):
        assert loss(robust) < loss([robust[0] + step[0], robust[1] + step[1]])


def test_the_contract_of_the_issue() -> None:
    """`ecoai estimate --params-b 32 ... --json` carries the GPU energy per token and GPU count."""
    cmd = [sys.executable, "-m", "ecoai", "estimate", "--params-b", "32", "--active-params-b",
           "32", "--precision", "bf16", "--hardware", "h100-sxm", "--gpu-count", "2",
           "--batch-size", "64", "--output-tokens", "600", "--queries", "1000",
           "--json"]  # fmt: skip
    report = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    mid = report["intermediate"]
    assert mid["gpu_count"] == 2
    per_token_j = mid["gpu_energy_per_token_j"]
    assert mid["gpu_energy_per_token_j_min"] < per_token_j < mid["gpu_energy_per_token_j_max"]
    it = report["per_query"]["it_energy_wh"]
    gpu_wh = per_token_j * 600 / 3600
    non_gpu_wh = mid["non_gpu_energy_j"] / 3600
    assert it["mean"] == pytest.approx(gpu_wh + non_gpu_wh)
    assert report["total"]["it_energy_wh"]["mean"] == pytest.approx(1000 * it["mean"])
    assert report["method"]["statistic"] == "open-model"
    assert report["inputs"]["gpu_energy_per_token_j"]["source"]["ref"].startswith("fitted")


def test_a_model_id_of_the_data_supplies_its_parameters() -> None:
    report = _estimate(model="Qwen/Qwen3-30B-A3B-Instruct-2507", hardware="h100-sxm",
                       batch_size=64, output_tokens=600)  # fmt: skip
    inputs = report["inputs"]
    assert inputs["params_b"]["value"] == 30.0  # type: ignore[index]
    assert inputs["active_params_b"]["value"] == 3.0  # type: ignore[index]
    assert inputs["params_b"]["source"]["kind"] == "profile"  # type: ignore[index]
    assert open_models()["qwen/qwen3-14b"].model_id == "Qwen/Qwen3-14B"
    short = find_open_model("qwen3-14b")  # the name after the organisation works too
    assert short is not None and short.model_id == "Qwen/Qwen3-14B"


def test_default_gpu_count_holds_the_weights_with_headroom() -> None:
    assert default_gpu_count(16, 80) == 1  # 8B bf16
    assert default_gpu_count(140, 80) == 4  # 70B bf16: 168 GB > 160 GB
    assert default_gpu_count(810, 180) == 8  # 405B bf16 on B200
    report = _estimate(params_b=70, hardware="h100-sxm", output_tokens=100)
    assert report["intermediate"]["gpu_count"] == 4  # type: ignore[index]
    assert report["inputs"]["gpu_count"]["source"]["kind"] == "derived"  # type: ignore[index]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"params_b": 8, "active_params_b": 9, "hardware": "h100-sxm"}, "active-params-b"),
        ({"params_b": 8}, "needs the GPU"),
        ({"params_b": 8, "hardware": "h100-sxm", "precision": "int3"}, "unknown precision"),
        ({"params_b": 2000, "hardware": "l4"}, "more than one 8-GPU node"),
        ({"params_b": 70, "hardware": "h100-sxm", "gpu_count": 1}, "do not fit"),
        ({"model": "qwen3-14b", "prompt": "short", "hardware": "h100-sxm"}, "--prompt applies"),
        ({"model": "qwen3-15b"}, "unknown model"),
        (
            {"params_b": 30, "active_params_b": 3, "experts": 128, "hardware": "h100-sxm"},
            "--experts needs --experts-per-token",
        ),
        (
            {"params_b": 30, "active_params_b": 3, "experts_per_token": 8, "hardware": "h100-sxm"},
            "--experts-per-token needs --experts",
        ),
        (
            {"params_b": 8, "experts": 8, "experts_per_token": 2, "hardware": "h100-sxm"},
            "applies to a mixture of experts",
        ),
        (
            {
                "params_b": 30,
                "active_params_b": 3,
                "experts": 8,
                "experts_per_token": 8,
                "hardware": "h100-sxm",
            },
            "is not below --experts",
        ),
        (
            {
                "params_b": 30,
                "active_params_b": 1,
                "experts": 128,
                "experts_per_token": 8,
                "hardware": "h100-sxm",
            },
            "below the experts a token picks",
        ),
        (
            {"params_b": 8, "hardware": "h100-sxm", "gpu_count": 2, "data_parallel": 4},
            "does not divide the 2 GPUs",
        ),
    ],
)
def test_bad_inputs_are_one_line_errors(flags: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        _estimate(output_tokens=100, **flags)


def test_a_gpu_outside_the_data_is_scaled_and_marked_less_certain() -> None:
    low, high = gpu_scaling(72, 0.3)  # L4: 240 W per TB/s against the H100's 209
    assert (low, high) == (1.0, pytest.approx(240 / (700 / 3.35)))
    report = _estimate(params_b=8, hardware="l4", gpu_count=1, batch_size=8, output_tokens=100)
    assert "less certain" in report["inputs"]["gpu_energy_per_token_j"]["source"]["ref"]  # type: ignore[index]


def test_least_squares_recovers_a_known_line() -> None:
    rows = [[1.0, x, x * x] for x in range(-3, 5)]
    coefficients = least_squares(rows, [2 - 0.5 * x + 0.25 * x * x for x in range(-3, 5)])
    assert coefficients == pytest.approx([2, -0.5, 0.25], abs=1e-6)


def test_the_stated_error_factors_are_the_benchmarks() -> None:
    """The range of each path uses the P90 error the benchmark measures on the shipped data."""
    sys.path.insert(0, str(BENCHMARKS))
    import bench_open_models as bench

    points = load_measurements()
    pairs = bench.leave_one_model_out(points)
    fit_p90 = bench.percentile(bench.error_factors(pairs), 0.9)
    # the README shows the benchmark's table as it prints it
    readme = (BENCHMARKS.parents[1] / "README.md").read_text(encoding="utf-8").splitlines()
    assert "\n".join(bench.markdown(bench.table(points, pairs))) in "\n".join(readme)
    batch_p90 = bench.percentile(bench.error_factors(bench.leave_one_batch_out(points)), 0.9)
    assert fit_p90 == pytest.approx(FIT_ERROR_P90, abs=0.01)
    assert batch_p90 == pytest.approx(INTERPOLATION_ERROR_P90, abs=0.01)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params-b", "8", "--hardware", "h999"], "unknown hardware 'h999'"),
        (["--params-b", "8", "--hardware", "h100-sxm", "--batch-size", "0"], "--batch-size"),
        (["--params-b", "8", "--active-params-b", "9", "--hardware", "h100-sxm"], "above"),
        (["--params-b", "3000", "--hardware", "b200"], "more than one 8-GPU node"),
        (["--model", "Qwen/Qwen3-14B", "--hardware", "h100-sxm", "--gpu-count", "0"], "gpu-count"),
        (
            [
                "--params-b",
                "30",
                "--active-params-b",
                "3",
                "--experts",
                "128",
                "--hardware",
                "h100-sxm",
            ],
            "--experts needs --experts-per-token",
        ),
        (["--params-b", "8", "--hardware", "h100-sxm", "--data-parallel", "0"], "data-parallel"),
    ],
)
def test_the_command_line_exits_2_with_one_error_and_a_hint(args: list[str], message: str) -> None:
    cmd = [sys.executable, "-m", "ecoai", "estimate", "--output-tokens", "100", *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    error, hint = done.stderr.splitlines()
    assert error.startswith("ecoai: error: ") and message in error
    assert hint.startswith("hint: ")


def test_the_model_id_contract_of_the_issue() -> None:
    """`ecoai estimate --model Qwen/Qwen3-14B --hardware h100-sxm --batch-size 64 ...`: the
    measured batch 64 of the data, reproduced exactly (chat, one H100, bf16)."""
    cmd = [sys.executable, "-m", "ecoai", "estimate", "--model", "Qwen/Qwen3-14B", "--hardware",
           "h100-sxm", "--batch-size", "64", "--output-tokens", "600", "--json"]  # fmt: skip
    report = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    measured = [p for p in load_measurements() if (p.model_id, p.gpu, p.gpu_count, p.batch_size,
                p.task) == ("Qwen/Qwen3-14B", "h100-sxm", 1, 64, "lm-arena-chat")]  # fmt: skip
    assert len(measured) == 1
    mid = report["intermediate"]
    assert mid["gpu_energy_per_token_j"] == pytest.approx(measured[0].energy_per_token_j)
    assert mid["gpu_count"] == 1
    assert report["inputs"]["gpu_energy_per_token_j"]["source"]["ref"].startswith("measured")


@pytest.mark.parametrize(
    ("flags", "outside"),
    [
        ({"params_b": 7, "batch_size": 100_000}, ["batch size 100000", "total parameters 7 B"]),
        ({"params_b": 0.001}, ["active parameters 0.001 B", "total parameters 0.001 B"]),
    ],
)
def test_a_configuration_outside_the_data_says_it_is_extrapolated(
    flags: dict[str, object], outside: list[str]
) -> None:
    report = _estimate(hardware="h100-sxm", output_tokens=500, **flags)
    (note,) = [n for n in report["notes"] if "outside the measured data" in n]  # type: ignore[union-attr]
    assert all(f"{what} is outside the measured" in note for what in outside), note


def test_a_configuration_inside_the_data_has_no_extrapolation_note() -> None:
    report = _estimate(params_b=32, hardware="h100-sxm", batch_size=64, output_tokens=600)
    assert not [n for n in report["notes"] if "outside" in n]  # type: ignore[union-attr]


@pytest.mark.parametrize("model", [["--model", "Qwen/Qwen3-14B"], ["--params-b", "14"]])
def test_an_open_model_without_output_tokens_is_told_to_give_them(model: list[str]) -> None:
    """Not --prompt (the paper's presets have prompt classes; open models do not)."""
    cmd = [sys.executable, "-m", "ecoai", "estimate", *model, "--hardware", "h100-sxm"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    error, hint = done.stderr.splitlines()
    assert done.returncode == 2 and "has no prompt classes" in error
    assert hint == "hint: pass --output-tokens N, e.g. --output-tokens 600"
