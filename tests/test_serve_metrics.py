"""Metering a model server through its Prometheus /metrics (issue 13), end to end.

A scripted server (tests/fakes/model_server.py) listens on 127.0.0.1 with the real metric names
of vLLM, SGLang and TGI; the GPU is a scripted 300 W sensor (ECOAI_FAKE_SENSORS). Every expected
figure follows from the script: 1,000 tokens/s and 2 requests/s for 3 s after 1.5 s of loading.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRunner

from ecoai.measurement.serving import (
    SERVERS,
    ScrapeTally,
    ServeScraper,
    parse_totals,
    quantiles,
    scrape_notes,
    servers_from,
)
from ecoai.validation import validate

PY = sys.executable
SERVER = str(Path(__file__).parent / "fakes" / "model_server.py")
FLAGS = ["--scope", "machine", "--pue", "1.0", "--wue-site", "0.5", "--wue-source", "3",
         "--cif", "0.4"]  # fmt: skip


@pytest.fixture
def gpu(tmp_path: Path) -> dict[str, str]:
    script = tmp_path / "sensors.json"
    script.write_text(
        json.dumps({"sensors": [{"name": "fake-gpu", "component": "gpu", "power_w": 300.0}]})
    )
    return {"ECOAI_FAKE_SENSORS": str(script)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path, *server_args: str,
    interval_s: str = "0.1", profile_args: tuple[str, ...] = (),
) -> tuple[Any, dict[str, Any]]:  # fmt: skip
    port = free_port()
    run = ecoai_cli("profile", "-q", "-o", "r.json", *FLAGS, *profile_args,
                    "--serve-interval-s", interval_s, "--serve-metrics",
                    f"http://127.0.0.1:{port}/metrics", "--", PY, SERVER, str(port),
                    *server_args, env=gpu)  # fmt: skip
    report = json.loads((tmp_path / "r.json").read_text()) if (tmp_path / "r.json").exists() else {}
    return run, report


@pytest.mark.parametrize("interval_s", ["1", "0.1"])  # the default, and finer
def test_the_issue_example_vllm_on_a_300_w_gpu(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path, interval_s: str
) -> None:
    run, report = serve(ecoai_cli, gpu, tmp_path, interval_s=interval_s)
    assert run.returncode == 0, run.stderr
    work = report["measurement"]["workload"]
    (r,) = report["measurement"]["runs"]
    assert work["output_tokens"] == pytest.approx(3000, rel=0.10)
    assert work["input_tokens"] == pytest.approx(750, rel=0.10)
    assert work["queries"] == pytest.approx(6, abs=1)
    per_1k = work["serving_per_1k_output_tokens"]["energy_wh"]["mean"]  # PUE 1: IT energy
    assert per_1k * 3600 == pytest.approx(300.0, rel=0.15)
    assert per_1k == pytest.approx(0.0833, rel=0.15)
    # Start-up: 300 W x (1.5 s loading + the fake server's interpreter start-up, ~0.05 s idle,
    # more on a loaded machine) = 450 J nominal, on its own line.
    startup_j = work["startup"]["it_energy_j"]
    assert startup_j == pytest.approx(300.0 * r["work"]["first_query_s"], rel=0.01)
    assert 0.9 * 450.0 <= startup_j <= 1.4 * 450.0
    assert work["serving_s"] == pytest.approx(3.0, abs=0.4)
    # Idle: the 0.5 s the server serves nothing before it exits, on its own line; the three
    # parts add up to the run. (Its duration is the command's, the energy the sampler's, whose
    # last sample can trail the command's exit by tens of ms on a loaded machine: 15 %.)
    idle = work["idle"]
    assert idle["duration_s"] == pytest.approx(0.5, abs=0.35)
    assert idle["it_energy_j"] == pytest.approx(300.0 * idle["duration_s"], rel=0.15)
    parts_j = startup_j + r["work"]["serving_energy_j"] + idle["it_energy_j"]
    assert parts_j == pytest.approx(report["intermediate"]["it_energy_j"], rel=1e-6)
    assert work["queries_from"] == "server" and r["work"]["counted_from"] == "server"
    # Per request under batching: the window's energy split by tokens, a prompt token at 0.25
    # of an output token; the fake's histogram puts all 6 requests in (200, 500] output
    # tokens, so p50 = 350 output tokens plus the mean prompt (a quarter of the output here).
    assert r["work"]["output_tokens_per_request"]["p50"] == pytest.approx(350.0)
    assert work["prompt_token_weight"] == 0.25
    out, inp = r["work"]["serving_output_tokens"], r["work"]["serving_input_tokens"]
    assert inp == pytest.approx(out / 4, abs=2)
    window_wh = per_1k * out / 1000
    share = (350.0 + 0.25 * inp / r["work"]["serving_queries"]) / (out + 0.25 * inp)
    p50 = work["serving_per_request"]["p50"]["energy_wh"]["mean"]
    assert p50 == pytest.approx(window_wh * share, rel=1e-6)
    assert "a prompt token 0.25" in report["method"]["description"]
    assert "openai.com/api/pricing" in report["method"]["description"]
    assert report["notes"] == [] or not any("serve-metrics" in n for n in report["notes"])
    from ecoai.models import Report
    from ecoai.render import Format, render

    table = render(validate(Report, report), Format.TABLE, width=100)
    assert "start-up (run start to the first query event" in table
    assert "per request, p50 (split by tokens, prompt x0.25)" in table
    assert "idle (last query event to the run's end" in table


@pytest.mark.parametrize("server", ["sglang", "tgi"])
def test_sglang_and_tgi_names(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path, server: str
) -> None:
    run, report = serve(ecoai_cli, gpu, tmp_path, "--load-s", "0.3", "--serve-s", "1",
                        "--idle-s", "0.2", "--server", server)  # fmt: skip
    assert run.returncode == 0, run.stderr
    work = report["measurement"]["workload"]
    assert work["output_tokens"] == pytest.approx(1000, rel=0.1)
    assert work["queries"] == pytest.approx(2, abs=1)


def test_a_counter_reset_is_named_and_never_negative(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path
) -> None:
    run, report = serve(ecoai_cli, gpu, tmp_path, "--load-s", "0.3", "--serve-s", "2",
                        "--idle-s", "0.2", "--fault", "reset", "--exit", "3")  # fmt: skip
    assert run.returncode == 3, run.stderr  # the command's exit status is kept
    work = report["measurement"]["workload"]
    assert work["output_tokens"] == pytest.approx(2000, rel=0.1)  # 1,000 + 1,000 after restart
    assert any("counters went down 1 time(s)" in n for n in report["notes"])


def test_html_instead_of_metrics_is_named(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path
) -> None:
    run, report = serve(ecoai_cli, gpu, tmp_path, "--load-s", "0.2", "--serve-s", "1.2",
                        "--idle-s", "0.2", "--fault", "html")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert any("answered without the server's counters (HTML" in n for n in report["notes"])


def test_a_scrape_that_times_out_is_named(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path
) -> None:
    run, report = serve(ecoai_cli, gpu, tmp_path, "--load-s", "0.2", "--serve-s", "5",
                        "--idle-s", "0.2", "--fault", "slow")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert any("timed out" in n and "failed" in n for n in report["notes"]), report["notes"]
    assert report["measurement"]["workload"]["output_tokens"] == pytest.approx(5000, rel=0.1)


def test_a_server_that_never_comes_up_is_named(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path
) -> None:
    run, report = serve(ecoai_cli, gpu, tmp_path, "--load-s", "0.2", "--serve-s", "0.5",
                        "--idle-s", "0", "--fault", "never", "--exit", "4")  # fmt: skip
    assert run.returncode == 4, run.stderr
    (note,) = [n for n in report["notes"] if "serve-metrics" in n]
    assert "no tokens or requests were counted" in note and "connection refused" in note


def test_a_bad_url_is_a_one_line_error(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    run = ecoai_cli("profile", "--serve-metrics", "localhost:8000", "--", "true")
    assert run.returncode == 2
    assert run.stderr.startswith("ecoai: error: --serve-metrics 'localhost:8000' is not an http")
    assert "hint:" in run.stderr and "Traceback" not in run.stderr


# --- the scraper itself, with an injected fetch and clock -------------------------------------


def page(out: float, inp: float = 0.0, req: float = 0.0) -> tuple[str, str]:
    text = (
        "# TYPE vllm:generation_tokens_total counter\n"
        f'vllm:generation_tokens_total{{model_name="a"}} {out}\n'
        f"vllm:prompt_tokens_total {inp}\nvllm:request_success_total {req}\n"
    )
    return "text/plain", text


def scripted(pages: list[Any], from_zero: bool = True) -> tuple[ServeScraper, list[dict[str, Any]]]:
    fed: list[dict[str, Any]] = []
    t = iter(range(100))
    answers = iter(pages)

    def get(url: str, timeout_s: float) -> tuple[str, str]:
        answer = next(answers)
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]

    scraper = ServeScraper("http://x/metrics", fed.append, clock=lambda: float(next(t)),
                           get=get, from_zero=from_zero)  # fmt: skip
    for _ in pages:
        scraper.scrape()
    return scraper, fed


def test_the_window_edges_are_placed_inside_the_scrape_interval() -> None:
    """Scrapes at t = 0, 1, 2, ...: 10 tokens first seen at t=3, then 20/s: serving started
    10 / 20 = 0.5 s before t=3. Then 20/s until 6 tokens in the last interval: stopped at
    5 + 6 / 20 = 5.3. A single increase has no rate: the edge stays at the scrape before."""
    pages = [OSError("refused"), page(0), page(0), page(10, 4, 1), page(30, 8, 2),
             page(50, 9, 3), page(56, 10, 4), page(56, 10, 4)]  # fmt: skip
    _, fed = scripted(pages)
    assert fed[0] == {"event": "query", "n": 0, "t": 2.5}
    assert [(e["n"], e["output_tokens"], e["input_tokens"], e["t"]) for e in fed[1:]] == [
        (1, 10, 4, 3.0),
        (1, 20, 4, 4.0),
        (1, 20, 1, 5.0),
        (1, 6, 1, pytest.approx(5.3)),
    ]
    _, fed = scripted([page(0), page(0), page(10, 4, 1), page(10, 4, 1)])
    assert [e["t"] for e in fed] == [1.0, 2.0]
    scraper, fed = scripted([page(0), page(10, 4, 1)])  # the run ends before a rate
    assert fed == []
    scraper.flush()
    assert [e["t"] for e in fed] == [0.0, 1.0]


def test_attached_the_first_answer_is_the_baseline() -> None:
    scraper, fed = scripted([page(5000, 100, 50), page(5010, 100, 51)], from_zero=False)
    scraper.flush()  # the run ended: the increase held for a rate is handed over
    assert [(e["n"], e.get("output_tokens", 0)) for e in fed] == [(0, 0), (1, 10)]


def test_a_reset_counts_from_zero_and_fractions_are_kept() -> None:
    scraper, fed = scripted([page(10.4), page(20.8), page(3), page(3)])
    assert sum(e.get("output_tokens", 0) for e in fed) == round(20.8) + 3  # rounding never drifts
    assert scraper.tally.resets == 1


def test_parse_sums_label_sets_and_ignores_other_metrics() -> None:
    text = (
        'vllm:request_success_total{finished_reason="stop"} 4\n'
        'vllm:request_success_total{finished_reason="length"} 2\n'
        "vllm:generation_tokens_total 7.5e3\nvllm:other 1\n"
    )
    assert parse_totals(text, SERVERS) == ("vLLM", {"output": 7500.0, "requests": 6.0})
    assert parse_totals("<html>", SERVERS) == ("", {})


def test_a_server_named_in_the_user_profile_directory_is_metered(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path
) -> None:
    """serve-metrics.toml in the user profile directory teaches ecoai another server's names;
    the profile catalog reading that directory skips it. Without it: a note, no tokens."""
    args = ("--load-s", "0.3", "--serve-s", "1", "--idle-s", "0.2", "--server", "custom")
    run, report = serve(ecoai_cli, gpu, tmp_path, *args)
    assert run.returncode == 0, run.stderr
    assert any("named none of the known token counters" in n for n in report["notes"])
    profiles = tmp_path / "config" / "ecoai" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "serve-metrics.toml").write_text(
        '[server.acme]\noutput = "acme_tokens_out_total"\ninput = "acme_tokens_in_total"\n'
        'requests = "acme_requests_done_total"\nsource = "https://acme.example/metrics"\n'
    )
    (tmp_path / "r.json").unlink()
    run, report = serve(ecoai_cli, {**gpu, "XDG_CONFIG_HOME": str(tmp_path / "config")},
                        tmp_path, *args)  # fmt: skip
    assert run.returncode == 0, run.stderr
    work = report["measurement"]["workload"]
    assert work["output_tokens"] == pytest.approx(1000, rel=0.1)
    assert work["input_tokens"] == pytest.approx(250, rel=0.1)
    assert work["queries"] == pytest.approx(2, abs=1) and work["queries_from"] == "server"
    assert not any("serve-metrics" in n for n in report["notes"])


def test_a_bad_serve_metrics_toml_is_a_one_line_error(ecoai_cli: CliRunner, tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "serve-metrics.toml").write_text('[server.acme]\noutptu = "x_total"\n')
    run = ecoai_cli("profile", "--profiles", str(profiles), "--serve-metrics",
                    "http://127.0.0.1:9/metrics", "--", "true")  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("ecoai: error: ") and "[server.acme] needs output" in run.stderr
    (profiles / "serve-metrics.toml").write_text('[server.acme]\noutput = "x"\nreqests = "y"\n')
    run = ecoai_cli("profile", "--profiles", str(profiles), "--serve-metrics",
                    "http://127.0.0.1:9/metrics", "--", "true")  # fmt: skip
    assert run.returncode == 2 and "reqests = 'y': unknown key" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_user_servers_come_first_and_need_an_output() -> None:
    from ecoai.errors import InputError

    (mine,) = servers_from({"server": {"llamacpp": {"output": "llamacpp:tokens_predicted_total"}}},
                           "f.toml")  # fmt: skip
    assert mine.server == "llamacpp" and mine.requests == ""
    with pytest.raises(InputError, match=r"\[server.x\] needs output"):
        servers_from({"server": {"x": {"input": "a"}}}, "f.toml")


def test_failures_while_the_wrapped_server_starts_or_stops_are_not_faults() -> None:
    tally = ScrapeTally(attempts=10, ok=5, failed={"connection refused": 5})
    assert scrape_notes("u", tally, from_zero=True) == []
    assert "5 of 10 scrape(s) failed" in scrape_notes("u", tally, from_zero=False)[0]


def test_watch_attaches_to_a_running_server(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path
) -> None:
    """Attached: the counters the server had before ecoai came are the baseline, not counted."""
    import subprocess

    port = free_port()
    server = subprocess.Popen([PY, SERVER, str(port), "--load-s", "0", "--serve-s", "4",
                               "--idle-s", "1"])  # fmt: skip
    try:
        run = ecoai_cli("watch", "-q", "--serve-metrics", f"http://127.0.0.1:{port}/metrics",
                        "--duration", "2s", "--serve-interval-s", "0.1", "--pue", "1",
                        "-o", "w.json", env=gpu)  # fmt: skip
    finally:
        server.wait(timeout=30)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "w.json").read_text())
    m = report["measurement"]
    assert m["scope"] == "machine" and m["runs"][0]["duration_s"] == pytest.approx(2.0, abs=0.3)
    work = m["workload"]
    # The server served for ~0.3 s before ecoai's first scrape: that is the baseline.
    assert 1000 <= work["output_tokens"] <= 2100
    per_1k_j = work["serving_per_1k_output_tokens"]["energy_wh"]["mean"] * 3600
    assert per_1k_j == pytest.approx(300.0, rel=0.15)


def test_watch_needs_a_duration_it_can_read(ecoai_cli: CliRunner) -> None:
    run = ecoai_cli("watch", "--serve-metrics", "http://127.0.0.1:9/metrics", "--duration", "10x")
    assert run.returncode == 2 and run.stderr.startswith("ecoai: error: --duration '10x'")


def test_quantiles_follow_histogram_quantile() -> None:
    counts = {"le=10": 2.0, "le=100": 10.0, "le=+Inf": 10.0}
    found = quantiles(counts, (0.1, 0.5, 0.9))
    assert found == {0.1: pytest.approx(5.0), 0.5: pytest.approx(43.75), 0.9: pytest.approx(88.75)}
    assert quantiles({"le=10": 1.0, "le=+Inf": 4.0}, (0.9,)) == {0.9: 10.0}  # rank in +Inf
    assert quantiles({"le=+Inf": 0.0}, (0.5,)) == {}


def test_a_restart_keeps_the_histogram_counted_before_it() -> None:
    def hist(out: float, n: float) -> tuple[str, str]:
        return "text/plain", (
            f"vllm:generation_tokens_total {out}\nvllm:request_success_total {n}\n"
            f'vllm:request_generation_tokens_bucket{{le="100"}} {n}\n'
            f'vllm:request_generation_tokens_bucket{{le="+Inf"}} {n}\n'
        )

    scraper, _ = scripted([hist(0, 0), hist(100, 2), hist(50, 1), hist(150, 3)])
    assert scraper.tally.resets == 1
    assert scraper.output_tokens_per_request() == {"p50": 50.0, "p90": 90.0, "p99": 99.0}


# --- re-exported for a fleet's Prometheus ------------------------------------------------------


def test_the_metrics_endpoint_re_exports_j_per_token_water_and_carbon() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from ecoai.footprint import Multipliers
    from ecoai.measurement.sampler import Sample
    from ecoai.sensors.fake import ScriptedSensor
    from ecoai.watch.prometheus import MetricsServer
    from ecoai.watch.rates import RecentRates

    gpu = ScriptedSensor({"name": "gpu0", "component": "gpu", "power_w": 300.0}, lambda: 0.0)
    tokens = [0]
    rates = RecentRates(lambda: tokens[0], window_s=10.0)
    factors = Multipliers(pue=1.2, wue_site_l_per_kwh=0.5, wue_source_l_per_kwh=3.0,
                          cif_g_per_kwh=400.0)  # fmt: skip
    server = MetricsServer("127.0.0.1", 0, [gpu], None, rates, factors)
    for t_s in range(13):  # 300 W, 1,000 tokens/s: 0.3 J/token
        sample = Sample(float(t_s), {"gpu0": 300.0}, {"gpu0": 300.0 * t_s})
        tokens[0] = 1000 * t_s
        rates(sample)
        server(sample)
    registry = CollectorRegistry()
    registry.register(server)
    text = generate_latest(registry).decode()
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert values["ecoai_energy_per_output_token_joules"] == pytest.approx(0.3)
    # 300 W for 1 s = 300 J = 1/12 Wh IT; x PUE 1.2 = 0.1 Wh facility.
    assert values["ecoai_carbon_grams_per_second"] == pytest.approx(0.1 / 1000 * 400.0)
    water_ml = (300 / 3600 / 1000 * 0.5 + 0.1 / 1000 * 3.0) * 1000  # on-site + off-site
    assert values["ecoai_water_milliliters_per_second"] == pytest.approx(water_ml)
    assert rates.power_w() == pytest.approx(300.0)
    assert 'ecoai_energy_joules_total{component="gpu",device="gpu0",sensor="gpu0"}' in text


def test_the_live_line_shows_j_per_token() -> None:
    from ecoai.watch.live import live_text

    text = live_text(12.3, {"gpu": 300.0}, 3690.0, 6, per_token_j=0.31, recent_w=298.6)
    assert text == "ecoai 12.3 s | gpu 300 W | 3.69 kJ | 6 queries | 0.31 J/token, 299 W (10 s)"


def test_the_per_request_split_weights_prompt_tokens_at_a_quarter() -> None:
    """1,000 J over 800 output + 800 prompt tokens (weighted 800 + 0.25 x 800 = 1,000): 1 J per
    weighted token; 4 requests, so 200 prompt tokens each; p50 of 100 output tokens: 150 J."""
    from ecoai.footprint import Multipliers
    from ecoai.measurement.per_unit import _serving_window
    from ecoai.models import RunWork

    work = RunWork(queries=5, events=6, output_tokens=900, input_tokens=900, first_query_s=1.0,
                   last_query_s=11.0, serving_queries=4, serving_output_tokens=800,
                   serving_input_tokens=800, serving_energy_j=1000.0, startup_energy_j=50.0,
                   output_tokens_per_request={"p50": 100.0, "p90": 300.0})  # fmt: skip
    factors = Multipliers(pue=1.0, wue_site_l_per_kwh=0.0, wue_source_l_per_kwh=0.0,
                          cif_g_per_kwh=0.0)  # fmt: skip
    out = _serving_window([work], 1050.0, factors)
    per_request = {k: v.energy_wh.mean * 3600 for k, v in out["serving_per_request"].items()}
    assert per_request == {"p50": pytest.approx(150.0), "p90": pytest.approx(350.0)}
    assert out["serving_per_query"].energy_wh.mean * 3600 == pytest.approx(250.0)  # the mean
    assert out["prompt_token_weight"] == 0.25


def test_compare_puts_the_served_j_per_token_beside_the_open_model_estimate(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path
) -> None:
    """`ecoai compare` adds a per-1,000-output-token row when a measured report has one: the
    served model's measured figure beside `ecoai estimate` of the same model and GPU."""
    run, _ = serve(ecoai_cli, gpu, tmp_path, "--load-s", "0.3", "--serve-s", "1.5",
                   "--idle-s", "0.2")  # fmt: skip
    assert run.returncode == 0, run.stderr
    est = ecoai_cli("estimate", "--params-b", "8", "--hardware", "h100-sxm", "--gpu-count", "1",
                    "--batch-size", "8", "--output-tokens", "350", "--pue", "1.0", "--wue-site",
                    "0.5", "--wue-source", "3", "--cif", "0.4", "-o", "e.json")  # fmt: skip
    assert est.returncode == 0, est.stderr
    run = ecoai_cli("compare", "r.json", "e.json", "--json")
    assert run.returncode == 0, run.stderr
    comparison = json.loads(run.stdout)
    rows = {(r["scope"], r["metric"]): r["cells"] for r in comparison["rows"]}
    served, estimated = rows[("per_1k_output_tokens", "energy_wh")]
    assert served["mean"] * 3600 == pytest.approx(300.0, rel=0.15)  # the scripted 300 W GPU
    estimate = json.loads((tmp_path / "e.json").read_text())
    assert estimated["mean"] == pytest.approx(estimate["per_query"]["energy_wh"]["mean"] / 0.35)
    assert estimated["ratio"] == pytest.approx(estimated["mean"] / served["mean"])
    table = ecoai_cli("compare", "r.json", "e.json").stdout
    assert "per 1,000 output tokens" in table
    # estimates alone keep their per-query and total rows only
    alone = json.loads(ecoai_cli("compare", "e.json", "e.json", "--json").stdout)
    assert {r["scope"] for r in alone["rows"]} == {"per_query"}
    gated = ecoai_cli("compare", "r.json", "e.json", "--budget",
                      "per_1k_output_tokens.energy_wh=1000")  # fmt: skip
    assert gated.returncode == 0, gated.stderr


