"""``--metrics-port``: live power (gauges) and energy (counters) for Prometheus to scrape.

The endpoint serves the latest sample: ``ecoai_power_watts`` and ``ecoai_energy_joules_total``
per sensor (labels ``sensor``, ``component``, ``device``), plus the queries and tokens the
command reported (or the model server counted, ``--serve-metrics``); the names come from the
table every sink shares (``ecoai.metrics``). With a window of recent samples (``RecentRates``),
``ecoai_energy_per_output_token_joules`` (IT energy per output token over the last 10 s); with
the footprint multipliers, ``ecoai_water_milliliters_per_second`` and
``ecoai_carbon_grams_per_second`` (the latest power, all sensors, through PUE, WUE and CIF as in
README Method). prometheus-client is an optional extra (``pip install 'ecoai[metrics]'``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ecoai.errors import InputError
from ecoai.footprint import Multipliers, footprint_point
from ecoai.measurement.sampler import Sample
from ecoai.metrics import (
    COUNT_EXPORTS,
    LIVE_EXPORTS,
    SENSOR_ENERGY_EXPORT,
    SENSOR_POWER_EXPORT,
    ExportName,
    hw_id,
)
from ecoai.sensors import Sensor
from ecoai.watch.rates import RecentRates

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
        rates: RecentRates | None = None,
        factors: Multipliers | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.sensors = list(sensors)
        self.counts = counts
        self.rates = rates
        self.factors = factors
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
        per_token_j = self.rates.joules_per_token() if self.rates is not None else None
        if per_token_j is not None:
            per_token = GaugeMetricFamily(
                _family(LIVE_EXPORTS["energy_per_output_token_j"]),
                "IT energy per output token over the last 10 s (J).",
            )
            per_token.add_metric([], per_token_j)
            yield per_token
        if self.factors is not None and latest is not None and latest.power_w:
            per_s = footprint_point(sum(latest.power_w.values()), self.factors)  # 1 s of power
            for name, text, rate in (
                ("water_ml_per_s", "Water (on- and off-site), mL/s.", per_s.water_ml.mean),
                ("carbon_g_per_s", "Carbon, gCO2e/s.", per_s.carbon_g.mean),
            ):
                gauge = GaugeMetricFamily(_family(LIVE_EXPORTS[name]), text)
                gauge.add_metric([], rate)
                yield gauge

    def close(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
