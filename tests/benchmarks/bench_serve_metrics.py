"""Scraper overhead benchmark: CPU time ``--serve-metrics`` costs per second of wall time.

Run: python tests/benchmarks/bench_serve_metrics.py [SCRAPES]   (not part of the test suite)
A local server (127.0.0.1) answers a vLLM-sized page: the counters ecoai reads plus 40
histograms of 20 buckets, ~1,000 lines (vLLM's own page has hundreds of bucket lines). Each
scrape's CPU is the scraping thread's own (``time.thread_time``): HTTP, the prefix filter,
parsing and feeding. Target (issue 13): under 1 ms of CPU per second of wall time at the
default interval (``INTERVAL_S`` = 1 s), i.e. under 1 ms per scrape.
"""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ecoai.measurement.serving import INTERVAL_S, ServeScraper  # noqa: E402

TARGET_MS_PER_S = 1.0


def page(step: int) -> bytes:
    lines = [
        "# TYPE vllm:generation_tokens_total counter",
        f'vllm:generation_tokens_total{{model_name="m"}} {1000.0 * step}',
        f'vllm:prompt_tokens_total{{model_name="m"}} {250.0 * step}',
        f'vllm:request_success_total{{finished_reason="stop",model_name="m"}} {2.0 * step}',
    ]
    bounds = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, "+Inf"]
    for h in range(40):
        name = f"vllm:histogram_{h}_seconds"
        lines.append(f"# TYPE {name} histogram")
        for le in bounds:
            lines.append(f'{name}_bucket{{le="{le}",model_name="m"}} {step}')
        lines += [f'{name}_count{{model_name="m"}} {step}', f'{name}_sum{{model_name="m"}} 1.0']
    for le in bounds:
        lines.append(f'vllm:request_generation_tokens_bucket{{le="{le}",model_name="m"}} {step}')
    return ("\n".join(lines) + "\n").encode()


def measure(scrapes: int = 300) -> tuple[int, float, float]:
    """(page lines, CPU ms per scrape of the scraping thread, wall ms per scrape)."""
    step = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            step[0] += 1
            body = page(step[0])
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    fed: list[dict[str, Any]] = []
    scraper = ServeScraper(url, fed.append)
    scraper.scrape()  # warm: imports, first connection
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    for _ in range(scrapes):
        scraper.scrape()
    cpu_ms = (time.thread_time() - cpu0) * 1e3 / scrapes
    wall_ms = (time.perf_counter() - wall0) * 1e3 / scrapes
    server.shutdown()
    lines = page(1).count(b"\n")
    assert scraper.tally.ok == scrapes + 1 and len(fed) > scrapes  # every scrape was counted
    return lines, cpu_ms, wall_ms


def main(scrapes: int = 300) -> None:
    lines, cpu_ms, wall_ms = measure(scrapes)
    per_s = cpu_ms / INTERVAL_S
    verdict = "pass" if per_s < TARGET_MS_PER_S else "FAIL"
    print(f"{'what':<46}{'figure':>14}  target")
    print(f"{'page size':<46}{lines:>10} lines")
    print(f"{'CPU per scrape (scraping thread)':<46}{cpu_ms:>11.3f} ms")
    print(f"{'wall time per scrape':<46}{wall_ms:>11.3f} ms")
    print(f"{'CPU per wall second at the default 1 s interval':<46}{per_s:>9.3f} ms/s"
          f"  < {TARGET_MS_PER_S:g} ms/s  {verdict}")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
