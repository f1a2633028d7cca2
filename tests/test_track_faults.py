"""R15: ecoai.track never crashes the measured program; what it cannot deliver is counted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO_ROOT, CliRunner, cli_env

import ecoai
from ecoai.sensors import Discovery
from ecoai.sensors.fake import load_script

PROBE = """
import os, sys
{setup}
from ecoai import track
track.query(2, output_tokens=5)
with track.phase("decode"):
    track.query(n=float("inf"))
print("alive", track.dropped())
"""


def probe(setup: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=textwrap.dedent(setup))],
        capture_output=True, text=True, env=cli_env(**env), cwd=REPO_ROOT, timeout=20,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda d: d / "gone" / "events.jsonl", "directory removed (ecoai exited)"),
        (lambda d: d, "a directory"),
        (lambda d: Path("/dev/zero"), "a device"),
        (lambda d: d / "fifo", "a FIFO without a reader"),
    ],
)
def test_an_unwritable_event_file_is_ignored_and_counted(
    tmp_path: Path, make: Callable[[Path], Path], why: str
) -> None:
    path = make(tmp_path)
    if path.name == "fifo":
        os.mkfifo(path)
    run = probe("", {"ECOAI_EVENTS": str(path)})
    assert run.returncode == 0, (why, run.stderr)
    assert run.stdout.split() == ["alive", "4"]
    assert run.stderr.count("ecoai.track: event dropped") == 1  # warned once


def test_events_after_ecoai_has_removed_the_file_are_dropped_quietly(tmp_path: Path) -> None:
    events = tmp_path / "ecoai-events" / "events.jsonl"
    events.parent.mkdir()
    events.touch()
    setup = f"""
    from ecoai import track
    track.query()
    import shutil; shutil.rmtree({str(events.parent)!r})
    os.environ["ECOAI_EVENTS"] = {str(events)!r} + ".new"  # a new path: reopened, fails
    """
    run = probe(setup, {"ECOAI_EVENTS": str(events)})
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["alive", "4"]


def test_a_closed_stderr_does_not_break_tracking(tmp_path: Path) -> None:
    setup = "sys.stderr.close()"
    run = probe(setup, {"ECOAI_EVENTS": str(tmp_path / "missing" / "e.jsonl")})
    assert run.returncode == 0 and run.stdout.split() == ["alive", "4"]


def test_an_infinite_value_is_dropped_and_counted_never_written(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    run = probe("", {"ECOAI_EVENTS": str(path)})
    assert run.stdout.split() == ["alive", "1"]
    assert run.stderr.count("ecoai.track: event dropped (n=inf is not finite)") == 1
    from ecoai.measurement.events import EventTail

    tail = EventTail(path)
    assert len(tail.finish()) == 3 and tail.malformed == 0


@pytest.mark.parametrize(
    "call",
    [
        {"output_tokens": float("nan")},
        {"output_tokens": float("-inf")},
        {"input_tokens": -1},
        {"n": -2},
        {"n": "3"},
        {"input_tokens": True},
    ],
)
def test_a_count_that_is_not_finite_and_positive_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: dict[str, object]
) -> None:
    from ecoai import track

    path = tmp_path / "events.jsonl"
    monkeypatch.setenv("ECOAI_EVENTS", str(path))
    before = track.dropped()
    track.query(**call)  # type: ignore[arg-type]
    track.query(output_tokens=3)
    assert track.dropped() == before + 1
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["output_tokens"] == 3  # valid JSON only
    assert "NaN" not in path.read_text() and "Infinity" not in path.read_text()


def test_numpy_like_scalars_are_written_as_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fractions import Fraction

    from ecoai import track

    class Int64:
        def __index__(self) -> int:
            return 7

    path = tmp_path / "events.jsonl"
    monkeypatch.setenv("ECOAI_EVENTS", str(path))
    track.query(Int64(), output_tokens=Fraction(9, 1))  # type: ignore[arg-type]
    line = json.loads(path.read_text())
    assert (line["n"], line["output_tokens"]) == (7, 9.0)


def test_measure_drops_and_counts_a_non_finite_or_negative_count(tmp_path: Path) -> None:
    from ecoai import track

    script = tmp_path / "sensors.json"
    script.write_text(json.dumps({"sensors": [{"name": "g", "component": "gpu", "power_w": 1}]}))

    def scripted() -> Discovery:
        return load_script(script)

    before = track.dropped()
    with ecoai.measure(discover=scripted, pue=1.2, wue_site_l_per_kwh=0.5,
                       wue_source_l_per_kwh=3.0, cif_kg_per_kwh=0.4) as m:  # fmt: skip
        track.query(n=float("inf"))  # type: ignore[arg-type]
        track.query(output_tokens=float("nan"))  # type: ignore[arg-type]
        track.query(input_tokens=-1)
        track.query(output_tokens=4)
    assert track.dropped() == before + 3
    assert m.report.measurement is not None
    (run,) = m.report.measurement.runs
    assert run.work is not None
    assert (run.work.queries, run.work.output_tokens, run.work.input_tokens) == (1, 4, 0)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_a_child_that_drops_privileges_still_reports(ecoai_cli: CliRunner) -> None:
    import tempfile

    lib = Path(tempfile.mkdtemp(prefix="ecoai-track-"))  # readable by nobody (pytest's is 0700)
    lib.chmod(0o755)
    shutil.copy(REPO_ROOT / "ecoai" / "track.py", lib / "ecoai_track.py")
    (lib / "ecoai_track.py").chmod(0o644)
    code = f"import sys; sys.path.insert(0, {str(lib)!r}); import ecoai_track as t; t.query(3)"
    run = ecoai_cli(
        "profile", "-q", "--scope", "machine", "--sensors", "cpu-model", "-o", "-", "-f", "json",
        "--", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        sys.executable, "-I", "-c", code,
    )  # fmt: skip
    shutil.rmtree(lib)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    work = json.loads(run.stdout)["measurement"]["runs"][0]["work"]
    assert work["queries"] == 3


def test_a_phase_name_that_is_not_text_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecoai import track

    path = tmp_path / "events.jsonl"
    monkeypatch.setenv("ECOAI_EVENTS", str(path))
    before = track.dropped()
    track.start(float("nan"))  # type: ignore[arg-type]
    track.end(None)  # type: ignore[arg-type]
    assert track.dropped() == before + 2
    assert not path.exists() or path.read_text() == ""
