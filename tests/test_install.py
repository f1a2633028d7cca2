"""An installed, non-editable wheel finds its built-in profiles (shipped as ecoai/_profiles)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_installed_wheel_finds_built_in_profiles(tmp_path: Path) -> None:
    # Build from a clean copy of what the wheel needs, so the checkout gets no build/ litter.
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", src)
    for name in ("ecoai", "profiles"):
        shutil.copytree(REPO_ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    readme = REPO_ROOT / "README.md"
    if readme.exists():
        shutil.copy(readme, src)
    else:  # the metadata needs one; its text does not matter here
        (src / "README.md").write_text("ecoai\n")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist")]
    if importlib.util.find_spec("hatchling") is not None:
        build.append("--no-build-isolation")  # else pip fetches hatchling from the index
    run([*build, str(src)], cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("ecoai-*.whl")
    assert "ecoai/_profiles/models.toml" in zipfile.ZipFile(wheel).namelist()

    site = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(wheel)], cwd=tmp_path)  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOAI_")}
    env |= {"PYTHONPATH": str(site), "XDG_CONFIG_HOME": str(tmp_path / "no-config")}
    where = run([sys.executable, "-c", "import ecoai.inputs.catalog as p; print(p.built_in_dir())"],
                cwd=elsewhere, env=env)  # fmt: skip
    assert Path(where.strip()) == site / "ecoai" / "_profiles"
    out = run([sys.executable, "-m", "ecoai", "profiles", "list", "models", "--json"],
              cwd=elsewhere, env=env)  # fmt: skip
    rows = json.loads(out)
    presets = [row for row in rows if row["origin"] == "built-in"]  # + the data's open models
    assert len(presets) == 30 and rows[0]["id"] == "gpt-4.1"
    assert any(row["id"] == "black-forest-labs/FLUX.1-dev" for row in rows)  # the JSON ships
    # The installed package prints the completions (with the built-in ids) the repository ships.
    for shell in ("bash", "zsh", "fish"):
        out = run([sys.executable, "-m", "ecoai", "completion", shell], cwd=elsewhere, env=env)
        assert out == (REPO_ROOT / "completions" / f"ecoai.{shell}").read_text(encoding="utf-8")
    # The estimate contracts, from the installed wheel (the data ships inside it).
    contracts = [
        ["--params-b", "32", "--active-params-b", "32", "--precision", "bf16", "--hardware",
         "h100-sxm", "--gpu-count", "2", "--batch-size", "64", "--output-tokens", "600"],
        ["--model", "Qwen/Qwen3-14B", "--hardware", "h100-sxm", "--batch-size", "64",
         "--output-tokens", "600"],
        ["--pipeline", "text-to-image", "--params-b", "12", "--steps", "50", "--width", "1024",
         "--height", "1024", "--batch-size", "4", "--hardware", "h100-sxm", "--gpu-count", "1"],
        ["--model", "black-forest-labs/FLUX.1-dev", "--hardware", "h100-sxm"],
    ]  # fmt: skip
    for args, field in zip(contracts, ["token", "token", "item", "item"], strict=True):
        out = run([sys.executable, "-m", "ecoai", "estimate", *args, "--json"], cwd=elsewhere,
                  env=env)  # fmt: skip
        intermediate = json.loads(out)["intermediate"]
        assert intermediate[f"gpu_energy_per_{field}_j"] > 0 and intermediate["gpu_count"] >= 1
