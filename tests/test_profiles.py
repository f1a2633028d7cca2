"""Built-in profiles validate and cross-reference; overlays win; errors name file and key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ecoai.errors import ProfileError
from ecoai.inputs.catalog import Catalog, built_in_dir, load_catalog, user_config_dir
from ecoai.inputs.catalog_schema import PROMPT_CLASSES

DATA = Path(__file__).parent / "data" / "profiles"
PAPER_MODELS = [
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "o4-mini-high",
    "o3",
    "o3-mini-high",
    "o3-mini",
    "o1",
    "o1-mini",
    "gpt-4o-mar-25",
    "gpt-4o-mini",
    "gpt-4-turbo",
    "gpt-4",
    "deepseek-r1-ds",
    "deepseek-v3-ds",
    "deepseek-r1-az",
    "deepseek-v3-az",
    "claude-3.7-sonnet",
    "claude-3.5-sonnet",
    "claude-3.5-haiku",
    "llama-3-8b",
    "llama-3-70b",
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "llama-3.2-1b",
    "llama-3.2-3b",
    "llama-3.2-vision-11b",
    "llama-3.2-vision-90b",
    "llama-3.3-70b",
]


@pytest.fixture(autouse=True)
def _no_user_profiles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ECOAI_PROFILES", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_built_in_dir_is_the_repository_profiles() -> None:
    assert built_in_dir() == Path(__file__).resolve().parent.parent / "profiles"


def test_every_built_in_file_validates(catalog: Catalog) -> None:
    files = sorted(p.stem for p in built_in_dir().glob("*.toml"))
    assert files == ["cpus", "grids", "hardware", "hosts", "models", "size_classes", "tasks"]
    for kind in files:
        assert catalog.ids(kind), kind
        for entry in catalog.entries(kind):
            assert entry.origin == "built-in"
            assert entry.sources and all(s.strip() for s in entry.sources)


def test_the_papers_thirty_models(catalog: Catalog) -> None:
    assert catalog.ids("models") == PAPER_MODELS
    cells = sum(len(catalog.get("models", m).prompts) for m in PAPER_MODELS)
    assert cells == 87
    skipped = {m for m in PAPER_MODELS if catalog.get("models", m).skipped_prompts}
    assert skipped == {"gpt-4", "llama-3-8b", "llama-3-70b"}
    for model_id in PAPER_MODELS:
        model = catalog.get("models", model_id)
        assert set(model.prompts) | set(model.skipped_prompts) == set(PROMPT_CLASSES)


def test_every_cross_reference_resolves(catalog: Catalog) -> None:
    for model in catalog.entries("models"):
        assert catalog.find("hosts", model.host) is not None  # type: ignore[attr-defined]
        assert catalog.get("hardware", model.hardware).type == "node"  # type: ignore[attr-defined]
        size = catalog.get("size_classes", model.size_class)  # type: ignore[attr-defined]
        assert any(model.hardware in v.hardware for v in size.variants)  # type: ignore[attr-defined]
    for hw in catalog.entries("hardware"):
        if hw.type == "node":  # type: ignore[attr-defined]
            assert catalog.get("hardware", hw.gpu).type == "gpu"  # type: ignore[attr-defined]
    for host in catalog.entries("hosts"):
        if host.grid is not None:  # type: ignore[attr-defined]
            assert catalog.find("grids", host.grid) is not None  # type: ignore[attr-defined]


def test_the_built_in_files_pass_the_check_every_user_overlay_gets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The built-in catalog alone skips the id and reference check at run time (its entries are
    made on first use); the same check as for a user overlay passes on every built-in entry."""
    from ecoai.inputs import catalog as module

    checked: list[int] = []
    check = module._check_references

    def counting(found: Catalog, files: object) -> None:
        check(found, files)  # type: ignore[arg-type]
        checked.append(sum(len(found.ids(kind)) for kind in module.SCHEMAS))

    monkeypatch.setattr(module, "_check_references", counting)
    monkeypatch.setattr(module, "_parsed_built_in", lambda directory, paths: None)  # the TOML
    assert load_catalog(overlays=False).ids("models") == PAPER_MODELS
    assert checked and checked[0] > 100


def test_a_built_in_entry_is_made_on_first_use_and_kept() -> None:
    found = load_catalog(overlays=False)
    first = found.get("models", "gpt-4.1")
    assert found.get("models", "GPT-4.1") is first and found.find("hardware", "dgx-h100")
    assert [e.id for e in found.entries("models")] == PAPER_MODELS


def test_aliases_and_case(catalog: Catalog) -> None:
    assert catalog.get("models", "gpt-4o").id == "gpt-4o-mar-25"
    assert catalog.get("model", "GPT-4.1").id == "gpt-4.1"
    assert catalog.get("grids", "fra").id == "FRA"
    assert catalog.get("hardware", "a100").id == "a100-sxm"


def test_world_grid_is_a_fallback(catalog: Catalog) -> None:
    world = catalog.get("grids", "world")
    assert world.fallback is True and world.cif_g_per_kwh == 472.94 and world.year == 2024
    assert not any(g.fallback for g in catalog.entries("grids") if g.id != "world")  # type: ignore[attr-defined]


