"""The host figures the data audit questioned (section 5): what was chosen, and its source."""

from __future__ import annotations

from ecoai.inputs.catalog import load_catalog
from ecoai.inputs.catalog_schema import HostEntry


def _host(host_id: str) -> HostEntry:
    entry = load_catalog().get("hosts", host_id)
    assert isinstance(entry, HostEntry)
    return entry


def test_the_papers_hosts_keep_the_papers_values() -> None:
    azure, aws = _host("azure"), _host("aws")
    assert (azure.pue, azure.wue_site_l_per_kwh, azure.wue_source_l_per_kwh) == (1.12, 0.30, 4.35)
    assert (aws.pue, aws.wue_site_l_per_kwh, aws.wue_source_l_per_kwh) == (1.14, 0.18, 5.12)
    assert "1.18" in (azure.note or "") and "1.15" in (aws.note or "")
    assert any("1.15 in 2023" in s for s in aws.sources)


def test_azure_fleet_average_is_a_separate_sourced_host() -> None:
    fleet = _host("azure-fleet")
    assert fleet.pue == 1.18 and fleet.basis == "provider"
    assert any(s.startswith("PUE 1.18") for s in fleet.sources)


def test_google_water_figures_are_sourced() -> None:
    google = _host("google")
    figures = (google.pue, google.wue_site_l_per_kwh, google.wue_source_l_per_kwh)
    assert figures == (1.09, 1.0, 3.142)
    for figure in ("PUE 1.09", "WUE site 1.0", "WUE source 3.142", "CIF 0.231"):
        assert any(s.startswith(figure) for s in google.sources), figure
