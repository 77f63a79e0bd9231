"""One run: a method against a benchmark with a seed and a budget, evaluated in simulated time.

A run is the unit of work that studies fan out. It is deterministic: the method's generator and
the benchmark's noise stream are derived from the run's seed and stable labels, and nothing
measured on the wall clock enters the result table.
"""

from __future__ import annotations

import contextlib
import json
import platform
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import pandas as pd

from hpobench.contracts.benchmark import Benchmark, BenchmarkSpec
from hpobench.contracts.budget import Budget, BudgetKind
from hpobench.contracts.caching import task_cache
from hpobench.contracts.errors import (
    BudgetError,
    HpobenchError,
    IncompatibleError,
    MethodError,
)
from hpobench.contracts.method import Method
from hpobench.contracts.objectives import checked_pareto_reference
from hpobench.data.datadir import data_verification
from hpobench.data.registry import (
    BENCHMARKS_GROUP,
    METHODS_GROUP,
    load_benchmark,
    load_method,
    plugin_origin,
    table_folders,
)
from hpobench.execution.configtext import config_json as _config_json  # noqa: F401  # old private name, kept
from hpobench.execution.configtext import configs_json as _configs_json  # noqa: F401  # (same)
from hpobench.execution.result_table import frame_of, result_frame
from hpobench.execution.runspec import RunOutcome, RunSpec
from hpobench.execution.scalarization import ScalarizedMethod, scalar_task
from hpobench.execution.simulator import Simulation, young_collections_only
from hpobench.execution.threads import DEFAULT_THREADS, pinned_threads

__all__ = ["check_affordable", "execute_run", "failed_outcome"]

MAX_EVALUATIONS = 1_000_000
"""Hard cap on evaluations per run, whatever the budget (guards against zero-cost loops)."""

_VERSIONED = (
    "hpobench",
    "numpy",
    "pandas",
    "scipy",
    "ConfigSpace",
    "joblib",
    "pyarrow",
    "torch",
    "onnxruntime",
)
"""Packages whose versions a run records where they are installed (reading metadata: none is imported)."""


@task_cache(maxsize=16)
def _cached_benchmark(spec: BenchmarkSpec, data_dir: str | None, verify: bool) -> Benchmark:
    # ``verify`` is part of the key: a benchmark loaded unverified is never handed to a verified run
    return load_benchmark(spec, data_dir=None if data_dir is None else Path(data_dir), verify=verify)


def _versions() -> dict[str, str]:
    return dict(_versions_once())


@lru_cache(maxsize=1)
def _versions_once() -> tuple[tuple[str, str], ...]:
    """Python, platform and package versions, read once per process (metadata parsing takes ms)."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _VERSIONED:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return tuple(out.items())


class _Timeout(BaseException):
    """Raised in the run's thread at its wall-clock limit.

    A ``BaseException``, so a method whose loop catches ``Exception`` does not swallow it (one
    that catches everything is killed from outside, see :mod:`hpobench.execution.containment`).
    """


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`_Timeout` in this thread after ``seconds`` of wall time (main thread only)."""
    usable = seconds is not None and hasattr(signal, "setitimer")
    if not usable or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


def _make_method(spec: RunSpec, benchmark: Benchmark) -> Method:
    cls = load_method(spec.method)
    task = benchmark.task
    if spec.scalarization is not None:
        if not task.multi_objective:
            raise IncompatibleError(
                f"a scalarisation was declared for {spec.method!r} on {task.name!r}, which has one objective"
            )
        spec.scalarization.check(task)
        task = scalar_task(task)
    reason = cls.capabilities.incompatibility(task)
    if reason is not None:
        raise IncompatibleError(f"method {spec.method!r} cannot run on {spec.benchmark.name!r}: {reason}")
    try:
        method = cls(task, seed=spec.method_seed, **spec.method_kwargs)
    except TypeError as exc:
        raise MethodError(f"method {spec.method!r} rejected its keyword arguments: {exc}") from exc
    if spec.scalarization is None:
        return method
    return ScalarizedMethod(
        benchmark.task,
        seed=spec.method_seed,
        inner=method,
        scalarization=spec.scalarization,
        reference=checked_pareto_reference(benchmark),
    )


