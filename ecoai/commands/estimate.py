"""`ecoai estimate`: formula-based footprint from flags, a TOML scenario and built-in presets.

The body imports no typer: its options are declared in ``register`` (the one definition, from
which ``ecoai.commands.spec`` is generated), so the fast path calls it without typer.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecoai.commands.values import flag_values, output_target, terminal_width
from ecoai.inputs.keys import KEYS

if TYPE_CHECKING:
    import typer

HELP = """Estimate the energy, water and carbon of AI queries or jobs.

Inputs resolve in this order, highest last: presets (--model, --host, --grid ...) < the
SCENARIO file < flags. Every figure is a range: utilisation min and max, and the expected value.
"""


def estimate_command(
    scenario: Path | None,
    *,
    json_output: bool,
    format_name: str | None,
    output: str | None,
    force: bool,
    explain: bool,
    save_scenario: Path | None,
    profiles_dir: list[Path] | None,
    debug: bool,
    **scenario_values: Any,
) -> None:
    from ecoai.estimation.estimate import estimate
    from ecoai.files import check_distinct, check_not_an_input, check_writable, write_text
    from ecoai.inputs.resolve import naming_missing_inputs, resolve
    from ecoai.render import render

    fmt, destination = output_target(format_name, json_output, output, force)
    check_not_an_input("-o", destination, [None if scenario is None else str(scenario)])
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
    color = destination == "-" and sys.stdout is not None and sys.stdout.isatty()
    width = terminal_width(destination)
    text = render(report, fmt, width=width, color=color, explain=explain)
    write_text(destination, text, overwrite=force)


def declarations() -> dict[str, Any]:
    """The typer declaration of each parameter of ``estimate_command`` (its one definition)."""
    import typer

    from ecoai.commands import options
    from ecoai.commands.debug import debug_option

    return {
        "scenario": typer.Argument(
            None, help="TOML scenario file (keys as the flags).", show_default=False
        ),
        "json_output": options.JSON_OPTION,
        "format_name": options.REPORT_FORMAT_OPTION,
        "output": options.OUTPUT_OPTION,
        "force": options.FORCE_OPTION,
        "explain": typer.Option(False, "--explain", help="Show every intermediate value."),
        "save_scenario": typer.Option(
            None,
            "--save-scenario",
            show_default=False,
            metavar="FILE",
            help="Write the resolved scenario (the inputs the method reads) as TOML.",
        ),
        "profiles_dir": options.PROFILES_OPTION,
        "debug": debug_option(),
    }


def register(app: typer.Typer) -> None:
    """Add `ecoai estimate` to ``app``."""
    from ecoai.commands.options import declare, key_parameters, panelled

    command = declare(
        "estimate", estimate_command, declarations(), key_parameters([k.name for k in KEYS])
    )
    app.command("estimate", help=HELP, cls=panelled())(command)
