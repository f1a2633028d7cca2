"""Edge: read CI gates from a TOML file kept under version control (``--gates gates.toml``).

confidence = 0.95          # optional; --confidence wins
test = "welch"             # optional: welch or bootstrap; --test wins
[max_increase]             # percent over the baseline
energy = "5%"
carbon = 10
[budget]                   # absolute, unit in the name; per query unless under total
energy_wh = 1.5
total.water_ml = 10
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ecoai.comparison.gates import TEST_NAMES, Gate, gates_from_mapping
from ecoai.errors import InputError
from ecoai.files import read_user_text


@dataclass(frozen=True)
class GateFile:
    gates: list[Gate]
    confidence: float | None
    test: str | None


def read_gate_file(path: Path) -> GateFile:
    """Parse ``path``; every problem is one InputError naming the file."""
    text = read_user_text(path, "a gates .toml file (--gates)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(
            f"{path}: not valid TOML ({error})", "see `ecoai compare --help`"
        ) from None
    confidence = data.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool) or not isinstance(confidence, int | float)
    ):
        raise InputError(f"{path}: confidence must be a number, e.g. 0.95")
    test = data.get("test")
    if test is not None and not isinstance(test, str):
        raise InputError(f"{path}: test must be " + " or ".join(f'"{t}"' for t in TEST_NAMES))
    return GateFile(gates_from_mapping(data, str(path)), confidence, test)