def test_unknown_id_suggests_the_closest(catalog: Catalog) -> None:
    with pytest.raises(ProfileError) as caught:
        catalog.get("models", "gpt-4.2")
    assert caught.value.message == "unknown model 'gpt-4.2'"
    assert "'gpt-4.1'" in (caught.value.hint or "")


def test_user_overlay_wins_and_says_so() -> None:
    catalog = load_catalog([DATA / "user-host"])
    azure = catalog.get("hosts", "azure")
    assert azure.pue == 1.25
    assert azure.origin == f"user: {DATA / 'user-host' / 'hosts.toml'}"
    assert catalog.get("hosts", "aws").origin == "built-in"
    assert catalog.get("hosts", "my-dc").grid == "FRA"


def test_overlay_matches_ids_in_any_case(tmp_path: Path) -> None:
    (tmp_path / "grids.toml").write_text(
        '[grids.fra]\ncif_g_per_kwh = 50\nyear = 2024\nsources = ["my utility, 2024"]\n'
    )
    catalog = load_catalog([tmp_path])
    assert catalog.get("grids", "FRA").cif_g_per_kwh == 50
    assert [i for i in catalog.ids("grids") if i.lower() == "fra"] == ["fra"]


def test_overlay_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def host_dir(name: str, pue: float) -> Path:
        directory = tmp_path / name
        directory.mkdir()
        (directory / "hosts.toml").write_text(
            f"[hosts.azure]\npue = {pue}\nwue_site_l_per_kwh = 0\nwue_source_l_per_kwh = 0\n"
            f'cif_kg_per_kwh = 0.1\nsources = ["{name}"]\n'
        )
        return directory

    config = tmp_path / "xdg"
    (config / "ecoai").mkdir(parents=True)
    host_dir("xdg/ecoai/profiles", 1.1)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    assert user_config_dir() == config / "ecoai" / "profiles"
    assert load_catalog().get("hosts", "azure").pue == 1.1
    env_a, env_b = host_dir("env-a", 1.2), host_dir("env-b", 1.3)
    monkeypatch.setenv("ECOAI_PROFILES", f"{env_a}:{env_b}")
    assert load_catalog().get("hosts", "azure").pue == 1.3
    assert load_catalog([host_dir("flag", 1.4)]).get("hosts", "azure").pue == 1.4


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("bad-value", "hardware.toml: hardware.my-gpu.tdp_w: must be > 0"),
        ("unknown-field", "grids.toml: grids.XYZ.colour: unknown field"),
        ("bad-ref", "models.toml: models.my-model.host: unknown host 'azur'"),
        ("bad-toml", "models.toml: invalid TOML: Invalid value (at line 3, column 12)"),
    ],
)
def test_malformed_user_file_names_file_and_key(fixture: str, message: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_catalog([DATA / fixture])
    assert caught.value.message == f"{DATA / fixture}/{message}"


def test_missing_user_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="does not exist"):
        load_catalog([tmp_path / "nope"])


def test_duplicate_alias_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "models.toml").write_text(
        '[models.mine]\naliases = ["gpt-4.1"]\nhost = "azure"\nhardware = "dgx-h100"\n'
        'size_class = "large"\nsources = ["x"]\n'
    )
    with pytest.raises(
        ProfileError, match=r"models\.mine: 'gpt-4\.1' is already taken by 'gpt-4\.1'"
    ):
        load_catalog([tmp_path])


def test_built_in_models_match_the_papers_inputs(catalog: Catalog) -> None:
    """Data check against the project's reference inputs (skipped where it is not present)."""
    reference = Path(__file__).resolve().parents[2] / "shared/reference/jegham_v6_inputs.toml"
    if not reference.exists():
        pytest.skip(f"{reference} not present")
    from ecoai.inputs.catalog import preset_layer

    cases = tomllib.loads(reference.read_text())["cases"]
    assert len(cases) == 87
    by_api = {}
    for case in cases:
        model_id = next(
            m.id for m in catalog.entries("models")
            if m.name == case["model"]  # type: ignore[attr-defined]
        )  # fmt: skip
        by_api[case["id"]] = model_id
        got = preset_layer(catalog, {"model": model_id, "prompt": case["prompt_class"]})
        for key in ("input_tokens", "output_tokens", "ttft_quantiles_s", "tps_quantiles",
                    "p_gpu_kw", "p_non_gpu_kw", "u_gpu_min", "u_gpu_max", "u_non_gpu",
                    "gpu_count", "gpus_per_node", "batch_size", "pue", "wue_site_l_per_kwh",
                    "wue_source_l_per_kwh", "cif_kg_per_kwh"):  # fmt: skip
            assert got[key].value == case[key], (case["id"], key)
        assert [got["d_gpu_min"].value, got["d_gpu_max"].value] == case["d_gpu_range"]
        assert got["d_non_gpu"].value == case["d_non_gpu"]
    assert sorted(set(by_api.values())) == sorted(PAPER_MODELS)
