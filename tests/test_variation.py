"""--vary expansion: cartesian product, labels, typed values, one-line errors."""

from __future__ import annotations

import pytest

from ecoai.comparison.variation import variations
from ecoai.errors import InputError


def test_cartesian_product_with_labels() -> None:
    result = variations(["grid=FRA,USA,POL", "batch-size=4,8"])
    assert [label for label, _ in result] == [
        "grid=FRA,batch_size=4",
        "grid=FRA,batch_size=8",
        "grid=USA,batch_size=4",
        "grid=USA,batch_size=8",
        "grid=POL,batch_size=4",
        "grid=POL,batch_size=8",
    ]
    assert result[1][1] == {"grid": "FRA", "batch_size": 8}
    assert isinstance(result[1][1]["batch_size"], int)


def test_short_flag_names_work_and_label_as_written() -> None:
    assert variations(["cif=0.05,0.4"]) == [
        ("cif=0.05", {"cif_kg_per_kwh": 0.05}),
        ("cif=0.4", {"cif_kg_per_kwh": 0.4}),
    ]


def test_numbers_and_bools_are_typed() -> None:
    assert variations(["pue=1.1,1.5"])[1][1] == {"pue": 1.5}
    assert variations(["embodied=true"])[0][1] == {"embodied": True}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gird=FRA", "unknown key 'gird'"),
        ("grid", "expected KEY=V1,V2"),
        ("grid=", "expected KEY=V1,V2"),
        ("pue=high", "must be a number, got 'high'"),
        ("tps_quantiles=1,2", "cannot vary"),
    ],
)
def test_bad_vary(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        variations([spec])


def test_did_you_mean() -> None:
    with pytest.raises(InputError) as error:
        variations(["batchsize=4"])
    assert error.value.hint.startswith("did you mean 'batch_size'")  # the closest key first


def test_same_key_twice() -> None:
    with pytest.raises(InputError, match="names a key twice"):
        variations(["grid=FRA", "grid=USA"])
