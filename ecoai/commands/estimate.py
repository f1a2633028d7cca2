"""`ecoai estimate`: formula-based footprint from flags, a TOML scenario and built-in presets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from ecoai.commands import options
from ecoai.commands.debug import debug_option
from ecoai.commands.options import flag_values, key_parameters, with_parameters
from ecoai.inputs.keys import KEYS

HELP = """Estimate the energy, water and carbon of AI queries or jobs.

Inputs resolve in this order, highest last: presets (--model, --host, --grid ...) < the
SCENARIO file < flags. Every figure is a range: utilisation min and max, and the expected value.
"""


def estimate_command(
    scenario: Path | None = typer.Argument(
        None, help="TOML scenario file (keys as the flags).", show_default=False
    ),
    *,
    json_output: bool = options.JSON_OPTION,
    format_name: str | None = options.REPORT_FORMAT_OPTION,
    output: str | None = options.OUTPUT_OPTION,
    force: bool = options.FORCE_OPTION,
    explain: bool = typer.Option(False, "--explain", help="Show every intermediate value."),
    save_scenario: Path | None = typer.Option(
        None,
        "--save-scenario",
        show_default=False,
        help="Write the resolved scenario (the inputs the method reads) as TOML.",
    ),
    profiles_dir: list[Path] | None = options.PROFILES_OPTION,
    debug: bool = debug_option(),
    **scenario_values: Any,
) -> None:
    from ecoai.estimation.estimate import estimate
    from ecoai.files import check_distinct, check_writable, write_text
    from ecoai.inputs.resolve import naming_missing_inputs, resolve
    from ecoai.render import render

    fmt, destination = options.output_target(format_name, json_output, output, force)
    if save_scenario is not None:
        check_writable(str(save_scenario), force)
        check_distinct({"-o": destination, "--save-scenario": str(save_scenario)})
    params = resolve(
        scenario,
        flag_values(scenario_values, [k.name for k in KEYS]),
        profile_dirs=tuple(profiles_dir or ()),
    )
    with naming_missing_inputs(params):
        report = estimate(params)
    if save_scenario is not None:
        from ecoai.estimation.applies import used_keys
        from ecoai.inputs.scenario import scenario_toml

        used = used_keys(params)  # a value the method ignores would be refused when re-read
        saved = {name: param for name, param in params.items() if name in used}
        write_text(str(save_scenario), scenario_toml(saved), overwrite=force)
    color = destination == "-" and sys.stdout.isatty()
    width = options.terminal_width(destination)
    text = render(report, fmt, width=width, color=color, explain=explain)
    write_text(destination, text, overwrite=force)


def register(app: typer.Typer) -> None:
    """Add `ecoai estimate` to ``app``."""
    command = with_parameters(estimate_command, key_parameters([k.name for k in KEYS]))
    app.command("estimate", help=HELP)(command)
