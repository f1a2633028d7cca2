"""Where ML teams already look: MLflow, Weights & Biases, OpenTelemetry, the Hugging Face
Trainer, pytest (and, outside the package, the CI action in ``.github/actions/ecoai-gate``).

What this folder holds: one module per sink (``mlflow_sink``, ``wandb_sink``, ``otel_sink``),
the Trainer callback (``hf``) and the pytest plugin (``pytest_plugin``, entry point ``pytest11``).
Each needs an optional extra (``pip install 'ecoai[mlflow]'``, ``[wandb]``, ``[otel]``, ``[hf]``,
``[pytest]``) and imports its library only inside functions.

What it may import: the report model (``ecoai.models``), the metric table and the names every
sink shares (``ecoai.metrics``), the errors, the renderers and ``ecoai.api``; never the other way
round. Only the commands (``ecoai profile --log``), ``ecoai.api`` (``measure(log=...)``, lazily)
and the pytest entry point import it, so ``ecoai estimate``, ``ecoai profile`` without ``--log``
and ``--help`` load none of these libraries (tests/test_cli.py checks ``sys.modules``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ecoai.errors import InputError

if TYPE_CHECKING:
    from ecoai.models import Report


@dataclass(frozen=True)
class Sink:
    """A place reports can be logged to: its module here, the modules it needs, its extra."""

    name: str
    title: str
    module: str
    needs: tuple[str, ...]
    extra: str
    packages: str
    """What ``pip install`` would fetch without ecoai's extra."""


SINKS: dict[str, Sink] = {
    "mlflow": Sink("mlflow", "MLflow", "mlflow_sink", ("mlflow",), "mlflow", "mlflow-skinny"),
    "wandb": Sink("wandb", "W&B", "wandb_sink", ("wandb",), "wandb", "wandb"),
    "otel": Sink(
        "otel",
        "OpenTelemetry",
        "otel_sink",
        ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http"),
        "otel",
        "opentelemetry-sdk opentelemetry-exporter-otlp-proto-http",
    ),
}
"""The sinks of ``ecoai profile --log`` and ``ecoai.measure(log=...)``, by name."""


def install_hint(extra: str, packages: str) -> str:
    """The one line telling how to get an optional extra."""
    return f"pip install 'ecoai[{extra}]' (or pip install {packages})"


def require(modules: Iterable[str], what: str, extra: str, packages: str) -> None:
    """Fail with one line naming the extra unless every module can be imported (not imported)."""
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise InputError(f"{what} needs {module.split('.')[0]}", install_hint(extra, packages))


def parse_sinks(values: Sequence[str] | str | None, context: str = "--log") -> list[Sink]:
    """The sinks named by ``--log`` (repeatable, comma-separated); one-line errors for an
    unknown name and for a missing extra. Nothing is imported here."""
    if values is None:
        return []
    texts = [values] if isinstance(values, str) else list(values)
    names = [n.strip().lower() for text in texts for n in text.split(",") if n.strip()]
    sinks: list[Sink] = []
    for name in names:
        if name not in SINKS:
            raise InputError(f"{context}: unknown sink {name!r}", "choose " + ", ".join(SINKS))
        sink = SINKS[name]
        what = f"--log {name}" if context == "--log" else f"{context}{name!r}"
        require(sink.needs, what, sink.extra, sink.packages)
        if sink not in sinks:
            sinks.append(sink)
    return sinks


@dataclass(frozen=True)
class Logged:
    """The outcome of logging one report to one sink: where it went, or why it did not."""

    sink: Sink
    where: str | None = None
    error: str | None = None


def log_to(report: Report, sinks: Sequence[Sink]) -> list[Logged]:
    """Log ``report`` to each sink; a sink that fails (unreachable server, refused write,
    Ctrl-C while waiting) is an outcome with its error, never an exception, so the caller can
    still write the report."""
    from ecoai.metrics import report_figures
    from ecoai.render import Format, render

    figures = report_figures(report)
    report_json = render(report, Format.JSON)
    outcomes = []
    for sink in sinks:
        module = importlib.import_module(f"ecoai.integrations.{sink.module}")
        try:
            where = module.log(report, figures, report_json)
        except (Exception, KeyboardInterrupt) as error:
            outcomes.append(Logged(sink, error=_one_line(error)))
        else:
            outcomes.append(Logged(sink, where=where))
    return outcomes


def with_failures(report: Report, outcomes: Sequence[Logged]) -> Report:
    """``report`` with a note for every sink it could not be logged to."""
    notes = [f"not logged to {o.sink.title}: {o.error}" for o in outcomes if o.error]
    if not notes:
        return report
    return replace(report, notes=[*report.notes, *notes])


def tell(outcomes: Sequence[Logged], quiet: bool) -> None:
    """One stderr line per sink: where the report went (unless quiet), or why it did not."""
    for outcome in outcomes:
        if outcome.error:
            print(
                f"ecoai: note: not logged to {outcome.sink.title}: {outcome.error}", file=sys.stderr
            )
        elif not quiet:
            print(f"ecoai: logged to {outcome.sink.title}: {outcome.where}", file=sys.stderr)


def log_report(report: Report, log: str | Sequence[str]) -> list[Logged]:
    """Log a report from Python in one line: ``log_report(m.report, "mlflow")``.

    ``log`` names the sinks (``"mlflow"``, ``"wandb,otel"``, or a list). Raises InputError for an
    unknown sink or a missing extra; a sink that fails is returned with its error.
    """
    return log_to(report, parse_sinks(log, "log="))


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, KeyboardInterrupt):
        text = "interrupted"
    return text if len(text) <= 300 else text[:297] + "..."
