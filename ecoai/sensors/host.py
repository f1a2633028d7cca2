"""Facts about the host machine, read cheaply: CPU model, CPUs, sockets, memory, busy CPU time.

The CPU model (``cpu_model``) and the measurement (the process tree's share of the machine's busy
CPU time, the report's ``HostInfo``) read them here. Linux first (/proc), psutil elsewhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ecoai.models import HostInfo


@dataclass(frozen=True)
class CpuFacts:
    """What the model needs to know about the machine (read cheaply from /proc and psutil)."""

    model_name: str
    logical_cpus: int
    sockets: int
    memory_gb: float
    """Installed memory, or the container's memory limit when one applies (the smaller). GB."""
    hypervisor: bool = False
    """cpuinfo's ``hypervisor`` flag: a guest, which may see only part of a package."""
    memory_limited: bool = False
    """Whether memory_gb is a cgroup memory limit below the installed memory."""


class ProcStat:
    """Busy CPU time of the machine from /proc/stat's first line, kept open (one pread a call).

    Busy = user + nice + system + irq + softirq; idle, iowait and steal (time the hypervisor
    gave to other guests) are not this machine's work, and guest time is already in user.
    Units: s (from clock ticks). Cold, this costs a third of psutil.cpu_times (measured).
    """

    def __init__(self, path: Path = Path("/proc/stat")) -> None:
        self._fd: int | None = os.open(path, os.O_RDONLY)
        self._tick_s = 1.0 / os.sysconf("SC_CLK_TCK")

    def __call__(self) -> float:
        if self._fd is None:
            raise OSError("ProcStat is closed")
        first = os.pread(self._fd, 512, 0).split(b"\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq = (
            int(v) for v in (first + [b"0"] * 7)[:7]
        )
        return (user + nice + system + irq + softirq) * self._tick_s

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def machine_busy_cpu_s() -> float:
    """Busy CPU time of the whole machine, summed over CPUs (see ProcStat). Units: s."""
    try:
        reader = ProcStat()
    except OSError:  # not Linux: psutil knows the platform's counters
        import psutil

        times = psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))
    try:
        return reader()
    finally:
        reader.close()


def busy_cpu_reader() -> Callable[[], float]:
    """A reader of the machine's busy CPU time (s): /proc/stat kept open, else psutil."""
    try:
        return ProcStat()
    except OSError:
        return machine_busy_cpu_s


def read_cpu_facts(cpuinfo: Path = Path("/proc/cpuinfo")) -> CpuFacts:
    """Model name, logical CPUs, sockets and memory: one read of cpuinfo, two sysconf calls."""
    model_name, sockets, hypervisor = "unknown CPU", set(), False
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name" and model_name == "unknown CPU":
                model_name = value.strip()
            elif key == "physical id":
                sockets.add(value.strip())
            elif key == "flags" and not hypervisor:
                hypervisor = "hypervisor" in value.split()
    except OSError:
        pass  # not Linux: the name stays unknown and the per-vCPU figures apply
    installed_gb = _memory_gb()
    limit_gb = memory_limit_gb()
    limited = limit_gb is not None and limit_gb < installed_gb
    return CpuFacts(
        model_name,
        os.cpu_count() or 1,
        max(1, len(sockets)),
        limit_gb if limit_gb is not None and limited else installed_gb,
        hypervisor,
        limited,
    )


def memory_limit_gb(
    proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = Path("/sys/fs/cgroup")
) -> float | None:
    """The tightest cgroup memory limit over ecoai's cgroup and its ancestors (v2 ``memory.max``,
    v1 ``memory.limit_in_bytes``), or None when none applies. Units: GB (1e9 bytes)."""
    try:
        lines = proc_cgroup.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    limits = []
    for line in lines:
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        if controllers == "":  # v2: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts
            bases, name = [root, root / "unified"], "memory.max"
        elif "memory" in controllers.split(","):
            bases, name = [root / "memory"], "memory.limit_in_bytes"
        else:
            continue
        for base in bases:
            here = base / path.strip().lstrip("/")
            while True:
                limits.append(_bytes(here / name))
                if here == base or base not in here.parents:
                    break
                here = here.parent
    found = [b for b in limits if b is not None and b < 1 << 60]  # v1's "no limit" is ~2**63
    return min(found) / 1e9 if found else None


