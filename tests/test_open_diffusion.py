"""Diffusion models from the ML.ENERGY measurements: interpolation, fit, contract, errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from ecoai.errors import InputError
from ecoai.estimation.estimate import estimate
from ecoai.estimation.open_diffusion import (
    FIT_ERROR_P90,
    INTERPOLATION_ERROR_P90,
    ItemConfig,
    per_item,
)
from ecoai.inputs.mlenergy import (
    ARCHITECTURES,
    Architecture,
    find_diffusion_model,
    load_diffusion,
)
from ecoai.inputs.resolve import resolve
from ecoai.validation import dump_json

BENCHMARKS = Path(__file__).resolve().parent / "benchmarks"
FLUX = "black-forest-labs/FLUX.1-dev"


def _estimate(**flags: object) -> dict[str, object]:
    report = estimate(resolve(None, {"cif_kg_per_kwh": 0.4, "pue": 1.2,
                                     "wue_site_l_per_kwh": 0.5, "wue_source_l_per_kwh": 3.0,
                                     **flags}))  # fmt: skip
    return json.loads(dump_json(report))  # type: ignore[no-any-return]


def _config(model_id: str | None = FLUX, **changes: object) -> ItemConfig:
    """FLUX.1-dev's configuration (its architecture with its id, the defaults without)."""
    architecture = ARCHITECTURES.get(model_id or "", Architecture())
    base: dict[str, object] = dict(pipeline="text-to-image", params_b=12.0, steps=50, width=1024,
                                   height=1024, frames=1, gpu="h100-sxm", gpu_count=1,
                                   batch_size=4, model_id=model_id,
                                   architecture=architecture)  # fmt: skip
    return ItemConfig(**{**base, **changes})  # type: ignore[arg-type]


def test_measured_configurations_are_reproduced_exactly() -> None:
    points = load_diffusion()
    groups: dict[tuple[object, ...], list[float]] = {}
    for p in points:
        key = (p.model_id, p.gpu, p.gpu_count, p.batch_size)
        groups.setdefault(key, []).append(p.energy_per_item_j)
    for (model_id, gpu, gpus, batch), energies in groups.items():
        point = next(p for p in points if (p.model_id, p.gpu, p.gpu_count, p.batch_size)
                     == (model_id, gpu, gpus, batch))  # fmt: skip
        config = ItemConfig(point.pipeline, point.params_b, point.steps, point.width,
                            point.height, point.frames, gpu, gpus, batch, model_id,
                            point.architecture)  # fmt: skip
        got = per_item(config)
        expected = math.prod(energies) ** (1 / len(energies))  # parallelism variants: geo mean
        assert got.path == "measured"
        assert got.energy_per_item_j == pytest.approx(expected, rel=1e-12)
    assert len(groups) > 150


def test_steps_scale_linearly_and_batch_interpolates_between_neighbours() -> None:
    at_50 = per_item(_config()).energy_per_item_j
    at_25 = per_item(_config(steps=25))
    assert at_25.energy_per_item_j == pytest.approx(at_50 / 2)
    assert "25 steps" in at_25.detail
    b4, b8 = per_item(_config(batch_size=4)), per_item(_config(batch_size=8))
    b6 = per_item(_config(batch_size=6))
    low, high = sorted((b4.energy_per_item_j, b8.energy_per_item_j))
    assert low <= b6.energy_per_item_j <= high
    assert "4 and 8" in b6.detail


def test_an_unmeasured_size_is_fitted_and_anchored_to_the_model() -> None:
    got = per_item(_config(width=512, height=512))
    assert got.path == "fitted, anchored"
    assert got.energy_per_item_j < per_item(_config()).energy_per_item_j
    unknown = per_item(_config(model_id=None, params_b=3))
    assert unknown.path == "fitted"


