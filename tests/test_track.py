"""ecoai.track: a no-op outside ecoai, JSON lines under it, standard library only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_probe

from ecoai import track
from ecoai.measurement.events import EventTail, PhaseEdge, Query


def test_does_nothing_when_not_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOAI_EVENTS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert not track.active()
    track.query(output_tokens=3)
    with track.phase("x"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_writes_lines_ecoai_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "events.jsonl"
    monkeypatch.setenv("ECOAI_EVENTS", str(path))

    @track.phase("decode")
    def generate() -> None:
        track.query(2, input_tokens=5, output_tokens=9)

    generate()
    events = EventTail(path).finish()
    assert [type(e) for e in events] == [PhaseEdge, Query, PhaseEdge]
    assert events[1] == Query(2, 5, 9, events[1].t_s)
    assert all(json.loads(line)["t"] > 1.7e9 for line in path.read_text().splitlines())


def test_imports_only_the_standard_library() -> None:
    probe = (
        "import sys\nbefore = set(sys.modules)\nfrom ecoai import track\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(sorted(new - set(sys.stdlib_module_names) - {'ecoai'}))"
    )
    run = run_probe(probe)
    assert run.stdout.strip() == "[]"