def _bytes(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdecimal() else None  # "max": no limit


def _memory_gb() -> float:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e9
    except (ValueError, OSError, AttributeError):  # not POSIX: psutil knows
        import psutil

        return float(psutil.virtual_memory().total) / 1e9


def host_info(
    rank: int | None = None,
    local_rank: int | None = None,
    env: Mapping[str, str] | None = None,
    proc_cgroup: Path = Path("/proc/self/cgroup"),
) -> HostInfo:
    """Facts about this machine, read after the run (nothing slow before the child starts);
    with the cgroup and container labels of ``container_facts`` (``env``: os.environ)."""
    import platform
    import socket

    from ecoai.models import HostInfo

    facts = read_cpu_facts()
    cgroup, labels = container_facts(os.environ if env is None else env, proc_cgroup)
    return HostInfo.trusted(
        hostname=socket.gethostname(),
        platform=platform.platform(),
        cpu_model=facts.model_name,
        logical_cpus=facts.logical_cpus,
        memory_gb=round(facts.memory_gb, 2),
        rank=rank,
        local_rank=local_rank,
        cgroup=cgroup,
        container=labels,
    )


DOWNWARD_API = {
    "POD_NAME": "pod",
    "POD_NAMESPACE": "namespace",
    "NODE_NAME": "node",
    "CONTAINER_NAME": "container",
}
"""Environment variables a pod spec conventionally fills from the Kubernetes downward API
(``fieldRef: metadata.name`` ...; the names are the spec author's choice, these are the ones
the Kubernetes documentation's examples use) -> the label recorded."""

_POD_UID = re.compile(
    r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})"
)
_RUNTIMES = (
    ("cri-containerd", "containerd"),
    ("crio", "cri-o"),
    ("docker", "docker"),
    ("libpod", "podman"),
)
"""Markers of a container runtime in a cgroup path -> the runtime recorded."""
_CONTAINER = re.compile(r"(?:(docker|cri-containerd|crio|libpod)-|/)([0-9a-f]{64})(?:\.scope)?$")


def container_facts(
    env: Mapping[str, str], proc_cgroup: Path = Path("/proc/self/cgroup")
) -> tuple[str | None, dict[str, str]]:
    """The cgroup ecoai runs in, and the container/pod labels the environment and the cgroup path
    expose (``HostInfo.container``). Cgroup paths: systemd
    ``/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/
    cri-containerd-<id>.scope``, cgroupfs ``/kubepods/burstable/pod<uid>/<id>``, Docker
    ``/docker/<id>`` or ``/system.slice/docker-<id>.scope``; "/" in a cgroup namespace."""
    cgroup = _own_cgroup(proc_cgroup)
    labels: dict[str, str] = {}
    if cgroup:
        if found := _POD_UID.search(cgroup):
            labels["pod_uid"] = found.group(1).replace("_", "-")
        if found := _CONTAINER.search(cgroup):
            labels["container_id"] = found.group(2)
        for marker, runtime in _RUNTIMES:
            if marker in cgroup:
                labels["runtime"] = runtime
                break
    for variable, label in DOWNWARD_API.items():
        if env.get(variable):
            labels[label] = env[variable]
    if env.get("KUBERNETES_SERVICE_HOST"):
        labels["orchestrator"] = "kubernetes"
        if "pod" not in labels and env.get("HOSTNAME"):
            labels["pod"] = env["HOSTNAME"]  # a pod's hostname is its name unless spec.hostname
    return cgroup, labels


def _own_cgroup(proc_cgroup: Path) -> str | None:
    try:
        lines = proc_cgroup.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    v1_memory = v2 = None
    for line in lines:
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        if controllers == "" and line.startswith("0::"):
            v2 = path.strip() or None
        elif "memory" in controllers.split(","):
            v1_memory = path.strip() or None
    if v2 is not None and (v2 != "/" or v1_memory is None):
        return v2
    return v1_memory or v2  # a hybrid host: v2's "/" holds no controller, v1's memory does


CONTAINER_MARKERS = (Path("/.dockerenv"), Path("/run/.containerenv"))
"""Files a container runtime leaves in the container's root (Docker, Podman)."""


def in_container(
    cgroup: str | None,
    labels: Mapping[str, str],
    markers: tuple[Path, ...] = CONTAINER_MARKERS,
) -> bool:
    """Whether ecoai runs in a container or a pod: a runtime or pod in its cgroup path or its
    labels (``container_facts``), or a runtime's marker file."""
    if labels.keys() & {"runtime", "container_id", "pod_uid", "orchestrator", "pod"}:
        return True
    return cgroup is not None and any(marker.exists() for marker in markers)


