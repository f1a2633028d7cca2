"""pytest plugin (entry point ``pytest11``): energy, water and carbon budgets on test bodies.

    @pytest.mark.energy_budget(wh=0.5, carbon_g=0.2)
    def test_generate(model): ...

The marked test's body (not its fixtures) runs inside ``ecoai.measure`` and fails with one clear
line when its facility energy (``wh``), IT energy (``it_wh``), water (``water_ml``) or carbon
(``carbon_g``) is over budget; other keyword arguments are footprint settings (``grid="FRA"``,
``pue=1.1``). ``--ecoai-repeat N`` runs each measured body N times and fails a budget only when
the mean is significantly over it (one-sided one-sample t-test at ``--ecoai-confidence``, the
significance machinery of ``ecoai compare``). ``--ecoai-report DIR`` measures every test and
writes one report per test into DIR, for ``ecoai compare`` against another branch's DIR.
``--ecoai-sensors`` chooses the sensors as ``ecoai profile --sensors`` does.

Loaded by pytest whenever ecoai is installed (``pip install 'ecoai[pytest]'``): importing it costs
nothing; ecoai's measurement is imported only when a test is measured.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

BUDGETS: dict[str, str] = {
    "wh": "energy_wh",
    "it_wh": "it_energy_wh",
    "water_ml": "water_ml",
    "carbon_g": "carbon_g",
}
"""The marker's budget arguments and the metric (``ecoai.metrics``) each one caps (total)."""

