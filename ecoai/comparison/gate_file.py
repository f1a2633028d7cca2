"""Edge: read CI gates from a TOML file kept under version control (``--gates gates.toml``).

confidence = 0.95          # optional; --confidence wins
test = "welch"             # optional: welch or bootstrap; --test wins
queries_per_day = 1e6      # optional: savings per day and per year; --queries-per-day wins
queries = 1000000          # optional: savings over this many queries; --queries wins
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
    queries_per_day: float | None = None
    queries: int | None = None


def read_gate_file(path: Path) -> GateFile:
    """Parse ``path``; every problem is one InputError naming the file."""
    text = read_user_text(path, "a gates .toml file (--gates)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(
            f"{path}: not valid TOML ({error})", "see `ecoai compare --help`"
        ) from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply", "see `ecoai compare --help`") from None
    confidence = data.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool) or not isinstance(confidence, int | float)
    ):
        raise InputError(f"{path}: confidence must be a number, e.g. 0.95")
    test = data.get("test")
    if test is not None and not isinstance(test, str):
        raise InputError(f"{path}: test must be " + " or ".join(f'"{t}"' for t in TEST_NAMES))
    queries_per_day, queries = _traffic(data, path)
    gate_tables = {k: v for k, v in data.items() if k not in _TRAFFIC_KEYS}
    return GateFile(
        gates_from_mapping(gate_tables, str(path)), confidence, test, queries_per_day, queries
    )


_TRAFFIC_KEYS = ("queries_per_day", "queries")


def _traffic(data: dict[str, object], path: Path) -> tuple[float | None, int | None]:
    """The traffic for savings: ``queries_per_day`` (> 0) and ``queries`` (a whole number >= 1)."""
    from ecoai.comparison.savings import check_rate

    rate, count = data.get("queries_per_day"), data.get("queries")
    for name, value in (("queries_per_day", rate), ("queries", count)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InputError(f"{path}: {name} must be a number, got {value!r}", "e.g. 1000000")
    assert rate is None or isinstance(rate, int | float)
    assert count is None or isinstance(count, int | float)
    check_rate({"queries_per_day": rate, "queries": count}, str(path))
    if count is not None and count != int(count):
        raise InputError(f"{path}: queries must be a whole number, got {count!r}", "e.g. 1000000")
    return (None if rate is None else float(rate), None if count is None else int(count))
