"""Apple Silicon through powermetrics (root) or macmon (no root), fed recorded outputs.

The recorded outputs in tests/data/apple/ are written from the documented formats (see
ecoai/sensors/apple.py): powermetrics' plist documents ended by NUL (``elapsed_ns``,
``processor.{cpu,gpu,ane}_energy`` in mJ over the sample and ``*_power`` in mW), and macmon's
``pipe`` JSON lines (powers in W). A fake process serves them through a real pipe.
"""

from __future__ import annotations

import io
import os
import subprocess
import time
from pathlib import Path

import pytest
from fakes.clock import FakeClock

from ecoai.sensors import SensorRequest, discover
from ecoai.sensors.apple import (
    MACMON_HINT,
    ROOT_HINT,
    MacHost,
    open_apple,
    parse_macmon,
    parse_powermetrics,
    split_plists,
)

DATA = Path(__file__).parent / "data" / "apple"
ROOT_MAC = MacHost("darwin", "arm64", 0, lambda name: f"/usr/bin/{name}")
USER_MAC = MacHost("darwin", "arm64", 501, lambda name: f"/opt/homebrew/bin/{name}")


class FakeProcess:
    """A started tool: its output in a real pipe, open until terminated (or ``exit_code``)."""

    def __init__(self, output: bytes, exit_code: int | None = None, stderr: bytes = b"") -> None:
        read_fd, write_fd = os.pipe()
        os.write(write_fd, output)
        self._write_fd: int | None = write_fd
        self.stdout = os.fdopen(read_fd, "rb")
        self.stderr = io.BytesIO(stderr)
        self.code = exit_code
        self.terminated = False
        if exit_code is not None:
            self._close_pipe()

    def _close_pipe(self) -> None:
        if self._write_fd is not None:
            os.close(self._write_fd)
            self._write_fd = None

    def poll(self) -> int | None:
        return self.code

    def wait(self, timeout: float | None = None) -> int:
        if self.code is None:
            time.sleep(timeout or 0)
            raise subprocess.TimeoutExpired("fake", timeout or 0)
        return self.code

    def terminate(self) -> None:
        self.terminated = True
        self.code = -15
        self._close_pipe()

    def die(self, code: int, said: bytes) -> None:
        self.code, self.stderr = code, io.BytesIO(said)
        self._close_pipe()

    kill = terminate


class Spawner:
    def __init__(self, process: FakeProcess) -> None:
        self.process = process
        self.argv: list[str] | None = None

    def __call__(self, argv: list[str]) -> FakeProcess:
        self.argv = argv
        return self.process


def _settle(found, samples: int) -> None:
    stream = found.sensors[0].stream
    deadline = time.monotonic() + 5
    while stream.samples + stream.bad_samples < samples and time.monotonic() < deadline:
        time.sleep(0.01)


def test_powermetrics_plist_documents_parse_to_mean_power() -> None:
    documents, rest = split_plists((DATA / "powermetrics-m2-max.plist").read_bytes())
    assert rest == b"" and len(documents) == 2
    first, second = (parse_powermetrics(d) for d in documents)
    assert first.interval_s == pytest.approx(0.2)
    assert first.power_w == pytest.approx({"cpu": 6.0, "gpu": 15.0, "ane": 0.5})
    assert second.power_w == pytest.approx({"cpu": 4.0, "gpu": 20.0, "ane": 0.0}, abs=1e-3)


def test_powermetrics_energy_only_and_power_only_releases() -> None:
    (old,), _ = split_plists((DATA / "powermetrics-energy-only.plist").read_bytes())
    assert parse_powermetrics(old).power_w == pytest.approx({"cpu": 2.5, "gpu": 1.25, "ane": 0.0})
    (new,), _ = split_plists((DATA / "powermetrics-power-only.plist").read_bytes())
    sample = parse_powermetrics(new)
    assert sample.interval_s == pytest.approx(0.5)
    assert sample.power_w == pytest.approx({"cpu": 3.0, "gpu": 8.0, "ane": 1.0})


def test_a_document_split_across_reads_waits_for_its_nul() -> None:
    data = (DATA / "powermetrics-m2-max.plist").read_bytes()
    done, rest = split_plists(data[:700])
    assert done == [] and rest == data[:700]
    done, rest = split_plists(rest + data[700:])
    assert len(done) == 2 and rest == b""


@pytest.mark.parametrize(
    "bad",
    [b"<plist><dict></dict></plist>", b"not xml at all", b'<?xml version="1.0"?><plist>'],
)
def test_a_bad_powermetrics_document_is_an_error(bad: bytes) -> None:
    with pytest.raises(ValueError):
        parse_powermetrics(bad)