@pytest.mark.parametrize("gpu", ["h100-sxm", "b200"])
def test_more_work_never_costs_less(gpu: str) -> None:
    for axis, values in (("params_b", (1, 2, 4, 8, 12, 20)), ("steps", (4, 10, 28, 50, 100)),
                         ("width", (256, 512, 1024, 2048))):  # fmt: skip
        energies = [per_item(_config(None, gpu=gpu, **{axis: v})).energy_per_item_j
                    for v in values]  # fmt: skip
        assert energies == sorted(energies), axis


def test_the_contract_of_the_issue() -> None:
    cmd = [sys.executable, "-m", "ecoai", "estimate", "--pipeline", "text-to-video",
           "--params-b", "12", "--steps", "50", "--width", "832", "--height", "480",
           "--frames", "81", "--batch-size", "4", "--hardware", "h100-sxm", "--gpu-count", "1",
           "--queries", "10", "--json"]  # fmt: skip
    report = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    mid = report["intermediate"]
    assert mid["gpu_count"] == 1
    per_item_j = mid["gpu_energy_per_item_j"]
    assert mid["gpu_energy_per_item_j_min"] < per_item_j < mid["gpu_energy_per_item_j_max"]
    it = report["per_query"]["it_energy_wh"]
    assert it["mean"] == pytest.approx((per_item_j + mid["non_gpu_energy_j"]) / 3600)
    assert report["total"]["it_energy_wh"]["mean"] == pytest.approx(10 * it["mean"])
    assert report["per_query"]["carbon_g"]["mean"] > 0
    assert report["inputs"]["gpu_energy_per_item_j"]["source"]["ref"].startswith("fitted")


def test_a_model_id_of_the_data_supplies_its_configuration() -> None:
    report = _estimate(model=FLUX, hardware="h100-sxm", batch_size=4, gpu_count=1)
    inputs = report["inputs"]
    assert inputs["pipeline"]["value"] == "text-to-image"  # type: ignore[index]
    assert inputs["steps"]["value"] == 50  # type: ignore[index]
    assert inputs["gpu_energy_per_item_j"]["source"]["ref"].startswith("measured")  # type: ignore[index]
    video = _estimate(model="wan2.1-t2v-14b-diffusers", hardware="b200", gpu_count=8)
    assert video["inputs"]["frames"]["value"] == 81  # type: ignore[index]
    found = find_diffusion_model("flux.1-dev")
    assert found is not None and found.model_id == FLUX
    embodied = _estimate(model=FLUX, hardware="dgx-h100", gpu_count=1, embodied=True)
    assert embodied["per_query"]["embodied_carbon_g"]["mean"] > 0  # type: ignore[index]


