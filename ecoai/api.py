"""``ecoai.measure``: measure a block of Python in-process, with the profile's sensors and report.

    with ecoai.measure(queries=10, pue=1.2, grid="FRA") as m:
        answers = [model(prompt) for prompt in prompts]
    print(m.report.per_query.energy_wh.mean)

Also a decorator (``@ecoai.measure()``: each call is one run). Every entry of the same object
is another run, and ``report`` covers them all (mean and spread, as ``profile --repeat``);
re-entering it while open (recursion) counts once; separate objects nest freely. ``ecoai.track``
calls inside the block count queries, tokens and phases. When torch is already imported and has
initialised CUDA, the block's edges wait for the GPUs (``torch.cuda.synchronize``), so queued
kernels count inside the block. The block's share of CPU and DRAM energy is this process's CPU
time (all its threads, ecoai's sampler included) over the machine's busy CPU time.
``log="mlflow"`` (or ``"wandb"``, ``"otel"``, a list) logs the report after each block
(``ecoai.integrations``; a sink that fails is a note in the report and a warning).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ecoai.errors import InputError
from ecoai.inputs.keys import FOOTPRINT_KEYS

if TYPE_CHECKING:
    from ecoai.integrations import Logged, Sink
    from ecoai.measurement.records import Measured, ProfileRequest, RunRecord
    from ecoai.measurement.runner import RunResult
    from ecoai.measurement.work import WorkMeter
    from ecoai.models import AttributionScope, ParamValue, Report
    from ecoai.sensors import Discovery
    from ecoai.sensors.base import Skip


class Measure(contextlib.ContextDecorator):
    """A context manager and decorator measuring what runs inside it (see the module)."""

    def __init__(
        self,
        *,
        queries: int | None = None,
        label: str | None = None,
        interval_s: float = 0.5,  # measurement.sampler.DEFAULT_INTERVAL_S
        scope: AttributionScope = "process-tree",
        sensors: str = "auto",
        discover: Callable[[], Discovery] | None = None,
        log: str | Sequence[str] | None = None,
        **footprint: ParamValue,
    ) -> None:
        unknown = sorted(set(footprint) - set(FOOTPRINT_KEYS))
        if unknown:
            raise InputError(
                f"unknown measure() argument {unknown[0]!r}",
                "footprint arguments: " + ", ".join(FOOTPRINT_KEYS),
            )
        self.queries, self.label, self.interval_s, self.scope = queries, label, interval_s, scope
        self._sensors, self._discover, self._footprint = sensors, discover, footprint
        self._runs: list[RunRecord] = []
        self._last: Measured | None = None
        self._skipped: list[Skip] = []
        self._notes: list[str] = []
        self._request: ProfileRequest | None = None
        self._depth = 0
        self._run: _Run | None = None
        self._report: Report | None = None
        self._sinks = _sinks(log)
        self.logged: list[Logged] = []
        """Where each block's report went with ``log=`` (``ecoai.integrations.Logged``)."""

    def __enter__(self) -> Measure:
        if self._depth == 0:  # a failure to start leaves the object as it was
            run = _Run(self._prepare(), self._found(), self._work())
            run.start()
            self._run = run
        self._depth += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth or self._run is None:
            return
        run, self._run = self._run, None
        measured, found = run.stop(None if error is None else f"{type(error).__name__}: {error}")
        self._runs += measured.runs
        self._last = measured
        self._skipped = list(found.skipped)
        self._notes = list(found.notes)
        self._report = None
        if self._sinks:
            self._log()

    def _log(self) -> None:
        """Log the report so far to the ``log=`` sinks; a failure is a note and a warning."""
        import warnings

        from ecoai.integrations import log_to, with_failures

        self.logged = log_to(self.report, self._sinks)
        self._report = with_failures(self.report, self.logged)
        for outcome in self.logged:
            if outcome.error:
                warnings.warn(
                    f"ecoai: not logged to {outcome.sink.title}: {outcome.error}", stacklevel=3
                )

    @property
    def report(self) -> Report:
        """The report of every run so far (the same model ``ecoai profile`` writes)."""
        if self._report is None:
            if self._last is None or self._request is None:
                raise InputError("no block has been measured yet", "use it in a with block first")
            from ecoai.measurement.records import Measured
            from ecoai.measurement.report import build_report
            from ecoai.sensors.host import host_info

            last = self._last
            measured = Measured(last.sensors, last.ended_at, last.baseline_power_w, self._runs)
            self._report = build_report(
                self._request,
                measured,
                self._skipped,
                host_info(),
                self._request.inputs,
                self._notes,
            )
        return self._report

    def _prepare(self) -> ProfileRequest:
        if self._request is None:
            from ecoai.measurement.session import prepare

            self._request = prepare(
                [f"<python block: {self.label or 'ecoai.measure'}>"],
                self._footprint,
                scope=self.scope,
                interval_s=self.interval_s,
                queries=self.queries,
                label=self.label,
            )
        return self._request

    def _found(self) -> Discovery:
        if self._discover is not None:
            return self._discover()
        from ecoai.sensors import SensorRequest, discover, parse_backends

        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        order = os.environ.get("CUDA_DEVICE_ORDER")
        backends = parse_backends(self._sensors)
        return discover(SensorRequest(backends=backends, gpu_visible=visible, gpu_order=order))

    def _work(self) -> WorkMeter:
        from ecoai.measurement.work import WorkMeter

        return WorkMeter()


