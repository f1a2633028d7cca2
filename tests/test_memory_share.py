"""DRAM attribution by the process tree's share of memory in use (not by CPU-time share)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from ecoai.measurement.memory_share import MemoryShareTracker, tree_rss_gb
from ecoai.measurement.report import attributed_j


def test_share_is_tree_rss_over_memory_in_use() -> None:
    readings = iter([(1.0, 10.0), (3.0, 10.0)])
    current = next(readings)
    tracker = MemoryShareTracker(tree=lambda pid: current[0], in_use=lambda: current[1])
    assert tracker.share() is None  # nothing sampled yet
    tracker(SimpleNamespace(t_s=0.0))  # type: ignore[arg-type]
    assert tracker.polls == 0  # not started: the command is not running yet
    tracker.root_pid = 1
    tracker(SimpleNamespace(t_s=0.0))  # type: ignore[arg-type]
    current = next(readings)
    tracker(SimpleNamespace(t_s=0.1))  # type: ignore[arg-type]  # within every_s: skipped
    tracker(SimpleNamespace(t_s=0.6))  # type: ignore[arg-type]
    assert tracker.polls == 2 and tracker.share() == pytest.approx(4.0 / 20.0)


def test_share_is_capped_and_unreadable_memory_skips_the_poll() -> None:
    tracker = MemoryShareTracker(tree=lambda pid: 12.0, in_use=lambda: 10.0, root_pid=1)
    tracker.poll()
    assert tracker.share() == 1.0  # RSS counts shared pages per process: never above 1
    blind = MemoryShareTracker(tree=lambda pid: 1.0, in_use=lambda: None, root_pid=1)
    blind.poll()
    assert blind.share() is None


def test_dram_goes_by_memory_share_and_cpu_by_cpu_share() -> None:
    assert attributed_j("dram", "dram-model", 100.0, 0.5, {}, 0.02) == pytest.approx(2.0)
    assert attributed_j("cpu", "cpu-model", 100.0, 0.5, {}, 0.02) == pytest.approx(50.0)
    # memory not sampled: DRAM falls back to the CPU-time share
    assert attributed_j("dram", "dram-model", 100.0, 0.5, {}, None) == pytest.approx(50.0)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc through psutil")
def test_tree_rss_counts_a_child_holding_memory() -> None:
    code = "import sys, time\nb = bytearray(200_000_000)\nprint('ok', flush=True)\ntime.sleep(5)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ok\n"
        assert tree_rss_gb(child.pid) >= 0.2  # the 200 MB it holds, and its interpreter
        own = tree_rss_gb(os.getpid())  # a Python API block: this process counts too
        assert own >= tree_rss_gb(child.pid) + 0.005
    finally:
        child.kill()
        child.wait()


def test_memory_in_use_is_the_containers_when_a_limit_applies(tmp_path: Path) -> None:
    from ecoai.sensors.host import MemoryInUse, memory_in_use_gb

    proc, root = tmp_path / "cgroup", tmp_path / "fs"
    (root / "pod").mkdir(parents=True)
    (root / "pod" / "memory.max").write_text("4000000000\n")
    (root / "pod" / "memory.current").write_text("1500000000\n")
    proc.write_text("0::/pod\n")
    assert memory_in_use_gb(proc, root) == pytest.approx(1.5)
    in_use = MemoryInUse(proc, root)  # the tracker's reader: the source is found once
    assert in_use() == pytest.approx(1.5)
    (root / "pod" / "memory.current").write_text("2500000000\n")
    proc.write_text("garbage, not read again\n")
    assert in_use() == pytest.approx(2.5)
    proc.write_text("0::/pod\n")
    (root / "pod" / "memory.max").write_text("max\n")  # no limit: the machine's memory in use
    machine_gb = memory_in_use_gb(proc, root)
    assert machine_gb is not None and machine_gb > 0
