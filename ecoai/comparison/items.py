"""Edge: turn `ecoai compare` inputs (reports, scenario files, presets, --vary) into Items."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ecoai.comparison.compare import Item, unique_labels
from ecoai.comparison.variation import variations
from ecoai.errors import InputError
from ecoai.models import ParamValue, Report
from ecoai.report_files import read_report

Flags = Mapping[str, ParamValue | None]


@dataclass(frozen=True)
class Scenario:
    """Something to estimate: a scenario file and/or flag overrides (a preset is only flags)."""

    origin: str
    label: str
    file: Path | None
    flags: dict[str, ParamValue | None]


def estimate_on_the_fly(scenario: Scenario, profile_dirs: tuple[Path, ...] = ()) -> Report:
    """Estimate a scenario with the same engine as `ecoai estimate`."""
    from ecoai.estimation.estimate import estimate
    from ecoai.inputs.resolve import naming_missing_inputs, resolve

    params = resolve(scenario.file, scenario.flags, profile_dirs=profile_dirs)
    with naming_missing_inputs(params):
        return estimate(params)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, as it was again afterwards.

    Comparing 10,000 reports keeps about 1.3 million objects alive (the reports, then the
    comparison's cells and verdicts), none of them garbage; each full collection walks them
    all, and the collections their creation sets off were two thirds of ``ecoai compare``'s time
    (issue 16: 6.9 of 9.5 s). Objects are still freed as soon as they are unreferenced; the
    few reference cycles made meanwhile are collected by the next full collection.

    On the way out, what was made meanwhile joins the oldest generation (``freeze`` then
    ``unfreeze``, unless something else holds objects frozen) instead of the youngest, whose
    next collection would walk all of it at once (0.7 s for 10,000 reports)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def load_items(
    inputs: Sequence[str],
    *,
    vary: Sequence[str] = (),
    flags: Flags | None = None,
    profile_dirs: tuple[Path, ...] = (),
    stdin: TextIO | None = None,
) -> list[Item]:
    """Reports are read, scenarios and presets estimated; ``vary`` expands the one scenario."""
    common: dict[str, ParamValue | None] = {k: v for k, v in (flags or {}).items() if v is not None}
    if inputs.count("-") > 1:
        raise InputError("'-' (standard input) given twice", "pipe in one report")
    sources: list[Item | Scenario] = [_classify(text, common, stdin) for text in inputs]
    if vary:
        sources = _expand(sources, vary, common)
    _check_flags_reach_a_scenario(sources, common)
    items = [
        Item(s.label, s.origin, estimate_on_the_fly(s, profile_dirs))
        if isinstance(s, Scenario)
        else s
        for s in sources
    ]
    labels = unique_labels([item.label for item in items])
    return [
        item if item.label == label else Item(label, item.origin, item.report)
        for label, item in zip(labels, items, strict=True)
    ]


_TRAFFIC = ("queries", "queries_per_day")
"""Flags that also set the traffic of the savings, so they apply to measured reports too."""


def _check_flags_reach_a_scenario(
    sources: Sequence[Item | Scenario], common: Mapping[str, ParamValue | None]
) -> None:
    """Scenario flags change estimated items only: with reports alone they would be dropped."""
    if any(isinstance(source, Scenario) for source in sources):
        return
    from ecoai.inputs.keys import BY_NAME

    unused = [name for name in common if name not in _TRAFFIC]
    if unused:
        flag = BY_NAME[unused[0]].flag
        raise InputError(
            f"{flag} does not apply: it changes estimated items (scenarios, presets), and "
            "every item here is a report",
            f"remove {flag}, or add a scenario .toml or a preset like gpt-4.1:short",
        )


def _exists(path: Path) -> bool:
    """True for anything at ``path`` but a directory (a device is then refused by the reader);
    False for a name the system refuses (too long)."""
    try:
        return path.exists() and not path.is_dir()
    except OSError:
        return False


def _classify(
    text: str, common: dict[str, ParamValue | None], stdin: TextIO | None
) -> Item | Scenario:
    # A report is the usual item (10,000 of them, issue 16): its Path is made only if needed.
    if (
        text == "-"
        or text.endswith(".json")
        or (_exists(Path(text)) and not text.endswith(".toml"))
    ):
        report = read_report(text, stdin)
        return Item(report.label or ("stdin" if text == "-" else Path(text).stem), text, report)
    path = Path(text)
    if text.endswith(".toml"):
        if not _exists(path):
            raise InputError(f"{text}: no such file", "check the path")
        return Scenario(text, path.stem, path, dict(common))
    model, _, prompt = text.partition(":")
    if not model or "/" in text:
        raise InputError(
            f"{text}: no such file, and not a preset MODEL[:PROMPT]",
            "give a report .json, a scenario .toml or a preset like gpt-4.1:short",
        )
    preset: dict[str, ParamValue | None] = {
        "model": model,
        **({"prompt": prompt} if prompt else {}),
    }
    return Scenario(text, text, None, {**common, **preset})


def _expand(
    sources: list[Item | Scenario], vary: Sequence[str], common: dict[str, ParamValue | None]
) -> list[Item | Scenario]:
    scenarios = [s for s in sources if isinstance(s, Scenario)]
    if len(scenarios) > 1:
        raise InputError(
            f"--vary needs one base scenario or preset, got {len(scenarios)}",
            "give one scenario file or preset with --vary",
        )
    base = scenarios[0] if scenarios else Scenario("flags", "flags", None, dict(common))
    expanded: list[Item | Scenario] = [
        Scenario(f"{base.origin} {label}", label, base.file, {**base.flags, **overrides})
        for label, overrides in variations(vary)
    ]
    if not scenarios:
        return sources + expanded
    at = sources.index(base)
    return sources[:at] + expanded + sources[at + 1 :]
