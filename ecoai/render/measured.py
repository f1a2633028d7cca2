"""The measured-only part of the human summary: energy by component, sensors, sampling, exit."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from ecoai.models import COMPONENTS, Measurement, Report, RunMeasurement


def title_kind(report: Report) -> str:
    """The report's kind as titles show it: a measured report whose every sensor is a power
    model (no energy counter, no power reading) is "modelled", not "measured"."""
    m = report.measurement
    if (
        report.kind == "measured"
        and m is not None
        and m.sensors
        and all(sensor.method == "model" for sensor in m.sensors)
    ):
        return "modelled"
    return report.kind


def measured_section(report: Report) -> str:
    """Plain text (no markup) appended to the table summary of a measured report."""
    m = report.measurement
    if m is None or not m.runs:
        return ""
    run = m.runs[-1]
    by_gpm = {s.name for s in m.sensors if s.facts.get("mig_attribution") == "gpm"}
    lines = [_headline(m, run), *_components(run, m.baseline_s > 0, by_gpm), "sensors:"]
    lines += [
        f"  {s.name:<16} {s.component:<4} {s.method:<8} {s.scope:<8} {_facts(s.facts)}"
        for s in m.sensors
    ] or ["  (none)"]
    lines += [f"  assumption ({s.name}): {a}" for s in m.sensors for a in s.assumptions]
    lines += [f"  skipped {skip.name}: {skip.reason}" for skip in m.skipped]
    lines.append(_sampling(m, run))
    from ecoai.render.per_unit import workload_section
    from ecoai.render.sparkline import power_line

    lines += [text for text in (power_line(run.timeline), workload_section(report)) if text]
    return "\n".join(lines)


def _headline(m: Measurement, run: RunMeasurement) -> str:
    status = f"exit status {m.exit_status}"
    if run.signal:
        status += f" (killed by signal {run.signal})"
    elif run.interrupted:
        status += " (interrupted)"
    runs = f", {len(m.runs)} runs (figures: last run)" if len(m.runs) > 1 else ""
    command = " ".join(m.command)
    if len(command) > 60:
        command = command[:57] + "..."
    return f"measured: {command}  {run.duration_s:.2f} s, {status}{runs}"


def _components(
    run: RunMeasurement, with_idle: bool, by_gpm: AbstractSet[str] = frozenset()
) -> list[str]:
    header = f"  {'component':<10}{'whole (J)':>14}{'attributed (J)':>16}"
    header += f"{'above idle (J)':>16}" if with_idle else ""
    lines = ["energy by component (IT):", header]
    for component in [*COMPONENTS, "total"]:
        chosen = [s for s in run.sensors if component in (s.component, "total")]
        if not chosen:
            continue
        whole = sum(s.energy_j for s in chosen)
        mine = sum(s.attributed_energy_j for s in chosen)
        line = f"  {component:<10}{whole:>14.2f}{mine:>16.2f}"
        if with_idle:
            idle = [s.above_idle_energy_j for s in chosen]
            line += f"{sum(i or 0.0 for i in idle):>16.2f}" if None not in idle else f"{'-':>16}"
        lines.append(line)
    if run.cpu_share is not None:
        lines.append(
            f"  CPU-time share of the process tree: {run.cpu_share:.1%} "
            f"({run.child_cpu_s:.2f} of {run.machine_busy_cpu_s or 0.0:.2f} CPU-s"
            + (f", counted by {run.cpu_time_method})" if run.cpu_time_method else ")")
        )
    if run.memory_share is not None and any(s.component == "dram" for s in run.sensors):
        lines.append(f"  memory share of the process tree (DRAM): {run.memory_share:.1%}")
    for name, share in run.gpu_share.items():
        if "/MIG-" in name and name in by_gpm:  # sensors.mig: GPM activity, else slices
            lines.append(
                f"  {name}: the MIG instance's share of its GPU {share:.1%} (by GPM engine "
                "activity; by its compute slices in a run where no instance was busy)"
            )
        elif "/MIG-" in name:  # sensors.mig: a static share of the parent GPU
            lines.append(f"  {name}: the MIG instance's share of its GPU's slices {share:.1%}")
        else:
            lines.append(f"  {name} is shared: the process tree's SM-utilisation share {share:.1%}")
    return lines


def _facts(facts: dict[str, str]) -> str:
    keys = ("device_name", "uuid", "driver", "model_name", "zone", "memory_gb")
    return ", ".join(f"{k}={facts[k]}" for k in keys if k in facts)


def _sampling(m: Measurement, run: RunMeasurement) -> str:
    per_s = run.overhead_cpu_s / run.duration_s * 1e3 if run.duration_s > 0 else 0.0
    text = (
        f"sampling: every {m.interval_s:g} s, {run.samples} samples, {run.read_errors} read "
        f"errors, {run.gap_count} gaps; ecoai overhead {run.overhead_cpu_s * 1e3:.1f} ms CPU "
        f"({per_s:.2f} ms/s); scope {m.scope}"
    )
    return text
