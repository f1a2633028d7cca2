"""Start-up, wrapping, memory and real-workload figures of issue 16, each over interleaved runs.

Run: python tests/benchmarks/bench_wrap.py [RUNS]   (not part of the test suite)
Every figure is a median with its min and max over rounds in which each command ran once, in
turn (``timing.interleaved``), so a drift of a shared machine's load hits every command alike.
Differences (ecoai minus the bare command) are taken within a round, then summarised.
ecoai's .pyc are compiled once first (``timing.compile_once``), as an installed ecoai has them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from timing import ENV, REPO, Spread, compile_once, interleaved, run_once  # noqa: E402

PY = sys.executable
ECOAI = [PY, "-m", "ecoai"]
ESTIMATE_FLAGS = [
    "--output-tokens", "300", "--tps", "96", "--ttft", "0.69", "--p-gpu-kw", "5.6",
    "--p-non-gpu-kw", "4.6", "--u-gpu-min", "0.055", "--u-gpu-max", "0.075", "--u-non-gpu",
    "0.0625", "--pue", "1.12", "--wue-site", "0.3", "--wue-source", "4.35", "--cif", "0.34",
]  # fmt: skip
COMPLETION = (
    f"source {REPO / 'completions' / 'ecoai.bash'}; COMP_WORDS=(ecoai estimate --wue-si); "
    "COMP_CWORD=2; _ecoai"
)


def walls(runs: list[list[object]]) -> list[list[float]]:
    return [[r.wall_s for r in slot] for slot in runs]  # type: ignore[attr-defined]


def cpus(runs: list[list[object]]) -> list[list[float]]:
    return [[r.cpu_s for r in slot] for slot in runs]  # type: ignore[attr-defined]


PRESET = ["--model", "gpt-4.1", "--prompt", "short"]
STARTUP = {
    "python -c pass": [PY, "-c", "pass"],
    "ecoai --help": [*ECOAI, "--help"],
    "ecoai estimate (flags), table": [*ECOAI, "estimate", *ESTIMATE_FLAGS],
    "ecoai estimate (flags) --json": [*ECOAI, "estimate", *ESTIMATE_FLAGS, "--json"],
    "ecoai estimate --model gpt-4.1 --prompt short, table": [*ECOAI, "estimate", *PRESET],
    "ecoai estimate --model gpt-4.1 --prompt short --json": [*ECOAI, "estimate", *PRESET,
                                                             "--json"],
    "bash tab completion (ecoai estimate --wue-si<TAB>)": ["bash", "-c", COMPLETION],
}  # fmt: skip


def startup_runs(runs: int) -> dict[str, tuple[Spread, Spread]]:
    """Wall and CPU time (s) of python -c pass, ecoai --help, estimate with flags and with a
    preset (table and JSON), and a bash tab completion, interleaved."""
    done = interleaved(list(STARTUP.values()), runs)
    return {
        name: (Spread.of(wall), Spread.of(cpu))
        for name, wall, cpu in zip(STARTUP, walls(done), cpus(done), strict=True)
    }


def startup(runs: int) -> dict[str, Spread]:
    """Wall time (s) of the start-up commands (``STARTUP``), interleaved."""
    return {name: wall for name, (wall, _) in startup_runs(runs).items()}


def _edges(argv: list[str], stamp: Path) -> tuple[float, float, float, float]:
    """(t0 before starting argv, child's first line, child's last line, t3 after argv exited)."""
    stamp.unlink(missing_ok=True)
    t0 = time.time()
    subprocess.run(argv, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t3 = time.time()
    first, last = (float(x) for x in stamp.read_text().split())
    return t0, first, last, t3


def wrapping(runs: int) -> dict[str, Spread]:
    """What `ecoai profile -q` adds to a command's wall time (s): in all (around python -c pass),
    before the command starts and after it ends (around a bash child stamping its first and last
    instant with $EPOCHREALTIME, minus the same for bash alone), paired within each round."""
    with tempfile.TemporaryDirectory() as tmp:
        stamp = Path(tmp) / "stamp"
        child = ["bash", "-c", f"echo $EPOCHREALTIME > {stamp}; echo $EPOCHREALTIME >> {stamp}"]
        profile = [*ECOAI, "profile", "-q", "--"]
        total, before, after = [], [], []
        for index in range(runs + 1):
            plain = run_once([PY, "-c", "pass"]).wall_s
            wrapped = run_once([*profile, PY, "-c", "pass"]).wall_s
            b0, b1, b2, b3 = _edges(child, stamp)
            p0, p1, p2, p3 = _edges([*profile, *child], stamp)
            if index:  # the first round warms the caches
                total.append(wrapped - plain)
                before.append((p1 - p0) - (b1 - b0))
                after.append((p3 - p2) - (b3 - b2))
    return {
        "in all": Spread.of(total),
        "before the command starts": Spread.of(before),
        "after the command ends": Spread.of(after),
    }


def peak_rss(runs: int, seconds: float = 5.0) -> Spread:
    """Peak RSS (bytes) of `ecoai profile -- sleep 5` (ecoai's own: sleep is ~2 MB)."""
    return Spread.of(
        [float(run_once([*ECOAI, "profile", "--", "sleep", f"{seconds:g}"]).max_rss_bytes)
         for _ in range(runs)]
    )  # fmt: skip


WORK = [PY, str(HERE / "infer_work.py")]


def _compute_s(argv: list[str]) -> float:
    done = subprocess.run(argv, env=ENV, check=True, capture_output=True, text=True)
    return float(done.stdout.split()[-1])


def _overhead_ms_per_s(report: Path) -> float:
    """The run's ``overhead_cpu_s`` per second of its duration: ecoai's sampling threads' CPU
    while the command ran, as the summary's overhead line prints it. Units: ms/s."""
    run = json.loads(report.read_text())["measurement"]["runs"][0]
    return float(run["overhead_cpu_s"]) / float(run["duration_s"]) * 1e3


def workload(pairs: int, target_s: float = 7.0) -> dict[str, Spread]:
    """Compute time of a fixed CPU inference (every core busy) plain, under `ecoai profile` at
    the default interval and at 100 Hz, interleaved; ratios to the plain run of the same round,
    and ecoai's own sampling CPU per second in those profiled runs (their reports)."""
    probe = 20  # the median of three probes: one slowed by a burst next door shrinks the work
    probe_s = statistics.median(_compute_s([*WORK, str(probe)]) for _ in range(3))
    batches = max(probe, int(probe * target_s / probe_s))
    argv = [*WORK, str(batches)]
    plain, ratio_default, ratio_fast, cpu_default, cpu_fast = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        profile = [*ECOAI, "profile", "-q", "--force", "-o", str(report)]
        default = [*profile, "--", *argv]
        fast = [*profile, "--interval-s", "0.01", "--", *argv]
        for _ in range(pairs):
            p = _compute_s(argv)
            plain.append(p)
            ratio_default.append(_compute_s(default) / p)
            cpu_default.append(_overhead_ms_per_s(report))
            ratio_fast.append(_compute_s(fast) / p)
            cpu_fast.append(_overhead_ms_per_s(report))
    return {
        "plain": Spread.of(plain),
        "default interval": Spread.of(ratio_default),
        "100 Hz": Spread.of(ratio_fast),
        "ecoai CPU, default interval": Spread.of(cpu_default),
        "ecoai CPU, 100 Hz": Spread.of(cpu_fast),
    }


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    os.environ.setdefault("PYTHONPATH", str(REPO))
    compile_once()
    for name, spread in {**startup(runs), **wrapping(runs)}.items():
        print(f"{name:60} {spread.median * 1e3:8.1f} ms ({spread.low * 1e3:.1f}-"
              f"{spread.high * 1e3:.1f})")  # fmt: skip
    rss = peak_rss(3).scaled(1 / 2**20)
    print(f"{'peak RSS, ecoai profile -- sleep 5':60} {rss.median:8.1f} MiB")
    for name, spread in workload(3).items():
        print(f"{name:60} {spread.median:8.4f} ({spread.low:.4f}-{spread.high:.4f})")


if __name__ == "__main__":
    main()
