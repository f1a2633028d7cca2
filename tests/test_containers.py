"""Containers and pods: the cgroup and labels recorded, and the CPU model scoped to the cgroup.

Every test builds a fake /proc/self/cgroup and /sys/fs/cgroup tree with the kernel's layout
(cgroup v2: ``cpu.stat`` ``usage_usec``, ``cpu.max`` "$MAX $PERIOD", ``memory.max``,
``memory.current``; v1: ``cpuacct.usage`` in ns, ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``),
as Documentation/admin-guide/cgroup-v2.rst and cgroup-v1/ describe them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoai.models import plain
from ecoai.sensors.host import (
    cgroup_cpu,
    container_cpu,
    container_facts,
    host_info,
    in_container,
    memory_in_use_gb,
    memory_limit_gb,
)

UID = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
CID = "f" * 60 + "1234"
POD_V2 = (
    f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID.replace('-', '_')}"
    f".slice/cri-containerd-{CID}.scope"
)


def _tree(tmp_path: Path, cgroup_line: str) -> tuple[Path, Path]:
    proc, root = tmp_path / "proc_self_cgroup", tmp_path / "cgroupfs"
    proc.write_text(cgroup_line + "\n")
    root.mkdir()
    return proc, root


def _v2_pod(tmp_path: Path, usage_usec: int = 5_000_000, cpu_max: str = "200000 100000"):
    proc, root = _tree(tmp_path, f"0::{POD_V2}")
    here = root / POD_V2.lstrip("/")
    here.mkdir(parents=True)
    (here / "cpu.stat").write_text(
        f"usage_usec {usage_usec}\nuser_usec {usage_usec - 1000}\nsystem_usec 1000\n"
    )
    (here / "cpu.max").write_text(cpu_max + "\n")
    (here / "memory.max").write_text("4000000000\n")
    (here / "memory.current").write_text("1250000000\n")
    return proc, root, here


def test_pod_labels_from_the_cgroup_path_and_the_downward_api(tmp_path: Path) -> None:
    proc, _ = _tree(tmp_path, f"0::{POD_V2}")
    env = {
        "KUBERNETES_SERVICE_HOST": "10.0.0.1",
        "POD_NAME": "train-7f9c",
        "POD_NAMESPACE": "ml",
        "NODE_NAME": "gpu-node-3",
        "HOSTNAME": "ignored-when-pod-name-is-set",
    }
    cgroup, labels = container_facts(env, proc)
    assert cgroup == POD_V2
    assert labels == {
        "pod_uid": UID,
        "container_id": CID,
        "runtime": "containerd",
        "pod": "train-7f9c",
        "namespace": "ml",
        "node": "gpu-node-3",
        "orchestrator": "kubernetes",
    }
    _, labels = container_facts({"KUBERNETES_SERVICE_HOST": "10.0.0.1", "HOSTNAME": "p-1"}, proc)
    assert labels["pod"] == "p-1"  # a pod's hostname is its name


@pytest.mark.parametrize(
    ("line", "runtime"),
    [
        (f"0::/system.slice/docker-{CID}.scope", "docker"),
        (f"0::/docker/{CID}", "docker"),
        (f"0::/machine.slice/libpod-{CID}.scope", "podman"),
        (f"0::/kubepods/burstable/pod{UID}/{CID}", None),
    ],
)
def test_container_id_and_runtime_from_the_cgroup_path(
    tmp_path: Path, line: str, runtime: str | None
) -> None:
    proc, _ = _tree(tmp_path, line)
    cgroup, labels = container_facts({}, proc)
    assert cgroup == line[3:]
    assert labels["container_id"] == CID
    assert labels.get("runtime") == runtime
    assert in_container(cgroup, labels, markers=())


def test_a_host_is_no_container_and_a_missing_file_records_nothing(tmp_path: Path) -> None:
    proc, _ = _tree(tmp_path, "0::/user.slice/user-1000.slice/session-2.scope")
    cgroup, labels = container_facts({}, proc)
    assert cgroup == "/user.slice/user-1000.slice/session-2.scope" and labels == {}
    assert not in_container(cgroup, labels, markers=(tmp_path / "no-dockerenv",))
    marker = tmp_path / ".dockerenv"
    marker.touch()
    assert in_container("/", {}, markers=(marker,))  # a cgroup namespace hides the path
    assert container_facts({}, tmp_path / "absent") == (None, {})


def test_hybrid_host_records_the_v1_memory_cgroup_not_v2_root(tmp_path: Path) -> None:
    proc, _ = _tree(tmp_path, "4:memory:/process_api/abc\n1:cpu:/\n0::/")
    assert container_facts({}, proc)[0] == "/process_api/abc"


def test_host_info_records_cgroup_and_labels(tmp_path: Path) -> None:
    proc, _ = _tree(tmp_path, f"0::{POD_V2}")
    info = host_info(env={"POD_NAMESPACE": "ml"}, proc_cgroup=proc)
    assert info.cgroup == POD_V2
    assert info.container["namespace"] == "ml" and info.container["pod_uid"] == UID
    assert plain(info)["container"]["container_id"] == CID  # in the report's JSON


def test_v2_cpu_usage_and_quota(tmp_path: Path) -> None:
    proc, root, here = _v2_pod(tmp_path)
    found = cgroup_cpu(proc, root, host_cpus=64)
    assert found is not None
    assert found.usage_file == here / "cpu.stat"
    assert found() == pytest.approx(5.0)  # usage_usec -> s
    assert (found.cpus, found.limited_by) == (2.0, "cpu.max")
    (here.parent / "cpu.max").write_text("50000 100000\n")  # a tighter quota on the pod
    found = cgroup_cpu(proc, root, host_cpus=64)
    assert found is not None and found.cpus == 0.5
    (here / "cpu.max").write_text("max 100000\n")
    (here.parent / "cpu.max").write_text("max 100000\n")
    found = cgroup_cpu(proc, root, host_cpus=8)
    assert found is not None and (found.cpus, found.limited_by) == (8.0, "host")


def test_v1_cpuacct_usage_and_cfs_quota(tmp_path: Path) -> None:
    proc, root = _tree(tmp_path, f"3:cpu,cpuacct:/docker/{CID}\n2:memory:/docker/{CID}")
    here = root / "cpu,cpuacct" / "docker" / CID
    here.mkdir(parents=True)
    (here / "cpuacct.usage").write_text("2500000000\n")  # ns
    (here / "cpu.cfs_quota_us").write_text("150000\n")
    (here / "cpu.cfs_period_us").write_text("100000\n")
    found = cgroup_cpu(proc, root, host_cpus=16)
    assert found is not None
    assert found() == pytest.approx(2.5)
    assert (found.cpus, found.limited_by) == (1.5, "cpu.cfs_quota_us")
    (here / "cpu.cfs_quota_us").write_text("-1\n")  # no quota
    found = cgroup_cpu(proc, root, host_cpus=16)
    assert found is not None and found.cpus == 16.0


def test_unreadable_cgroup_gives_no_container_counter(tmp_path: Path) -> None:
    proc, root = _tree(tmp_path, f"0::/docker/{CID}")
    assert cgroup_cpu(proc, root, host_cpus=4) is None  # no cpu.stat: the host's /proc/stat
    (root / "docker" / CID).mkdir(parents=True)
    (root / "docker" / CID / "cpu.stat").write_text("nr_periods 0\n")  # no usage_usec
    assert cgroup_cpu(proc, root, host_cpus=4) is None


def test_container_cpu_only_inside_a_container(tmp_path: Path) -> None:
    proc, root, _ = _v2_pod(tmp_path)
    found = container_cpu({}, proc, root, markers=(), host_cpus=32)
    assert found is not None and found.cpus == 2.0
    host = tmp_path / "host"
    host.mkdir()
    proc2, root2 = _tree(host, "0::/user.slice")
    (root2 / "user.slice").mkdir()
    (root2 / "user.slice" / "cpu.stat").write_text("usage_usec 10\n")
    assert container_cpu({}, proc2, root2, markers=(), host_cpus=32) is None


def test_memory_is_the_containers_current_over_its_max(tmp_path: Path) -> None:
    proc, root, _ = _v2_pod(tmp_path)
    assert memory_limit_gb(proc, root) == pytest.approx(4.0)
    assert memory_in_use_gb(proc, root) == pytest.approx(1.25)


class _Clock:
    def __init__(self) -> None:
        self.t_s = 100.0

    def __call__(self) -> float:
        return self.t_s


def test_cpu_model_covers_the_containers_cgroup(tmp_path: Path) -> None:
    from ecoai.sensors.cpu_model import VCPU_MAX_W, VCPU_MIN_W, open_cpu_model
    from ecoai.sensors.host import CpuFacts

    proc, root, here = _v2_pod(tmp_path, usage_usec=1_000_000)
    container = cgroup_cpu(proc, root, host_cpus=64)
    assert container is not None
    facts = CpuFacts("Unlisted CPU 9000", 64, 2, 256.0)
    clock = _Clock()
    found = open_cpu_model(None, None, {"dram"}, clock, facts, lookup=None, container=container)
    (sensor,) = found.sensors
    assert sensor.scope == "cgroup"
    assert sensor.facts["cgroup"] == POD_V2 and sensor.facts["cgroup_cpus"] == "2"
    assert any("cgroup" in a and "2 CPUs" in a for a in sensor.assumptions)
    # 10 s, the cgroup busy for 15 CPU-s of which its 2 CPUs allow 20: idle + dynamic for 15 s
    clock.t_s += 10
    (here / "cpu.stat").write_text("usage_usec 16000000\n")
    energy_j = sensor.read().energy_j
    assert energy_j == pytest.approx(VCPU_MIN_W * 2 * 10 + (VCPU_MAX_W - VCPU_MIN_W) * 15)
    # the host's 64 CPUs would have charged 32 times the idle power
    clock.t_s += 1
    (here / "cpu.stat").write_text("usage_usec 26000000\n")  # 10 CPU-s in 1 s: capped at 2
    step_j = sensor.read().energy_j - energy_j
    assert step_j == pytest.approx(VCPU_MIN_W * 2 + (VCPU_MAX_W - VCPU_MIN_W) * 2)


def test_cpu_model_with_a_tdp_charges_the_containers_part(tmp_path: Path) -> None:
    from ecoai.sensors.cpu_model import open_cpu_model
    from ecoai.sensors.host import CpuFacts

    proc, root, _ = _v2_pod(tmp_path, cpu_max="400000 100000")
    container = cgroup_cpu(proc, root, host_cpus=64)
    facts = CpuFacts("Some CPU", 64, 2, 256.0)
    found = open_cpu_model(200.0, None, {"dram"}, _Clock(), facts, container=container)
    (sensor,) = found.sensors
    assert sensor.max_w == pytest.approx(200.0 * 2 * 4 / 64)


def test_discovery_inside_a_pod_scopes_the_model_and_the_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecoai.measurement.session import cgroup_busy
    from ecoai.sensors import SensorRequest, discover

    proc, root, _ = _v2_pod(tmp_path)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    request = SensorRequest(
        backends=["cpu-model"], proc_cgroup=proc, cgroup_root=root, cpu_tdp_w=100.0
    )
    found = discover(request, env={})
    try:
        cpu = next(s for s in found.sensors if s.component == "cpu")
        assert cpu.scope == "cgroup"
        busy = cgroup_busy(found.sensors)
        assert busy is not None and busy() == pytest.approx(5.0)  # the cgroup's, not /proc/stat
    finally:
        found.close()
    host = tmp_path / "host"
    host.mkdir()
    proc2, root2 = _tree(host, "0::/user.slice")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    request = SensorRequest(backends=["cpu-model"], proc_cgroup=proc2, cgroup_root=root2)
    found = discover(request, env={})
    try:
        assert all(s.scope == "machine" for s in found.sensors)
        assert cgroup_busy(found.sensors) is None
    finally:
        found.close()


def test_real_cgroup_counter_where_ecoai_runs_in_a_container() -> None:
    """The same assertions on this machine's own cgroup, when it is a container (skipped on a
    host): the counter moves with this process's CPU time and the limit is a positive count."""
    import os
    import time

    container = container_cpu()
    if container is None:
        pytest.skip("not in a container with a readable cgroup CPU counter")
    assert 0 < container.cpus <= (os.cpu_count() or 1)
    before_s, cpu0_s = container(), time.process_time()
    while time.process_time() - cpu0_s < 0.2:  # burn 0.2 s of CPU in this cgroup
        pass
    assert container() - before_s >= 0.15
    info = host_info()
    assert info.cgroup is not None