IMAGE = {"pipeline": "text-to-image", "params_b": 12, "steps": 50, "width_px": 1024,
         "height_px": 1024, "hardware": "h100-sxm"}  # fmt: skip


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({**IMAGE, "pipeline": "text-to-audio"}, "unknown pipeline"),
        ({**IMAGE, "frames": 81}, "--frames applies to text-to-video"),
        ({**IMAGE, "pipeline": "text-to-video"}, "needs the frames"),
        ({**IMAGE, "output_tokens": 100}, "--output-tokens applies to LLMs"),
        ({**IMAGE, "active_params_b": 3}, "--active-params-b applies to LLMs"),
        ({**IMAGE, "precision": "fp8"}, "bf16 only"),
        ({**IMAGE, "hardware": "l4"}, "measured on h100-sxm and b200 only"),
        ({k: v for k, v in IMAGE.items() if k != "hardware"}, "needs the GPU"),
        ({k: v for k, v in IMAGE.items() if k != "steps"}, "missing steps"),
        ({**IMAGE, "params_b": 200, "gpu_count": 1}, "do not fit"),
        ({"model": "flux.2-dev", "hardware": "h100-sxm"}, "unknown model"),
        ({"model": FLUX, "hardware": "h100-sxm", "frames": 10}, "--frames applies"),
        ({**IMAGE, "attention": "sparse"}, "unknown attention"),
        ({**IMAGE, "vae_temporal_compression": 4}, "--vae-temporal-compression applies"),
        ({"params_b": 8, "hardware": "h100-sxm", "guidance_passes": 1}, "does not apply"),
    ],
)
def test_bad_inputs_are_one_line_errors(flags: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        _estimate(**flags)


@pytest.mark.parametrize(
    "args",
    [["--steps", "0"], ["--width", "-5"], ["--pipeline", "text-to-audio"], ["--frames", "81"]],
)
def test_the_command_line_exits_2_with_one_line(args: list[str]) -> None:
    cmd = [sys.executable, "-m", "ecoai", "estimate", "--pipeline", "text-to-image",
           "--params-b", "12", "--steps", "50", "--width", "1024", "--height", "1024",
           "--hardware", "h100-sxm", *args]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("ecoai: error: ")
    assert "Traceback" not in done.stderr


def test_every_diffusion_model_of_the_data_has_its_architecture() -> None:
    assert {p.model_id for p in load_diffusion()} <= set(ARCHITECTURES)


def test_the_architecture_counts_the_transformers_work() -> None:
    two = per_item(_config(None)).energy_per_item_j
    one = per_item(_config(None, architecture=Architecture(guidance_passes=1))).energy_per_item_j
    assert one == pytest.approx(two / 2)  # one pass per step at the same work per GPU
    dc_ae = Architecture(vae_compression=32, patch_size=1)  # a quarter of the tokens
    assert per_item(_config(None, architecture=dc_ae)).energy_per_item_j < two / 2
    for axis, values in (("guidance_passes", (1, 2, 3)), ("layers", (10, 20, 40)),
                         ("hidden_size", (1024, 2048, 4096))):  # fmt: skip
        # the other of layers and width fixed (given alone, it sets the other from P)
        fixed = {"layers": 40, "hidden_size": 3072, "guidance_passes": 2, axis: None}
        energies = [per_item(_config(None, architecture=Architecture(**{**fixed, axis: v})))
                    .energy_per_item_j for v in values]  # type: ignore[arg-type]  # fmt: skip
        assert energies == sorted(energies), axis


def test_the_architecture_is_sourced_or_its_default_stated() -> None:
    flux = _estimate(model=FLUX, hardware="h100-sxm", gpu_count=1)["inputs"]
    assert flux["guidance_passes"]["value"] == 1  # type: ignore[index]
    assert "guidance-distilled" in flux["guidance_passes"]["source"]["citation"]  # type: ignore[index]
    assert flux["batch_size"]["value"] == 1  # type: ignore[index]
    given = _estimate(**IMAGE)["inputs"]
    for name in ("vae_compression", "patch_size", "guidance_passes", "attention", "batch_size"):
        assert given[name]["source"]["kind"] == "default", name  # type: ignore[index]
    assert "vae_temporal_compression" not in given
    changed = _estimate(model=FLUX, hardware="h100-sxm", gpu_count=1, guidance_passes=2)
    ref = changed["inputs"]["gpu_energy_per_item_j"]["source"]["ref"]  # type: ignore[index]
    assert ref.startswith("fitted, anchored")  # the measurement is of one pass per step


def test_the_stated_error_factors_are_the_benchmarks() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    import bench_open_models as bench

    items = load_diffusion()
    pairs = bench.diffusion_leave_one_model_out(items)
    fit_p90 = bench.percentile(bench.ratio_factors(pairs), 0.9)
    readme = (BENCHMARKS.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "\n".join(bench.markdown(bench.diffusion_table(items, pairs))) in readme
    lobo = bench.ratio_factors(bench.diffusion_leave_one_batch_out(items))
    assert fit_p90 == pytest.approx(FIT_ERROR_P90, abs=0.01)
    assert bench.percentile(lobo, 0.9) == pytest.approx(INTERPOLATION_ERROR_P90, abs=0.01)
