"""The preset kinds, registered once: the tables of the files in ``profiles/``.

Adding a kind is one entry here, one schema in ``catalog_schema.py`` (a subclass of ``Entry``
with its ``summary()`` and, if it names other entries, ``references()``) and one TOML file in
``profiles/``. The loader (``catalog.py``), ``ecoai profiles list/show``, their help and the shell
completions follow from this table. Plain data, no pydantic: the CLI's help reads it at start.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PresetKind:
    """One kind of preset.

    ``table`` is the top-level table of a profile file and the KIND of ``ecoai profiles list``;
    ``singular`` names one entry in messages; ``key`` is the scenario key (and flag) that picks
    an entry in an estimate, or None when none does (a CPU is matched by its model name);
    ``schema`` is the name of the entry's class in ``catalog_schema``; ``user_only`` kinds have
    no built-in file: only the user's profiles hold them (measurements of the user's machines).
    """

    table: str
    singular: str
    key: str | None
    schema: str
    user_only: bool = False

    @property
    def spellings(self) -> set[str]:
        """The names ``ecoai profiles list`` and ``--kind`` accept (``size-class`` too)."""
        names = {self.table, self.singular.replace(" ", "_")}
        return names | {name.replace("_", "-") for name in names}


PRESET_KINDS: tuple[PresetKind, ...] = (
    PresetKind("models", "model", "model", "ModelEntry"),
    PresetKind("size_classes", "size class", "size_class", "SizeClassEntry"),
    PresetKind("hardware", "hardware", "hardware", "HardwareEntry"),
    PresetKind("hosts", "host", "host", "HostEntry"),
    PresetKind("grids", "grid", "grid", "GridEntry"),
    PresetKind("tasks", "task", "task", "TaskEntry"),
    PresetKind("cpus", "cpu", None, "CpuEntry"),
    PresetKind("calibrations", "calibration", None, "CalibrationEntry", user_only=True),
)
"""Every preset kind, in the order ``ecoai profiles list`` shows them."""

KIND_TABLES: tuple[str, ...] = tuple(kind.table for kind in PRESET_KINDS)
KIND_BY_TABLE: dict[str, PresetKind] = {kind.table: kind for kind in PRESET_KINDS}

PRESET_KEYS: tuple[str, ...] = (
    *(kind.key for kind in PRESET_KINDS if kind.key is not None),
    "prompt",
)
"""The scenario keys the preset layer reads: one per kind that an estimate can name, plus a
model's prompt class."""


def kind_list(conjunction: str = "or") -> str:
    """The kinds for help texts: ``models, size_classes, ... or cpus``."""
    return ", ".join(KIND_TABLES[:-1]) + f" {conjunction} " + KIND_TABLES[-1]