@dataclass(frozen=True)
class CgroupCpu:
    """The CPU side of ecoai's cgroup: its usage counter and how many CPUs it may use.

    Reading it returns the CPU time (user + system) of every process that ran in the cgroup:
    v2 ``cpu.stat`` ``usage_usec``, v1 ``cpuacct.usage`` (ns). Units: s.
    """

    path: str
    """The cgroup (as /proc/self/cgroup names it)."""
    usage_file: Path
    cpus: float
    """CPUs the cgroup may keep busy: its CPU quota (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us`` /
    ``cpu.cfs_period_us``, the tightest over its ancestors), at most the CPUs it may run on."""
    limited_by: str
    """What set ``cpus``: "cpu.max", "cpu.cfs_quota_us", "cpuset" or "host"."""

    def __call__(self) -> float:
        return _cgroup_usage_s(self.usage_file.name, self.usage_file.read_bytes())

    def reader(self) -> CgroupUsage:
        """A reader of the usage counter that keeps the file open (one pread a call)."""
        return CgroupUsage(self.usage_file)


def _cgroup_usage_s(name: str, text: bytes) -> float:
    """CPU time in a cgroup's ``cpu.stat`` (``usage_usec``) or ``cpuacct.usage`` (ns). Units: s."""
    if name == "cpu.stat":
        if text.startswith(b"usage_usec "):  # the first line on every kernel with cgroup v2
            return int(text[11:].partition(b"\n")[0]) / 1e6
        for line in text.splitlines():
            key, _, value = line.partition(b" ")
            if key == b"usage_usec":
                return int(value) / 1e6
        raise OSError(f"{name} has no usage_usec")
    return int(text.strip()) / 1e9


class CgroupUsage:
    """A cgroup's CPU usage counter kept open: the CPU model reads it every round, and a pread
    of an open file costs a fifth of opening it by path each time (measured on the sampler's
    thread, issue 16). Units: s."""

    def __init__(self, usage_file: Path) -> None:
        self._name = usage_file.name
        self._fd: int | None = os.open(usage_file, os.O_RDONLY | os.O_CLOEXEC)

    def __call__(self) -> float:
        if self._fd is None:
            raise OSError("CgroupUsage is closed")
        return _cgroup_usage_s(self._name, os.pread(self._fd, 4096, 0))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def cgroup_cpu(
    proc_cgroup: Path = Path("/proc/self/cgroup"),
    root: Path = Path("/sys/fs/cgroup"),
    host_cpus: int | None = None,
) -> CgroupCpu | None:
    """ecoai's cgroup's CPU usage counter and CPU limit, or None where no counter is readable.

    ``host_cpus``: the CPUs ecoai may run on (default: its affinity mask, which a cpuset
    narrows; os.cpu_count() does not)."""
    try:
        lines = proc_cgroup.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    if host_cpus is None:
        host_cpus = _usable_cpus()
    v2 = v1_acct = v1_cpu = None
    for line in lines:
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        names = controllers.split(",")
        if line.startswith("0::"):
            v2 = path.strip()
        if "cpuacct" in names:
            v1_acct = (controllers, path.strip())
        if "cpu" in names:
            v1_cpu = (controllers, path.strip())
    quotas: list[float] = []
    found: tuple[str, Path, str] | None = None
    if v2 is not None:
        for base in (root, root / "unified"):
            here = base / v2.lstrip("/")
            if (here / "cpu.stat").is_file() and _has_usage(here / "cpu.stat"):
                found = (v2, here / "cpu.stat", "cpu.max")
                quotas = [q for d in _up(base, here) if (q := _v2_quota(d / "cpu.max"))]
                break
    if found is None and v1_acct is not None:
        for name in (v1_acct[0], "cpuacct", "cpu,cpuacct"):
            here = root / name / v1_acct[1].lstrip("/")
            if (here / "cpuacct.usage").is_file():
                found = (v1_acct[1], here / "cpuacct.usage", "cpu.cfs_quota_us")
                break
        if found is not None and v1_cpu is not None:
            for name in (v1_cpu[0], "cpu", "cpu,cpuacct"):
                base = root / name
                here = base / v1_cpu[1].lstrip("/")
                if here.is_dir():
                    quotas = [q for d in _up(base, here) if (q := _v1_quota(d))]
                    break
    if found is None:
        return None
    path, usage_file, quota_name = found
    if quotas and min(quotas) < host_cpus:
        return CgroupCpu(path, usage_file, min(quotas), quota_name)
    limited = "cpuset" if host_cpus < (os.cpu_count() or host_cpus) else "host"
    return CgroupCpu(path, usage_file, float(host_cpus), limited)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _up(base: Path, here: Path) -> list[Path]:
    """``here`` and its ancestors up to ``base``."""
    chain = [here]
    while chain[-1] != base and base in chain[-1].parents:
        chain.append(chain[-1].parent)
    return chain