def test_macmon_lines_parse_to_watts() -> None:
    first, second = (DATA / "macmon-pipe.jsonl").read_text().splitlines()
    sample = parse_macmon(first, 0.2)
    assert sample.power_w == {"cpu": 5.0, "gpu": 12.5, "ane": 0.0, "dram": 0.75}
    assert parse_macmon(second, 0.2).power_w["ane"] == 2.5
    with pytest.raises(ValueError):
        parse_macmon('{"temp": {}}', 0.2)  # no power at all
    with pytest.raises(ValueError):
        parse_macmon("[1, 2]", 0.2)


def test_powermetrics_as_root_counts_each_samples_energy() -> None:
    process = FakeProcess((DATA / "powermetrics-m2-max.plist").read_bytes())
    spawn = Spawner(process)
    clock = FakeClock()
    found = open_apple("powermetrics", ROOT_MAC, spawn, clock)
    try:
        assert spawn.argv == [
            "/usr/bin/powermetrics",
            "--samplers",
            "cpu_power,gpu_power,ane_power",
            "--format",
            "plist",
            "-i",
            "200",
        ]
        assert [(s.name, s.component, s.method) for s in found.sensors] == [
            ("powermetrics:cpu", "cpu", "counter"),
            ("powermetrics:gpu", "gpu", "counter"),
            ("powermetrics:ane", "gpu", "counter"),
        ]
        _settle(found, 2)
        energy = {s.name: s.read().energy_j for s in found.sensors}
        assert energy == pytest.approx(
            {
                "powermetrics:cpu": 1.2 + 0.806,
                "powermetrics:gpu": 3.0 + 4.03,
                "powermetrics:ane": 0.1,
            }
        )
        ane = found.sensors[2]
        assert "Neural Engine" in ane.assumptions[0] and "beside the GPU" in ane.assumptions[0]
        assert all(s.max_power_w > 100 for s in found.sensors)
    finally:
        found.close()
    assert process.terminated  # closing the last sensor stops the tool


def test_powermetrics_without_root_is_skipped_with_the_fix_and_not_started() -> None:
    spawn = Spawner(FakeProcess(b""))
    found = open_apple("powermetrics", USER_MAC, spawn)
    assert found.sensors == [] and spawn.argv is None
    (skipped,) = found.skipped
    assert skipped.reason == ROOT_HINT
    assert "sudo" in ROOT_HINT and "brew install macmon" in ROOT_HINT


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        (MacHost("linux", "x86_64", 0, lambda name: None), "not macOS (platform linux)"),
        (MacHost("darwin", "x86_64", 0, lambda name: None), "not Apple Silicon (machine x86_64)"),
    ],
)
def test_not_apple_silicon(host: MacHost, reason: str) -> None:
    for tool in ("powermetrics", "macmon"):
        assert [s.reason for s in open_apple(tool, host).skipped] == [reason]


def test_macmon_not_installed_names_brew() -> None:
    host = MacHost("darwin", "arm64", 501, lambda name: None)
    (skipped,) = open_apple("macmon", host).skipped
    assert "not found on PATH" in skipped.reason and MACMON_HINT in skipped.reason


def test_macmon_without_root_counts_cpu_gpu_ane_and_memory() -> None:
    process = FakeProcess((DATA / "macmon-pipe.jsonl").read_bytes())
    spawn = Spawner(process)
    found = open_apple("macmon", USER_MAC, spawn, FakeClock())
    try:
        assert spawn.argv == ["/opt/homebrew/bin/macmon", "pipe", "-i", "200"]
        _settle(found, 2)
        energy = {s.name: s.read().energy_j for s in found.sensors}
        assert energy == pytest.approx(
            {
                "macmon:cpu": (5.0 + 3.0) * 0.2,
                "macmon:gpu": (12.5 + 17.5) * 0.2,
                "macmon:ane": 2.5 * 0.2,
                "macmon:dram": (0.75 + 1.25) * 0.2,
            }
        )
        assert {s.name: s.component for s in found.sensors}["macmon:dram"] == "dram"
    finally:
        found.close()


def test_a_part_the_first_sample_lacks_gets_no_sensor_rather_than_a_silent_zero() -> None:
    line = b'{"cpu_power": 2.0, "gpu_power": 1.0, "ane_power": 0.0}\n'
    found = open_apple("macmon", USER_MAC, Spawner(FakeProcess(line)), FakeClock())
    try:
        assert [s.name for s in found.sensors] == ["macmon:cpu", "macmon:gpu", "macmon:ane"]
        assert [s.name for s in found.skipped] == ["macmon:dram"]
    finally:
        found.close()


def test_a_tool_that_exits_at_start_is_a_skip_with_what_it_said() -> None:
    process = FakeProcess(b"", exit_code=1, stderr=b"Error: IOReport subscription failed\n")
    (skipped,) = open_apple("macmon", USER_MAC, Spawner(process), start_wait_s=1.0).skipped
    assert "exited at start (status 1: Error: IOReport subscription failed)" in skipped.reason
    assert MACMON_HINT in skipped.reason