def test_the_readme_grafana_panel_and_counter_table_match_the_code() -> None:
    """The README's Grafana panel parses and queries only metrics the endpoint exports; its
    table of counters names exactly the built-in servers' counters."""
    import re

    from prometheus_client import CollectorRegistry, generate_latest

    from ecoai.footprint import Multipliers
    from ecoai.measurement.sampler import Sample
    from ecoai.sensors.fake import ScriptedSensor
    from ecoai.watch.prometheus import MetricsServer
    from ecoai.watch.rates import RecentRates

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Measuring a model server") :]
    section = section[: section.index("\n## ", 10)]
    (panel_text,) = re.findall(r"```json\n(.+?)\n```", section, re.S)
    panel = json.loads(panel_text)
    wanted = {n for t in panel["targets"] for n in re.findall(r"ecoai_\w+", t["expr"])}
    gpu = ScriptedSensor({"name": "gpu0", "component": "gpu", "power_w": 300.0}, lambda: 0.0)
    tokens = [0]
    rates = RecentRates(lambda: tokens[0])
    factors = Multipliers(pue=1.2, wue_site_l_per_kwh=0.5, wue_source_l_per_kwh=3.0,
                          cif_g_per_kwh=400.0)  # fmt: skip
    counts = {"queries": 1, "input_tokens": 1, "output_tokens": 1}
    server = MetricsServer("127.0.0.1", 0, [gpu], lambda: counts, rates, factors)
    for t_s in range(3):
        tokens[0] = 1000 * t_s
        sample = Sample(float(t_s), {"gpu0": 300.0}, {"gpu0": 300.0 * t_s})
        rates(sample)
        server(sample)
    registry = CollectorRegistry()
    registry.register(server)
    exported = set(re.findall(r"^(ecoai_\w+)", generate_latest(registry).decode(), re.M))
    assert wanted and wanted <= exported, wanted - exported
    rows = re.findall(r"^\| (vLLM|SGLang|TGI) \| (.+) \|$", section, re.M)
    table = {name: re.findall(r"`([^`]+)`", cells) for name, cells in rows}
    assert table == {
        s.server: [n for n in (s.output, s.input, s.requests, s.output_per_request) if n]
        for s in SERVERS
    }


