"""A model server's tokens and requests, from its Prometheus ``/metrics`` (``--serve-metrics``).

A ``ServeScraper`` thread fetches the URL every ``interval_s`` (urllib, ``timeout_s``), reads
the server's token and request counters (``SERVERS``: the names each server documents; a user
adds more with ``serve-metrics.toml`` in the profile directory) and hands each increase to the
``WorkMeter`` as a query event, so the serving window, start-up energy and per-token figures
are the event file's own machinery. Where counting starts, a query event of zero queries marks
the window's start. The edges are placed inside the scrape interval from the serving rate
(output tokens per second of the neighbouring interval): the first tokens seen took
``tokens / rate`` to generate, so serving started that long before the scrape that saw them
(never before the last scrape that saw none); an increase smaller than the previous interval's
rate would give is stamped where that rate would have finished it, so the last one marks where
serving stopped. Without a rate (a single increase) the edges fall back to the scrapes.

Parsing: the lines naming a wanted metric are picked out by prefix first (a vLLM page has
hundreds of histogram buckets), then parsed by ``prometheus_client.parser`` (the ``metrics``
extra): the exposition format's quoting and escapes stay the library's job.

Faults are sensor faults: a scrape that fails (refused, timed out, HTTP error), a page that is
HTML or names none of the known counters, a counter that went down (the server restarted: the
new value is counted as the increase since the restart, as Prometheus' ``rate`` does) are
tallied and named in ``notes()``; none stops the run or changes its exit status.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecoai.errors import InputError

if TYPE_CHECKING:
    from ecoai.measurement.work import WorkRecord

INTERVAL_S = 1.0
"""Default scrape interval: the serving window's resolution at each end. Units: s."""
TIMEOUT_S = 2.0
"""A scrape that has not answered by then is counted as failed. Units: s."""
MAX_BYTES = 16 << 20
"""A /metrics page larger than this is read no further (the counters come first in practice)."""
INSTALL_HINT = "pip install 'ecoai[metrics]' (or pip install prometheus-client)"


@dataclass(frozen=True)
class ServerMetrics:
    """One server's counter names (samples as exposed; every label set is summed).

    ``output`` (generated tokens) is required; ``input`` (prompt tokens) and ``requests``
    (completed requests) may be empty when the server does not expose them.
    """

    server: str
    output: str
    input: str = ""
    requests: str = ""
    source: str = ""
    output_per_request: str = ""
    """A histogram of generated tokens per request (its base name; ``_bucket`` is read)."""

    def names(self) -> tuple[str, ...]:
        bucket = self.output_per_request + "_bucket" if self.output_per_request else ""
        return tuple(n for n in (self.output, self.input, self.requests, bucket) if n)


SERVERS: tuple[ServerMetrics, ...] = (
    ServerMetrics(
        "vLLM",
        "vllm:generation_tokens_total",
        "vllm:prompt_tokens_total",
        "vllm:request_success_total",
        "https://docs.vllm.ai/en/latest/usage/metrics/",
        "vllm:request_generation_tokens",
    ),
    ServerMetrics(
        "SGLang",
        "sglang:generation_tokens_total",
        "sglang:prompt_tokens_total",
        "sglang:num_requests_total",
        "https://docs.sglang.io/references/production_metrics.html",
    ),
    ServerMetrics(
        "TGI",
        "tgi_request_generated_tokens_sum",
        "tgi_request_input_length_sum",
        "tgi_request_success",
        "https://huggingface.co/docs/text-generation-inference/reference/metrics",
        "tgi_request_generated_tokens",
    ),
)
"""Built-in servers, first match wins. TGI exposes tokens as histograms: their ``_sum``."""


