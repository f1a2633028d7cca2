"""Compare inputs: reports, scenario files, presets and --vary become labelled Items."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fakes.reports import estimate_report

from ecoai.comparison import items
from ecoai.errors import InputError
from ecoai.validation import dump_json


@pytest.fixture
def estimated(monkeypatch: pytest.MonkeyPatch) -> list[items.Scenario]:
    """Record what would be estimated; each estimate is a fixed report."""
    seen: list[items.Scenario] = []

    def fake(scenario: items.Scenario, profile_dirs: tuple[Path, ...] = ()) -> object:
        seen.append(scenario)
        return estimate_report(1.0)

    monkeypatch.setattr(items, "estimate_on_the_fly", fake)
    return seen


def test_presets_take_the_common_flags(estimated: list[items.Scenario]) -> None:
    loaded = items.load_items(["gpt-4.1:short", "gpt-4o"], flags={"grid": "FRA", "pue": None})
    assert [i.label for i in loaded] == ["gpt-4.1:short", "gpt-4o"]
    assert [s.flags for s in estimated] == [
        {"grid": "FRA", "model": "gpt-4.1", "prompt": "short"},
        {"grid": "FRA", "model": "gpt-4o"},
    ]


def test_reports_scenarios_and_stdin_mix(estimated: list[items.Scenario], tmp_path: Path) -> None:
    report = tmp_path / "run.json"
    report.write_text(dump_json(estimate_report(2.0)), encoding="utf-8")
    scenario = tmp_path / "plan.toml"
    scenario.write_text("tps = 90\n", encoding="utf-8")
    stdin = io.StringIO(dump_json(estimate_report(3.0, label="piped")))
    loaded = items.load_items([str(report), str(scenario), "-"], stdin=stdin)
    assert [(i.label, i.origin) for i in loaded] == [
        ("run", str(report)),
        ("plan", str(scenario)),
        ("piped", "-"),
    ]
    assert estimated[0].file == scenario


def test_vary_replaces_the_base_in_place(estimated: list[items.Scenario], tmp_path: Path) -> None:
    report = tmp_path / "measured.json"
    report.write_text(dump_json(estimate_report(2.0)), encoding="utf-8")
    loaded = items.load_items([str(report), "gpt-4.1:short"], vary=["grid=FRA,POL"])
    assert [i.label for i in loaded] == ["measured", "grid=FRA", "grid=POL"]
    assert estimated[1].flags == {"model": "gpt-4.1", "prompt": "short", "grid": "POL"}


def test_vary_without_a_base_uses_the_flags(estimated: list[items.Scenario]) -> None:
    loaded = items.load_items([], vary=["pue=1.1,1.2"], flags={"model": "m"})
    assert [i.label for i in loaded] == ["pue=1.1", "pue=1.2"]
    assert estimated[0].flags == {"model": "m", "pue": 1.1}


def test_same_labels_are_told_apart(estimated: list[items.Scenario]) -> None:
    assert [i.label for i in items.load_items(["m:short", "m:short"])] == ["m:short", "m:short#2"]


@pytest.mark.parametrize(
    ("inputs", "vary", "message"),
    [
        (["-", "-"], [], "standard input"),
        (["a:short", "b:short"], ["grid=FRA"], "one base scenario"),
        (["missing.toml"], [], "missing.toml: no such file"),
        (["dir/missing"], [], "not a preset"),
    ],
)
def test_bad_inputs(
    estimated: list[items.Scenario], inputs: list[str], vary: list[str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        items.load_items(inputs, vary=vary, stdin=io.StringIO(""))