def test_a_url_that_only_ever_answers_html_is_named() -> None:
    login = ("text/html; charset=utf-8", "<!doctype html><title>Sign in</title>")
    scraper, fed = scripted([login, login, ("text/plain", "other_metric 1\n")])
    scraper.flush()
    assert fed == []
    (note,) = scraper.notes()
    assert "none of 3 scrape(s) read the server's counters" in note
    assert "2 answered HTML, not Prometheus text" in note
    assert "1 named none of the known token counters" in note


def test_each_repeated_run_counts_its_own_server_afresh(
    ecoai_cli: CliRunner, gpu: dict[str, str], tmp_path: Path
) -> None:
    """--repeat 2 starts the server twice: each run gets its own window and start-up, and the
    second server's counters starting from zero are not a restart nor its loading a fault."""
    run, report = serve(ecoai_cli, gpu, tmp_path, "--load-s", "0.3", "--serve-s", "1",
                        "--idle-s", "0.2", profile_args=("--repeat", "2"))  # fmt: skip
    assert run.returncode == 0, run.stderr
    runs = report["measurement"]["runs"]
    assert len(runs) == 2
    for r in runs:
        work = r["work"]
        assert work["output_tokens"] == pytest.approx(1000, rel=0.1)
        assert work["last_query_s"] - work["first_query_s"] == pytest.approx(1.0, abs=0.25)
        assert work["serving_energy_j"] == pytest.approx(300.0, rel=0.2)
        assert work["startup_energy_j"] == pytest.approx(300.0 * work["first_query_s"], rel=0.01)
    assert not any("serve-metrics" in n for n in report["notes"]), report["notes"]
