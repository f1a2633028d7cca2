"""The CLI shell: version, help, start-up imports, completions that cannot drift."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, CliRunner, cli_env, run_probe
from test_estimate import PAPER_FLAGS

from ecoai import __version__
from ecoai.completion import scripts


def test_version(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("--version")
    assert run.returncode == 0 and run.stdout.strip() == f"ecoai {__version__}"


def test_help_lists_subcommands(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("--help")
    assert run.returncode == 0
    assert "estimate" in run.stdout


@pytest.mark.parametrize("argv", [(), ("profiles",)])
def test_no_arguments_shows_help(ecoai_cli: CliRunner, argv: tuple[str, ...]) -> None:
    """Every group run bare prints its help and exits 2, no internal exception name."""
    run = ecoai_cli(*argv)
    assert "Usage" in run.stdout + run.stderr
    assert run.returncode == 2
    assert "Error" not in run.stdout + run.stderr and "error:" not in run.stderr, run.stderr


HEAVY = ("torch", "pynvml", "psutil", "numpy", "tomli_w", "rich.table", "rich.console")
# What `ecoai --help` never needs (issue 16: within 80 ms): the report model and pydantic under
# it (~120 ms to import), rich (plain click help), the catalog and the renderers.
NOT_FOR_HELP = ("pydantic", "ecoai.models", "rich", "ecoai.inputs.catalog", "ecoai.render.table")
NOT_FOR_TABLE = tuple(name for name in HEAVY if not name.startswith("rich"))
INTEGRATIONS = ("mlflow", "wandb", "opentelemetry", "transformers", "ecoai.integrations")
"""Optional extras (issue 14): only `--log` (and the pytest plugin) may import them."""


@pytest.mark.parametrize(
    ("argv", "heavy"),
    [
        (["--help"], HEAVY + NOT_FOR_HELP),
        # typer coerces the eager --help flag through a pydantic adapter: pydantic, not the model
        (["estimate", "--help"], HEAVY + NOT_FOR_HELP[1:]),
        (["profile", "--help"], HEAVY + NOT_FOR_HELP[1:]),
        (["estimate", *PAPER_FLAGS, "--json"], (*HEAVY, "pydantic", "pydantic_core")),
        (["estimate", *PAPER_FLAGS], (*NOT_FOR_TABLE, "pydantic", "pydantic_core")),
    ],
)
def test_startup_imports_nothing_heavy(argv: list[str], heavy: tuple[str, ...]) -> None:
    heavy = (*heavy, *INTEGRATIONS)
    probe = (
        "import sys, io, contextlib\n"
        f"sys.argv = ['ecoai', *{argv!r}]\n"
        "from ecoai.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        f"print(sorted(m for m in sys.modules if m in {heavy!r}))\n"
    )
    run = run_probe(probe)
    assert run.stdout.strip() == "[]", run.stdout


def test_profile_without_log_imports_no_integration(tmp_path: Path) -> None:
    """`ecoai profile` measures and reports without importing any optional sink library."""
    from integration_helpers import sensor_script

    script = sensor_script(tmp_path)["ECOAI_FAKE_SENSORS"]
    argv = ["profile", "-q", "-o", str(tmp_path / "r.json"), "--", "true"]
    probe = (
        "import os, sys\n"
        f"os.environ['ECOAI_FAKE_SENSORS'] = {script!r}\n"
        f"sys.argv = ['ecoai', *{argv!r}]\n"
        "from ecoai.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {INTEGRATIONS!r}"
        " or m.startswith('ecoai.integrations')))\n"
    )
    run = run_probe(probe)
    assert (tmp_path / "r.json").exists()
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stdout


def test_profile_imports_no_pydantic_before_the_command_starts(tmp_path: Path) -> None:
    """Up to the command's start (``subprocess.Popen``) `ecoai profile` imports no pydantic
    (issue 16: the report model is plain dataclasses; nothing read there needs validating)."""
    from integration_helpers import sensor_script

    script = sensor_script(tmp_path)["ECOAI_FAKE_SENSORS"]
    argv = ["profile", "-q", "-o", str(tmp_path / "r.json"), "--", "true"]
    probe = (
        "import os, sys, subprocess\n"
        f"os.environ['ECOAI_FAKE_SENSORS'] = {script!r}\n"
        f"sys.argv = ['ecoai', *{argv!r}]\n"
        "seen = []\n"
        "class Popen(subprocess.Popen):\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        pydantic = sorted(m for m in sys.modules if m.startswith('pydantic'))\n"
        "        seen.append([list(args[0]) if args else kwargs.get('args'), pydantic])\n"
        "        super().__init__(*args, **kwargs)\n"
        "subprocess.Popen = Popen\n"
        "from ecoai.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json\nprint(json.dumps(seen))\n"
    )
    run = run_probe(probe)
    assert (tmp_path / "r.json").exists()
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert ["true"] in [command for command, _ in seen], seen
    for command, pydantic in seen:
        if command == ["true"]:
            assert pydantic == [], seen


def test_completions_are_fresh() -> None:
    for name, text in scripts().items():
        committed = (REPO_ROOT / "completions" / name).read_text(encoding="utf-8")
        assert committed == text, (
            f"completions/{name} is stale: run python -m ecoai.completion completions"
        )


def test_bash_completion_completes_subcommands_and_flags() -> None:
    script = REPO_ROOT / "completions" / "ecoai.bash"
    probe = (
        f"source {script}; COMP_WORDS=(ecoai est); COMP_CWORD=1; _ecoai; echo ${{COMPREPLY[@]}};"
        " COMP_WORDS=(ecoai estimate --wue-si); COMP_CWORD=2; _ecoai; echo ${COMPREPLY[@]}"
    )
    run = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.splitlines() == ["estimate", "--wue-site"]


def bash_complete(*words: str) -> list[str]:
    """What the committed bash script offers for ``ecoai WORDS...`` (the last word is typed)."""
    script = REPO_ROOT / "completions" / "ecoai.bash"
    array = " ".join(f"'{w}'" for w in ("ecoai", *words))
    probe = f"source {script}; COMP_WORDS=({array}); COMP_CWORD={len(words)}; _ecoai;"
    probe += ' printf "%s\\n" "${COMPREPLY[@]}"'
    run = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    return [line for line in run.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        (("estimate", "--model", "gpt-4.1-n"), ["gpt-4.1-nano"]),
        (("estimate", "--model", "gpt-4.1", "--grid", "FR"), ["FRA"]),
        (("profile", "--host", "azu"), ["azure", "azure-fleet", "azure-table1"]),
        (("compare", "--hardware", "dgx-h2"), ["dgx-h200"]),
        (("estimate", "--task", "image-g"), ["image-generation"]),
        (("estimate", "--prompt", ""), ["short", "medium", "long"]),
        (("profiles", "list", "ho"), ["hosts"]),
        (("profiles", "show", "dgx-a"), ["dgx-a100"]),
        (("completion", "z"), ["zsh"]),
    ],
)
def test_bash_completion_completes_preset_ids(words: tuple[str, ...], offered: list[str]) -> None:
    assert bash_complete(*words) == offered


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command_prints_the_committed_script(ecoai_cli: CliRunner, shell: str) -> None:
    run = ecoai_cli("completion", shell)
    assert run.returncode == 0, run.stderr
    assert run.stdout == (REPO_ROOT / "completions" / f"ecoai.{shell}").read_text(encoding="utf-8")


def test_completion_module_has_a_real_argument_parser(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "ecoai.completion", "--help"],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and "usage: python -m ecoai.completion" in run.stdout
    assert list(tmp_path.iterdir()) == []  # no directory named --help
    run = subprocess.run(
        [sys.executable, "-m", "ecoai.completion", "out"],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "ecoai.bash",
        "ecoai.fish",
        "ecoai.zsh",
    ]


def test_python_dash_m_runs(ecoai_cli: CliRunner) -> None:
    assert ecoai_cli("estimate", *PAPER_FLAGS, "--json").returncode == 0


@pytest.mark.parametrize(
    ("document", "kind"), [("report", "estimate"), ("comparison", "comparison")]
)
def test_schema_documents_the_contracts(ecoai_cli: CliRunner, document: str, kind: str) -> None:
    import json

    run = ecoai_cli("schema", document)
    assert run.returncode == 0, run.stderr
    schema = json.loads(run.stdout)
    assert "schema_version" in schema["properties"]
    assert kind in json.dumps(schema["properties"]["kind"])


def test_schema_of_an_unknown_document(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("schema", "graph")
    assert run.returncode == 2 and "choose report or comparison" in run.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["profile", "--scope", "foo", "--", "true", "--debug"],
        ["profile", "--scope", "foo", "true", "--debug"],
        ["profile", "--scope", "foo", "--", "sh", "-c", "true", "--debug"],
    ],
)
def test_a_debug_flag_of_the_wrapped_command_is_not_ecoais(
    ecoai_cli: CliRunner, argv: list[str]
) -> None:
    run = ecoai_cli(*argv)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith("ecoai: error: unknown scope 'foo'")


def test_ecoais_own_debug_before_the_command_shows_the_traceback(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("profile", "--scope", "foo", "--debug", "--", "true")
    assert run.returncode != 0 and "Traceback" in run.stderr
    assert "InputError: unknown scope 'foo'" in run.stderr


def test_a_missing_choice_names_the_choices(ecoai_cli: CliRunner) -> None:
    """click splits "Choose from:" over lines; the one error line keeps all of them."""
    run = ecoai_cli("completion")
    assert run.returncode == 2
    assert run.stderr.splitlines()[0] == (
        "ecoai: error: Missing argument 'shell'. Choose from: bash, zsh, fish"
    )
