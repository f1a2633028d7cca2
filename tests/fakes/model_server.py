"""A scripted model server on 127.0.0.1 serving Prometheus text with a real server's metric names.

Run as a command (``python tests/fakes/model_server.py PORT [options]``), it "loads" for
``--load-s`` seconds without listening (like ``vllm serve`` before its API is up), then serves
``/metrics`` while its counters grow at ``--tokens-per-s`` generated tokens (a quarter of that
in prompt tokens) and ``--requests-per-s`` completed requests for ``--serve-s`` seconds, then
idles ``--idle-s`` seconds and exits. ``--fault``: ``reset`` (the counters drop to zero halfway,
a restart), ``html`` (a login page instead of metrics, until halfway), ``slow`` (one scrape in
three hangs for 3 s, past ecoai's timeout), ``never`` (never listens).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FORMATS = {
    "vllm": (
        "# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
        "# TYPE vllm:num_requests_running gauge\n"
        'vllm:num_requests_running{{model_name="m"}} 4.0\n'
        "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n"
        "# TYPE vllm:prompt_tokens_total counter\n"
        'vllm:prompt_tokens_total{{model_name="m"}} {inp}\n'
        "# HELP vllm:generation_tokens_total Number of generation tokens processed.\n"
        "# TYPE vllm:generation_tokens_total counter\n"
        'vllm:generation_tokens_total{{model_name="m"}} {out}\n'
        "# HELP vllm:request_success_total Count of successfully processed requests.\n"
        "# TYPE vllm:request_success_total counter\n"
        'vllm:request_success_total{{finished_reason="stop",model_name="m"}} {req_a}\n'
        'vllm:request_success_total{{finished_reason="length",model_name="m"}} {req_b}\n'
        "# HELP vllm:e2e_request_latency_seconds Histogram of end to end request latency.\n"
        "# TYPE vllm:e2e_request_latency_seconds histogram\n"
        'vllm:e2e_request_latency_seconds_bucket{{le="1.0",model_name="m"}} {req}\n'
        'vllm:e2e_request_latency_seconds_bucket{{le="+Inf",model_name="m"}} {req}\n'
        'vllm:e2e_request_latency_seconds_count{{model_name="m"}} {req}\n'
        'vllm:e2e_request_latency_seconds_sum{{model_name="m"}} {lat}\n'
        "# HELP vllm:request_generation_tokens Number of generation tokens processed.\n"
        "# TYPE vllm:request_generation_tokens histogram\n"
        'vllm:request_generation_tokens_bucket{{le="200.0",model_name="m"}} 0.0\n'
        'vllm:request_generation_tokens_bucket{{le="500.0",model_name="m"}} {req}\n'
        'vllm:request_generation_tokens_bucket{{le="1000.0",model_name="m"}} {req}\n'
        'vllm:request_generation_tokens_bucket{{le="+Inf",model_name="m"}} {req}\n'
        'vllm:request_generation_tokens_count{{model_name="m"}} {req}\n'
        'vllm:request_generation_tokens_sum{{model_name="m"}} {out}\n'
    ),
    "sglang": (
        "# HELP sglang:prompt_tokens_total Number of prefill tokens processed.\n"
        "# TYPE sglang:prompt_tokens_total counter\n"
        'sglang:prompt_tokens_total{{model_name="m"}} {inp:e}\n'
        "# HELP sglang:generation_tokens_total Number of generation tokens processed.\n"
        "# TYPE sglang:generation_tokens_total counter\n"
        'sglang:generation_tokens_total{{model_name="m"}} {out:e}\n'
        "# HELP sglang:num_requests_total Total number of requests processed.\n"
        "# TYPE sglang:num_requests_total counter\n"
        'sglang:num_requests_total{{model_name="m"}} {req:e}\n'
    ),
    "tgi": (
        "# TYPE tgi_request_success counter\n"
        "tgi_request_success {req}\n"
        "# TYPE tgi_request_generated_tokens histogram\n"
        'tgi_request_generated_tokens_bucket{{le="+Inf"}} {req}\n'
        "tgi_request_generated_tokens_sum {out}\n"
        "tgi_request_generated_tokens_count {req}\n"
        "# TYPE tgi_request_input_length histogram\n"
        'tgi_request_input_length_bucket{{le="+Inf"}} {req}\n'
        "tgi_request_input_length_sum {inp}\n"
        "tgi_request_input_length_count {req}\n"
    ),
    # A server ecoai does not know: its names go in serve-metrics.toml (the tests write one).
    "custom": (
        "# TYPE acme_tokens_out_total counter\n"
        'acme_tokens_out_total{{pool="a"}} {out}\n'
        "# TYPE acme_tokens_in_total counter\n"
        'acme_tokens_in_total{{pool="a"}} {inp}\n'
        "# TYPE acme_requests_done_total counter\n"
        'acme_requests_done_total{{pool="a"}} {req}\n'
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--load-s", type=float, default=1.5)
    parser.add_argument("--serve-s", type=float, default=3.0)
    parser.add_argument("--idle-s", type=float, default=0.5)
    parser.add_argument("--tokens-per-s", type=float, default=1000.0)
    parser.add_argument("--requests-per-s", type=float, default=2.0)
    parser.add_argument("--server", choices=sorted(FORMATS), default="vllm")
    parser.add_argument("--fault", choices=["reset", "html", "slow", "never"], default=None)
    parser.add_argument("--exit", type=int, default=0)
    args = parser.parse_args()
    time.sleep(args.load_s)
    if args.fault == "never":
        time.sleep(args.serve_s + args.idle_s)
        raise SystemExit(args.exit)
    start = time.monotonic()
    calls = [0]

    def counters() -> dict[str, float]:
        elapsed = time.monotonic() - start
        served = min(max(elapsed, 0.0), args.serve_s)
        if args.fault == "reset" and elapsed > args.serve_s / 2:
            served -= args.serve_s / 2
        out = math.floor(args.tokens_per_s * served)
        req = math.floor(args.requests_per_s * served)
        return {"out": out, "inp": out // 4, "req": req, "req_a": req - req // 3,
                "req_b": req // 3, "lat": 0.5 * req}  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            calls[0] += 1
            halfway = time.monotonic() - start < args.serve_s / 2
            if args.fault == "slow" and calls[0] % 3 == 0:
                time.sleep(3.0)
            if args.fault == "html" and halfway:
                body, kind = b"<!doctype html><html><body>Sign in</body></html>", "text/html"
            else:
                body = FORMATS[args.server].format(**counters()).encode()
                kind = "text/plain; version=0.0.4; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the scraper gave up waiting
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    time.sleep(args.serve_s + args.idle_s)
    raise SystemExit(args.exit)


if __name__ == "__main__":
    main()
