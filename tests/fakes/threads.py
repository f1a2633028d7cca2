"""A fixture that fails a test which leaves a sampler thread running."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest


@pytest.fixture
def no_thread_leak() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not [t.name for t in leaked if t.name.startswith("ecoai")], leaked