_RESULTS = pytest.StashKey[list[tuple[str, Any]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ecoai", "energy, water and carbon budgets (ecoai)")
    group.addoption(
        "--ecoai-report",
        metavar="DIR",
        default=None,
        help="Measure every test and write one ecoai report per test into DIR.",
    )
    group.addoption(
        "--ecoai-repeat",
        metavar="N",
        type=int,
        default=1,
        help="Run each measured test body N times; budgets then need a significant excess.",
    )
    group.addoption(
        "--ecoai-confidence",
        metavar="LEVEL",
        type=float,
        default=0.95,
        help="Confidence of the significance test with --ecoai-repeat (default 0.95).",
    )
    group.addoption(
        "--ecoai-sensors",
        metavar="LIST",
        default="auto",
        help="Sensors: auto, or a list of nvml, rapl, cpu-model (as ecoai profile --sensors).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "energy_budget(wh=None, it_wh=None, water_ml=None, carbon_g=None, **footprint): "
        "measure the test body with ecoai and fail the test over budget",
    )
    repeat, confidence = config.getoption("ecoai_repeat"), config.getoption("ecoai_confidence")
    if repeat < 1:
        raise pytest.UsageError(f"--ecoai-repeat {repeat}: give a count of 1 or more")
    if not 0.5 <= confidence < 1.0:
        raise pytest.UsageError(f"--ecoai-confidence {confidence:g}: use e.g. 0.9, 0.95 or 0.99")
    config.stash[_RESULTS] = []


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a marked test body (or every body with --ecoai-report) inside ``ecoai.measure``."""
    config = pyfuncitem.config
    marker = pyfuncitem.get_closest_marker("energy_budget")
    report_dir = config.getoption("ecoai_report")
    if marker is None and report_dir is None:
        return None
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        return None  # an async test runs in its plugin's event loop: not measured here
    if marker is not None and marker.args:
        pytest.fail("energy_budget takes keyword arguments only, e.g. wh=0.5", pytrace=False)
    options = dict(marker.kwargs) if marker is not None else {}
    gates = _gates({key: options.pop(key) for key in list(options) if key in BUDGETS})
    measure = _measure(pyfuncitem.nodeid, config.getoption("ecoai_sensors"), options)
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    for _ in range(config.getoption("ecoai_repeat")):
        with measure:
            pyfuncitem.obj(**arguments)
    report = measure.report
    if report_dir is not None:
        _write(report, Path(report_dir), pyfuncitem.nodeid)
    config.stash[_RESULTS].append((pyfuncitem.nodeid, report))
    failures = _over_budget(report, gates, pyfuncitem.nodeid, config)
    if failures:
        pytest.fail("ecoai: over budget: " + "; ".join(failures), pytrace=False)
    return True


def _measure(label: str, sensors: str, footprint: dict[str, Any]) -> Any:
    import ecoai
    from ecoai.errors import InputError

    try:
        return ecoai.measure(label=label, sensors=sensors, **footprint)
    except InputError as error:
        problem = f"energy_budget: {error.message} ({error.hint})"
        if error.message.startswith("unknown measure() argument"):  # the marker's, budgets too
            import difflib

            name = error.message.rsplit(" ", 1)[-1].strip("'")
            footprint_names = (error.hint or "").rsplit(": ", 1)[-1].split(", ")
            close = difflib.get_close_matches(name, [*BUDGETS, *footprint_names], 1, 0.5)
            problem = (
                f"energy_budget: unknown argument {name!r}"
                + (f", did you mean {close[0]}?" if close else "")
                + f" (budgets: {', '.join(BUDGETS)}; {error.hint})"
            )
    pytest.fail(problem, pytrace=False)


def _write(report: Any, directory: Path, nodeid: str) -> None:
    from ecoai.files import write_text
    from ecoai.metrics import safe_key
    from ecoai.render import Format, render

    directory.mkdir(parents=True, exist_ok=True)
    write_text(str(directory / f"{safe_key(nodeid)}.json"), render(report, Format.JSON))


def _gates(budgets: dict[str, Any]) -> list[tuple[str, Any]]:
    """The marker's budgets as compare's budget gates on totals; a bad one fails the test."""
    from ecoai.comparison.gates import make_gate
    from ecoai.errors import InputError

    gates, problem = [], None
    for key, value in budgets.items():
        spec = f"{key}={value}"
        try:
            gates.append((key, make_gate("budget", f"total.{BUDGETS[key]}", str(value), spec)))
        except InputError as error:
            problem = f"energy_budget: {error.message.split(': ', 1)[-1]}"
            break
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    return gates


def _over_budget(
    report: Any, gates: list[tuple[str, Any]], nodeid: str, config: pytest.Config
) -> list[str]:
    """The budgets ``report`` is over, each as one readable clause; judged like compare's gates."""
    from ecoai.comparison.compare import Item, gate_sample
    from ecoai.comparison.gates import judge

    failures = []
    for key, gate in gates:
        spec = gate.spec
        sample = gate_sample(Item(nodeid, "pytest", report), gate.metric, "total", spec)
        confidence = config.getoption("ecoai_confidence")
        result = judge(gate, nodeid, sample, None, confidence=confidence, test="welch")
        if result.verdict != "fail":
            continue
        clause = (
            f"{gate.metric.label.lower()} {result.value:.3g} {gate.metric.unit} over the budget "
            f"{key}={gate.threshold:g} {gate.metric.unit}"
        )
        runs = len(sample.runs) if sample.runs else 1
        if result.test is not None and result.test.p_value is not None:
            clause += (
                f" (mean of {runs} runs; {result.test.name} p={result.test.p_value:.2g} "
                f"< {1 - confidence:.2g})"
            )
        failures.append(clause)
    return failures


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line per measured test: its facility energy, water and carbon."""
    results = config.stash.get(_RESULTS, [])
    if not results:
        return
    from ecoai.render.quantity import fmt

    terminalreporter.section("ecoai")
    for nodeid, report in results:
        total = report.total
        terminalreporter.write_line(
            f"{fmt(total.energy_wh.mean, 'energy'):>11} {fmt(total.water_ml.mean, 'water'):>11}"
            f" {fmt(total.carbon_g.mean, 'carbon'):>11}  {nodeid}"
        )