def check_affordable(budget: Budget, *, workers: int, benchmark: Benchmark) -> None:
    """Refuse, before a run starts, a budget that clearly affords more than :data:`MAX_EVALUATIONS`.

    An evaluation or fidelity budget above the cap is refused; a time budget is refused when
    ``workers`` simulated workers running only evaluations at the maximal fidelity of the
    benchmark's :meth:`~hpobench.contracts.benchmark.Benchmark.typical_cost` would already make more
    evaluations than the cap (methods that evaluate lower fidelities make even more). Budgets
    that only might reach the cap run, and stop at it with the same error.

    Raises:
        BudgetError: The budget affords more evaluations than the cap.
    """
    limit = f"the cap of {MAX_EVALUATIONS:,} evaluations per run"
    if budget.kind is BudgetKind.SECONDS:
        cost = benchmark.typical_cost()
        if cost is None or workers * budget.amount <= MAX_EVALUATIONS * cost:
            return
        affords = "any number of" if cost <= 0 else f"about {workers * budget.amount / cost:,.0f}"
        raise BudgetError(
            f"a budget of {budget} with {workers} worker(s) affords {affords} evaluations of "
            f"{benchmark.task.name!r} at its maximal fidelity (typical cost {cost:g} s), more than "
            f"{limit}; give a smaller budget"
        )
    if budget.amount > MAX_EVALUATIONS:
        raise BudgetError(f"a budget of {budget} needs more evaluations than {limit}; give a smaller budget")


def _describe(benchmark: Benchmark, provenance: dict[str, Any]) -> None:
    """Record the task, its reference optimum and its data files in ``provenance``."""
    task = benchmark.task
    reference = benchmark.optimum()
    objective = task.objective
    provenance["task"] = {
        "objective": objective.name,
        "direction": objective.direction.value,
        "fidelity": None
        if task.fidelity is None
        else {"name": task.fidelity.name, "low": task.fidelity.low, "high": task.fidelity.high},
        "candidates": task.candidates,
        "tags": sorted(task.tags),
    }
    provenance["reference"] = {
        "best": reference.best[objective.name],
        "worst": reference.worst[objective.name],
        "source": reference.source,
    }
    if task.multi_objective:
        provenance["task"]["objectives"] = [
            {"name": o.name, "direction": o.direction.value} for o in task.objectives
        ]
        pareto = checked_pareto_reference(benchmark)
        provenance["pareto_reference"] = {
            "objectives": list(pareto.objectives),
            "front": [list(row) for row in pareto.front],
            "reference_point": list(pareto.reference_point),
            "source": pareto.source,
        }
    provenance["data_files"] = dict(benchmark.data_files())


def _simulate(
    spec: RunSpec,
    *,
    data_dir: Path | None,
    timeout: float | None,
    verify: bool,
    threads: int,
    provenance: dict[str, Any],
) -> Simulation | None:
    """Load, build and run the simulation; record task, reference, threads and errors in ``provenance``.

    The thread pools are pinned once the benchmark and the method are built, so that the
    libraries they loaded are pinned too.
    """
    sim: Simulation | None = None
    method: Method | None = None
    try:
        with _deadline(timeout):
            benchmark = _cached_benchmark(spec.benchmark, None if data_dir is None else str(data_dir), verify)
            _describe(benchmark, provenance)
            check_affordable(spec.budget, workers=spec.workers, benchmark=benchmark)
            method = _make_method(spec, benchmark)
            provenance["method_params"] = json.loads(json.dumps(method.params(), default=repr))
            sim = Simulation(
                benchmark=benchmark,
                method=method,
                budget=spec.budget,
                workers=spec.workers,
                noise_seed=spec.noise_seed,
                max_evaluations=MAX_EVALUATIONS,
            )
            with pinned_threads(threads) as pinned:
                provenance["threads"] = pinned
                sim.run()
    except _Timeout:
        provenance["status"] = "failed"
        provenance["error"] = (
            f"timeout after {timeout:g} s: the run was stopped at its wall-clock limit "
            "(the evaluations made before it are kept)"
        )
    except Exception as exc:
        provenance["status"] = "failed"
        kind = type(exc).__name__
        if not isinstance(exc, HpobenchError):
            kind += " (raised in plugin code)"
        provenance["error"] = f"{kind}: {exc}"
        provenance["traceback"] = traceback.format_exc()
    if method is not None:
        _report(method, provenance)
    return sim


def _report(method: Method, provenance: dict[str, Any]) -> None:
    """Record the method's :class:`~.method.MethodReport` (or why it has none) in ``provenance``."""
    try:
        provenance["method_report"] = method.report().to_dict()
    except Exception as exc:  # plugin code: its failure to report must not lose the run
        provenance["method_report"] = {"error": f"{type(exc).__name__} (raised in plugin code): {exc}"}


