"""Apple Silicon: CPU, GPU and Neural Engine (ANE) power from ``powermetrics`` or ``macmon``.

Two routes to the same IOReport energy model of the SoC, tried in this order:

- ``powermetrics`` (macOS's own tool, needs root): ``powermetrics --samplers
  cpu_power,gpu_power,ane_power --format plist -i <ms>`` writes one plist document per sample,
  each ended by a NUL byte. A document holds ``elapsed_ns`` (the sample's length) and a
  ``processor`` dictionary with ``cpu_energy``, ``gpu_energy``, ``ane_energy`` (mJ over the
  sample) and ``cpu_power``, ``gpu_power``, ``ane_power``, ``combined_power`` (mW, the sample's
  mean); older releases lack the ``*_power`` keys, newer ones may lack ``*_energy``: energy is
  used where present, else power x elapsed time. Not root: skipped with the fix (run ecoai with
  sudo, or install macmon).
- ``macmon`` (https://github.com/vladkens/macmon, ``brew install macmon``, no root): ``macmon
  pipe -i <ms>`` writes one JSON object per line, each the means over one interval of ``<ms>``:
  ``cpu_power``, ``gpu_power``, ``ane_power``, ``ram_power`` (W), ``all_power`` (CPU + GPU +
  ANE) and ``sys_power`` (the whole Mac).

The tool runs beside the command for the whole measurement; a reader thread adds each sample's
energy to a per-part total as it arrives, so each sensor is a coarse counter (J) that advances
once per sample, and the counter checks (``max_power_w``) apply to it as to any other. The ANE
has no component of its own: it is read as an accelerator beside the GPU (component ``gpu``,
named ``...:ane``), and says so. Tests feed recorded outputs written from these formats through
an injected ``spawn``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol

from ecoai.sensors.base import Discovery, Reading, skip

if TYPE_CHECKING:
    from ecoai.models import Component, SensorMethod, SensorScope

INTERVAL_MS = 200
"""How often the tool reports (ms): a sample's energy is counted when it arrives, so the last
partial interval of a run (at most this long) is not counted."""

FALLBACK_MAX_POWER_W = 960.0
"""A part's ceiling for one interval's mean power: twice the highest maximum continuous power
Apple lists for an Apple Silicon Mac (Mac Studio with M3 Ultra, 480 W, technical specifications),
so only impossible intervals are caught."""

ROOT_HINT = (
    "powermetrics needs root: run `sudo ecoai profile ...`, or install macmon "
    "(`brew install macmon`) for the sudo-less route"
)
MACMON_HINT = "install macmon (`brew install macmon`, no root needed), or run ecoai with sudo"

PARTS: dict[str, tuple[Component, SensorScope, str]] = {
    "cpu": ("cpu", "machine", "every CPU cluster of the SoC (E and P cores)"),
    "gpu": ("gpu", "device", "the SoC's GPU"),
    "ane": ("gpu", "device", "the Apple Neural Engine, an accelerator counted beside the GPU"),
    "dram": ("dram", "machine", "the unified memory (macmon's ram_power)"),
}
"""Part -> (component, scope, what it covers)."""


@dataclass(frozen=True)
class AppleSample:
    """One sample of the tool: its length (s) and each part's mean power over it (W)."""

    interval_s: float
    power_w: dict[str, float]


def parse_powermetrics(document: bytes) -> AppleSample:
    """One plist document of ``powermetrics --format plist`` -> its sample (ValueError if bad)."""
    import plistlib  # here, not at the top: discovery loads this module on every platform

    try:
        data = plistlib.loads(document.strip(b"\x00\n\r\t "))
    except Exception as error:  # plistlib raises several types for a truncated document
        raise ValueError(f"not a powermetrics plist: {error}") from error
    processor = data.get("processor") if isinstance(data, dict) else None
    elapsed_ns = _number(data.get("elapsed_ns")) if isinstance(data, dict) else None
    if not isinstance(processor, dict) or elapsed_ns is None or elapsed_ns <= 0:
        raise ValueError("powermetrics plist without processor or elapsed_ns")
    interval_s = elapsed_ns / 1e9
    power_w: dict[str, float] = {}
    for part in ("cpu", "gpu", "ane"):
        energy_mj = _number(processor.get(f"{part}_energy"))
        mean_mw = _number(processor.get(f"{part}_power"))
        if energy_mj is not None:
            power_w[part] = energy_mj / 1e3 / interval_s
        elif mean_mw is not None:
            power_w[part] = mean_mw / 1e3
    if not power_w:
        raise ValueError("powermetrics plist without cpu/gpu/ane energy or power")
    return AppleSample(interval_s, power_w)


