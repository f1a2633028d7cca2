"""Property-based tests of the engine and of every scenario input path (hypothesis)."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
from casecount import count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecoai import footprint
from ecoai.errors import EcoaiError
from ecoai.estimation.estimate import estimate
from ecoai.footprint import Multipliers
from ecoai.inputs.keys import BY_NAME
from ecoai.inputs.resolve import resolve
from ecoai.inputs.scenario import read_scenario

positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
fraction = st.floats(min_value=0.0, max_value=1.0)
factors = st.builds(
    Multipliers,
    pue=st.floats(min_value=1.0, max_value=3.0),
    wue_site_l_per_kwh=st.floats(min_value=0.0, max_value=10.0),
    wue_source_l_per_kwh=st.floats(min_value=0.0, max_value=10.0),
    cif_g_per_kwh=st.floats(min_value=0.0, max_value=1500.0),
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, float]:
    u_min = draw(fraction)
    return {
        "output_tokens": draw(positive), "tps": draw(positive), "ttft_s": draw(fraction),
        "p_gpu_kw": draw(st.floats(0, 20, exclude_min=True)),
        "p_non_gpu_kw": draw(st.floats(0, 20)),
        "u_gpu_min": u_min, "u_gpu_max": draw(st.floats(u_min, 1.0)), "u_non_gpu": draw(fraction),
        "pue": draw(st.floats(1.0, 3.0)), "wue_site_l_per_kwh": draw(st.floats(0, 10)),
        "wue_source_l_per_kwh": draw(st.floats(0, 10)), "cif_kg_per_kwh": draw(st.floats(0, 1.5)),
    }  # fmt: skip


@given(scenarios())
def test_energy_never_negative_and_expected_within_bounds(flags: dict[str, float]) -> None:
    report = estimate(resolve(None, flags))
    assert report.per_query is not None
    for stat in (report.per_query.energy_wh, report.per_query.water_ml, report.per_query.carbon_g):
        assert 0.0 <= stat.min <= stat.max
        assert stat.min * (1 - 1e-12) <= stat.mean <= stat.max * (1 + 1e-12)
        assert math.isfinite(stat.max)


@given(scenarios(), st.floats(min_value=1.01, max_value=100.0))
def test_more_tokens_at_fixed_tps_costs_more(flags: dict[str, float], factor: float) -> None:
    base = estimate(resolve(None, flags)).per_query
    more = estimate(resolve(None, {**flags, "output_tokens": flags["output_tokens"] * factor}))
    assert base is not None and more.per_query is not None
    assert more.per_query.energy_wh.mean >= base.energy_wh.mean
    if base.it_energy_wh.mean > 0:
        assert more.per_query.energy_wh.mean > base.energy_wh.mean


@given(positive, positive, factors, st.floats(min_value=1.0, max_value=3.0))
def test_facility_energy_scales_with_pue(
    it_min: float, extra: float, f: Multipliers, pue: float
) -> None:
    one = footprint.footprint_range(it_min, it_min + extra, 0.5, f)
    two = footprint.footprint_range(
        it_min,
        it_min + extra,
        0.5,
        Multipliers(pue, f.wue_site_l_per_kwh, f.wue_source_l_per_kwh, f.cif_g_per_kwh),
    )
    assert two.energy_wh.mean / one.energy_wh.mean == pytest.approx(pue / f.pue, rel=1e-9)
    assert two.it_energy_wh == one.it_energy_wh


@given(positive, st.floats(min_value=0.001, max_value=1000.0), factors)
def test_water_and_carbon_linear_in_energy(it_j: float, k: float, f: Multipliers) -> None:
    one = footprint.footprint_point(it_j, f)
    scaled = footprint.footprint_point(it_j * k, f)
    assert scaled.water_ml.mean == pytest.approx(one.water_ml.mean * k, rel=1e-9, abs=1e-300)
    assert scaled.carbon_g.mean == pytest.approx(one.carbon_g.mean * k, rel=1e-9, abs=1e-300)
    assert one.water_ml.mean == pytest.approx(one.water_ml.site.mean + one.water_ml.source.mean)


# --- every scenario input path: anything but a valid scenario ends in an EcoaiError ----------

toml_values = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(), st.booleans(),
    st.text(max_size=20), st.lists(st.floats(), max_size=7), st.dictionaries(st.text(max_size=5),
                                                                               st.integers()),
)  # fmt: skip


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(BY_NAME)), toml_values)
def test_any_value_for_any_key_is_accepted_or_one_error(
    tmp_path: Path, key: str, value: object
) -> None:
    path = tmp_path / "s.toml"
    import tomli_w

    path.write_text(tomli_w.dumps({key: value}), encoding="utf-8")
    count("scenario")
    try:
        read_scenario(path)
    except EcoaiError as error:
        assert "\n" not in error.message and str(path) in error.message


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_random_text_is_a_scenario_or_one_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    count("scenario")
    try:
        read_scenario(path)
    except EcoaiError as error:
        assert str(path) in error.message


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=400))
def test_truncated_scenario_is_a_scenario_or_one_error(tmp_path: Path, cut: int) -> None:
    full = (Path(__file__).parent / "data" / "scenario_full.toml").read_text(encoding="utf-8")
    tomllib.loads(full)  # the fixture itself is valid
    path = tmp_path / "s.toml"
    path.write_text(full[:cut], encoding="utf-8")
    count("scenario")
    try:
        read_scenario(path)
    except EcoaiError as error:
        assert str(path) in error.message
