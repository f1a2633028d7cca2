"""preset_layer: which scenario values each preset supplies, with which source."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoai.errors import InputError, ProfileError
from ecoai.inputs.catalog import Catalog, load_catalog, preset_layer
from ecoai.models import Param

DATA = Path(__file__).parent / "data" / "profiles"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def values(params: dict[str, Param]) -> dict[str, object]:
    return {key: param.value for key, param in params.items()}


def test_model_and_prompt(catalog: Catalog) -> None:
    got = preset_layer(catalog, {"model": "gpt-4.1-nano", "prompt": "long"})
    assert values(got) == {
        "host": "azure", "hardware": "dgx-h100", "size_class": "small",
        "input_tokens": 10000, "output_tokens": 1500.0,
        "ttft_quantiles_s": [0.54, 0.63, 0.74, 0.82, 1.23],
        "tps_quantiles": [93.0, 107.0, 114.0, 130.0, 133.0],
        "gpu_count": 2, "batch_size": 8, "d_gpu_min": 0.55, "d_gpu_max": 0.8, "d_non_gpu": 0.5,
        "u_gpu_min": 0.017, "u_gpu_max": 0.025, "u_non_gpu": 0.016,
        "p_gpu_kw": 5.6, "p_non_gpu_kw": 4.6, "gpus_per_node": 8,
        "embodied_gpu_kg": 164.0, "embodied_gpu_kg_min": 164.0, "embodied_gpu_kg_max": 575.0,
        "gpu": "h100-sxm", "gpu_memory_gb": 80.0, "gpu_memory_bandwidth_tb_s": 3.35,
        "embodied_server_kg": 5700.0, "lifetime_years": 5.0,
        "pue": 1.12, "wue_site_l_per_kwh": 0.3, "wue_source_l_per_kwh": 4.35,
        "cif_kg_per_kwh": 0.34,
    }  # fmt: skip
    assert got["tps_quantiles"].source.kind == "profile"
    assert got["tps_quantiles"].source.ref == "models.gpt-4.1-nano"
    assert "arXiv:2505.09598" in (got["host"].source.citation or "")
    assert got["u_gpu_min"].source.ref == "size_classes.small"
    assert got["pue"].source.ref == "hosts.azure"


def test_user_choices_beat_the_models(catalog: Catalog) -> None:
    got = preset_layer(catalog, {"model": "gpt-4.1", "host": "aws", "grid": "FRA"})
    assert "host" not in got and got["pue"].value == 1.14
    assert got["cif_kg_per_kwh"].value == pytest.approx(0.04418)
    assert got["cif_kg_per_kwh"].source.ref == "grids.FRA"
    assert "2024" in (got["cif_kg_per_kwh"].source.citation or "")


def test_skipped_prompt_is_a_clear_error(catalog: Catalog) -> None:
    with pytest.raises(ProfileError) as caught:
        preset_layer(catalog, {"model": "gpt-4", "prompt": "long"})
    assert caught.value.message.startswith("model gpt-4 has no 'long' prompt class: not published")
    assert caught.value.hint == "choose one of: short, medium"
    with pytest.raises(ProfileError, match="unknown prompt class 'huge'"):
        preset_layer(catalog, {"model": "gpt-4", "prompt": "huge"})
    with pytest.raises(InputError, match="a prompt class needs a model preset"):
        preset_layer(catalog, {"prompt": "short"})


@pytest.mark.parametrize(
    ("batch", "u_min", "u_max", "u_non", "kind"),
    [
        (None, 0.055, 0.075, 0.0625, "profile"),  # Table 2
        (4, 0.10, 0.135, 0.125, "profile"),  # Table 5
        (16, 0.035, 0.045, 0.03125, "profile"),  # Table 5
        (32, 8 * 0.45 / (8 * 32), 8 * 0.6 / (8 * 32), 8 * 0.5 / (8 * 32), "derived"),
    ],
)
def test_batch_size_variants(
    catalog: Catalog, batch: int | None, u_min: float, u_max: float, u_non: float, kind: str
) -> None:
    wanted: dict[str, str | int] = {"size_class": "large", "hardware": "dgx-h100"}
    if batch is not None:
        wanted["batch_size"] = batch
    got = preset_layer(catalog, wanted)
    assert got["u_gpu_min"].value == pytest.approx(u_min)
    assert got["u_gpu_max"].value == pytest.approx(u_max)
    assert got["u_non_gpu"].value == pytest.approx(u_non)
    assert got["u_gpu_min"].source.kind == kind
    assert ("batch_size" in got) is (batch is None)
    if kind == "derived":
        assert "G=8, N=8, B=32" in (got["u_gpu_min"].source.citation or "")


def test_a100_classes(catalog: Catalog) -> None:
    got = preset_layer(catalog, {"size_class": "medium", "hardware": "dgx-a100"})
    assert values(got)["u_gpu_min"] == 0.0625 and got["u_gpu_min"].source.kind == "profile"
    assert got["p_gpu_kw"].value == 3.2 and got["embodied_gpu_kg"].value == 143.0
    # Small on A100 is not published: derived from the class's H100 draw range, and said so.
    got = preset_layer(catalog, {"size_class": "small", "hardware": "dgx-a100"})
    assert got["u_gpu_min"].value == pytest.approx(2 * 0.55 / 64)
    assert got["u_gpu_min"].source.kind == "derived"


def test_single_gpu(catalog: Catalog) -> None:
    got = preset_layer(catalog, {"size_class": "micro", "hardware": "l4"})
    assert values(got)["p_gpu_kw"] == pytest.approx(0.072)
    assert got["gpus_per_node"].value == 1 and "p_non_gpu_kw" not in got
    assert got["u_gpu_max"].value == pytest.approx(0.8 / 8)  # G = N = 1, B = 8


def test_location_host_takes_its_grid(catalog: Catalog) -> None:
    got = preset_layer(catalog, {"host": "ireland"})
    assert got["pue"].value == 1.19
    assert got["cif_kg_per_kwh"].value == pytest.approx(0.27979)
    assert got["cif_kg_per_kwh"].source.ref == "grids.IRL"


def test_world_grid_says_fallback(catalog: Catalog) -> None:
    got = preset_layer(catalog, {"grid": "WORLD"})
    assert got["cif_kg_per_kwh"].value == pytest.approx(0.47294)
    assert (got["cif_kg_per_kwh"].source.citation or "").startswith("FALLBACK")


def test_task(catalog: Catalog) -> None:
    got = preset_layer(catalog, {"task": "image-generation"})
    assert values(got) == {"it_energy_wh": 2.907, "it_energy_std_wh": 3.31}
    assert "A100" in (got["it_energy_wh"].source.citation or "")


def test_user_entry_is_reported_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOAI_PROFILES", raising=False)
    catalog = load_catalog([DATA / "user-host"])
    got = preset_layer(catalog, {"model": "gpt-4.1"})
    assert got["pue"].value == 1.25
    assert got["pue"].source.ref == f"hosts.azure (user: {DATA / 'user-host' / 'hosts.toml'})"


@pytest.mark.parametrize(
    ("host", "grid", "cif_g_per_kwh"),
    [("washington", "US-WA", 120.9), ("virginia", "US-VA", 244.8), ("arizona", "US-AZ", 312.6),
     ("texas", "US-TX", 349.8)],
)  # fmt: skip
def test_us_state_hosts_use_their_state_grid(
    catalog: Catalog, host: str, grid: str, cif_g_per_kwh: float
) -> None:
    """EPA eGRID2023 state rates (STC2ERTA x 0.4536), not the national average."""
    got = preset_layer(catalog, {"host": host})
    assert got["cif_kg_per_kwh"].value == pytest.approx(cif_g_per_kwh / 1000)
    assert got["cif_kg_per_kwh"].source.ref == f"grids.{grid}"