def parse_totals(text: str, servers: Sequence[ServerMetrics]) -> tuple[str, dict[str, float]]:
    """The first server in ``servers`` whose output counter ``text`` holds, and its totals.

    Returns (server name, {"output", "input", "requests": value, "le=B": bucket count}) with
    every label set summed (``le=B``: the per-request output-token histogram's cumulative
    bucket B); ("", {}) when no server's output counter is there. Raises ValueError for a page
    the Prometheus text parser rejects.
    """
    from prometheus_client.parser import text_string_to_metric_families

    wanted = {name for s in servers for name in s.names()}
    prefixes = tuple(wanted)
    lines = [line for line in text.splitlines() if line.startswith(prefixes)]
    sums: dict[str, float] = {}
    buckets: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families("\n".join(lines) + "\n"):
        for sample in family.samples:
            if sample.name not in wanted or not math.isfinite(sample.value):
                continue
            if sample.name.endswith("_bucket") and "le" in sample.labels:
                by_le = buckets.setdefault(sample.name, {})
                le = "le=" + sample.labels["le"]
                by_le[le] = by_le.get(le, 0.0) + sample.value
            else:
                sums[sample.name] = sums.get(sample.name, 0.0) + sample.value
    for server in servers:
        if server.output in sums:
            roles = {"output": server.output, "input": server.input, "requests": server.requests}
            totals = {role: sums[n] for role, n in roles.items() if n in sums}
            return server.server, totals | buckets.get(server.output_per_request + "_bucket", {})
    return "", {}


def quantiles(counts: dict[str, float], qs: Sequence[float]) -> dict[float, float]:
    """Quantiles of a cumulative histogram ``{"le=B": count}``, like PromQL's histogram_quantile:
    linear inside the bucket holding the rank, the lowest bucket starting at 0, a rank in the
    +Inf bucket answered by the highest finite bound. Empty when the histogram counts nothing."""
    bounds = sorted((float(le[3:]), n) for le, n in counts.items())
    if not bounds or bounds[-1][1] <= 0:
        return {}
    total = bounds[-1][1]
    out = {}
    for q in qs:
        rank = q * total
        lower_b, lower_n = 0.0, 0.0
        for bound, n in bounds:
            if n >= rank:
                if math.isinf(bound):
                    out[q] = lower_b
                elif n > lower_n:
                    out[q] = lower_b + (bound - lower_b) * (rank - lower_n) / (n - lower_n)
                else:
                    out[q] = bound
                break
            lower_b, lower_n = bound, n
    return out


