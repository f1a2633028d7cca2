"""OpenTelemetry (issue 14): the figures through the SDK's in-memory reader, and `--log otel`
sending metrics and a span to a real OTLP/HTTP receiver on 127.0.0.1 (decoded with the OTLP
protobufs); an endpoint that does not answer is a note and keeps the report."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRunner
from integration_helpers import FACTORS, read_report, sensor_script, work_script

from ecoai.metrics import report_figures

pytest.importorskip("opentelemetry.sdk", reason="needs pip install 'ecoai[otel]'")
pytest.importorskip(
    "opentelemetry.exporter.otlp.proto.http", reason="needs pip install 'ecoai[otel]'"
)

from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


class Receiver(ThreadingHTTPServer):
    """A minimal OTLP/HTTP collector: keeps each decoded request, answers 200."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.metrics: list[Any] = []
        self.traces: list[Any] = []


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/metrics":
            request: Any = metrics_service_pb2.ExportMetricsServiceRequest()
            request.ParseFromString(body)
            self.server.metrics.append(request)
            answer = metrics_service_pb2.ExportMetricsServiceResponse()
        elif self.path == "/v1/traces":
            request = trace_service_pb2.ExportTraceServiceRequest()
            request.ParseFromString(body)
            self.server.traces.append(request)
            answer = trace_service_pb2.ExportTraceServiceResponse()
        else:
            self.send_error(404)
            return
        payload = answer.SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def attrs(items: Any) -> dict[str, Any]:
    """OTLP KeyValue list -> dict (strings and numbers)."""
    out: dict[str, Any] = {}
    for kv in items:
        value = kv.value
        out[kv.key] = getattr(value, value.WhichOneof("value"))
    return out


def points(request: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], tuple[float, str]]:
    """Every data point of an OTLP metrics request by (name, attributes): (value, unit)."""
    found = {}
    for resource in request.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                data = metric.gauge if metric.HasField("gauge") else metric.sum
                for point in data.data_points:
                    key = (metric.name, frozenset(attrs(point.attributes).items()))
                    found[key] = (point.as_double, metric.unit)
    return found


def measured_report(ecoai_cli: CliRunner, tmp_path: Path, *flags: str, **env: str) -> Any:
    done = ecoai_cli(
        "profile", *FACTORS, "--label", "svc", *flags, "-o", "r.json", "--",
        "python", str(work_script(tmp_path)),
        env={**sensor_script(tmp_path), **env}, timeout=120,
    )  # fmt: skip
    return done, read_report(tmp_path / "r.json")


def expected_points(report: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    run = {"ecoai.kind": "measured", "ecoai.label": "svc"}
    return {
        (f.export.otel, frozenset({**f.attributes, **run}.items())): f.value
        for f in report_figures(report)
    }


def test_the_in_memory_reader_holds_every_figure(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from ecoai.integrations.otel_sink import record

    done, report = measured_report(ecoai_cli, tmp_path, "-q")
    assert done.returncode == 0, done.stderr
    reader = InMemoryMetricReader()
    record(report, report_figures(report), reader)
    data = reader.get_metrics_data()
    assert data is not None
    (resource,) = data.resource_metrics
    assert resource.resource.attributes["service.name"] == "ecoai"
    got = {}
    units = {}
    for metric in resource.scope_metrics[0].metrics:
        units[metric.name] = metric.unit
        for point in metric.data.data_points:
            got[(metric.name, frozenset(point.attributes.items()))] = point.value
    assert got == pytest.approx(expected_points(report))
    assert units["ecoai.energy"] == "W.h" and units["hw.energy"] == "J"
    assert units["ecoai.carbon"] == "g{CO2e}" and units["ecoai.water"] == "mL"


def test_log_otel_sends_metrics_and_a_span_to_an_otlp_receiver(
    ecoai_cli: CliRunner, tmp_path: Path, receiver: Receiver
) -> None:
    endpoint = f"http://127.0.0.1:{receiver.server_address[1]}"
    done, report = measured_report(
        ecoai_cli, tmp_path, "--log", "otel", OTEL_EXPORTER_OTLP_ENDPOINT=endpoint
    )
    assert done.returncode == 0, done.stderr
    assert f"ecoai: logged to OpenTelemetry: {endpoint}/v1/metrics" in done.stderr
    (request,) = receiver.metrics
    got = points(request)
    assert {k: v for k, (v, _) in got.items()} == pytest.approx(expected_points(report))
    energy = next(v for (name, a), v in got.items() if name == "hw.energy")
    assert energy[1] == "J"
    (trace,) = receiver.traces
    (span,) = trace.resource_spans[0].scope_spans[0].spans
    assert span.name == "ecoai.run"
    attributes = attrs(span.attributes)
    assert report.total is not None
    assert attributes["ecoai.energy_wh"] == pytest.approx(report.total.energy_wh.mean)
    assert attributes["process.exit.code"] == 0
    duration_s = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e9
    # the span's ends are the run's start and end as Unix times: a float of ~1.8e9 s holds them
    # to about 0.24 us each, so the difference agrees to a few microseconds, not to 1e-6 relative
    assert duration_s == pytest.approx(report.intermediate["duration_s"], abs=1e-5)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(("strict", "status"), [(False, 0), (True, 4)])
def test_an_endpoint_that_does_not_answer_is_a_note(
    ecoai_cli: CliRunner, tmp_path: Path, strict: bool, status: int
) -> None:
    done, report = measured_report(
        ecoai_cli, tmp_path, "-q", "--log", "otel", *(["--log-strict"] if strict else []),
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{closed_port()}",
        OTEL_EXPORTER_OTLP_TIMEOUT="2",
    )  # fmt: skip
    assert done.returncode == status, done.stderr
    assert "ecoai: note: not logged to OpenTelemetry: " in done.stderr
    # -q: ecoai's one note (and, strict, its error) only; no exporter retry lines.
    assert all(line.startswith("ecoai: ") for line in done.stderr.splitlines()), done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert any(note.startswith("not logged to OpenTelemetry: ") for note in report.notes)
    assert report.total is not None and report.total.energy_wh.mean > 0


def test_the_wait_for_an_unanswering_collector_is_bounded() -> None:
    from ecoai.integrations.otel_sink import DEFAULT_TIMEOUT_S, timeout_s

    assert timeout_s({}) == DEFAULT_TIMEOUT_S <= 3.0  # the exporter alone retries for 10 s
    assert timeout_s({"OTEL_EXPORTER_OTLP_TIMEOUT": "20"}) is None  # the user's setting wins
