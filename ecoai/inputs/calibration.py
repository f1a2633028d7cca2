"""Calibrations: a measured report of an open LLM -> a profile entry that later estimates use.

``ecoai calibrate report.json`` writes the entry (``calibrations`` kind, see
``catalog_schema.CalibrationEntry``); ``ecoai estimate`` finds a calibration of the same GPU,
GPU count, parameters and precision among the profiles (or takes one from ``--calibrate
report.json`` for one run) and passes it on as the ``calibration_*`` inputs. An edge: reads
reports and profiles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ecoai.errors import InputError
from ecoai.inputs.catalog_schema import CalibrationEntry, HardwareEntry
from ecoai.models import Param, Report, Source

if TYPE_CHECKING:
    from ecoai.inputs.catalog import Catalog

CALIBRATION_KEYS = (
    "calibration_gpu_energy_per_token_j",
    "calibration_time_per_token_s",
    "calibration_batch",
)
"""The inputs a calibration supplies to an open-LLM estimate."""
DESCRIPTION_KEYS = ("model", "params_b", "active_params_b", "precision", "batch_size")
"""What a calibration needs besides the measurement: from the report's inputs, else flags."""


def calibration_from_report(
    report: Report, name: str, given: Mapping[str, Any], catalog: Catalog
) -> CalibrationEntry:
    """The calibration entry that the measured ``report`` (read from ``name``) makes.

    ``given`` holds values the report lacks or the user overrides (``hardware``, ``gpu_count``,
    ``model``, ``params_b``, ``active_params_b``, ``precision``, ``batch_size``,
    ``output_tokens`` per query). The GPU energy is the GPU sensors' (the process tree's share,
    or the whole GPUs with ``--scope machine``), mean over runs, IT side.
    Raises InputError for an estimate, a report without GPU sensors or counted output tokens,
    an unknown GPU, or a missing model size or batch.
    """
    measurement = report.measurement
    if report.kind != "measured" or measurement is None:
        raise InputError(
            f"{name}: is an {report.kind} report, not a measurement",
            "calibrate from a report of `ecoai profile -o report.json -- your server`",
        )
    gpu_sensors = [s for s in measurement.sensors if s.component == "gpu"]
    if not gpu_sensors:
        raise InputError(f"{name}: measured no GPU", "calibrate from a run on the GPUs to estimate")
    runs = measurement.runs
    machine = measurement.scope == "machine"
    gpu_j = sum(
        (e.energy_j if machine else e.attributed_energy_j)
        for run in runs
        for e in run.sensors
        if e.component == "gpu"
    ) / len(runs)
    tokens = _output_tokens(report, name, given)
    duration_s = sum(run.duration_s for run in runs) / len(runs)
    values: dict[str, Any] = {
        k: report.inputs[k].value for k in DESCRIPTION_KEYS if k in report.inputs
    }
    values |= {k: v for k, v in given.items() if v is not None}
    hardware = _hardware(catalog, name, [s.facts.get("device_name", s.name) for s in gpu_sensors],
                         values.get("hardware"))  # fmt: skip
    params_b, active_b = _sizes(catalog, name, values)
    precision = str(values.get("precision", "bf16")).lower()
    if "batch_size" not in values:
        raise InputError(
            f"{name}: does not say how many requests ran concurrently",
            "pass --batch-size (the server's max concurrent requests, e.g. vLLM max_num_seqs)",
        )
    if gpu_j <= 0:
        raise InputError(f"{name}: the GPUs' measured energy is 0 J", "measure a run that works")
    model = values.get("model")
    entry_id = _slug(f"{model or f'{params_b:g}b'}-{precision}-{hardware.id}-x{len(gpu_sensors)}"
                     f"-b{values['batch_size']}")  # fmt: skip
    from ecoai.validation import validate

    fields = dict(
        id=entry_id,
        origin="user",
        hardware=hardware.id,
        gpu_count=int(values.get("gpu_count", len(gpu_sensors))),
        model=None if model is None else str(model),
        params_b=params_b,
        active_params_b=active_b,
        precision=precision,
        batch_size=int(values["batch_size"]),
        output_tokens=tokens,
        gpu_energy_per_token_j=gpu_j / tokens,
        time_per_token_s=duration_s / tokens,
        sources=[f"measured by ecoai profile ({report.created_at:%Y-%m-%d %H:%M} UTC): {name}"],
    )
    return validate(CalibrationEntry, fields)


def _output_tokens(report: Report, name: str, given: Mapping[str, Any]) -> float:
    workload = report.measurement.workload if report.measurement else None
    if workload is not None and workload.output_tokens:
        return workload.output_tokens
    per_query = given.get("output_tokens")
    if workload is not None and workload.queries and per_query:
        return workload.queries * float(per_query)
    raise InputError(
        f"{name}: counts no output tokens",
        "record them with ecoai.track.query(output_tokens=N) under `ecoai profile`, or give "
        "--output-tokens per query for a report that counts queries",
    )


def _hardware(catalog: Catalog, name: str, device_names: list[str], given: Any) -> HardwareEntry:
    """The GPU's hardware entry: recognised from the sensors' device names, or ``given``
    (a GPU or node id); a given GPU that contradicts a recognised one is an error."""
    recognised = _recognise(catalog, device_names)
    if given is not None:
        entry: HardwareEntry = catalog.get("hardware", str(given))
        if entry.type == "node":  # a node names its GPU
            entry = catalog.get("hardware", entry.gpu or "")
        if recognised is not None and recognised.id != entry.id:
            raise InputError(
                f"{name}: measured {recognised.id} GPUs, not {entry.id}",
                f"calibrate estimates of the GPU the report measured (--hardware {recognised.id})",
            )
        return entry
    if recognised is not None:
        return recognised
    devices = ", ".join(sorted(set(device_names)))
    raise InputError(
        f"{name}: cannot tell the hardware preset of the GPU {devices}",
        "pass --hardware, e.g. --hardware h100-sxm (ecoai profiles list hardware)",
    )