def parse_macmon(line: str, interval_s: float) -> AppleSample:
    """One line of ``macmon pipe`` (a JSON object, powers in W) -> its sample."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not a macmon JSON line: {error}") from error
    if not isinstance(data, dict):
        raise ValueError("macmon line is not a JSON object")
    power_w = {
        part: value
        for part, key in (("cpu", "cpu_power"), ("gpu", "gpu_power"), ("ane", "ane_power"))
        if (value := _number(data.get(key))) is not None
    }
    if (ram_w := _number(data.get("ram_power"))) is not None:
        power_w["dram"] = ram_w
    if not power_w:
        raise ValueError("macmon line without cpu_power/gpu_power/ane_power")
    return AppleSample(interval_s, power_w)


def split_plists(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete NUL-ended documents in ``buffer``, and the unfinished rest."""
    *done, rest = buffer.split(b"\x00")
    return [d for d in done if d.strip()], rest


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


class Process(Protocol):
    """What the stream needs of a started tool (subprocess.Popen's names)."""

    stdout: IO[bytes] | None
    stderr: IO[bytes] | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


Spawn = Callable[[list[str]], Process]


def _spawn(argv: list[str]) -> Process:
    return subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


class AppleStream:
    """A running powermetrics or macmon, its samples summed per part as they arrive. Units: J."""

    def __init__(self, tool: str, argv: list[str], spawn: Spawn, interval_s: float) -> None:
        self.tool = tool
        self.argv = argv
        self.interval_s = interval_s
        self.energy_j: dict[str, float] = {}
        self.last_power_w: dict[str, float] = {}
        """Each part's mean power over the latest sample (W)."""
        self.samples = 0
        self.bad_samples = 0
        """Samples that did not parse (a truncated document, a line of another format)."""
        self.error: str | None = None
        self.parts: set[str] = set()
        """The parts the samples so far reported."""
        self.users = 0
        self._first = threading.Event()
        self._said: dict[str, str] = {}
        self.exit_detail: str | None = None
        """How the tool ended (set by the reader thread once its output closed)."""
        self._lock = threading.Lock()
        self._process = spawn(argv)
        self._thread = threading.Thread(target=self._pump, name=f"ecoai-{tool}", daemon=True)
        self._thread.start()

    def _samples(self, stdout: IO[bytes]) -> Iterator[AppleSample]:
        if self.tool == "powermetrics":
            read = getattr(stdout, "read1", stdout.read)  # what has arrived, not a full block
            rest = b""
            for chunk in iter(lambda: read(65536), b""):
                documents, rest = split_plists(rest + chunk)
                yield from self._parsed(documents, parse_powermetrics)
        else:
            for line in stdout:
                if line.strip():
                    yield from self._parsed([line], self._macmon)

    def _macmon(self, raw: bytes) -> AppleSample:
        return parse_macmon(raw.decode("utf-8", "replace"), self.interval_s)

    def _parsed(
        self, raws: list[bytes], parse: Callable[[bytes], AppleSample]
    ) -> Iterator[AppleSample]:
        for raw in raws:
            try:
                yield parse(raw)
            except ValueError:
                self.bad_samples += 1

    def _pump(self) -> None:
        stdout = self._process.stdout
        if stdout is None:
            self.error = f"{self.tool} has no output"
            return
        try:
            for sample in self._samples(stdout):
                with self._lock:
                    for part, power_w in sample.power_w.items():
                        if power_w >= 0:
                            added_j = power_w * sample.interval_s
                            self.energy_j[part] = self.energy_j.get(part, 0.0) + added_j
                        self.last_power_w[part] = power_w
                    self.samples += 1
                    self.parts.update(sample.power_w)
                    self._first.set()
        except (OSError, ValueError) as error:
            self.error = f"{self.tool} output unreadable: {error}"
            return
        code = self._process.poll()
        self.exit_detail = _exit_text(self._process, code, self._said)
        self.error = f"{self.tool} exited ({self.exit_detail})"

    def total_j(self, part: str) -> float:
        """Energy of ``part`` over the samples so far; OSError once the tool has stopped."""
        with self._lock:
            if self.error is not None and not self._thread.is_alive():
                raise OSError(self.error)
            return self.energy_j.get(part, 0.0)

    def first_sample(self, wait_s: float) -> str | None:
        """Wait up to ``wait_s`` for the first sample: why the tool stopped first (no root, a bad
        flag), else None (a sample came, or the tool is still starting)."""
        deadline = time.monotonic() + wait_s
        while not self._first.wait(0.05):
            code = self._process.poll()
            if code is not None:
                self._thread.join(timeout=1.0)
                if self._first.is_set():
                    return None
                detail = self.exit_detail or _exit_text(self._process, code, self._said)
                return f"{self.tool} exited at start ({detail})"
            if time.monotonic() >= deadline:
                return None
        return None

    def close(self) -> None:
        self.users -= 1
        if self.users > 0:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=2.0)
        self._thread.join(timeout=2.0)


