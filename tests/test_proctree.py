"""The measured tree from /proc (children files, statm) agrees with psutil's walk of the machine."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil
import pytest

from ecoai.measurement import proctree
from ecoai.measurement.gpu_share import process_tree
from ecoai.measurement.memory_share import MemoryShareTracker

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

# a child that starts a grandchild from a second thread (listed under that thread's children
# file, not the main thread's), prints both PIDs, and waits
TREE = """
import subprocess, sys, threading, time
kids = []
def work():
    kids.append(subprocess.Popen(["sleep", "30"]))
    time.sleep(30)  # alive: an exited thread's children move to another thread of the process
threading.Thread(target=work, daemon=True).start()
while not kids:
    time.sleep(0.01)
print(kids[0].pid, flush=True)
time.sleep(30)
"""


@pytest.fixture
def tree() -> object:
    child = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE)
    assert child.stdout is not None
    grandchild = int(child.stdout.readline())
    yield child.pid, grandchild
    psutil.Process(grandchild).kill()
    child.kill()
    child.wait()


def test_descendants_include_children_of_every_thread(tree: tuple[int, int]) -> None:
    child, grandchild = tree
    main_threads = proctree._read(f"/proc/{child}/task/{child}/children")
    assert str(grandchild).encode() not in (main_threads or b"")  # not the main thread's child
    assert set(proctree.descendants(child)) == {grandchild}
    assert {child, grandchild} <= set(proctree.descendants(os.getpid()))
    assert process_tree(child) == {child, grandchild}
    psutil_view = {p.pid for p in psutil.Process(os.getpid()).children(recursive=True)}
    assert set(proctree.descendants(os.getpid())) == psutil_view


def test_rss_matches_psutil(tree: tuple[int, int]) -> None:
    child, _ = tree
    assert proctree.rss_bytes(child) == psutil.Process(child).memory_info().rss


def test_a_process_gone_has_no_tree_and_no_rss() -> None:
    done = subprocess.Popen(["true"])
    done.wait()
    assert process_tree(done.pid) == set()
    assert proctree.descendants(done.pid) == []
    assert proctree.rss_bytes(done.pid) is None


def test_psutil_walks_where_the_children_files_are_missing(
    tree: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    child, grandchild = tree
    monkeypatch.setattr(proctree, "_children_files", lambda: False)
    assert process_tree(child) == {child, grandchild}
    assert proctree.rss_bytes(child) == psutil.Process(child).memory_info().rss


def test_trackers_poll_at_most_every_interval() -> None:
    polls: list[int] = []
    tracker = MemoryShareTracker(every_s=0.5, tree=lambda pid: polls.append(pid) or 1.0,
                                 in_use=lambda: 2.0)  # fmt: skip

    class At:
        def __init__(self, t_s: float) -> None:
            self.t_s = t_s

    tracker(At(0.0))  # type: ignore[arg-type]
    assert polls == []  # the command has not started
    tracker.root_pid = 7
    for t_s in (0.0, 0.1, 0.4, 0.5, 0.9, 1.2):
        tracker(At(t_s))  # type: ignore[arg-type]
    assert polls == [7, 7, 7]  # at 0.0, 0.5 and 1.2
