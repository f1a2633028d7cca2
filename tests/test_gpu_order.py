"""F6: CUDA_VISIBLE_DEVICES=0 on a host with different GPUs, and CUDA_DEVICE_ORDER.

CUDA numbers GPUs fastest first by default (only its device 0 is fixed), or by PCI bus id with
CUDA_DEVICE_ORDER=PCI_BUS_ID; NVML numbers them its own way. ecoai maps indexes by PCI bus id
and says so, with the fix, where CUDA's default order makes that a guess.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.nvml import FakeGpu, FakeNvml

from ecoai import cli
from ecoai.sensors.nvml import open_nvml, pci_order

T400 = "NVIDIA T400 4GB"
A6000 = "NVIDIA RTX A6000"


def mixed_host(t400_bus: str = "", a6000_bus: str = "") -> FakeNvml:
    """The F6 host: a T400 at NVML index 0 and an RTX A6000 at index 1 (PCI order unless set)."""
    return FakeNvml(
        [
            FakeGpu(T400, "GPU-aaaaaaaa-0000-0000-0000-000000000000", pci_bus_id=t400_bus),
            FakeGpu(A6000, "GPU-bbbbbbbb-0000-0000-0000-000000000000", pci_bus_id=a6000_bus),
        ]
    )


@pytest.mark.parametrize("order", [None, "FASTEST_FIRST"])
def test_f6_an_index_on_mixed_gpus_without_pci_order_is_named_ambiguous(order: str | None) -> None:
    found = open_nvml(mixed_host(), "0", clock=FakeClock(), order=order)
    assert [s.facts["device_name"] for s in found.sensors] == [T400]  # type: ignore[attr-defined]
    (note,) = found.notes
    assert note.startswith("CUDA_VISIBLE_DEVICES=0 names GPUs by index with CUDA_DEVICE_ORDER")
    assert f"different GPUs ({T400}, {A6000})" in note or f"({A6000}, {T400})" in note
    assert "measured, NVML 0 (NVIDIA T400 4GB)" in note
    assert "Set CUDA_DEVICE_ORDER=PCI_BUS_ID for the command, or name GPUs by UUID" in note


def test_f6_pci_bus_id_order_maps_by_bus_id_not_nvml_index_and_needs_no_note() -> None:
    nvml = mixed_host(t400_bus="00000000:81:00.0", a6000_bus="00000000:01:00.0")
    assert pci_order(nvml, 2) == [1, 0]
    found = open_nvml(nvml, "0", clock=FakeClock(), order="PCI_BUS_ID")
    assert [s.facts["device_name"] for s in found.sensors] == [A6000]  # type: ignore[attr-defined]
    assert found.notes == []


@pytest.mark.parametrize("visible", ["GPU-bbbbbbbb", "GPU-bbbbbbbb-0000-0000-0000-000000000000"])
def test_f6_uuids_name_one_gpu_whatever_the_order(visible: str) -> None:
    found = open_nvml(mixed_host(), visible, clock=FakeClock(), order=None)
    assert [s.facts["device_name"] for s in found.sensors] == [A6000]  # type: ignore[attr-defined]
    assert found.notes == []


def test_identical_gpus_tie_and_need_no_note() -> None:
    nvml = FakeNvml([FakeGpu(uuid="GPU-1"), FakeGpu(uuid="GPU-2")])
    found = open_nvml(nvml, "1", clock=FakeClock(), order=None)
    assert [s.facts["uuid"] for s in found.sensors] == ["GPU-2"]  # type: ignore[attr-defined]
    assert found.notes == []


def test_f6_end_to_end_the_report_carries_the_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", mixed_host())  # type: ignore[arg-type]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.delenv("CUDA_DEVICE_ORDER", raising=False)
    monkeypatch.delenv("ECOAI_FAKE_SENSORS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.chdir(tmp_path)
    try:
        cli.main(["profile", "-q", "--sensors", "nvml", "-o", "f6.json", "--", "true"])
    except SystemExit as done:
        assert done.code in (0, None)
    report = json.loads((tmp_path / "f6.json").read_text())
    assert [s["facts"]["device_name"] for s in report["measurement"]["sensors"]] == [T400]
    assert any("CUDA_DEVICE_ORDER=PCI_BUS_ID" in note for note in report["notes"])
