"""``--timeline FILE``: every sample written as it is taken, CSV or JSON lines by extension.

Nothing is kept in memory: each sample becomes one row, flushed at least every second, so
the file can be followed (``tail -f``) while the command runs and memory stays flat for days.
"""

from __future__ import annotations

import csv
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from ecoai.errors import InputError
from ecoai.measurement.sampler import Sample
from ecoai.sensors import Sensor

JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")


def timeline_kind(path: Path) -> str:
    """'csv' or 'jsonl' from the file's extension; anything else is an input error."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in JSON_SUFFIXES:
        return "jsonl"
    raise InputError(
        f"--timeline {path}: unknown extension {suffix or '(none)'!r}",
        "name the file .csv or .jsonl",
    )


def csv_header(sensors: Sequence[Sensor]) -> list[str]:
    """Columns: time since start, Unix time, then power and energy so far per sensor and total."""
    names = [s.name for s in sensors]
    return [
        "t_s",
        "unix_s",
        *(f"{n}_power_w" for n in names),
        "total_power_w",
        *(f"{n}_energy_j" for n in names),
        "total_energy_j",
    ]


class TimelineWriter:
    """A sampler listener appending one row per sample to ``path``."""

    def __init__(
        self,
        path: Path,
        sensors: Sequence[Sensor],
        flush_every_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind = timeline_kind(path)
        self.names = [s.name for s in sensors]
        self.flush_every_s = flush_every_s
        self.clock = clock
        self.rows = 0
        self.error: str | None = None
        """Why writing stopped (e.g. the disk is full); None while all is well."""
        self._unix_offset_s = time.time() - time.monotonic()
        self._origin_s: float | None = None
        self._flushed_s = clock()
        self._lock = threading.Lock()
        from ecoai.files import open_stream

        self._file: TextIO = open_stream(str(path))
        self._csv = csv.writer(self._file, lineterminator="\n")
        if self.kind == "csv":
            try:
                self._csv.writerow(csv_header(sensors))
            except OSError as error:
                self._fail(error)

    def __call__(self, sample: Sample) -> None:
        with self._lock:
            if self._file.closed or self.error is not None:
                return
            try:
                self._write(sample)
            except OSError as error:  # a full disk ends the timeline, never the run
                self._fail(error)

    def _write(self, sample: Sample) -> None:
        if self._origin_s is None:
            self._origin_s = sample.t_s
        t_s = round(sample.t_s - self._origin_s, 6)
        unix_s = round(sample.t_s + self._unix_offset_s, 3)
        if self.kind == "csv":
            powers = [sample.power_w.get(n) for n in self.names]
            energies = [sample.energy_j.get(n, 0.0) for n in self.names]
            total_w = sum(p for p in powers if p is not None)
            cells = [*("" if p is None else f"{p:.6g}" for p in powers), f"{total_w:.6g}"]
            cells += [*(f"{e:.6g}" for e in energies), f"{sum(energies):.6g}"]
            self._csv.writerow([t_s, unix_s, *cells])
        else:
            row = {
                "t_s": t_s,
                "unix_s": unix_s,
                "power_w": sample.power_w,
                "energy_j": sample.energy_j,
            }
            self._file.write(json.dumps(row, separators=(",", ":")) + "\n")
        self.rows += 1
        if self.clock() - self._flushed_s >= self.flush_every_s:
            self._file.flush()
            self._flushed_s = self.clock()

    def close(self) -> None:
        """Flush and close the file (idempotent); a failure is kept in ``error``, not raised."""
        with self._lock:
            try:
                self._file.close()
            except OSError as error:
                self._fail(error)

    def _fail(self, error: OSError) -> None:
        if self.error is None:
            self.error = f"cannot write: {error.strerror or error}"
        try:
            self._file.close()
        except OSError:
            # the buffer could not be flushed: drop it, so closing again cannot fail
            self._file = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
            self._file.close()