def fetch(url: str, timeout_s: float) -> tuple[str, str]:
    """GET ``url``: (Content-Type, body). Raises OSError (URLError, timeouts) on failure."""
    import urllib.request  # here: only a run that scrapes pays for http.client

    request = urllib.request.Request(url, headers={"Accept": "text/plain"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        body = response.read(MAX_BYTES)
        return str(response.headers.get("Content-Type", "")), body.decode("utf-8", "replace")


def check_url(url: str) -> str:
    """The URL as given when it is http(s); InputError otherwise (and without prometheus-client)."""
    if not url.startswith(("http://", "https://")):
        raise InputError(
            f"--serve-metrics {url!r} is not an http:// or https:// URL",
            "give the server's metrics URL, e.g. http://127.0.0.1:8000/metrics",
        )
    try:
        import prometheus_client.parser  # noqa: F401
    except ImportError:
        raise InputError("--serve-metrics needs prometheus-client", INSTALL_HINT) from None
    return url


@dataclass
class ScrapeTally:
    """What the scrapes found; counts only."""

    attempts: int = 0
    ok: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    """Failed scrapes by reason (timeout, refused, HTTP 500, ...)."""
    between: dict[str, int] = field(default_factory=dict)
    """The failed scrapes between two good ones, by reason (not the server starting or ending)."""
    pending: dict[str, int] = field(default_factory=dict)
    """Failed scrapes since the latest good one, by reason."""
    html: int = 0
    unknown: int = 0
    resets: int = 0
    server: str = ""
    cpu_s: float = 0.0
    """The scraper thread's own CPU time. Units: s."""


class ServeScraper:
    """Scrape ``url`` on a thread, feeding each counter increase to ``feed`` as a query event.

    ``from_zero``: the server started with ecoai (``profile``), so what its first answer already
    counts was served during the run; otherwise (``watch``) the first answer is the baseline.
    ``clock`` gives Unix time (the events' ``t``); ``get`` fetches (tests inject it).
    """

    def __init__(
        self,
        url: str,
        feed: Callable[[dict[str, Any]], None],
        *,
        interval_s: float = INTERVAL_S,
        timeout_s: float = TIMEOUT_S,
        servers: Sequence[ServerMetrics] = SERVERS,
        from_zero: bool = True,
        clock: Callable[[], float] = time.time,
        get: Callable[[str, float], tuple[str, str]] = fetch,
    ) -> None:
        self.url, self.feed = url, feed
        self.interval_s, self.timeout_s = interval_s, timeout_s
        self.servers = list(servers)
        self.from_zero = from_zero
        self.clock, self.get = clock, get
        self.tally = ScrapeTally()
        self.totals: dict[str, float] = {}
        """The server's counters at the latest good scrape (for the live view)."""
        self._previous: dict[str, float] | None = None
        self._previous_t: float | None = None
        self._serving = False
        self._held: tuple[float, dict[str, Any], float] | None = None
        """The first increase (scrape before it, its event, its output tokens), until a rate."""
        self._rate: float | None = None
        """Output tokens per second over the latest interval with an increase."""
        self._buckets_at: dict[str, float] = {}
        self._buckets_from: dict[str, float] = {}
        self._buckets_to: dict[str, float] = {}
        self._buckets_banked: dict[str, float] = {}
        self._hist_lock = threading.Lock()
        """Guards the histogram's counts (never held while feeding the meter)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        """Guards ``totals`` and the held increase (feeding the meter under it is safe: the
        meter calls ``flush`` before taking its own lock)."""

    def start(self) -> None:
        """Scrape on a daemon thread until ``close``."""
        self._previous_t = self.clock()
        self._thread = threading.Thread(target=self._loop, name="ecoai-serve-metrics", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        cpu0 = time.thread_time()
        next_s = time.monotonic()
        while not self._stop.is_set():
            self.scrape()
            self.tally.cpu_s = time.thread_time() - cpu0
            next_s = max(next_s + self.interval_s, time.monotonic())
            self._stop.wait(max(0.0, next_s - time.monotonic()))

    def close(self) -> None:
        """Stop scraping (idempotent); one last scrape is not taken (the server may be gone)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_s + 1.0)
            self._thread = None

    def scrape(self) -> None:
        """One scrape: fetch, parse, feed the increases (faults tallied, never raised)."""
        now = self.clock()
        tally = self.tally
        tally.attempts += 1
        try:
            content_type, body = self.get(self.url, self.timeout_s)
        except (OSError, ValueError) as error:
            reason = failure_reason(error)
            tally.failed[reason] = tally.failed.get(reason, 0) + 1
            tally.pending[reason] = tally.pending.get(reason, 0) + 1
            if self._previous is None:
                self._previous_t = now  # not up yet: serving starts after this attempt
            return
        if "html" in content_type.lower() or body.lstrip()[:1] == "<":
            tally.html += 1
            return
        try:
            server, totals = parse_totals(body, self.servers)
        except ValueError:
            server, totals = "", {}
        if not server:
            tally.unknown += 1
            return
        if self._previous is not None:  # a good scrape before, in this run
            for reason, n in tally.pending.items():
                tally.between[reason] = tally.between.get(reason, 0) + n
        tally.pending = {}
        tally.ok += 1
        tally.server = server
        self._advance(now, totals)

    def _advance(self, now: float, read: dict[str, float]) -> None:
        totals = {k: v for k, v in read.items() if not k.startswith("le=")}
        buckets = {k: v for k, v in read.items() if k.startswith("le=")}
        with self._lock:
            self.totals = dict(totals)
        previous = self._previous
        if previous is None:
            previous = {role: 0.0 for role in totals} if self.from_zero else dict(totals)
            with self._hist_lock:
                self._buckets_at = {} if self.from_zero else dict(buckets)
        step: dict[str, float] = {}
        reset = False
        for role, value in totals.items():
            before = previous.get(role, 0.0)  # a counter first exposed now started at zero
            if value < before:  # restarted: counted from zero again
                reset = True
                step[role] = value
            else:
                step[role] = value - before
        self.tally.resets += reset
        increased = any(round(v) > 0 for v in step.values())
        with self._hist_lock:
            self._histogram(buckets, reset)
            if increased:
                if not self._serving:
                    self._buckets_from = dict(self._buckets_at)
                self._buckets_to = dict(buckets)
            self._buckets_at = dict(buckets)
        since_t = self._previous_t if self._previous_t is not None else now
        if increased:
            event = {
                "event": "query",
                "n": round(step.get("requests", 0.0)),
                "input_tokens": round(step.get("input", 0.0)),
                "output_tokens": round(step.get("output", 0.0)),
                "t": now,
            }
            with self._lock:  # flush() may release the held increase from the run's thread
                self._edges(event, step.get("output", 0.0), min(since_t, now), now)
            # what was rounded away stays in the baseline, so nothing is lost or counted twice
            previous = {r: totals[r] - (step[r] - round(step[r])) for r in totals}
        else:
            with self._lock:
                self._release()
                self._rate = None
            previous = {r: totals[r] - step[r] for r in totals}
        self._previous, self._previous_t = previous, now

    def _edges(self, event: dict[str, Any], tokens: float, since_t: float, now: float) -> None:
        """Feed one increase, placing the serving window's edges inside the scrape interval.

        The first increase is held until the next scrape gives the serving rate: serving
        started ``tokens / rate`` before the scrape that first saw tokens (never before the
        scrape that saw none). An increase that the previous interval's rate would have
        produced in less than the interval is stamped when that rate would have finished it
        (the last one is where serving stopped). Steady serving keeps each stamp at its scrape.
        """
        rate = tokens / (now - since_t) if now > since_t and tokens > 0 else None
        if not self._serving:
            self._serving = True
            self._held = (since_t, event, tokens)
            self._rate = rate
            return
        if self._held is not None:
            lower_t, first, first_tokens = self._held
            self._held = None
            start_t = lower_t
            if rate is not None:
                start_t = max(lower_t, first["t"] - first_tokens / rate)
            self.feed({"event": "query", "n": 0, "t": start_t})
            self.feed(first)
        elif self._rate is not None and tokens > 0:
            event["t"] = min(now, since_t + tokens / self._rate)
        self.feed(event)
        self._rate = rate

    def _release(self) -> None:
        """Feed a held first increase as it is (no rate came after it): the window starts at
        the last scrape before it."""
        if self._held is not None:
            lower_t, first, _ = self._held
            self._held = None
            self.feed({"event": "query", "n": 0, "t": lower_t})
            self.feed(first)

    def restart(self) -> None:
        """A run starts (each of ``--repeat``): count from the next scrape afresh, as a server
        started anew (wrapped) or from a new baseline (attached); failures since the last good
        scrape are the server stopping and starting, not faults."""
        with self._lock:
            self._previous, self._previous_t = None, self.clock()
            self._serving, self._held, self._rate = False, None, None
            self.tally.pending = {}
        with self._hist_lock:
            self._buckets_at, self._buckets_from, self._buckets_to = {}, {}, {}
            self._buckets_banked = {}

    def flush(self) -> None:
        """At a run's end, before the meter's last read: hand over what is held back."""
        with self._lock:
            self._release()

    def _histogram(self, buckets: dict[str, float], reset: bool) -> None:
        """Keep the per-request histogram's counts over the serving window across restarts."""
        if reset and self._serving:  # bank what the window held before the restart
            for le, n in self._buckets_to.items():
                gained = n - self._buckets_from.get(le, 0.0)
                self._buckets_banked[le] = self._buckets_banked.get(le, 0.0) + max(0.0, gained)
            self._buckets_from, self._buckets_to = {}, {}

    def output_tokens_per_request(self) -> dict[str, float]:
        """Quantiles (p50, p90, p99) of the generated tokens per request over the serving
        window, from the server's histogram; empty when it exposes none."""
        with self._hist_lock:
            counts = dict(self._buckets_banked)
            for le, n in self._buckets_to.items():
                counts[le] = counts.get(le, 0.0) + max(0.0, n - self._buckets_from.get(le, 0.0))
        found = quantiles(counts, (0.5, 0.9, 0.99))
        return {f"p{round(q * 100)}": value for q, value in found.items()}

    def annotate(self, record: WorkRecord) -> None:
        """At the end of a run: say the work came from the server, with its histogram."""
        record.source = "server"
        record.output_tokens_per_request = self.output_tokens_per_request()

    def notes(self) -> list[str]:
        """Report notes: what went wrong while scraping (empty when nothing did)."""
        return scrape_notes(self.url, self.tally, self.from_zero)


def failure_reason(error: BaseException) -> str:
    """A short reason for a failed scrape: timeout, refused, HTTP 503, ..."""
    import urllib.error

    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    inner = getattr(error, "reason", error)
    if isinstance(inner, TimeoutError) or "timed out" in str(inner):
        return "timed out"
    if isinstance(inner, ConnectionRefusedError):
        return "connection refused"
    text = str(getattr(inner, "strerror", None) or inner)
    return text[:60] or type(inner).__name__


def scrape_notes(url: str, tally: ScrapeTally, from_zero: bool = True) -> list[str]:
    """The notes for ``tally`` (pure). ``from_zero`` (the server ran with the command): scrapes
    that failed before its first answer (loading) or after its last (shutting down) are the
    server starting and stopping, not faults; attached, every failure is named."""
    notes = []
    if not tally.ok:
        failed, by_reason = sum(tally.failed.values()), tally.failed
    else:
        by_reason = tally.between if from_zero else tally.failed
        failed = sum(by_reason.values())
    reasons = ", ".join(f"{n} {why}" for why, n in by_reason.items())
    if tally.attempts and not tally.ok:
        why = []
        if failed:
            why.append(reasons)
        if tally.html:
            why.append(f"{tally.html} answered HTML, not Prometheus text")
        if tally.unknown:
            why.append(
                f"{tally.unknown} named none of the known token counters (add the server to "
                "serve-metrics.toml in the profile directory)"
            )
        notes.append(
            f"--serve-metrics {url}: none of {tally.attempts} scrape(s) read the server's "
            f"counters ({'; '.join(why)}): no tokens or requests were counted from it"
        )
        return notes
    if failed:
        notes.append(
            f"--serve-metrics {url}: {failed} of {tally.attempts} scrape(s) failed ({reasons}); "
            "the counters' next good reading covers the gap"
        )
    if tally.html or tally.unknown:
        notes.append(
            f"--serve-metrics {url}: {tally.html + tally.unknown} scrape(s) answered without the "
            "server's counters (HTML or another page) and were skipped"
        )
    if tally.resets:
        notes.append(
            f"--serve-metrics {url}: the {tally.server} counters went down {tally.resets} "
            "time(s) (the server restarted?): counted again from zero after each, never negative"
        )
    return notes


SERVER_FIELDS = ("output", "input", "requests", "output_per_request", "source")
"""The keys of a ``[server.NAME]`` table in serve-metrics.toml (``output`` required)."""


def servers_from(table: dict[str, Any], origin: str) -> list[ServerMetrics]:
    """``[server.NAME]`` tables (``SERVER_FIELDS``, string values) -> servers.

    Raises InputError naming ``origin`` for a table without a string ``output``, an unknown key
    (a typo would silently count nothing) or a value that is not a string.
    """
    servers = []
    extra = sorted(set(table) - {"server"})
    if extra:
        raise InputError(f"{origin}: unknown table {extra[0]!r}", "write [server.NAME] tables only")
    for name, spec in (table.get("server") or {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("output"), str):
            raise InputError(
                f"{origin}: [server.{name}] needs output = the generated-tokens counter's name",
                'e.g. [server.myserver] output = "my_generated_tokens_total"',
            )
        for key, value in spec.items():
            if key not in SERVER_FIELDS or not isinstance(value, str):
                raise InputError(
                    f"{origin}: [server.{name}] {key} = {value!r}: "
                    + ("not a string" if key in SERVER_FIELDS else "unknown key"),
                    "keys (strings, metric names as exposed): " + ", ".join(SERVER_FIELDS),
                )
        fields = {k: str(spec.get(k, "")) for k in SERVER_FIELDS[1:]}
        servers.append(ServerMetrics(str(name), spec["output"], **fields))
    return servers
