"""`ecoai compare`: reports, scenarios and presets side by side, and CI gates on the result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from ecoai.commands import options
from ecoai.commands.debug import debug_option
from ecoai.commands.options import flag_values, key_parameters, with_parameters
from ecoai.inputs.keys import KEYS

HELP = """Compare reports, scenario files and presets against a baseline; gate CI on the result.

INPUTS are report JSON files ('-' reads one from stdin), scenario TOML files and presets written MODEL:PROMPT (gpt-4.1:short), freely mixed; scenarios and presets are estimated on the fly with the scenario flags. The first input is the baseline unless --baseline names another.

Gates: --max-increase energy=5%,carbon=10% (over the baseline, for every other item) and --budget energy_wh=1.5,total.water_ml=10 (absolute, for every item; per query unless prefixed total.). Metrics: energy, it_energy, water, water_site, water_source, carbon, embodied_carbon; budgets carry the unit (energy_wh, water_ml, carbon_g). When both sides hold repeated runs (profile --repeat), a gate fails only on a significant regression at --confidence.

Savings: --queries-per-day RATE shows what each item avoids against the baseline (facility and IT energy, water on-site and off-site, carbon) per day and per year at that traffic, with the average continuous power and 1 GW power plants it equals; --queries N over N queries. A negative saving is an increase. Every item needs per-query figures.

