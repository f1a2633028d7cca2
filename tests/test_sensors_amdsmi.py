"""AMD GPU sensors against a fake amdsmi module, a guard that the fake's names are real, and a
contract test for a real AMD GPU (amd)."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import time
from pathlib import Path

import pytest
from fakes.amdsmi import FAKED_NAMES, AmdSmiException, FakeAmdGpu, FakeAmdSmi
from fakes.clock import FakeClock

from ecoai.sensors import SensorRequest, discover
from ecoai.sensors.amdsmi import FALLBACK_MAX_POWER_W, open_amdsmi, select_devices


def gpus(n: int = 2) -> list[FakeAmdGpu]:
    return [FakeAmdGpu(uuid=f"{i}ae0-uuid-{i}", ticks=1_000 * (i + 1)) for i in range(n)]


def _real_amdsmi_names() -> set[str]:
    """The names the installed amdsmi package exports, read from its source: importing it needs
    ROCm's libamd_smi.so (amdsmi 7 raises KeyError without it), which CI machines lack."""
    spec = importlib.util.find_spec("amdsmi")
    if spec is None or spec.origin is None:
        pytest.skip("amdsmi is not installed (pip install 'ecoai[amd]')")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def test_every_faked_name_exists_on_the_real_amdsmi() -> None:
    missing = [name for name in FAKED_NAMES if name not in _real_amdsmi_names()]
    assert FAKED_NAMES and missing == []


def test_every_amdsmi_name_the_code_calls_is_faked() -> None:
    from ecoai.sensors import amdsmi

    used = set()
    for node in ast.walk(ast.parse(inspect.getsource(amdsmi))):
        if isinstance(node, ast.Attribute) and node.attr.startswith(("amdsmi_", "AmdSmi")):
            used.add(node.attr)
        text = str(getattr(node, "value", ""))
        if isinstance(node, ast.Constant) and text.isidentifier() and text.startswith("amdsmi_"):
            used.add(text)
    assert used and used <= set(FAKED_NAMES)


def test_counter_is_accumulator_times_resolution_in_joules_with_facts() -> None:
    fake, clock = FakeAmdSmi(gpus(1)), FakeClock()
    (sensor,) = open_amdsmi(fake, clock=clock).sensors
    assert (sensor.name, sensor.method, sensor.scope, sensor.component) == (
        "amdsmi:0",
        "counter",
        "device",
        "gpu",
    )
    assert sensor.facts == {
        "index": "0",
        "uuid": "0ae0-uuid-0",
        "device_name": "AMD Instinct MI300X",
        "serial": "0x6a1c3e4d5f607182",
        "driver": "6.10.5",
        "bdf": "0000:0c:00.0",
    }
    first_j = sensor.read().energy_j  # the accumulator as it is: 1000 ticks x 15.3 uJ
    assert first_j == pytest.approx(1_000 * 15.3e-6)
    fake.gpus[0].ticks += 1_000_000  # x 15.3 uJ = 15.3 J
    clock.advance(0.1)
    reading = sensor.read()
    assert reading.energy_j - first_j == pytest.approx(15.3) and reading.t_s == clock.now_s


def test_max_power_is_twice_the_power_cap_in_watts() -> None:
    (sensor,) = open_amdsmi(FakeAmdSmi(gpus(1))).sensors
    assert sensor.max_power_w == 1500.0  # 750 000 000 uW cap
    assert "750 W" in sensor.max_power_source
    assert sensor.read_power_w() == 300.0


def test_unreadable_power_cap_falls_back_to_the_stated_bound() -> None:
    gpu = FakeAmdGpu(power_cap_uw=0)
    (sensor,) = open_amdsmi(FakeAmdSmi([gpu])).sensors
    assert sensor.max_power_w == FALLBACK_MAX_POWER_W
    assert "no power cap" in sensor.max_power_source


def test_without_counter_power_is_read_and_said() -> None:
    fake = FakeAmdSmi([FakeAmdGpu(counter_supported=False, power_w=412)])
    (sensor,) = open_amdsmi(fake).sensors
    assert sensor.method == "power" and sensor.read().power_w == 412.0
    assert "power readings integrated" in sensor.assumptions[0]


def test_a_board_with_neither_is_skipped_with_its_reason_never_zero() -> None:
    fake = FakeAmdSmi([FakeAmdGpu(counter_supported=False, power_w="N/A")])
    found = open_amdsmi(fake)
    assert found.sensors == []
    assert [(s.name, s.reason) for s in found.skipped] == [
        ("amdsmi:0", "neither the energy counter nor socket power is readable")
    ]
    assert fake.shutdowns == 1


def test_a_backwards_accumulator_is_bridged_with_power_never_negative() -> None:
    from ecoai.measurement.sampler import Sampler

    fake, clock = FakeAmdSmi(gpus(1)), FakeClock()
    (sensor,) = open_amdsmi(fake, clock=clock).sensors
    sampler = Sampler([sensor], interval_s=0.1, clock=clock)
    sampler.tick()
    per_second = round(200 / 15.3e-6)  # 200 W of accumulator ticks
    for ticks in (fake.gpus[0].ticks + per_second, 10, 10 + per_second):  # a reset in between
        fake.gpus[0].ticks = ticks
        clock.advance(1)
        sampler.tick()
    # 200 J, then the reset's second bridged with the board's 300 W socket power, then 200 J
    assert sampler.tallies["amdsmi:0"].energy_j == pytest.approx(700.0, rel=1e-4)
    (line,) = sampler.counter_faults()["amdsmi:0"]
    assert "stepped backwards (a reset, not a wrap) in 1 interval(s)" in line
    assert "bridged with power readings" in line