def test_a_tool_that_dies_mid_run_fails_the_read_and_garbage_is_no_energy() -> None:
    line = (DATA / "macmon-pipe.jsonl").read_text().splitlines()[0].encode() + b"\n"
    process = FakeProcess(line + b"garbage that is not json\n")
    found = open_apple("macmon", USER_MAC, Spawner(process), FakeClock())
    try:
        cpu = found.sensors[0]
        _settle(found, 2)
        assert cpu.stream.bad_samples == 1
        assert cpu.read().energy_j == pytest.approx(1.0)
        process.die(137, b"killed\n")
        cpu.stream._thread.join(timeout=5)
        with pytest.raises(OSError, match="macmon exited"):
            cpu.read()
    finally:
        found.close()


def _apple_world(monkeypatch: pytest.MonkeyPatch, host: MacHost, output: bytes, tmp_path: Path):
    monkeypatch.setattr("ecoai.sensors.apple.mac_host", lambda: host)
    monkeypatch.setattr("ecoai.sensors.apple._spawn", lambda argv: FakeProcess(output))
    return SensorRequest(
        powercap_root=tmp_path / "powercap",
        i2c_drivers_root=tmp_path / "i2c",
        proc_cgroup=tmp_path / "no-cgroup",
    )


def test_discovery_on_a_mac_without_root_uses_macmon_and_records_why_not_powermetrics(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    output = (DATA / "macmon-pipe.jsonl").read_bytes()
    found = discover(_apple_world(monkeypatch, USER_MAC, output, tmp_path), env={})
    try:
        assert [s.name for s in found.sensors] == [
            "macmon:cpu",
            "macmon:gpu",
            "macmon:ane",
            "macmon:dram",
        ]
        reasons = {s.name: s.reason for s in found.skipped}
        assert reasons["powermetrics"] == ROOT_HINT
        assert reasons["cpu-model"] == "not needed: MACMON counters cover CPU and DRAM"
    finally:
        found.close()


def test_discovery_as_root_prefers_powermetrics(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    output = (DATA / "powermetrics-m2-max.plist").read_bytes()
    found = discover(_apple_world(monkeypatch, ROOT_MAC, output, tmp_path), env={})
    try:
        names = [s.name for s in found.sensors]
        assert names[:3] == ["powermetrics:cpu", "powermetrics:gpu", "powermetrics:ane"]
        assert names[3:] == ["dram-model"]  # powermetrics has no memory power: the model
        reasons = {s.name: s.reason for s in found.skipped}
        assert reasons["macmon"] == "not needed: POWERMETRICS counters cover CPU and GPU"
    finally:
        found.close()


@pytest.mark.apple
def test_real_apple_silicon() -> None:
    for tool in ("powermetrics", "macmon"):
        found = open_apple(tool)
        if found.sensors:
            break
    else:
        pytest.skip("neither powermetrics (as root) nor macmon works here")
    try:
        first = {s.name: s.read().energy_j or 0.0 for s in found.sensors}
        time.sleep(1.5)
        for sensor in found.sensors:
            added_j = (sensor.read().energy_j or 0.0) - first[sensor.name]
            assert 0 <= added_j < sensor.max_power_w * 1.5
        cpu = next(s for s in found.sensors if s.component == "cpu")
        assert (cpu.read().energy_j or 0.0) > first[cpu.name]  # a running Mac's CPU draws power
    finally:
        found.close()


def test_a_sample_above_the_ceiling_is_a_spike_the_counter_check_bridges() -> None:
    from ecoai.measurement.sampler import Sampler

    lines = b'{"cpu_power": 5.0, "gpu_power": 1.0, "ane_power": 0.0}\n'
    found = open_apple("macmon", USER_MAC, Spawner(FakeProcess(lines)), clock := FakeClock())
    try:
        _settle(found, 1)
        cpu = found.sensors[0]
        sampler = Sampler([cpu], interval_s=0.2, clock=clock)
        sampler.tick()
        cpu.stream.energy_j["cpu"] += 5.0 * 0.2  # a plausible sample: 5 W
        clock.advance(0.2)
        sampler.tick()
        cpu.stream.energy_j["cpu"] += 50_000.0  # 50 kJ in 0.2 s: no Mac draws 250 kW
        clock.advance(0.2)
        sampler.tick()
        assert sampler.tallies["macmon:cpu"].energy_j == pytest.approx(2.0)  # bridged at 5 W
        (line,) = sampler.counter_faults()["macmon:cpu"]
        assert "(960 W: twice the highest continuous power of an Apple Silicon Mac)" in line
    finally:
        found.close()
