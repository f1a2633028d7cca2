"""Watching a profiled run: the event file, the live line, the timeline, metrics and the plot.

``Watch`` opens them together before the command starts (so a bad path or a busy port fails
first), hands the sampler its listeners and the command its ``ECOAI_EVENTS`` file, and closes
them together afterwards, whatever happened.

An edge (files, a port, the terminal). May import the vocabulary at the top of ``ecoai``,
``files``, ``measurement`` (the sampler and the event file it watches) and ``sensors``; never
``inputs``, ``estimation``, ``comparison``, ``render``, ``commands`` or ``cli`` (checked by
``lint-imports``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ecoai.measurement.events import ENV, EventTail
from ecoai.measurement.work import WorkMeter
from ecoai.watch.rates import RecentRates

if TYPE_CHECKING:
    from ecoai.footprint import Multipliers
    from ecoai.measurement.sampler import Listener
    from ecoai.measurement.serving import ServerMetrics, ServeScraper
    from ecoai.models import Report
    from ecoai.sensors import Sensor
    from ecoai.watch.live import LiveLine
    from ecoai.watch.plot import PowerTrace
    from ecoai.watch.prometheus import MetricsServer
    from ecoai.watch.timeline import TimelineWriter


@dataclass(frozen=True)
class WatchOptions:
    """What the user asked to watch."""

    timeline: Path | None = None
    plot: Path | None = None
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    live: bool = False
    force: bool = False
    quiet: bool = False
    serve_metrics: str | None = None
    """A model server's Prometheus URL: its token and request counters become query events."""
    serve_interval_s: float = 1.0
    serve_servers: tuple[ServerMetrics, ...] = ()
    """The counter names to look for (empty: the built-in ``SERVERS``)."""
    serve_from_zero: bool = True
    """The server starts with the run (profile); False: attached to a running one (watch)."""
    factors: Multipliers | None = None
    """PUE, WUE and CIF: the metrics endpoint's water and carbon rates (None: not served)."""


class Watch:
    """The event meter and every view of one ``ecoai profile`` invocation."""

    def __init__(
        self, options: WatchOptions, sensors: Sequence[Sensor], stream: TextIO = sys.stderr
    ) -> None:
        self.options = options
        self._dir = Path(tempfile.mkdtemp(prefix="ecoai-events-"))
        self.events_path = self._dir / "events.jsonl"
        self.events_path.touch()
        # A child that drops privileges (su, gosu, setpriv) can still append its events: the
        # directory is traversable but not listable (its random name stays unknown to others),
        # the file writable but not readable by them.
        os.chmod(self._dir, 0o711)
        os.chmod(self.events_path, 0o622)
        self.work = WorkMeter(EventTail(self.events_path))
        self.rates = RecentRates(lambda: self.work.record.output_tokens)
        self.listeners: list[Listener] = []
        self.timeline: TimelineWriter | None = None
        self.trace: PowerTrace | None = None
        self.metrics: MetricsServer | None = None
        self.live: LiveLine | None = None
        self.scraper: ServeScraper | None = None
        try:
            self._open(sensors, stream)
        except BaseException:
            self.close()
            raise

    def _open(self, sensors: Sequence[Sensor], stream: TextIO) -> None:
        options = self.options
        if options.timeline is not None:
            from ecoai.files import check_writable
            from ecoai.watch.timeline import TimelineWriter, timeline_kind

            timeline_kind(options.timeline)
            check_writable(str(options.timeline), options.force)
            self.timeline = TimelineWriter(options.timeline, sensors)
            self.listeners.append(self.timeline)
        if options.plot is not None:
            from ecoai.files import check_writable
            from ecoai.watch.plot import PowerTrace, check_plot_path

            check_plot_path(options.plot)
            check_writable(str(options.plot), options.force)
            self.trace = PowerTrace(sensors)
            self.listeners.append(self.trace)
        if options.metrics_port is not None:
            from ecoai.watch.prometheus import MetricsServer

            self.metrics = MetricsServer(
                options.metrics_host,
                options.metrics_port,
                sensors,
                self._counts,
                self.rates,
                options.factors,
            )
            port = self.metrics.start()
            if not options.quiet:
                stream.write(f"ecoai: metrics on http://{options.metrics_host}:{port}/metrics\n")
                stream.flush()
            self.listeners.append(self.metrics)
        if options.metrics_port is not None or options.live:
            self.listeners.append(self.rates)
        if options.serve_metrics is not None:
            from ecoai.measurement.serving import SERVERS, ServeScraper

            self.scraper = ServeScraper(
                options.serve_metrics,
                self.work.feed,
                interval_s=options.serve_interval_s,
                servers=options.serve_servers or SERVERS,
                from_zero=options.serve_from_zero,
            )
            self.work.annotate = self.scraper.annotate
            self.work.flush = self.scraper.flush
            self.work.restart = self.scraper.restart
            self.scraper.start()
        if options.live:
            from ecoai.watch.live import LiveLine

            self.live = LiveLine(stream, sensors, self.work.queries, per_token=self.rates)
            self.live.start()
            self.listeners.append(self.live)

    def _counts(self) -> dict[str, int]:
        record = self.work.record
        return {
            "queries": record.queries,
            "input_tokens": record.input_tokens,
            "output_tokens": record.output_tokens,
        }

    def child_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The command's environment: ecoai's, with ``ECOAI_EVENTS`` naming the event file."""
        return {**(os.environ if base is None else base), ENV: str(self.events_path)}

    def notes(self) -> list[str]:
        """Report notes from the views (the model server's scrapes)."""
        return self.scraper.notes() if self.scraper is not None else []

    def close_timeline(self) -> list[str]:
        """Close ``--timeline`` now (sampling has ended); a note if writing it failed (a full
        disk): the report is still written and the command's exit status kept."""
        if self.timeline is None:
            return []
        self.timeline.close()
        if self.timeline.error is None:
            return []
        return [
            f"--timeline {self.options.timeline}: {self.timeline.error}; the timeline is "
            f"incomplete ({self.timeline.rows} row(s) written)"
        ]

    def close(self) -> None:
        """Stop every view (idempotent); the live line is cleared first."""
        if self.scraper is not None:
            self.scraper.close()
        for view in (self.live, self.timeline, self.metrics):
            if view is not None:
                view.close()
        self.live = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def finish(self, report: Report) -> None:
        """After the report: draw the plot, if asked."""
        if self.options.plot is None or self.trace is None:
            return
        from ecoai.watch.plot import draw

        m = report.measurement
        title = report.label or (" ".join(m.command)[:80] if m else "ecoai profile")
        draw(self.options.plot, self.trace, self.work.windows, title)
