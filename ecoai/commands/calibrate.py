"""`ecoai calibrate`: a measured report of an open LLM -> a calibration profile entry."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import typer

from ecoai.commands import options

HELP = """Turn a measured report of an open LLM into a calibration for later estimates.

REPORT comes from `ecoai profile -o report.json -- your server`, with the output tokens counted
through the event file (ecoai.track.query(output_tokens=N)). The calibration holds the GPU (from
the report's sensors, or --hardware), the model's size and precision (--model, --params-b ...),
the batch, and the measured GPU energy and time per output token. Written with -o into a
profile directory, `ecoai estimate --profiles DIR` uses it for the same GPU, GPU count, size and
precision instead of the ML.ENERGY data; `ecoai estimate --calibrate REPORT` does so for one run.
"""


def calibrate_command(
    report: str = typer.Argument(..., help="Measured report .json ('-' = stdin)."),
    *,
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        show_default=False,
        metavar="FILE|DIR",
        help="Write the profile TOML to FILE, or to DIR/<id>.toml (default: stdout).",
    ),
    force: bool = options.FORCE_OPTION,
    hardware: str | None = typer.Option(
        None, "--hardware", show_default=False, help="The GPU's hardware id, if not recognised."
    ),
    gpu_count: int | None = typer.Option(
        None,
        "--gpu-count",
        min=1,
        show_default=False,
        help="GPUs of the replica (default: the GPUs measured).",
    ),
    model: str | None = typer.Option(
        None, "--model", show_default=False, help="The model (an id of the data gives its size)."
    ),
    params_b: float | None = typer.Option(
        None, "--params-b", min=0, show_default=False, help="Total parameters, billions."
    ),
    active_params_b: float | None = typer.Option(
        None,
        "--active-params-b",
        min=0,
        show_default=False,
        help="Active parameters (MoE), billions.",
    ),
    precision: str | None = typer.Option(
        None, "--precision", show_default=False, help="Weight precision (default bf16)."
    ),
    batch_size: int | None = typer.Option(
        None, "--batch-size", min=1, show_default=False, help="Concurrent requests while measured."
    ),
    output_tokens: float | None = typer.Option(
        None,
        "--output-tokens",
        min=0,
        show_default=False,
        help="Output tokens per query, for a report that counts queries only.",
    ),
    profiles_dir: list[Path] | None = options.PROFILES_OPTION,
    debug: bool = typer.Option(False, "--debug", hidden=True),
) -> None:
    from ecoai.errors import InputError, did_you_mean
    from ecoai.files import check_not_an_input, check_writable, write_text
    from ecoai.inputs.calibration import calibration_from_report, calibration_toml
    from ecoai.inputs.catalog import load_catalog
    from ecoai.inputs.mlenergy import BYTES_PER_WEIGHT
    from ecoai.report_files import read_report

    if output is not None and not output.strip():
        raise InputError("-o: the file name is empty", "give a file name, or -o - for stdout")
    if output is not None and not Path(output).is_dir():
        check_writable(output, force)
        check_not_an_input("-o", output, [report])
    if precision is not None and precision.lower() not in BYTES_PER_WEIGHT:
        raise did_you_mean("precision", precision, list(BYTES_PER_WEIGHT))
    for flag, number in (("--params-b", params_b), ("--active-params-b", active_params_b),
                         ("--output-tokens", output_tokens)):  # fmt: skip
        if number is not None and number <= 0:
            from ecoai.errors import InputError

            raise InputError(f"{flag}: must be > 0, got {number:g}", f"e.g. {flag} 8")
    catalog = load_catalog(tuple(profiles_dir or ()))
    given = {"hardware": hardware, "gpu_count": gpu_count, "model": model, "params_b": params_b,
             "active_params_b": active_params_b, "precision": precision,
             "batch_size": batch_size, "output_tokens": output_tokens}  # fmt: skip
    entry = calibration_from_report(read_report(report, sys.stdin), report, given, catalog)
    ratio = _uncalibrated_ratio(entry, catalog)
    entry = replace(entry, uncalibrated_ratio=ratio)
    destination = output or "-"
    if output is not None and Path(output).is_dir():
        destination = str(Path(output) / f"{entry.id}.toml")
        check_writable(destination, force)
    write_text(destination, calibration_toml(entry))
    versus = "" if ratio is None else f"; the data's estimate was {ratio:.3g}x the measurement"
    print(
        f"ecoai: calibration {entry.id}: {entry.gpu_energy_per_token_j:.4g} J/token (GPU) at "
        f"batch {entry.batch_size} on {entry.gpu_count} x {entry.hardware}{versus}",
        file=sys.stderr,
    )


def _uncalibrated_ratio(entry: object, catalog: object) -> float | None:
    """The data's estimate over the measurement at the calibration's configuration."""
    from ecoai.estimation.open_model import Calibration, Config, uncalibrated_ratio
    from ecoai.inputs.catalog import Catalog
    from ecoai.inputs.catalog_schema import CalibrationEntry
    from ecoai.inputs.mlenergy import find_open_model

    assert isinstance(entry, CalibrationEntry) and isinstance(catalog, Catalog)
    gpu = catalog.get("hardware", entry.hardware)
    if gpu.tdp_w is None or gpu.memory_bandwidth_tb_s is None:
        return None
    found = find_open_model(entry.model) if entry.model else None
    config = Config(entry.params_b, entry.active_params_b, entry.precision, entry.hardware,
                    entry.gpu_count, entry.batch_size,
                    None if found is None else found.model_id)  # fmt: skip
    calibration = Calibration(entry.gpu_energy_per_token_j, entry.time_per_token_s,
                              entry.batch_size, entry.id)  # fmt: skip
    return uncalibrated_ratio(config, (gpu.tdp_w, gpu.memory_bandwidth_tb_s), calibration)


def register(app: typer.Typer) -> None:
    """Add `ecoai calibrate` to ``app``."""
    app.command("calibrate", help=HELP)(calibrate_command)