Exit status: 0 every gate passed, 1 a gate failed, 2 bad input.
"""  # noqa: E501


def compare_command(
    inputs: list[str] | None = typer.Argument(
        None,
        help="Report .json ('-' = stdin), scenario .toml, or MODEL:PROMPT preset.",
        show_default=False,
    ),
    *,
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        "-b",
        show_default=False,
        help="The baseline: a position (1 = first), a label or a path.",
    ),
    vary: list[str] | None = typer.Option(
        None,
        "--vary",
        show_default=False,
        metavar="KEY=V1,V2",
        help="Expand the scenario over these values (repeatable: cartesian product).",
    ),
    max_increase: list[str] | None = typer.Option(
        None,
        "--max-increase",
        show_default=False,
        metavar="METRIC=PCT",
        help="Gate: largest increase over the baseline, e.g. energy=5%,carbon=10%.",
    ),
    budget: list[str] | None = typer.Option(
        None,
        "--budget",
        show_default=False,
        metavar="METRIC=VALUE",
        help="Gate: absolute ceiling, e.g. energy_wh=1.5,total.water_ml=10.",
    ),
    gates_file: Path | None = typer.Option(
        None, "--gates", show_default=False, help="Read gates from a TOML file."
    ),
    confidence: float | None = typer.Option(
        None,
        "--confidence",
        show_default=False,
        help="Confidence level of the significance test on repeated runs (default 0.95).",
    ),
    test: str | None = typer.Option(
        None,
        "--test",
        show_default=False,
        help="Significance test: welch (Welch's t-test) or bootstrap (default welch).",
    ),
    json_output: bool = options.JSON_OPTION,
    format_name: str | None = options.REPORT_FORMAT_OPTION,
    output: str | None = options.OUTPUT_OPTION,
    force: bool = options.FORCE_OPTION,
    profiles_dir: list[Path] | None = options.PROFILES_OPTION,
    debug: bool = debug_option(),
    **scenario_values: Any,
) -> None:
    from ecoai import __version__
    from ecoai.comparison.compare import compare, pick_baseline
    from ecoai.comparison.items import collector_paused, load_items
    from ecoai.errors import ExitStatus, ReportWriteError, format_error
    from ecoai.files import check_not_an_input, write_text
    from ecoai.render import Format
    from ecoai.render.comparison import comparison_summary, render_comparison

    fmt, destination = options.output_target(format_name, json_output, output, force)
    check_not_an_input(
        "-o", destination, [*(inputs or []), None if gates_file is None else str(gates_file)]
    )
    gates, level, test_name = _gates(max_increase, budget, gates_file, confidence, test)
    flags = flag_values(scenario_values, [k.name for k in KEYS])
    rate, count = _traffic(flags, gates_file)
    with collector_paused():  # millions of objects, no garbage: see collector_paused
        items = load_items(
            inputs or [],
            vary=vary or [],
            flags=flags,
            profile_dirs=tuple(profiles_dir or ()),
            stdin=sys.stdin,
        )
        comparison = compare(
            items,
            version=__version__,
            baseline=pick_baseline(items, baseline),
            gates=gates,
            confidence=level,
            test=test_name,
        )
        if rate is not None or count is not None:
            from ecoai.comparison.savings import savings

            found = savings(
                items, pick_baseline(items, baseline), queries_per_day=rate, queries=count
            )
            comparison = comparison.model_copy(update={"savings": found})
        color = destination == "-" and sys.stdout is not None and sys.stdout.isatty()
        text = render_comparison(
            comparison, fmt, width=options.terminal_width(destination), color=color
        )
    try:
        write_text(destination, text, overwrite=force)
    except ReportWriteError as error:  # the verdict still decides the exit status
        print(format_error(error), file=sys.stderr)
        print(comparison_summary(comparison), file=sys.stderr)
        sys.exit(int(ExitStatus.GATE_FAILED if not comparison.passed else error.exit_status))
    if destination != "-" or fmt is not Format.TABLE or comparison.gates:
        # Verdicts reach stderr even after a table on stdout: CI logs that keep only stderr
        # (or redirect the table to a file) still show every FAIL. One write, with its newline
        # (print writes the newline apart): 15,000 FAIL lines for 10,000 reports (issue 16).
        _tell(comparison_summary(comparison) + "\n")
    if not comparison.passed:
        # sys.exit, not typer.Exit: click returns typer.Exit's code under standalone_mode=False.
        sys.exit(int(ExitStatus.GATE_FAILED))


def _tell(text: str) -> None:
    """Write ``text`` to stderr in one call, as print would (nothing where there is none)."""
    if sys.stderr is not None:
        sys.stderr.write(text)
        sys.stderr.flush()


def _gates(
    max_increase: list[str] | None,
    budget: list[str] | None,
    gates_file: Path | None,
    confidence: float | None,
    test: str | None,
) -> tuple[list[Any], float, Any]:
    """All gates from the flags and the file; the flags' confidence and test win over the file's."""
    from ecoai.comparison.gates import TEST_NAMES, Gate, parse_gates
    from ecoai.errors import InputError

    gates: list[Gate] = []
    # Where each setting came from, for its error: the flag, or the file's key.
    named = {"confidence": "--confidence ", "test": "--test "}
    if gates_file is not None:
        from ecoai.comparison.gate_file import read_gate_file

        found = read_gate_file(gates_file)
        gates += found.gates
        if confidence is None and found.confidence is not None:
            confidence, named["confidence"] = found.confidence, f"{gates_file}: confidence = "
        if not test and found.test:
            test, named["test"] = found.test, f"{gates_file}: test = "
    gates += [g for text in max_increase or [] for g in parse_gates("max_increase", text)]
    gates += [g for text in budget or [] for g in parse_gates("budget", text)]
    level = 0.95 if confidence is None else confidence
    if not 0.5 <= level < 1.0:
        raise InputError(
            f"{named['confidence']}{level:g} is out of range (0.5 to below 1)",
            "use e.g. 0.9, 0.95 or 0.99",
        )
    test = test or TEST_NAMES[0]
    if test not in TEST_NAMES:
        raise InputError(f"{named['test']}{test!r} is unknown", "choose " + " or ".join(TEST_NAMES))
    return gates, level, test


def _traffic(flags: dict[str, Any], gates_file: Path | None) -> tuple[float | None, int | None]:
    """The traffic savings are given at: --queries-per-day and --queries, else the gates file's."""
    from ecoai.comparison.savings import check_rate

    rate, count = flags.get("queries_per_day"), flags.get("queries")
    check_rate({"--queries-per-day": rate, "--queries": count})
    if gates_file is not None and (rate is None or count is None):
        from ecoai.comparison.gate_file import read_gate_file

        found = read_gate_file(gates_file)
        rate = found.queries_per_day if rate is None else rate
        count = found.queries if count is None else count
    return rate, count


def register(app: typer.Typer) -> None:
    """Add `ecoai compare` to ``app``."""
    names = [k.name for k in KEYS]
    command = with_parameters(compare_command, key_parameters(names, "Scenario (estimated items)"))
    app.command("compare", help=HELP, cls=options.panelled())(command)