def _recognise(catalog: Catalog, device_names: list[str]) -> HardwareEntry | None:
    """The one GPU entry whose id, alias or name is the sensors' device name, if any."""
    distinct = sorted(set(device_names))
    if len(distinct) != 1:
        return None
    found = catalog.find("hardware", distinct[0])
    if isinstance(found, HardwareEntry) and found.type == "gpu":
        return found
    wanted = _norm(distinct[0])
    matches = [h for h in catalog.entries("hardware")
               if isinstance(h, HardwareEntry) and h.type == "gpu"
               and _norm(h.name or h.id) == wanted]  # fmt: skip
    return matches[0] if len(matches) == 1 else None


def _sizes(catalog: Catalog, name: str, values: dict[str, Any]) -> tuple[float, float]:
    """(total, active) parameters in billions; a model of the data also supplies its precision
    unless one is given."""
    if "params_b" not in values and "model" in values:
        from ecoai.inputs.mlenergy import find_open_model

        found = find_open_model(str(values["model"]))
        if found is not None:
            values.setdefault("precision", found.precision)
            values["model"] = found.model_id
            return found.total_params_b, found.active_params_b
    if "params_b" not in values:
        raise InputError(
            f"{name}: does not say the model's size",
            "pass --params-b (and --active-params-b for a mixture of experts), or --model "
            "with an id of the data (ecoai profiles list models)",
        )
    total = float(values["params_b"])
    active = float(values.get("active_params_b", total))
    if active > total:
        raise InputError(
            f"--active-params-b ({active:g}) is above --params-b ({total:g})",
            "a mixture of experts activates part of its parameters: active <= total",
        )
    return total, active


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")


def find_calibration(catalog: Catalog, merged: Mapping[str, Param]) -> CalibrationEntry | None:
    """The last (highest-overlay) calibration of the estimate's GPU, size, precision and GPU
    count (when given); None if there is none."""
    if "gpu" not in merged or "params_b" not in merged:
        return None
    total = float(merged["params_b"].value)  # type: ignore[arg-type]
    active = float(merged["active_params_b"].value) if "active_params_b" in merged else total  # type: ignore[arg-type]
    precision = str(merged["precision"].value).lower() if "precision" in merged else "bf16"
    count = merged["gpu_count"].value if "gpu_count" in merged else None
    found = None
    for entry in catalog.entries("calibrations"):
        assert isinstance(entry, CalibrationEntry)
        if (
            entry.hardware == merged["gpu"].value
            and math.isclose(entry.params_b, total, rel_tol=1e-6)
            and math.isclose(entry.active_params_b, active, rel_tol=1e-6)
            and entry.precision == precision
            and (count is None or entry.gpu_count == count)
        ):
            found = entry
    return found


def calibration_params(entry: CalibrationEntry, source: Source) -> dict[str, Param]:
    """The ``calibration_*`` inputs (and the GPU count) of ``entry``, each with ``source``."""
    return {
        "calibration_gpu_energy_per_token_j": Param.trusted(
            value=entry.gpu_energy_per_token_j, source=source
        ),
        "calibration_time_per_token_s": Param.trusted(value=entry.time_per_token_s, source=source),
        "calibration_batch": Param.trusted(value=entry.batch_size, source=source),
        "gpu_count": Param.trusted(value=entry.gpu_count, source=source),
    }


def calibration_layer(
    merged: Mapping[str, Param], catalog: Catalog, report_path: str | None
) -> dict[str, Param]:
    """The calibration inputs for an open-LLM estimate: from ``--calibrate`` (one run) or from a
    matching calibration in the profiles; {} when none applies."""
    if report_path is not None:
        from ecoai.report_files import read_report

        given = {k: merged[k].value for k in (*DESCRIPTION_KEYS, "gpu_count") if k in merged}
        if "gpu" in merged:
            given["hardware"] = merged["gpu"].value
        entry = calibration_from_report(read_report(report_path), report_path, given, catalog)
        source = Source.trusted(kind="flag", ref="--calibrate", citation=entry.citation)
        return calibration_params(entry, source)  # the caller keeps a GPU count it has
    entry_found = find_calibration(catalog, merged)
    if entry_found is None:
        return {}
    ref = f"calibrations.{entry_found.id}"
    if entry_found.origin != "built-in":
        ref += f" ({entry_found.origin})"
    source = Source.trusted(kind="profile", ref=ref, citation=entry_found.citation)
    return calibration_params(entry_found, source)


def calibration_toml(entry: CalibrationEntry) -> str:
    """``entry`` as a profile file (``[calibrations."ID"]``), for ``--profiles DIR``."""
    import tomli_w

    from ecoai.validation import dump

    fields = dump(entry, exclude={"id", "origin", "name", "aliases", "note"}, exclude_none=True)
    header = (
        "# Written by `ecoai calibrate`: a measured open LLM. Estimates of the same GPU, GPU\n"
        "# count, size and precision use it instead of the ML.ENERGY data (--profiles DIR).\n"
    )
    return header + tomli_w.dumps({"schema_version": 1, "calibrations": {entry.id: fields}})
