"""`ecoai watch --serve-metrics URL`: meter a model server that is already running.

Also the pieces ``ecoai profile --serve-metrics`` shares with it: the options, and the user's
own server table (``serve-metrics.toml`` beside the profile directory).
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ecoai.commands import options
from ecoai.commands.debug import debug_option
from ecoai.commands.options import flag_values, key_parameters, with_parameters
from ecoai.errors import InputError
from ecoai.inputs.keys import FOOTPRINT_KEYS

if TYPE_CHECKING:
    from ecoai.measurement.runner import RunResult
    from ecoai.measurement.serving import ServerMetrics

SERVE_PANEL = "Model server"
SERVE_METRICS_OPTION: Any = typer.Option(
    None,
    "--serve-metrics",
    show_default=False,
    metavar="URL",
    rich_help_panel=SERVE_PANEL,
    help=(
        "A model server's Prometheus metrics URL (vLLM, SGLang, TGI; more in serve-metrics.toml):"
        " its token and request counters give per-token and per-request figures."
    ),
)
SERVE_INTERVAL_OPTION: Any = typer.Option(
    1.0,
    "--serve-interval-s",
    parser=options.number_parser(
        "--serve-interval-s", "float", "s", "metrics scrape interval", low=0.01, example="1"
    ),
    rich_help_panel=SERVE_PANEL,
    help="Scrape the server's metrics every N seconds (the serving window's resolution).",
)


def load_servers(profile_dirs: Sequence[Path] = ()) -> tuple[ServerMetrics, ...]:
    """The user's servers ahead of the built-in ones.

    ``serve-metrics.toml`` is read from each profile directory (the user config directory,
    ``ECOAI_PROFILES``, then ``--profiles``; a later directory's server of the same name wins):
    ``[server.NAME]`` tables with ``output`` (generated-tokens counter, required), ``input``,
    ``requests``, ``output_per_request`` and ``source``. Raises InputError for a file that is
    not valid TOML or a table without ``output``.
    """
    import tomllib

    from ecoai.files import read_user_text
    from ecoai.inputs.catalog import SERVE_METRICS_FILE, overlay_dirs
    from ecoai.measurement.serving import SERVERS, servers_from

    found: dict[str, ServerMetrics] = {}
    for directory in overlay_dirs(tuple(profile_dirs)):
        path = directory / SERVE_METRICS_FILE
        if not path.is_file():
            continue
        text = read_user_text(path, "a serve-metrics.toml file", allow_pipe=False)
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{path}: invalid TOML: {error}", "fix the file's syntax") from None
        for server in servers_from(table, str(path)):
            found.pop(server.server, None)
            found[server.server] = server
    return (*reversed(found.values()), *SERVERS)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(s|m|h)?\s*$")


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``10m``, ``2h`` -> seconds; InputError otherwise. Units: s."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise InputError(
            f"--duration {text!r} is not a positive duration", "e.g. --duration 90s, 10m or 2h"
        )
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]


def wait_runner(duration_s: float | None) -> Callable[..., RunResult]:
    """A runner for ``measure`` that runs nothing: it waits ``duration_s`` (None: until Ctrl-C
    or SIGTERM) and ends normally (exit status 0) either way, so the report is written."""
    import signal

    from ecoai.measurement.runner import RunResult

    def runner(argv: list[str], **kwargs: Any) -> RunResult:
        on_start = kwargs.get("on_start")
        start_s = time.monotonic()
        stopped: list[int] = []

        def stop(signum: int, frame: Any) -> None:
            stopped.append(signum)

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            if on_start is not None:
                on_start(os.getpid())
            while not stopped:
                left_s = None if duration_s is None else duration_s - (time.monotonic() - start_s)
                if left_s is not None and left_s <= 0:
                    break
                time.sleep(min(0.2, left_s) if left_s is not None else 0.2)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return RunResult(0, 0, None, False, time.monotonic() - start_s, 0.0)

    return runner


HELP = """Attach to a running model server and measure its energy per token and per request.

ecoai watch --serve-metrics URL [--duration 10m] [-o report.json]: samples the whole machine's
GPUs and CPUs while it scrapes URL (the server's Prometheus metrics) until --duration has passed
or Ctrl-C, then writes the same report as ecoai profile --serve-metrics does.
"""


def watch_command(
    *,
    serve_metrics: str = typer.Option(
        ...,
        "--serve-metrics",
        metavar="URL",
        show_default=False,
        help="The server's Prometheus metrics URL, e.g. http://127.0.0.1:8000/metrics.",
    ),
    duration: str | None = typer.Option(
        None,
        "--duration",
        show_default=False,
        help="How long to watch (90s, 10m, 2h); default: until Ctrl-C.",
    ),
    serve_interval_s: float = SERVE_INTERVAL_OPTION,
    output: str | None = options.OUTPUT_OPTION,
    format_name: str | None = options.FORMAT_OPTION,
    json_output: bool = options.JSON_OPTION,
    force: bool = options.FORCE_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr."),
    interval_s: float = typer.Option(
        0.5,  # ecoai.measurement.sampler.DEFAULT_INTERVAL_S (not imported: start-up time)
        "--interval-s",
        parser=options.number_parser(
            "--interval-s", "float", "s", "sampling interval", low=0.001, example="0.1"
        ),
        help="Sensor sampling interval, in seconds.",
    ),
    sensors: str = typer.Option(
        "auto", "--sensors", help="auto, or a list of nvml, rapl, cpu-model (required)."
    ),
    metrics_port: int | None = typer.Option(
        None,
        "--metrics-port",
        parser=options.number_parser(
            "--metrics-port", "int", "", "TCP port", low=0, high=65535, example="9464"
        ),
        show_default=False,
        help="Serve live power, energy and J/token as Prometheus metrics on PORT.",
    ),
    metrics_host: str = typer.Option(
        "127.0.0.1", "--metrics-host", help="Address the metrics endpoint listens on."
    ),
    label: str | None = typer.Option(
        None, "--label", show_default=False, help="A name for this run in reports."
    ),
    profiles_dir: list[Path] | None = options.PROFILES_OPTION,
    debug: bool = debug_option(),
    **footprint_values: Any,
) -> None:
    from ecoai.commands.profile import _emit, ranks, tdp_lookup
    from ecoai.files import check_writable
    from ecoai.inputs.catalog import load_catalog
    from ecoai.measurement.serving import check_url
    from ecoai.measurement.session import measure, prepare
    from ecoai.render import choose_format
    from ecoai.sensors import SensorRequest, discover, parse_backends
    from ecoai.sensors.host import host_info
    from ecoai.watch import Watch, WatchOptions
    from ecoai.watch.live import wanted

    url = check_url(serve_metrics)
    duration_s = parse_duration(duration) if duration is not None else None
    servers = load_servers(profiles_dir or ())
    destination = "-" if json_output and not output else output
    if destination is not None:
        check_writable(destination, force)
    fmt = choose_format(format_name, json_output, destination)
    catalog = load_catalog(tuple(profiles_dir or ()))
    request = prepare(
        ["ecoai", "watch", "--serve-metrics", url],
        flag_values(footprint_values, FOOTPRINT_KEYS),
        catalog=catalog,
        scope="machine",
        interval_s=interval_s,
        label=label,
    )
    found = discover(
        SensorRequest(backends=parse_backends(sensors), cpu_tdp_lookup=tdp_lookup(catalog))
    )
    watch_options = WatchOptions(
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        live=wanted(sys.stderr, quiet, os.environ),
        force=force,
        quiet=quiet,
        serve_metrics=url,
        serve_interval_s=serve_interval_s,
        serve_servers=servers,
        serve_from_zero=False,
        factors=request.factors,
    )
    try:
        watch = Watch(watch_options, found.sensors)
    except BaseException:
        found.close()
        raise
    rank, local_rank = ranks(dict(os.environ))
    try:
        try:
            measured = measure(
                request,
                found,
                runner=wait_runner(duration_s),
                listeners=watch.listeners,
                work=watch.work,
            )
        finally:
            found.close()
            watch.close()
        from ecoai.measurement.report import build_report

        notes = [*found.notes, *watch.notes()]
        facts = host_info(rank, local_rank)
        report = build_report(request, measured, found.skipped, facts, request.inputs, notes)
    finally:
        watch.close()
    _emit(report, fmt, destination, quiet, force)


def register(app: typer.Typer) -> None:
    """Add `ecoai watch` to ``app``."""
    command = with_parameters(watch_command, key_parameters(FOOTPRINT_KEYS, panel="Footprint"))
    app.command("watch", help=HELP, cls=options.panelled())(command)