def _sinks(log: str | Sequence[str] | None) -> list[Sink]:
    if not log:
        return []
    from ecoai.integrations import parse_sinks

    return parse_sinks(log, "log=")


def measure(**options: Any) -> Measure:
    """Measure a block or a function: ``with ecoai.measure(queries=10) as m: ...; m.report``."""
    return Measure(**options)


class _Run:
    """One run: ``profile.measure`` on a helper thread, its 'command' being the block itself."""

    def __init__(self, request: ProfileRequest, found: Discovery, work: WorkMeter) -> None:
        self.request, self.found, self.work = request, found, work
        self._entered, self._exited = threading.Event(), threading.Event()
        self._error: str | None = None
        self._measured: Measured | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._measure, name="ecoai-measure", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._entered.wait()
        if self._failure is not None:
            raise self._failure
        _sync_cuda()

    def stop(self, error: str | None) -> tuple[Measured, Discovery]:
        _sync_cuda()
        self._error = error
        self._exited.set()
        self._thread.join()
        self.found.close()
        if self._measured is None:
            raise self._failure or RuntimeError("the measurement did not finish")
        return self._measured, self.found

    def _measure(self) -> None:
        from ecoai.measurement.session import measure

        try:
            self._measured = measure(self.request, self.found, runner=self._block, work=self.work)
        except BaseException as failure:  # handed to the caller's thread by start/stop
            self._failure = failure
            self._entered.set()

    def _block(self, argv: list[str], grace_s: float, on_start: Callable[[int], None]) -> RunResult:
        from ecoai import track
        from ecoai.measurement.runner import RunResult

        start_s, cpu0_s = time.monotonic(), time.process_time()
        on_start(os.getpid())
        track._sinks.append(self.work.feed)
        self._entered.set()
        self._exited.wait()
        track._sinks.remove(self.work.feed)
        status = 0 if self._error is None else 1
        return RunResult(
            status,
            status,
            None,
            False,
            time.monotonic() - start_s,
            time.process_time() - cpu0_s,
            self._error,
        )


def _sync_cuda() -> None:
    """Wait for queued CUDA work, only if torch is already imported and CUDA is initialised."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    try:
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            for index in range(torch.cuda.device_count()):
                torch.cuda.synchronize(index)
    except Exception:  # a broken CUDA set-up must not break the measured program
        return