def _record(spec: RunSpec, sim: Simulation | None, provenance: dict[str, Any]) -> pd.DataFrame:
    """The run's result table; record counts, spending and timings in ``provenance``.

    The benchmark's reference values still missing are asked for first, timed on their own
    (``timing.reference_seconds``: the benchmark's time, not the table's).
    """
    referencing = time.perf_counter()
    if sim is not None:
        sim.reference_values()  # kept by the simulation: the table reads them back
    recording = time.perf_counter()
    if sim is not None:
        frame = frame_of(spec, sim)
    else:
        frame = result_frame(
            spec,
            trials=[],
            fidelities=[],
            statuses=[],
            values=[],
            value_max=np.empty(0),
            costs=[],
            starts=[],
            ends=[],
            workers=[],
            high=1.0,
        )
    provenance["evaluations"] = len(frame)
    if sim is not None:
        provenance["spent"] = {
            "evaluations": sim.started,
            "fidelity": sim.fidelity_started,
            "seconds": sim.now,
        }
        provenance["timing"] = {
            "method_seconds": sim.method_seconds,
            "benchmark_seconds": sim.benchmark_seconds,
            "simulation_seconds": sim.run_seconds,
            "reference_seconds": recording - referencing,
            "record_seconds": time.perf_counter() - recording,
            "method_us_per_trial": 1e6 * sim.method_seconds / max(1, sim.started),
        }
    return frame


def _plugins(spec: RunSpec) -> dict[str, Any]:
    """Which distribution (name, version) provided the run's method and benchmark family."""
    out: dict[str, Any] = {}
    for role, group, name in (
        ("method", METHODS_GROUP, spec.method),
        ("benchmark", BENCHMARKS_GROUP, spec.benchmark.family),
    ):
        try:
            out[role] = {"name": name, **plugin_origin(group, name)}
        except HpobenchError as exc:
            out[role] = {"name": name, "error": str(exc)}
    return out


def _base_provenance(spec: RunSpec) -> dict[str, Any]:
    return {
        "run_id": spec.run_id,
        "spec": spec.to_dict(),
        "seeds": {"run": spec.seed, "method": spec.method_seed, "benchmark_noise": spec.noise_seed},
        "versions": _versions(),
        "plugins": _plugins(spec),
        "status": "ok",
    }


def failed_outcome(spec: RunSpec, *, error: str) -> RunOutcome:
    """The record of a run whose worker never reported back: an empty table and ``error`` as cause.

    For runs whose process crashed or was killed at its timeout or memory cap; called by the
    study runner, in the study's own process.
    """
    provenance = _base_provenance(spec)
    provenance["status"] = "failed"
    provenance["error"] = error
    return RunOutcome(frame=_record(spec, None, provenance), provenance=provenance)


def execute_run(
    spec: RunSpec,
    *,
    data_dir: Path | None = None,
    timeout: float | None = None,
    verify: bool = True,
    threads: int | None = None,
) -> RunOutcome:
    """Execute one run and return its table and provenance; never raises for method failures.

    A method that raises, stalls, proposes an invalid trial or exceeds ``timeout`` wall-clock
    seconds ends the run with status ``failed``; evaluations made before the failure are kept.
    Errors that concern the study rather than the method (an unknown name, missing data) are
    recorded the same way, so one bad run never stops a study.

    Args:
        spec: The run.
        data_dir: The benchmark data directory.
        timeout: Wall-clock limit for the whole run in seconds (``None``: no limit).
        verify: Whether the benchmark's data files must match their pinned sha256 (``False``:
            for data edited on purpose; recorded in provenance as ``data_verified``).
        threads: BLAS/OpenMP threads the run may use (:func:`hpobench.execution.threads.pinned_threads`;
            ``None``: 1, the same results on every machine). Recorded in provenance as
            ``threads``; more can change the last bits of a method that uses BLAS or torch
            (:mod:`hpobench.execution.threads`).
    """
    started = time.time()
    provenance = _base_provenance(spec)
    folder = table_folders(data_dir).get(spec.benchmark.family)
    if folder is not None:  # a user's table folder, not an installed plugin
        provenance["plugins"]["benchmark"] = {"name": spec.benchmark.family, "table_folder": str(folder)}
    # full collections of the garbage collector would traverse every object the run made,
    # again and again; they resume once the simulation is released
    with young_collections_only():
        provenance["data_verified"] = verify
        with data_verification(enabled=verify):  # also for data a benchmark reads lazily
            limit = DEFAULT_THREADS if threads is None else threads
            sim = _simulate(
                spec, data_dir=data_dir, timeout=timeout, verify=verify, threads=limit, provenance=provenance
            )
        frame = _record(spec, sim, provenance)
        del sim
    provenance["wall_seconds"] = time.time() - started
    return RunOutcome(frame=frame, provenance=provenance)