def test_a_counter_above_the_power_cap_is_a_spike_bridged_with_power() -> None:
    from ecoai.measurement.sampler import Sampler

    fake, clock = FakeAmdSmi(gpus(1)), FakeClock()
    (sensor,) = open_amdsmi(fake, clock=clock).sensors
    assert sensor.max_power_w == 1500.0  # 2 x the 750 W cap
    sampler = Sampler([sensor], interval_s=0.1, clock=clock)
    sampler.tick()
    fake.gpus[0].ticks += round(10_000 / 15.3e-6)  # 10 kJ in 1 s: an impossible 10 kW
    clock.advance(1)
    sampler.tick()
    assert sampler.tallies["amdsmi:0"].energy_j == pytest.approx(300.0)
    (line,) = sampler.counter_faults()["amdsmi:0"]
    assert "(1500 W: 2 x the highest power cap, 750 W)" in line


def test_init_failure_and_permission_are_skips_with_the_fix() -> None:
    failed = open_amdsmi(FakeAmdSmi([], init_error=AmdSmiException("AMDSMI_STATUS_INIT_ERROR")))
    assert "did not initialise" in failed.skipped[0].reason
    denied = open_amdsmi(FakeAmdSmi(gpus(1), init_error=PermissionError(13, "/dev/kfd")))
    assert "render" in denied.skipped[0].reason and "video" in denied.skipped[0].reason


def test_session_shuts_down_after_the_last_sensor_closes() -> None:
    fake = FakeAmdSmi(gpus(2))
    found = open_amdsmi(fake)
    assert fake.shutdowns == 0
    found.sensors[0].close()
    found.sensors[0].close()  # idempotent
    assert fake.shutdowns == 0
    found.sensors[1].close()
    assert fake.shutdowns == 1


@pytest.mark.parametrize(
    ("rocr", "hip", "expected"),
    [
        (None, None, [0, 1, 2, 3]),
        (None, "2,0", [2, 0]),
        ("1,3", None, [1, 3]),
        ("1,3", "1", [3]),  # HIP indexes what ROCR left
        (None, "2ae0", [2]),  # a UUID
        (None, "1,9,0", [1]),  # stops at the first entry naming no GPU, as ROCm does
    ],
)
def test_rocr_then_hip_visible_devices(
    rocr: str | None, hip: str | None, expected: list[int]
) -> None:
    uuids = [f"{i}ae0-uuid-{i}" for i in range(4)]
    assert select_devices(uuids, rocr, hip)[0] == expected


def test_empty_visible_devices_is_a_skip() -> None:
    chosen, skipped = select_devices(["a", "b"], None, "")
    assert chosen == [] and "HIP_VISIBLE_DEVICES is empty" in skipped[0].reason


def test_hip_visible_devices_picks_the_measured_gpu() -> None:
    found = open_amdsmi(FakeAmdSmi(gpus(3)), hip_visible="2")
    assert [s.name for s in found.sensors] == ["amdsmi:2"]


def test_discovery_without_rocm_skips_amdsmi_and_asking_for_it_names_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ecoai.errors import SensorError

    request = SensorRequest(
        backends=("amdsmi",),
        powercap_root=tmp_path / "powercap",
        i2c_drivers_root=tmp_path / "i2c",
    )
    with pytest.raises(SensorError) as raised:
        discover(request, env={})
    assert "amdsmi" in str(raised.value) and "ecoai[amd]" in (raised.value.hint or "")
    assert capsys.readouterr().out == ""  # amdsmi's own print stays off ecoai's stdout


@pytest.mark.amd
def test_real_amd_gpu_energy_rises() -> None:
    try:
        import amdsmi
    except Exception as error:  # no package, or no ROCm library (KeyError in amdsmi 7)
        pytest.skip(f"no usable amdsmi here: {error!r}")
    found = open_amdsmi(amdsmi)
    if not found.sensors:
        pytest.skip(f"no readable AMD GPU here: {[s.reason for s in found.skipped]}")
    try:
        for sensor in found.sensors:
            assert sensor.facts.get("device_name") and sensor.max_power_w > 0
            first = sensor.read()
            time.sleep(0.5)
            second = sensor.read()
            if sensor.method == "counter":
                assert second.energy_j is not None and first.energy_j is not None
                assert second.energy_j >= first.energy_j
                assert (second.energy_j - first.energy_j) / 0.5 < sensor.max_power_w
            else:
                assert second.power_w is not None and 0 < second.power_w < sensor.max_power_w
    finally:
        found.close()


def test_a_shared_gpu_is_attributed_by_the_trees_share_of_gfx_engine_time() -> None:
    from ecoai.measurement.gpu_share import GpuShareTracker

    gpu = FakeAmdGpu(processes={100: 5_000_000_000, 200: 1_000})  # 100 ran before us
    found = open_amdsmi(FakeAmdSmi([gpu]))
    (sensor,) = found.process_aware
    assert sensor is found.sensors[0] and sensor.process_ids() == {100, 200}
    tracker = GpuShareTracker([sensor], tree=lambda pid: {200, 300}, root_pid=200)
    tracker.poll()  # where each process stands: nothing counted yet
    gpu.processes = {100: 5_000_000_000 + 1_000_000_000, 200: 1_000 + 3_000_000_000}
    tracker.poll()
    gpu.processes[300] = 2_000_000_000  # a child of the command started in between: counted whole
    tracker.poll()
    assert tracker.shared == {"amdsmi:0"}  # PID 100 is outside the tree
    assert tracker.shares() == {"amdsmi:0": pytest.approx(5 / 6)}
    found.close()


def test_no_process_list_is_counted_whole_and_says_so() -> None:
    found = open_amdsmi(FakeAmdSmi([FakeAmdGpu(processes=None)]))
    assert found.process_aware == []
    assert "counted whole" in found.sensors[0].assumptions[-1]
    found.close()
