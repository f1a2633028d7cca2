"""AMD GPUs through ROCm's ``amdsmi`` Python package: the energy counter where it works, else power.

Names and units (AMD SMI Python API, ROCm/amdsmi ``py-interface``):

- ``amdsmi_get_energy_count(h)`` -> ``{"energy_accumulator" (``"power"`` before ROCm 6.1),
  "counter_resolution", "timestamp"}``: energy = accumulator x resolution, in uJ;
- ``amdsmi_get_power_info(h)`` -> ``socket_power`` (ROCm 7), ``current_socket_power`` (MI300
  and newer) or ``average_socket_power`` (older boards), in W; a field a board lacks reads
  ``"N/A"``;
- ``amdsmi_get_power_cap_info(h)["max_power_cap"]`` / ``["power_cap"]``: uW.

The counter is known to be wrong on some boards (ROCm/amdsmi#22: the same value on every read):
it is used where readable, and every interval goes through the shared counter-plausibility check
(a stall while power is drawn, a spike over ``max_power_w``), bridged by ``read_power_w``.
The sensor passes the accumulator through as it is (like NVML's counter): a backwards step (a
reset) is bridged by that check with power readings, never negative. ``amdsmi`` is an optional
extra (``pip install 'ecoai[amd]'``), imported by the opener in ``ecoai.sensors`` only; tests
pass a fake with the same names.

Sharing: ``amdsmi_get_gpu_process_list(h)`` -> ``[{"pid", "engine_usage": {"gfx", "enc"} (ns of
engine time since the process started), ...}]``: a GPU used by processes outside the command's
tree is shared, and attributed by the tree's share of GFX engine time, as NVML's GPUs are by SM
utilisation (``ProcessAwareSensor``).

Visibility: ``ROCR_VISIBLE_DEVICES`` selects among the GPUs first, then ``HIP_VISIBLE_DEVICES``
(or ``CUDA_VISIBLE_DEVICES``, which HIP honours as the same variable) indexes what is left
(ROCm documentation, "GPU isolation techniques"). Entries are indexes or UUIDs.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ecoai import units
from ecoai.sensors.base import Discovery, Reading, Skip, skip
from ecoai.sensors.counters import HEADROOM
from ecoai.sensors.sysfs import uw_to_w

if TYPE_CHECKING:
    from ecoai.models import Component, SensorMethod, SensorScope

FALLBACK_MAX_POWER_W = 2000.0
"""A board's ceiling when no power cap is readable: about twice the highest AMD board power on
sale (Instinct MI355X: 1400 W, AMD datasheet), so only impossible intervals are caught."""

POWER_FIELDS = ("socket_power", "current_socket_power", "average_socket_power")
"""``amdsmi_get_power_info`` fields in order of preference (W)."""

PERMISSION_HINT = (
    "amdsmi needs read access to /dev/kfd and /dev/dri/renderD*: add the user to the 'render' "
    "and 'video' groups (or run as root)"
)


def _number(value: Any) -> float | None:
    """A finite non-negative number from an amdsmi field, or None ("N/A", missing, garbage)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


