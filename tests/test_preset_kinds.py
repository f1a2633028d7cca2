"""Preset kinds are registered once (preset_kinds.py); everything else follows from the table."""

from __future__ import annotations

import pytest

from ecoai.errors import InputError
from ecoai.inputs.catalog import KIND_NAMES, SINGULAR, built_in_dir, kind_of, load_catalog
from ecoai.inputs.catalog_schema import SCHEMAS, Entry
from ecoai.inputs.keys import BY_NAME
from ecoai.inputs.preset_kinds import KIND_TABLES, PRESET_KEYS, PRESET_KINDS, kind_list


@pytest.mark.parametrize("kind", PRESET_KINDS, ids=lambda k: k.table)
def test_every_kind_has_a_schema_a_file_and_a_summary(kind) -> None:  # type: ignore[no-untyped-def]
    schema = SCHEMAS[kind.table]
    assert schema.__name__ == kind.schema
    assert schema.summary is not Entry.summary, f"{kind.schema} needs a summary()"
    if kind.user_only:  # e.g. calibrations: measurements of the user's own machines
        assert not (built_in_dir() / f"{kind.table}.toml").exists()
        assert load_catalog().entries(kind.table) == []
        return
    assert (built_in_dir() / f"{kind.table}.toml").is_file()
    entries = load_catalog().entries(kind.table)
    assert entries, f"profiles/{kind.table}.toml has no entries"
    for entry in entries:
        assert entry.summary().strip()
    assert SINGULAR[kind.table] == kind.singular
    for name in kind.spellings:
        assert kind_of(name) == kind.table


def test_the_loader_help_and_keys_follow_the_registry() -> None:
    assert list(SCHEMAS) == list(KIND_TABLES)
    assert set(KIND_NAMES.values()) == set(KIND_TABLES)
    assert (
        kind_of("size-class") == kind_of("size_class") == kind_of("Size_Classes") == "size_classes"
    )
    assert set(PRESET_KEYS) == {k.key for k in PRESET_KINDS if k.key} | {"prompt"}
    assert all(key in BY_NAME for key in PRESET_KEYS)  # each one is a scenario key and a flag
    assert kind_list() == (
        "models, size_classes, hardware, hosts, grids, tasks, cpus or calibrations"
    )


def test_a_schema_without_summary_fails_explicitly() -> None:
    class Bare(Entry):
        pass

    bare = Bare(id="x", origin="built-in", sources=["s"])
    with pytest.raises(NotImplementedError, match="Bare defines no summary"):
        bare.summary()
    assert list(bare.references()) == []


def test_an_unknown_kind_is_a_did_you_mean_error() -> None:
    with pytest.raises(InputError, match="unknown profile kind 'modles'"):
        kind_of("modles")


def test_profiles_help_lists_every_kind(ecoai_cli) -> None:  # type: ignore[no-untyped-def]
    done = ecoai_cli("profiles", "list", "--help")
    text = " ".join(done.stdout.split())
    for table in KIND_TABLES:
        assert table in text
