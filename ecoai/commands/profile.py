"""`ecoai profile`: run a command, measure what it draws, report it like an estimate.

The body imports no typer: its options are declared in ``declarations`` (the one definition,
from which ``ecoai.commands.spec`` is generated), and it ends with ``SystemExit`` (the command's
exit status) rather than ``typer.Exit``, so the fast path runs it without typer.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecoai.commands.values import flag_values, terminal_width
from ecoai.errors import InputError
from ecoai.inputs.keys import FOOTPRINT_KEYS

if TYPE_CHECKING:
    import typer

    from ecoai.inputs.catalog import Catalog
    from ecoai.measurement.session import ProfileRequest
    from ecoai.models import HostInfo, ParamValue
    from ecoai.watch import Watch

HELP = """Run COMMAND and measure the energy, water and carbon it draws.

ecoai profile [OPTIONS] -- COMMAND [ARGS]...  (options after COMMAND belong to COMMAND). The
command keeps its stdin, stdout and stderr; ecoai's summary goes to stderr and ecoai exits with
the command's exit status. With --json or -o - the report owns stdout: the command's stdout is
sent to stderr, so `ecoai profile --json -- cmd | jq` reads only the report (use -o FILE to
leave the command's stdout untouched).
GPUs through NVML, amdsmi (AMD), hwmon (Intel) or Jetson rails; CPU and DRAM through RAPL,
else a CPU model. --list-sensors shows what this machine would use, running nothing.
The command may report its queries, tokens and phases as JSON lines appended to the file named
by $ECOAI_EVENTS (from Python: ecoai.track) for per-query, per-token and per-phase figures.
In -o FILE, {host}, {rank}, {local_rank} and {pid} are filled in: one report per process.
"""
_PANEL = "Measurement"
_WATCH = "Watching"
_LOG = "Logging (optional extras)"


def profile_command(
    command: list[str] | None,
    *,
    output: str | None,
    format_name: str | None,
    json_output: bool,
    force: bool,
    quiet: bool,
    queries: int | None,
    repeat: int,
    interval_s: float,
    baseline_s: float,
    scope: str,
    sensors: str,
    list_sensors: bool,
    all_gpus: bool,
    per_node: bool,
    cpu_tdp_w: float | None,
    dram_w_per_gb: float | None,
    powercap_root: Path,
    grace_s: float,
    timeline: Path | None,
    plot: Path | None,
    metrics_port: int | None,
    metrics_host: str,
    label: str | None,
    serve_metrics: str | None,
    serve_interval_s: float,
    log: list[str] | None,
    log_strict: bool,
    profiles_dir: list[Path] | None,
    debug: bool,
    **footprint_values: Any,
) -> None:
    from ecoai.files import check_distinct, check_writable
    from ecoai.render import choose_format
    from ecoai.sensors import SensorRequest, discover, parse_backends

    def sensor_request(catalog: Catalog | None) -> SensorRequest:
        return SensorRequest(
            backends=parse_backends(sensors),
            gpu_visible=None if all_gpus or per_node else os.environ.get("CUDA_VISIBLE_DEVICES"),
            gpu_order=os.environ.get("CUDA_DEVICE_ORDER"),
            hip_visible=None if all_gpus or per_node else os.environ.get("HIP_VISIBLE_DEVICES"),
            rocr_visible=None if all_gpus or per_node else os.environ.get("ROCR_VISIBLE_DEVICES"),
            powercap_root=powercap_root,
            cpu_tdp_w=cpu_tdp_w,
            dram_w_per_gb=dram_w_per_gb,
            cpu_tdp_lookup=built_in_tdp_lookup() if catalog is None else tdp_lookup(catalog),
        )

    if list_sensors:
        from ecoai.inputs.catalog import load_catalog

        _list_sensors(
            discover(sensor_request(load_catalog(tuple(profiles_dir or ())))), json_output
        )
        raise SystemExit(0)
    if not command:
        raise InputError(
            "missing the command to measure",
            "ecoai profile [OPTIONS] -- COMMAND [ARGS]..., or ecoai profile --list-sensors",
        )
    rank, local_rank = ranks(dict(os.environ))
    extra_notes = []
    if per_node and local_rank is None:  # one process on this node: it measures
        extra_notes.append(
            "--per-node: no local-rank variable is set (" + ", ".join(LOCAL_RANK_VARIABLES)
            + "): measured as the only process on this node"
        )  # fmt: skip
    elif per_node and local_rank != 0:
        _run_unmeasured(command, grace_s)
    serve_servers: tuple[Any, ...] = ()
    if serve_metrics is not None:
        from ecoai.commands.serve import load_servers
        from ecoai.measurement.serving import check_url

        serve_metrics = check_url(serve_metrics)
        serve_servers = load_servers(profiles_dir or ())
    # A report format other than the table, without -o, goes to stdout as --json does (the
    # command's own stdout then goes to stderr); the table alone is the summary on stderr.
    if output is not None and not output.strip():
        raise InputError("-o: the file name is empty", "give a file name, or -o - for stdout")
    to_stdout = json_output or (format_name is not None and format_name.strip() != "table")
    destination = "-" if to_stdout and not output else output
    if destination is not None:
        destination = fill_template(destination, rank, local_rank)
        check_writable(destination, force)
    check_distinct(
        {
            "-o": destination,
            "--timeline": None if timeline is None else str(timeline),
            "--plot": None if plot is None else str(plot),
        }
    )
    for flag, number in (("--cpu-tdp-w", cpu_tdp_w), ("--dram-w-per-gb", dram_w_per_gb)):
        if number is not None and not math.isfinite(number):
            raise InputError(f"{flag} must be a finite number, got {number}", "e.g. 65")
    fmt = choose_format(format_name, json_output, destination)
    sinks = _sinks(log)
    footprint = flag_values(footprint_values, FOOTPRINT_KEYS)
    # The footprint inputs are resolved before the command starts only where that can fail or
    # is needed while it runs; else while it runs (issue 16: the catalog takes ~60 ms to load).
    later = inputs_later(footprint, profiles_dir, metrics_port)
    catalog = None
    if not later:
        from ecoai.inputs.catalog import load_catalog

        catalog = load_catalog(tuple(profiles_dir or ()))  # once: the footprint and the CPU TDP
    from ecoai.measurement.session import plan, resolve_inputs

    request = plan(
        command,
        scope=scope,
        interval_s=interval_s,
        baseline_s=baseline_s,
        repeat=repeat,
        queries=queries,
        grace_s=grace_s,
        label=label,
    )
    if catalog is not None:
        request = resolve_inputs(request, footprint, catalog)
    if per_node:  # local rank 0 measures the whole node for every rank
        request = replace(request, scope="machine")
    found = discover(sensor_request(catalog))
    from ecoai.watch import Watch, WatchOptions
    from ecoai.watch.live import wanted

    watch_options = WatchOptions(
        timeline,
        plot,
        metrics_port,
        metrics_host,
        wanted(sys.stderr, quiet, os.environ),
        force,
        quiet,
        serve_metrics=serve_metrics,
        serve_interval_s=serve_interval_s,
        serve_servers=serve_servers,
        factors=request.factors,
    )
    from ecoai.measurement.runner import SignalGuard

    with SignalGuard() as guard:  # from before the child starts until the report is written
        try:
            watch = Watch(watch_options, found.sensors)
        except BaseException:
            found.close()
            raise
        saved_stdout = _stdout_to_stderr() if destination == "-" else None
        try:
            # The table renderer (rich) is loaded while the command runs only if a table will
            # be printed: not with -q, unless -o writes one.
            table = not quiet or (destination is not None and fmt.value == "table")
            report = _measure_and_report(
                request,
                found,
                rank,
                local_rank,
                watch,
                extra_notes,
                debug,
                table,
                footprint if later else None,
            )
            report, log_failed = _log(report, sinks, quiet)  # a sink's own prints stay off stdout
        finally:
            _restore_stdout(saved_stdout)
            watch.close()
        status = report.measurement.exit_status if report.measurement else 0
        try:
            _emit(report, fmt, destination, quiet, force)
            watch.finish(report)
        except Exception as error:  # the command ran: its exit status is kept, whatever failed
            if debug:
                raise
            _say(f"ecoai: internal error after the command ran: {type(error).__name__}: {error}")
            _say("hint: this is a bug in ecoai; re-run with --debug and report the traceback")
    if guard.received is not None and status == 0:
        import signal

        _say(f"ecoai: {signal.Signals(guard.received).name} received; the report was written")
        status = 128 + guard.received
    if log_failed and log_strict and status == 0:
        from ecoai.errors import ExitStatus

        status = int(ExitStatus.LOG_FAILED)
    raise SystemExit(status)


def _list_sensors(found: Any, json_output: bool) -> None:
    """Print the sensors discovery opened (what each reads, how) and every skip with its reason,
    then close them; nothing is measured. JSON: {"used": [SensorInfo], "skipped": [SensorSkip]}."""
    import typer

    from ecoai.sensors import describe
    from ecoai.sensors.base import stored

    try:
        used = [describe(sensor) for sensor in found.sensors]
    finally:
        found.close()
    if json_output:
        import json

        from ecoai.models import plain

        document = {  # str, list and dict fields only: plain JSON
            "used": [plain(info) for info in used],
            "skipped": [plain(stored(s)) for s in found.skipped],
            "notes": list(found.notes),
        }
        typer.echo(json.dumps(document, indent=2))
        return
    typer.echo("Would use:" if used else "Would use: no sensor")
    for info in used:
        facts = ", ".join(f"{key}={value}" for key, value in info.facts.items())
        typer.echo(f"  {info.name}: {info.component} {info.method}, {info.scope} ({facts})")
        for assumption in info.assumptions:
            typer.echo(f"    - {assumption}")
    typer.echo("Skipped:" if found.skipped else "Skipped: none")
    for skipped in found.skipped:
        typer.echo(f"  {skipped.name}: {skipped.reason}")
    for note in found.notes:
        typer.echo(f"Note: {note}")


def _sinks(log: list[str] | None) -> list[Any]:
    """The --log sinks, checked before the command runs (unknown name, missing extra)."""
    if not log:
        return []
    from ecoai.integrations import parse_sinks

    return parse_sinks(log)


def _log(report: Any, sinks: list[Any], quiet: bool) -> tuple[Any, bool]:
    """Log to the --log sinks; a failure is a note in the report and on stderr (issue 14)."""
    if not sinks:
        return report, False
    from ecoai.integrations import log_to, tell, with_failures

    outcomes = log_to(report, sinks)
    tell(outcomes, quiet)
    return with_failures(report, outcomes), any(o.error for o in outcomes)


def _measure_and_report(
    request: ProfileRequest,
    found: Any,
    rank: int | None,
    local_rank: int | None,
    watch: Watch,
    extra_notes: list[str] | None = None,
    debug: bool = False,
    table: bool = True,
    footprint: Mapping[str, ParamValue | None] | None = None,
) -> Any:
    """Measure ``request`` and build its report. ``footprint``: the footprint inputs to resolve
    while the command runs (``inputs_later``; None: ``request`` has them already)."""
    import threading

    from ecoai.measurement.session import measure
    from ecoai.sensors.host import host_info

    host: list[HostInfo] = []
    loading: list[threading.Thread] = []
    resolved: list[ProfileRequest] = []
    failed: list[Exception] = []

    def resolve() -> ProfileRequest:
        from ecoai.inputs.catalog import load_catalog
        from ecoai.measurement.session import resolve_inputs

        # the built-in profiles alone: inputs_later found no overlay before the command started
        return resolve_inputs(request, footprint or {}, load_catalog(overlays=False))

    def load() -> None:
        if footprint is not None:
            try:
                resolved.append(resolve())
            except Exception as error:  # said after the command ran, as a failed report is
                failed.append(error)
        import ecoai.measurement.report

        if table:
            import ecoai.render.table  # noqa: F401
        host.append(host_info(rank, local_rank))

    def prepare(pid: int) -> None:
        """While the command runs: load what the report needs, so less is left after it. On a
        thread: the main thread goes straight to waiting for the command, so a command that
        ends before the loading does is not measured longer (its end mark waits for nothing)."""
        if not loading:
            loading.append(threading.Thread(target=load, name="ecoai-load", daemon=True))
            loading[0].start()

    try:
        measured = measure(
            replace(request, env=watch.child_env()),
            found,
            on_start=prepare,
            listeners=watch.listeners,
            work=watch.work,
        )
    finally:
        found.close()
        for thread in loading:
            thread.join()
    for run in measured.runs:
        if run.result.error:
            _say(f"ecoai: error: {run.result.error}")
    from ecoai.measurement.report import build_report, first_failure

    facts = host[0] if host else host_info(rank, local_rank)
    notes = [*(extra_notes or []), *found.notes, *watch.close_timeline(), *watch.notes()]
    if request.queries and any(r.work and r.work.queries for r in measured.runs):
        notes.append(
            f"--queries {request.queries} ignored: the command counted its own queries "
            "in its event file"
        )
    try:
        if failed:
            raise failed[0]
        if footprint is not None:  # resolved while the command ran (or now: it never started)
            request = resolved[0] if resolved else resolve()
        return build_report(request, measured, found.skipped, facts, request.inputs, notes)
    except Exception as error:  # the command ran: keep its exit status, say what failed
        if debug:
            raise
        _say(f"ecoai: internal error after the command ran: {type(error).__name__}: {error}")
        _say("ecoai: no report was written; re-run with --debug and report the traceback")
        raise SystemExit(first_failure([r.result.exit_status for r in measured.runs])) from None


def _emit(report: Any, fmt: Any, destination: str | None, quiet: bool, force: bool) -> None:
    """Write the report, then the summary on stderr. A report that cannot be written (disk
    full, read-only, stdout closed) is an error line, not a new exit status: the command's
    status is kept, and the summary is shown even with --quiet so the figures are not lost.
    Without --force a file that appeared meanwhile is kept and the report gets a new name."""
    from ecoai.errors import ReportWriteError, format_error
    from ecoai.files import write_text
    from ecoai.render import Format, render

    if destination is not None:
        try:
            write_text(destination, render(report, fmt, width=100), overwrite=force)
        except ReportWriteError as error:
            _say(format_error(error))
            _say("ecoai: the report was not saved; its summary follows")
            quiet = False
    if not quiet and not (destination == "-" and fmt is Format.TABLE):
        with contextlib.suppress(OSError):  # stderr gone (a hung-up terminal): nothing to tell
            sys.stderr.write(render(report, Format.TABLE, width=terminal_width()))
            sys.stderr.flush()


def _say(line: str) -> None:
    """One line on stderr; nothing if stderr is closed or full."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def tdp_lookup(catalog: Catalog) -> Callable[[str], tuple[float, str] | None]:
    """Look a CPU model name up in the profiles' CPUs (profiles/cpus.toml and overlays)."""

    def lookup(model_name: str) -> tuple[float, str] | None:
        from ecoai.inputs.catalog_schema import CpuEntry
        from ecoai.sensors.cpu_model import match_cpu

        entries = catalog.entries("cpus")
        return match_cpu(model_name, [e for e in entries if isinstance(e, CpuEntry)])

    return lookup


def built_in_tdp_lookup() -> Callable[[str], tuple[float, str] | None]:
    """``tdp_lookup`` of the built-in profiles alone, read without the catalog (from their
    parsed copy, ``ecoai.inputs.built_in``): what ``inputs_later`` allows before the command
    starts. The same match as ``tdp_lookup`` on the built-in catalog (tested)."""

    def lookup(model_name: str) -> tuple[float, str] | None:
        from types import SimpleNamespace

        from ecoai.inputs.built_in import built_in_entries
        from ecoai.sensors.cpu_model import match_cpu

        entries = built_in_entries("cpus")
        if entries is None:  # stale since inputs_later read it: the catalog says what holds
            from ecoai.inputs.catalog import load_catalog

            return tdp_lookup(load_catalog(overlays=False))(model_name)
        return match_cpu(model_name, [SimpleNamespace(**entry) for entry in entries])

    return lookup


def inputs_later(
    footprint: Mapping[str, ParamValue | None],
    profiles_dir: Sequence[Path] | None,
    metrics_port: int | None,
) -> bool:
    """Whether the footprint inputs may be resolved while the command runs rather than before:
    none given on the command line (a wrong one is refused before the command runs), no user
    profiles (the built-in ones alone, whose parsed copy is current, so they cannot fail to
    load; ``ecoai.inputs.built_in``) and no metrics endpoint (it serves the water and carbon
    rates made from them from the start)."""
    from ecoai.inputs.built_in import overlay_dirs, parsed_is_current

    if metrics_port is not None or any(value is not None for value in footprint.values()):
        return False
    return not overlay_dirs(tuple(profiles_dir or ())) and parsed_is_current()


RANK_VARIABLES = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK")
"""Global rank: torchrun, Slurm, Open MPI, MPICH / Intel MPI (PMI), PMIx."""
LOCAL_RANK_VARIABLES = (
    "LOCAL_RANK",
    "SLURM_LOCALID",
    "OMPI_COMM_WORLD_LOCAL_RANK",
    "PMI_LOCAL_RANK",
    "MPI_LOCALRANKID",
)
"""Node-local rank: torchrun, Slurm, Open MPI, PMI (Hydra), Intel MPI."""


def ranks(env: dict[str, str]) -> tuple[int | None, int | None]:
    """Global and node-local rank from the first launcher variable set (see RANK_VARIABLES)."""

    def first(names: tuple[str, ...]) -> int | None:
        for name in names:
            value = env.get(name, "").strip()
            if not value:
                continue
            if not (value.isascii() and value.isdecimal()):  # '²'.isdigit() is True
                raise InputError(
                    f"{name}={value!r} is not a rank (a whole number from 0)",
                    f"unset {name} or set it to the process's rank, e.g. {name}=0",
                )
            return int(value)
        return None

    return first(RANK_VARIABLES), first(LOCAL_RANK_VARIABLES)


def fill_template(path: str, rank: int | None, local_rank: int | None) -> str:
    """Fill {host}, {rank} and {local_rank} in an output path ('-' and plain paths unchanged)."""
    if "{" not in path:
        return path
    import socket

    fields = {
        "host": socket.gethostname().split(".")[0],
        "rank": 0 if rank is None else rank,
        "local_rank": 0 if local_rank is None else local_rank,
        "pid": os.getpid(),
    }
    try:
        return path.format_map(fields)
    except (KeyError, ValueError, IndexError) as error:
        raise InputError(
            f"bad output path template {path!r}: {error}",
            "use {host}, {rank}, {local_rank} or {pid}",
        ) from None


def _run_unmeasured(command: list[str], grace_s: float) -> None:
    from ecoai.measurement.runner import run

    result = run(command, grace_s=grace_s)
    if result.error:
        print(f"ecoai: error: {result.error}", file=sys.stderr)
    raise SystemExit(result.exit_status)


def _stdout_to_stderr() -> int | None:
    """While the command runs, point descriptor 1 at stderr so that stdout carries only the
    report; returns the saved stdout (None when stderr is closed: nothing is moved)."""
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:
        return None
    try:
        os.dup2(2, 1)
    except OSError:
        os.close(saved)
        return None
    return saved


def _restore_stdout(saved: int | None) -> None:
    if saved is None:
        return
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os.dup2(saved, 1)
    os.close(saved)


def declarations() -> dict[str, Any]:
    """The typer declaration of each parameter of ``profile_command`` (its one definition)."""
    import typer

    from ecoai.commands import options
    from ecoai.commands.debug import debug_option
    from ecoai.commands.serve import SERVE_INTERVAL_OPTION, SERVE_METRICS_OPTION

    return {
        "command": typer.Argument(None, help="The command and its arguments.", show_default=False),
        "output": options.OUTPUT_OPTION,
        "format_name": options.FORMAT_OPTION,
        "json_output": options.JSON_OPTION,
        "force": options.FORCE_OPTION,
        "quiet": typer.Option(False, "--quiet", "-q", help="No summary on stderr."),
        "queries": typer.Option(
            None,
            "--queries",
            parser=options.number_parser("--queries", "int", "queries", "queries served", low=1),
            show_default=False,
            help="Queries the command served: per-query figures.",
        ),
        "repeat": typer.Option(
            1,
            "--repeat",
            parser=options.number_parser("--repeat", "int", "runs", "runs of the command", low=1),
            help="Run the command N times.",
        ),
        "interval_s": typer.Option(
            0.5,  # ecoai.measurement.sampler.DEFAULT_INTERVAL_S (not imported: start-up time)
            "--interval-s",
            parser=options.number_parser(
                "--interval-s",
                "float",
                "s",
                "sampling interval",
                low=0.001,
                high=3600.0,
                example="0.1",
            ),
            rich_help_panel=_PANEL,
            help="Sampling interval, in seconds.",
        ),
        "baseline_s": typer.Option(
            0.0,
            "--baseline-s",
            parser=options.number_parser(
                "--baseline-s",
                "float",
                "s",
                "idle baseline before the run",
                low=0.0,
                high=86400.0,
                example="5",
            ),
            rich_help_panel=_PANEL,
            help="Sample the idle machine this many seconds first.",
        ),
        "scope": typer.Option(
            "process-tree",
            "--scope",
            rich_help_panel=_PANEL,
            help="process-tree (attributed) or machine (whole devices).",
        ),
        "sensors": typer.Option(
            "auto",
            "--sensors",
            rich_help_panel=_PANEL,
            help="auto, or a comma-separated list of sensors (required); see --list-sensors.",
        ),
        "list_sensors": typer.Option(
            False,
            "--list-sensors",
            rich_help_panel=_PANEL,
            help="Show the sensors this machine would use, and why each other one is skipped; "
            "runs no command.",
        ),
        "all_gpus": typer.Option(
            False,
            "--all-gpus",
            rich_help_panel=_PANEL,
            help="Measure every GPU, not only CUDA_VISIBLE_DEVICES.",
        ),
        "per_node": typer.Option(
            False,
            "--per-node",
            rich_help_panel=_PANEL,
            help=("Multi-process jobs: only local rank 0 measures the node; other ranks just run."),
        ),
        "cpu_tdp_w": typer.Option(
            None,
            "--cpu-tdp-w",
            parser=options.number_parser(
                "--cpu-tdp-w",
                "float",
                "W",
                "CPU TDP",
                low=0.0,
                low_open=True,
                high=10_000.0,
                example="65",
            ),
            show_default=False,
            rich_help_panel=_PANEL,
            help="CPU TDP for the model [W].",
        ),
        "dram_w_per_gb": typer.Option(
            None,
            "--dram-w-per-gb",
            parser=options.number_parser(
                "--dram-w-per-gb",
                "float",
                "W/GB",
                "DRAM power per GB",
                low=0.0,
                low_open=True,
                high=100.0,
                example="0.375",
            ),
            show_default=False,
            rich_help_panel=_PANEL,
            help="DRAM model power per GB [W/GB].",
        ),
        "powercap_root": typer.Option(
            Path("/sys/class/powercap"),
            "--powercap-root",
            rich_help_panel=_PANEL,
            help="Where RAPL zones live.",
        ),
        "grace_s": typer.Option(
            10.0,
            "--grace-s",
            parser=options.number_parser(
                "--grace-s", "float", "s", "grace period", low=0.0, example="10"
            ),
            rich_help_panel=_PANEL,
            help="After a signal, wait this long before SIGTERM/SIGKILL.",
        ),
        "timeline": typer.Option(
            None,
            "--timeline",
            show_default=False,
            rich_help_panel=_WATCH,
            help="Write every sample to FILE as it is taken (.csv or .jsonl).",
        ),
        "plot": typer.Option(
            None,
            "--plot",
            show_default=False,
            rich_help_panel=_WATCH,
            help="Draw power by component and the phases to FILE (.png or .svg; needs matplotlib).",
        ),
        "metrics_port": typer.Option(
            None,
            "--metrics-port",
            parser=options.number_parser(
                "--metrics-port", "int", "", "TCP port", low=0, high=65535, example="9464"
            ),
            show_default=False,
            rich_help_panel=_WATCH,
            help="Serve live power and energy as Prometheus metrics on PORT (0: any free port).",
        ),
        "metrics_host": typer.Option(
            "127.0.0.1",
            "--metrics-host",
            rich_help_panel=_WATCH,
            help="Address the metrics endpoint listens on.",
        ),
        "label": typer.Option(
            None,
            "--label",
            show_default=False,
            help="A name for this run in reports and comparisons.",
        ),
        "serve_metrics": SERVE_METRICS_OPTION,
        "serve_interval_s": SERVE_INTERVAL_OPTION,
        "log": typer.Option(
            None,
            "--log",
            show_default=False,
            metavar="SINK",
            rich_help_panel=_LOG,
            help="Also log the figures and the report to mlflow, wandb or otel (repeatable).",
        ),
        "log_strict": typer.Option(
            False,
            "--log-strict",
            rich_help_panel=_LOG,
            help="Exit non-zero (4) when a --log sink did not take the report.",
        ),
        "profiles_dir": options.PROFILES_OPTION,
        "debug": debug_option(),
    }


def register(app: typer.Typer) -> None:
    """Add `ecoai profile` to ``app``."""
    from ecoai.commands.options import declare, key_parameters, panelled

    command = declare(
        "profile",
        profile_command,
        declarations(),
        key_parameters(FOOTPRINT_KEYS, panel="Footprint"),
    )
    app.command(
        "profile",
        help=HELP,
        cls=panelled(),
        context_settings={"allow_interspersed_args": False},
    )(command)
