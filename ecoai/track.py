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

Tracking never breaks the program it measures: when the event file cannot be written (ecoai has
exited and removed it, a child dropped privileges, ``ECOAI_EVENTS`` names a missing directory, a
FIFO or a device), a value cannot be encoded or a count is not a finite number of at least 0
(NaN, infinity, -1: never written), the event is dropped and counted in
``dropped()``; the first such event prints one warning line on stderr. Only regular files are
written (a FIFO without a reader would raise SIGPIPE or block).
"""

from __future__ import annotations

import contextlib
import json
import math
import operator
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

ENV = "ECOAI_EVENTS"

_sinks: list[Callable[[dict[str, Any]], None]] = []
"""In-process receivers (``ecoai.measure`` blocks), newest last."""
_lock = threading.Lock()
_fd: tuple[str, int, int | None] | None = None
"""(path, pid, descriptor or None when it cannot be written): reopened after a fork or a new
path."""
_dropped = 0
_warned = False


def query(n: int = 1, *, input_tokens: int = 0, output_tokens: int = 0) -> None:
    """Record ``n`` queries served, with their input and output tokens.

    A count that is not a finite number of at least 0 (NaN, infinity, -1, a string) drops the
    event: counted in ``dropped()``, warned about once, never written or delivered.
    """
    if not active():
        return
    counts = {"n": n, "input_tokens": input_tokens, "output_tokens": output_tokens}
    for name, value in counts.items():
        bad = _bad_count(value)
        if bad:
            _drop(f"{name}={value!r} is {bad}")
            return
    _emit({"event": "query", **counts, "t": time.time()})


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


def dropped() -> int:
    """Events this process could not deliver (unwritable event file, unencodable value)."""
    return _dropped


def _emit(event: dict[str, Any]) -> None:
    try:
        event = {key: _plain(value) for key, value in event.items()}
        if "name" in event and not isinstance(event["name"], str):
            raise TypeError(f"a phase name is text, got {event['name']!r}")
        for key, value in event.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{key}={value!r} is not finite")  # before any sink sees it
        for sink in list(_sinks):
            sink(event)
        path = os.environ.get(ENV)
        if path:
            # allow_nan=False: a non-finite value raises (dropped) instead of writing NaN.
            text = json.dumps(event, separators=(",", ":"), default=str, allow_nan=False)
            line = (text + "\n").encode()
            fd = _descriptor(path)
            if fd is None:
                _drop(f"cannot write to {path}")
            else:
                os.write(fd, line)
    except Exception as error:  # never the measured program's problem
        _drop(f"{type(error).__name__}: {error}")


def _bad_count(value: Any) -> str | None:
    """Why ``value`` is not a count (None when it is one: a finite number, 0 or more)."""
    if isinstance(value, bool | str):
        return "not a number"
    try:
        number = float(_plain(value))
    except Exception:
        return "not a number"
    if not math.isfinite(number):
        return "not finite"
    return "negative" if number < 0 else None


def _plain(value: Any) -> Any:
    """numpy or torch scalars as plain int or float (JSON has no others)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    try:
        return operator.index(value)
    except TypeError:
        return float(value)


def _drop(why: str) -> None:
    global _dropped, _warned
    with _lock:
        _dropped += 1
        if _warned:
            return
        _warned = True
    with contextlib.suppress(Exception):  # stderr closed or gone: nothing more to do
        sys.stderr.write(f"ecoai.track: event dropped ({why}); later ones are dropped quietly\n")
        sys.stderr.flush()


def _descriptor(path: str) -> int | None:
    """The open event file, or None when it cannot be written (tried once per path and PID)."""
    global _fd
    with _lock:
        if _fd is None or _fd[0] != path or _fd[1] != os.getpid():
            _fd = (path, os.getpid(), _open(path))
        return _fd[2]


def _open(path: str) -> int | None:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(path, flags, 0o644)
    except (OSError, ValueError):  # gone, no permission, FIFO without a reader, NUL in the path
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None
