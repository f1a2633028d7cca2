"""``--metrics-port``: live power (gauges) and energy (counters) for Prometheus to scrape.

The endpoint serves the latest sample: ``ecoai_power_watts`` and ``ecoai_energy_joules_total``
per sensor (labels ``sensor``, ``component``, ``device``), plus the queries and tokens the
command reported; the names come from the table every sink shares (``ecoai.metrics``).
prometheus-client is an optional extra (``pip install 'ecoai[metrics]'``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ecoai.errors import InputError
from ecoai.measurement.sampler import Sample
from ecoai.metrics import (
    COUNT_EXPORTS,
    SENSOR_ENERGY_EXPORT,
    SENSOR_POWER_EXPORT,
    ExportName,
    hw_id,
)
from ecoai.sensors import Sensor

INSTALL_HINT = "pip install 'ecoai[metrics]' (or pip install prometheus-client)"


def _family(export: ExportName) -> str:
    assert export.prometheus is not None  # only exports with a Prometheus name are served
    return export.prometheus


def device_of(sensor: Sensor) -> str:
    """The device label: a GPU's UUID, a RAPL zone, else the sensor's name."""
    return hw_id(sensor.name, sensor.facts)


class MetricsServer:
    """A sampler listener keeping the latest sample, served over HTTP on ``host:port``."""

    def __init__(
        self,
        host: str,
        port: int,
        sensors: Sequence[Sensor],
        counts: Callable[[], dict[str, int]] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.sensors = list(sensors)
        self.counts = counts
        self._latest: Sample | None = None
        self._server: Any = None
        self._lock = threading.Lock()

    def start(self) -> int:
        """Listen; return the port (useful with port 0). One-line errors if it cannot."""
        try:
            from prometheus_client import CollectorRegistry, start_http_server
        except ImportError:
            raise InputError("--metrics-port needs prometheus-client", INSTALL_HINT) from None
        registry = CollectorRegistry(auto_describe=True)
        registry.register(self)
        try:
            self._server, _thread = start_http_server(self.port, addr=self.host, registry=registry)
        except OSError as error:
            raise InputError(
                f"cannot serve metrics on {self.host}:{self.port}: {error.strerror or error}",
                "choose another --metrics-port (0 picks a free one)",
            ) from None
        self.port = int(self._server.server_address[1])
        return self.port

    def __call__(self, sample: Sample) -> None:
        with self._lock:
            self._latest = sample

    def collect(self) -> Iterator[Any]:
        """The metric families, read by prometheus-client at each scrape."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        labels = ["sensor", "component", "device"]
        power = GaugeMetricFamily(
            _family(SENSOR_POWER_EXPORT),
            "Power over the last sampling interval (W).",
            labels=labels,
        )
        energy = CounterMetricFamily(
            _family(SENSOR_ENERGY_EXPORT), "Energy measured since ecoai started (J).", labels=labels
        )
        with self._lock:
            latest = self._latest
        for sensor in self.sensors:
            values = [sensor.name, sensor.component, device_of(sensor)]
            if latest is not None and sensor.name in latest.power_w:
                power.add_metric(values, latest.power_w[sensor.name])
            if latest is not None:
                energy.add_metric(values, latest.energy_j.get(sensor.name, 0.0))
        yield power
        yield energy
        for name, value in (self.counts() if self.counts else {}).items():
            export = COUNT_EXPORTS[name]
            family = CounterMetricFamily(_family(export), f"{name.replace('_', ' ')} reported.")
            family.add_metric([], value)
            yield family

    def close(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
