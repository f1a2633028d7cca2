"""Count the bad-input cases the property tests try; conftest prints the tally at the end."""

from __future__ import annotations

from collections import Counter

CASES: Counter[str] = Counter()


def count(path: str) -> None:
    """Record one generated case for the input path ``path`` (e.g. ``report``, ``--vary``)."""
    CASES[path] += 1
