"""Tell ecoai what a program does: queries, tokens and phases. Standard library only.

    from ecoai import track
    with track.phase("load"):
        model = load()
    for request in requests:
        with track.phase("decode"):
            text = generate(request)
        track.query(input_tokens=len(request), output_tokens=len(text))

Under ``ecoai profile`` each call appends one line to the file named by ``ECOAI_EVENTS`` (the
format is in ``ecoai.measurement.events``); inside ``with ecoai.measure()`` the block receives it
directly.
Otherwise every call does nothing. Writes are single ``os.write`` calls on an ``O_APPEND``
descriptor: safe from several threads and processes at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

ENV = "ECOAI_EVENTS"

_sinks: list[Callable[[dict[str, Any]], None]] = []
"""In-process receivers (``ecoai.measure`` blocks), newest last."""
_lock = threading.Lock()
_fd: tuple[str, int, int] | None = None
"""(path, pid, descriptor) of the open event file: reopened after a fork or a new path."""


def query(n: int = 1, *, input_tokens: int = 0, output_tokens: int = 0) -> None:
    """Record ``n`` queries served, with their input and output tokens."""
    _emit(
        {
            "event": "query",
            "n": n,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "t": time.time(),
        }
    )


def start(name: str) -> None:
    """Record that phase ``name`` (load, prefill, decode, ...) starts now."""
    _emit({"event": "phase", "name": name, "edge": "start", "t": time.time()})


def end(name: str) -> None:
    """Record that phase ``name`` ends now."""
    _emit({"event": "phase", "name": name, "edge": "end", "t": time.time()})


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """A block that is phase ``name``; also a decorator (``@track.phase("decode")``)."""
    start(name)
    try:
        yield
    finally:
        end(name)


def active() -> bool:
    """True when something is listening (ecoai profile or an ecoai.measure block)."""
    return bool(_sinks) or bool(os.environ.get(ENV))


def _emit(event: dict[str, Any]) -> None:
    for sink in list(_sinks):
        sink(event)
    path = os.environ.get(ENV)
    if path:
        line = (json.dumps(event, separators=(",", ":")) + "\n").encode()
        os.write(_descriptor(path), line)


def _descriptor(path: str) -> int:
    global _fd
    with _lock:
        if _fd is None or _fd[0] != path or _fd[1] != os.getpid():
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            _fd = (path, os.getpid(), fd)
        return _fd[2]