def _has_usage(cpu_stat: Path) -> bool:
    try:
        return "usage_usec" in cpu_stat.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return False


def _v2_quota(cpu_max: Path) -> float | None:
    """CPUs a v2 ``cpu.max`` ("$MAX $PERIOD", "max" for none) allows; None for no quota."""
    try:
        quota, _, period = cpu_max.read_text(encoding="ascii").strip().partition(" ")
        return int(quota) / int(period or "100000") if quota != "max" else None
    except (OSError, UnicodeDecodeError, ValueError, ZeroDivisionError):
        return None


def _v1_quota(directory: Path) -> float | None:
    """CPUs a v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` allows (-1: none); None for none."""
    try:
        quota = int((directory / "cpu.cfs_quota_us").read_text(encoding="ascii"))
        period = int((directory / "cpu.cfs_period_us").read_text(encoding="ascii"))
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def container_cpu(
    env: Mapping[str, str] | None = None,
    proc_cgroup: Path = Path("/proc/self/cgroup"),
    root: Path = Path("/sys/fs/cgroup"),
    markers: tuple[Path, ...] = CONTAINER_MARKERS,
    host_cpus: int | None = None,
) -> CgroupCpu | None:
    """The container's cgroup CPU counter and limit when ecoai runs in a container or pod whose
    cgroup is readable; None on a host (the host's /proc/stat then applies)."""
    cgroup, labels = container_facts(os.environ if env is None else env, proc_cgroup)
    if not in_container(cgroup, labels, markers):
        return None
    return cgroup_cpu(proc_cgroup, root, host_cpus)


def memory_in_use_gb(
    proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = Path("/sys/fs/cgroup")
) -> float | None:
    """Memory in use where the DRAM model's memory is counted: the container's cgroup usage
    (v2 ``memory.current``, v1 ``memory.usage_in_bytes``) when a memory limit applies, else the
    machine's total minus available (/proc/meminfo, or psutil elsewhere). Units: GB (1e9
    bytes); None if unreadable."""
    return MemoryInUse(proc_cgroup, root)()


class MemoryInUse:
    """``memory_in_use_gb`` read repeatedly: where to read is found at the first call (the
    cgroup walk costs 0.1 ms, measured), then each call is one small file read. Units: GB."""

    def __init__(
        self, proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = Path("/sys/fs/cgroup")
    ) -> None:
        self._proc_cgroup = proc_cgroup
        self._root = root
        self._source: Path | None = None
        self._found = False

    def __call__(self) -> float | None:
        if not self._found:
            self._source = self._cgroup_usage_file()
            self._found = True
        if self._source is not None:
            used = _bytes(self._source)
            if used is not None:
                return used / 1e9
        return _machine_in_use_gb()

    def _cgroup_usage_file(self) -> Path | None:
        """The cgroup's usage file when a memory limit applies (and the file reads), else None."""
        if memory_limit_gb(self._proc_cgroup, self._root) is None:
            return None
        try:
            text = self._proc_cgroup.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        for line in text.splitlines():
            _, controllers, path = [*line.split(":", 2), "", ""][:3]
            here = path.strip().lstrip("/")
            if controllers == "":
                candidate = self._root / here / "memory.current"
            elif "memory" in controllers.split(","):
                candidate = self._root / "memory" / here / "memory.usage_in_bytes"
            else:
                continue
            if _bytes(candidate) is not None:
                return candidate
        return None


def _machine_in_use_gb(meminfo: str = "/proc/meminfo") -> float | None:
    """The machine's memory in use, total minus available (MemTotal - MemAvailable, as psutil
    counts it), from /proc/meminfo; psutil where that is missing. Units: GB."""
    try:
        fd = os.open(meminfo, os.O_RDONLY | os.O_CLOEXEC)
        try:
            text = os.read(fd, 4096)
        finally:
            os.close(fd)
        found = {}
        for line in text.split(b"\n", 8):
            key, _, value = line.partition(b":")
            if key in (b"MemTotal", b"MemAvailable"):
                found[key] = int(value.split()[0]) * 1024
        if len(found) == 2:
            return (found[b"MemTotal"] - found[b"MemAvailable"]) / 1e9
    except (OSError, ValueError, IndexError):
        pass  # not Linux, or a kernel without MemAvailable: psutil knows
    try:
        import psutil

        memory = psutil.virtual_memory()
        return float(memory.total - memory.available) / 1e9
    except (ImportError, OSError):
        return None
