"""OpenTelemetry: a report's figures as OTel metrics and the run as a span, sent over OTLP/HTTP.

Names follow the OTel semantic conventions for hardware where they exist (``hw.energy`` in J per
sensor, attributes ``hw.id`` and ``hw.type``) and ``ecoai.*`` elsewhere (``ecoai.energy`` in W.h
with the attribute ``ecoai.scope`` = total, per_query, ...; the shared table in ``ecoai.metrics``).
The endpoint, headers and timeout are the exporter's standard settings
(``OTEL_EXPORTER_OTLP_ENDPOINT``, default http://localhost:4318, ``OTEL_EXPORTER_OTLP_HEADERS``,
``OTEL_EXPORTER_OTLP_TIMEOUT``, here 3 s when unset rather than the exporter's 10 s of retries);
``OTEL_SERVICE_NAME`` names the service (default ``ecoai``). The exporter's own log lines
(one per retry) are kept off stderr: why a send failed is in ecoai's one note.
Needs ``pip install 'ecoai[otel]'``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from ecoai.metrics import SENSOR_ENERGY_EXPORT, Figure
from ecoai.models import Report

SCOPE = "ecoai"
"""The instrumentation scope of every metric and span."""
DEFAULT_TIMEOUT_S = 3.0
"""How long one send may take, retries included, when OTEL_EXPORTER_OTLP_TIMEOUT is unset."""


def timeout_s(environ: dict[str, str] | None = None) -> float | None:
    """The exporters' timeout: None (the exporter reads its variables) when one is set."""
    env = os.environ if environ is None else environ
    names = ("OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT")
    return None if any(env.get(name) for name in names) else DEFAULT_TIMEOUT_S


class _Kept(logging.Handler):
    """Holds the exporter's log records instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            import re

            text = record.getMessage()
            errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)  # "Connection refused"
            self.messages.append(errno.group(1) if errno else text.splitlines()[0][:160])


@contextlib.contextmanager
def _exporter_log() -> Iterator[_Kept]:
    """Keep the OpenTelemetry loggers' lines (a retry each) off stderr while sending."""
    logger = logging.getLogger("opentelemetry")
    kept, propagate = _Kept(), logger.propagate
    logger.addHandler(kept)
    logger.propagate = False
    try:
        yield kept
    finally:
        logger.removeHandler(kept)
        logger.propagate = propagate


def _why(kept: _Kept) -> str:
    """The exporter's first complaint (the cause: refused, timed out, HTTP status), if any."""
    return f" ({kept.messages[0]})" if kept.messages else ""


def resource(report: Report) -> Any:
    """The OTel resource: the service and, for a measurement, the host."""
    from opentelemetry.sdk.resources import Resource

    attributes: dict[str, Any] = {
        "service.name": os.environ.get("OTEL_SERVICE_NAME") or "ecoai",
        "ecoai.version": report.ecoai_version,
    }
    if report.measurement is not None:
        attributes["host.name"] = report.measurement.host.hostname
    return Resource.create(attributes)


def record(report: Report, figures: Sequence[Figure], reader: Any) -> None:
    """Record ``figures`` through a MeterProvider read by ``reader`` (any SDK MetricReader):
    ``hw.energy`` as a counter (the semantic conventions' instrument), the rest as gauges."""
    from opentelemetry.sdk.metrics import MeterProvider

    from ecoai import __version__

    provider = MeterProvider(resource=resource(report), metric_readers=[reader])
    meter = provider.get_meter(SCOPE, __version__)
    instruments: dict[str, Any] = {}
    for figure in figures:
        export = figure.export
        if export.otel not in instruments:
            make = meter.create_counter if export is SENSOR_ENERGY_EXPORT else meter.create_gauge
            instruments[export.otel] = make(export.otel, unit=export.otel_unit)
        instrument = instruments[export.otel]
        attributes = {**figure.attributes, **_run_attributes(report)}
        if export is SENSOR_ENERGY_EXPORT:
            instrument.add(figure.value, attributes)
        else:
            instrument.set(figure.value, attributes)


def span(report: Report, figures: Sequence[Figure], exporter: Any) -> None:
    """The run as one span ``ecoai.run`` (its start and end from the report) with every figure
    as an attribute under its shared key, handed to ``exporter`` (any SDK SpanExporter)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.trace import Status, StatusCode

    from ecoai import __version__

    provider = TracerProvider(resource=resource(report))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer(SCOPE, __version__)
    end = report.created_at
    duration_s = report.intermediate.get("duration_s", 0.0)
    runs = len(report.measurement.runs) if report.measurement else 1
    start = end - timedelta(seconds=duration_s * runs)
    attributes: dict[str, Any] = {f.key: f.value for f in figures}
    attributes.update(_run_attributes(report))
    if report.measurement is not None:
        attributes["process.command_args"] = list(report.measurement.command)
        attributes["process.exit.code"] = report.measurement.exit_status
    item = tracer.start_span("ecoai.run", start_time=_ns(start), attributes=attributes)
    if report.measurement is not None and report.measurement.exit_status != 0:
        item.set_status(Status(StatusCode.ERROR, f"exit status {report.measurement.exit_status}"))
    item.end(end_time=_ns(end))
    provider.shutdown()


def log(report: Report, figures: Sequence[Figure], report_json: str) -> str:
    """Send the metrics and the span to the OTLP/HTTP endpoint; return where. Raises
    RuntimeError when the endpoint refuses or does not answer within the exporter's timeout."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
    from opentelemetry.sdk.trace.export import SpanExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    reader = InMemoryMetricReader()
    record(report, figures, reader)
    data = reader.get_metrics_data()
    with _exporter_log() as kept:
        metric_exporter = OTLPMetricExporter(timeout=timeout_s())
        endpoint = getattr(metric_exporter, "_endpoint", "the OTLP endpoint")
        try:
            sent = data is not None and metric_exporter.export(data) is MetricExportResult.SUCCESS
        finally:
            metric_exporter.shutdown()
        if not sent:
            raise RuntimeError(f"{endpoint} did not take the metrics{_why(kept)}")
        spans = InMemorySpanExporter()
        span(report, figures, spans)
        span_exporter = OTLPSpanExporter(timeout=timeout_s())
        try:
            result = span_exporter.export(spans.get_finished_spans())
        finally:
            span_exporter.shutdown()  # type: ignore[no-untyped-call]
        if result is not SpanExportResult.SUCCESS:
            where = getattr(span_exporter, "_endpoint", "the OTLP endpoint")
            raise RuntimeError(f"{where} did not take the span{_why(kept)}")
    return f"{endpoint} ({len(figures)} data points and the span ecoai.run)"


def _run_attributes(report: Report) -> dict[str, Any]:
    attributes: dict[str, Any] = {"ecoai.kind": report.kind}
    if report.label:
        attributes["ecoai.label"] = report.label
    return attributes


def _ns(moment: Any) -> int:
    return int(moment.timestamp() * 1_000_000_000)