def _exit_text(process: Process, code: int | None, cache: dict[str, str]) -> str:
    """``status N: <first line the tool wrote on stderr>`` (stderr read once, then cached)."""
    if "said" not in cache:
        said = b""
        if process.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                said = process.stderr.read(2000) or b""
        lines = said.decode("utf-8", "replace").strip().splitlines()
        cache["said"] = lines[0] if lines else ""
    return f"status {code}" + (f": {cache['said']}" if cache["said"] else "")


class AppleSensor:
    """One part (CPU, GPU, ANE, DRAM) of a running stream: a counter that advances per sample."""

    method: SensorMethod = "counter"

    def __init__(self, stream: AppleStream, part: str, clock: Callable[[], float]) -> None:
        component, scope, covers = PARTS[part]
        self.stream = stream
        self.part = part
        self.name = f"{stream.tool}:{part}"
        self.component: Component = component
        self.scope: SensorScope = scope
        self.facts = {
            "tool": stream.tool,
            "part": part,
            "interval_ms": f"{stream.interval_s * 1e3:g}",
        }
        self.assumptions = [
            f"{covers}, from {stream.tool}'s samples (Apple's IOReport energy model of the SoC); "
            f"each sample's energy is counted when it arrives, so up to {stream.interval_s:g} s "
            "at the end of a run is not"
        ]
        self.max_power_w = FALLBACK_MAX_POWER_W
        self.max_power_source = "twice the highest continuous power of an Apple Silicon Mac"
        self._clock = clock
        stream.users += 1

    def read(self) -> Reading:
        return Reading(self._clock(), energy_j=self.stream.total_j(self.part))

    def read_power_w(self) -> float | None:
        """The part's mean power over the latest sample (W): what bridges a stalled stream."""
        return self.stream.last_power_w.get(self.part)

    def close(self) -> None:
        self.stream.close()


@dataclass(frozen=True)
class MacHost:
    """What discovery needs to know about the machine (injected in tests)."""

    platform: str = sys.platform
    machine: str = os.uname().machine if hasattr(os, "uname") else ""
    euid: int = os.geteuid() if hasattr(os, "geteuid") else -1
    which: Callable[[str], str | None] = shutil.which


def mac_host() -> MacHost:
    """This machine (tests replace it)."""
    return MacHost()


def _not_apple_silicon(host: MacHost) -> str | None:
    if host.platform != "darwin":
        return f"not macOS (platform {host.platform})"
    if host.machine != "arm64":
        return f"not Apple Silicon (machine {host.machine})"
    return None


def open_apple(
    tool: str,
    host: MacHost | None = None,
    spawn: Spawn | None = None,
    clock: Callable[[], float] | None = None,
    interval_ms: int = INTERVAL_MS,
    start_wait_s: float = 2.0,
) -> Discovery:
    """Start ``tool`` (powermetrics or macmon) and open a sensor per part it reports.

    Waits up to ``start_wait_s`` for the first sample (the parts it reports get a sensor).
    Skips (with the fix) where this is not Apple Silicon, the tool is not installed,
    powermetrics is not run as root, or the tool exits before its first sample."""
    host = host or mac_host()
    if (reason := _not_apple_silicon(host)) is not None:
        return Discovery(skipped=[skip(tool, reason)])
    path = host.which(tool)
    if path is None:
        hint = ROOT_HINT if tool == "powermetrics" else MACMON_HINT
        return Discovery(skipped=[skip(tool, f"{tool} not found on PATH: {hint}")])
    if tool == "powermetrics":
        if host.euid != 0:
            return Discovery(skipped=[skip(tool, ROOT_HINT)])
        argv = [path, "--samplers", "cpu_power,gpu_power,ane_power", "--format", "plist"]
        argv += ["-i", str(interval_ms)]
    else:
        argv = [path, "pipe", "-i", str(interval_ms)]
    try:
        stream = AppleStream(tool, argv, spawn or _spawn, interval_ms / 1e3)
    except OSError as error:
        return Discovery(skipped=[skip(tool, f"cannot start {tool}: {error}")])
    if (exited := stream.first_sample(start_wait_s)) is not None:
        hint = ROOT_HINT if tool == "powermetrics" else MACMON_HINT
        return Discovery(skipped=[skip(tool, f"{exited}; {hint}")])
    # the parts the first sample reported (a part never reported would read a silent zero);
    # the documented CPU, GPU and ANE if the first sample is still on its way
    parts = [p for p in PARTS if p in stream.parts] or ["cpu", "gpu", "ane"]
    found = Discovery(sensors=[AppleSensor(stream, p, clock or time.monotonic) for p in parts])
    found.skipped += [
        skip(f"{tool}:{part}", f"{tool}'s first sample did not report it")
        for part in PARTS
        if part not in parts and stream.samples
    ]
    return found