class AmdSmiSensor:
    """One AMD GPU. Units: counter uJ (accumulator x resolution), power W; readings J and W."""

    component: Component = "gpu"
    scope: SensorScope = "device"
    method: SensorMethod

    def __init__(
        self,
        amd: Any,
        handle: Any,
        index: int,
        use_counter: bool,
        facts: dict[str, str],
        clock: Callable[[], float],
        on_close: Callable[[], None],
    ) -> None:
        self.amd = amd
        self.handle = handle
        self.index = index
        self.name = f"amdsmi:{index}"
        self.method = "counter" if use_counter else "power"
        self.facts = facts
        self.assumptions: list[str] = []
        if not use_counter:
            self.assumptions.append(
                "energy counter not readable on this GPU: power readings integrated over time"
            )
        # the ceiling each interval is checked against (shared counter-plausibility check). W.
        self.max_power_w, self.max_power_source = max_power(amd, handle)
        self._clock = clock
        self._on_close = on_close
        self._closed = False
        self._gfx_ns: dict[int, float] | None = None

    def read(self) -> Reading:
        t_s = self._clock()
        if self.method == "counter":
            raw_uj = counter_uj(self.amd.amdsmi_get_energy_count(self.handle))
            if raw_uj is None:
                raise ValueError("amdsmi returned no energy accumulator")
            return Reading(t_s, energy_j=units.uj_to_j(raw_uj))  # the check judges each step
        return Reading(t_s, power_w=self.read_power_w())

    def read_power_w(self) -> float:
        """The board's power now (socket power, the first field the board fills). Units: W."""
        power_w = board_power_w(self.amd.amdsmi_get_power_info(self.handle))
        if power_w is None:
            raise ValueError("amdsmi returned no socket power")
        return power_w

    def process_ids(self) -> set[int]:
        """PIDs using this GPU (``amdsmi_get_gpu_process_list``)."""
        return {int(p["pid"]) for p in self.amd.amdsmi_get_gpu_process_list(self.handle)}

    def sm_utilisation(self, since_us: int) -> tuple[dict[int, float], int]:
        """Per-PID GFX engine time (ns) since the previous call (``engine_usage["gfx"]``, each
        process's total since it started): weights the share tracker compares, like NVML's SM
        utilisation. A process already running at the first call counts from then on; one first
        seen later counts whole (it started in between)."""
        now_us = max(since_us + 1, time.monotonic_ns() // 1000)
        usage: dict[int, float] = {}
        for process in self.amd.amdsmi_get_gpu_process_list(self.handle):
            gfx = (process.get("engine_usage") or {}).get("gfx")
            if isinstance(gfx, int | float) and not isinstance(gfx, bool) and gfx >= 0:
                usage[int(process["pid"])] = float(gfx)
        if self._gfx_ns is None:  # the first call: where each process stands now
            self._gfx_ns = usage
            return {}, now_us
        deltas = {pid: max(0.0, ns - self._gfx_ns.get(pid, 0.0)) for pid, ns in usage.items()}
        self._gfx_ns = usage
        return {pid: ns for pid, ns in deltas.items() if ns > 0}, now_us

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._on_close()


def counter_uj(answer: Any) -> float | None:
    """Energy (uJ) from ``amdsmi_get_energy_count``: accumulator x counter resolution."""
    if not isinstance(answer, dict):
        return None
    ticks = _number(answer.get("energy_accumulator", answer.get("power")))
    resolution = _number(answer.get("counter_resolution"))
    if ticks is None or resolution is None or resolution == 0:
        return None
    return ticks * resolution


def board_power_w(answer: Any) -> float | None:
    """Socket power (W) from ``amdsmi_get_power_info``: the first field the board fills."""
    if not isinstance(answer, dict):
        return None
    for key in POWER_FIELDS:
        value = _number(answer.get(key))
        if value is not None and value > 0:
            return value
    return None


def max_power(amd: Any, handle: Any) -> tuple[float, str]:
    """The board's ceiling for one interval's mean power (W), and where it comes from:
    ``HEADROOM`` x the highest power cap (uW), else ``FALLBACK_MAX_POWER_W``."""
    caps_w: list[float] = []
    with contextlib.suppress(Exception):  # any failure of the library: the stated fallback
        info = amd.amdsmi_get_power_cap_info(handle)
        for key in ("max_power_cap", "power_cap"):
            value = _number(info.get(key))
            if value is not None and 0 < value < 1e10:
                caps_w.append(uw_to_w(value))
    if not caps_w:
        return FALLBACK_MAX_POWER_W, "no power cap readable: a generous bound for any GPU"
    return HEADROOM * max(caps_w), f"{HEADROOM:g} x the highest power cap, {max(caps_w):.0f} W"


class _Session:
    """amdsmi_init once, amdsmi_shut_down when the last sensor closes."""

    def __init__(self, amd: Any) -> None:
        self.amd = amd
        self.users = 0

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            with contextlib.suppress(Exception):  # a library going away: nothing to report
                self.amd.amdsmi_shut_down()


def open_amdsmi(
    amd: Any,
    rocr_visible: str | None = None,
    hip_visible: str | None = None,
    clock: Callable[[], float] | None = None,
) -> Discovery:
    """Open a sensor per AMD GPU the child can see; every GPU or failure not used is a skip."""
    error_type = getattr(amd, "AmdSmiException", Exception)
    try:
        flags = getattr(amd, "AmdSmiInitFlags", None)
        if flags is not None and hasattr(flags, "INIT_AMD_GPUS"):
            amd.amdsmi_init(flags.INIT_AMD_GPUS)
        else:
            amd.amdsmi_init()
    except PermissionError:
        return Discovery(skipped=[skip("amdsmi", f"permission denied: {PERMISSION_HINT}")])
    except error_type as error:
        return Discovery(skipped=[skip("amdsmi", f"amdsmi did not initialise: {error}")])
    session = _Session(amd)
    session.users += 1  # held while opening
    found = Discovery()
    try:
        handles = list(amd.amdsmi_get_processor_handles())
        uuids = [_text(amd, "amdsmi_get_gpu_device_uuid", h) for h in handles]
        indexes, skipped = select_devices(uuids, rocr_visible, hip_visible)
        found.skipped.extend(skipped)
        for index in indexes:
            _open_one(session, handles[index], index, uuids[index], clock, found)
    except PermissionError:
        found.skipped.append(skip("amdsmi", f"permission denied: {PERMISSION_HINT}"))
    except error_type as error:
        found.skipped.append(skip("amdsmi", f"amdsmi query failed: {error}"))
    finally:
        session.release()
    if not found.sensors and not found.skipped:
        found.skipped.append(skip("amdsmi", "no AMD GPU visible"))
    return found


def _text(amd: Any, getter: str, handle: Any) -> str:
    with contextlib.suppress(Exception):
        return str(getattr(amd, getter)(handle))
    return ""


def _facts(amd: Any, handle: Any, index: int, uuid: str) -> dict[str, str]:
    facts = {"index": str(index), "uuid": uuid}
    with contextlib.suppress(Exception):
        asic = amd.amdsmi_get_gpu_asic_info(handle)
        facts["device_name"] = str(asic.get("market_name", ""))
        facts["serial"] = str(asic.get("asic_serial", ""))
    with contextlib.suppress(Exception):
        facts["driver"] = str(amd.amdsmi_get_gpu_driver_info(handle)["driver_version"])
    facts["bdf"] = _text(amd, "amdsmi_get_gpu_device_bdf", handle)
    return {key: value for key, value in facts.items() if value}


def _open_one(
    session: _Session,
    handle: Any,
    index: int,
    uuid: str,
    clock: Callable[[], float] | None,
    found: Discovery,
) -> None:
    amd = session.amd
    use_counter = _works(lambda: counter_uj(amd.amdsmi_get_energy_count(handle)))
    if not use_counter and not _works(lambda: board_power_w(amd.amdsmi_get_power_info(handle))):
        found.skipped.append(
            skip(f"amdsmi:{index}", "neither the energy counter nor socket power is readable")
        )
        return
    session.users += 1
    sensor = AmdSmiSensor(
        amd,
        handle,
        index,
        use_counter,
        _facts(amd, handle, index, uuid),
        clock or time.monotonic,
        session.release,
    )
    found.sensors.append(sensor)
    if _works(lambda: len(amd.amdsmi_get_gpu_process_list(handle))):
        found.process_aware.append(sensor)
    else:
        sensor.assumptions.append(
            "amdsmi lists no processes here (amdsmi_get_gpu_process_list failed): a GPU shared "
            "with other processes is counted whole"
        )


def _works(read: Callable[[], float | None]) -> bool:
    try:
        return read() is not None
    except Exception:  # the library's exception, a ctypes error: not readable, and said so
        return False


def select_devices(
    uuids: Sequence[str], rocr_visible: str | None, hip_visible: str | None
) -> tuple[list[int], list[Skip]]:
    """amdsmi indexes of the GPUs the child sees: ``ROCR_VISIBLE_DEVICES`` first, then
    ``HIP_VISIBLE_DEVICES`` indexing what ROCR left. Like the runtime, parsing stops at the
    first entry that names no device. None means all GPUs."""
    chosen = list(range(len(uuids)))
    for variable, visible in (
        ("ROCR_VISIBLE_DEVICES", rocr_visible),
        ("HIP_VISIBLE_DEVICES", hip_visible),
    ):
        if visible is None:
            continue
        tokens = [token.strip() for token in visible.split(",") if token.strip()]
        if not tokens:
            return [], [skip("amdsmi", f"{variable} is empty: the command sees no GPU")]
        picked: list[int] = []
        for token in tokens:
            if token.isdigit():
                position = int(token)
            else:
                matches = [p for p, i in enumerate(chosen) if uuids[i] and token in uuids[i]]
                position = matches[0] if len(matches) == 1 else -1
            if not 0 <= position < len(chosen):
                return picked, [
                    skip(
                        "amdsmi",
                        f"{variable} entry {token!r} names no usable GPU; later entries ignored, "
                        "as ROCm does",
                    )
                ]
            if chosen[position] not in picked:
                picked.append(chosen[position])
        chosen = picked
    return chosen, []
