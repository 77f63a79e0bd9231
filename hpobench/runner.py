"""One run: a method against a benchmark with a seed and a budget, evaluated in simulated time.

A run is the unit of work that studies fan out. It is deterministic: the method's generator and
the benchmark's noise stream are derived from the run's seed and stable labels, and nothing
measured on the wall clock enters the result table.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import platform
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from operator import attrgetter, methodcaller
from pathlib import Path
from types import FrameType, MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from hpobench.benchmark import Benchmark, BenchmarkSpec
from hpobench.budget import Budget, BudgetKind
from hpobench.configtext import config_json as _config_json  # noqa: F401  # old private name, kept
from hpobench.configtext import config_texts
from hpobench.configtext import configs_json as _configs_json  # noqa: F401  # (same)
from hpobench.datadir import data_verification
from hpobench.errors import (
    BudgetError,
    HpobenchError,
    IncompatibleError,
    MethodError,
)
from hpobench.method import Method
from hpobench.objectives import checked_pareto_reference
from hpobench.registry import (
    BENCHMARKS_GROUP,
    METHODS_GROUP,
    load_benchmark,
    load_method,
    plugin_origin,
    table_folders,
)
from hpobench.scalarization import Scalarization, ScalarizedMethod, scalar_task
from hpobench.seeding import derive_seed
from hpobench.simulator import Simulation, young_collections_only
from hpobench.threads import pinned_threads, thread_share
from hpobench.types import FrozenValue, Trial
from hpobench.values import check_seed

__all__ = [
    "RunOutcome",
    "RunSpec",
    "add_objective_columns",
    "check_affordable",
    "execute_run",
    "failed_outcome",
    "method_label",
]

MAX_EVALUATIONS = 1_000_000
"""Hard cap on evaluations per run, whatever the budget (guards against zero-cost loops)."""

_VERSIONED = ("hpobench", "numpy", "pandas", "scipy", "ConfigSpace", "joblib", "pyarrow")


def method_label(name: str, kwargs: Mapping[str, Any]) -> str:
    """Label of a method with its keyword arguments, e.g. ``"hyperband(eta=2)"``."""
    if not kwargs:
        return name
    inner = ",".join(f"{k}={json.dumps(kwargs[k], sort_keys=True)}" for k in sorted(kwargs))
    return f"{name}({inner})"


@dataclass(frozen=True, kw_only=True)
class RunSpec(FrozenValue):
    """Everything that determines a run.

    Attributes:
        benchmark: The task.
        method: Registered method name.
        method_kwargs: Keyword hyperparameters passed to the method's constructor.
        seed: The run's seed; method and benchmark streams are derived from it.
        budget: How much the run may spend.
        workers: Number of simulated parallel workers (see :mod:`hpobench.simulator`).
        scalarization: How a single-objective method combines a multi-objective task's
            objectives (:mod:`hpobench.scalarization`), or ``None``. Recorded in the spec (and
            so in the run id) only when given, and in the label (``tpe [scalarised: ...]``).
    """

    benchmark: BenchmarkSpec
    method: str
    seed: int
    budget: Budget
    method_kwargs: Mapping[str, Any] = field(default_factory=dict)
    workers: int = 1
    scalarization: Scalarization | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "method_kwargs", MappingProxyType(dict(self.method_kwargs)))
        object.__setattr__(self, "seed", check_seed(self.seed))  # the one seed rule, as an int
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")

    __hash__ = None  # type: ignore[assignment]  # holds a mapping

    @property
    def label(self) -> str:
        """The method label (name plus keyword arguments, and the scalarisation if any)."""
        label = method_label(self.method, self.method_kwargs)
        return label if self.scalarization is None else f"{label} [scalarised: {self.scalarization.text}]"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the spec."""
        return {
            "benchmark": self.benchmark.name,
            "method": self.method,
            "method_kwargs": dict(self.method_kwargs),
            "seed": self.seed,
            "budget": str(self.budget),
            "workers": self.workers,
        } | ({} if self.scalarization is None else {"scalarization": self.scalarization.to_dict()})

    @property
    def run_id(self) -> str:
        """A readable, unique, stable identifier (also the result file name)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:10]
        return f"{self.benchmark.family}.{self.benchmark.task}.{self.method}.s{self.seed}.{digest}"

    @property
    def method_seed(self) -> int:
        """Seed of the method's generator (same across methods for a task and seed)."""
        return derive_seed(self.seed, "method", self.benchmark.name)

    @property
    def noise_seed(self) -> int:
        """Seed of the benchmark-noise stream (same across methods: common random numbers)."""
        return derive_seed(self.seed, "benchmark", self.benchmark.name)


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    """What a run produced: its result table (also for failed runs) and provenance.

    Attributes:
        frame: One row per evaluation, columns :data:`hpobench.store.COLUMNS`.
        provenance: JSON-ready record (spec, seeds, versions, data checksums, timings, status).
    """

    frame: pd.DataFrame
    provenance: Mapping[str, Any]

    @property
    def failed(self) -> bool:
        """Whether the run stopped with an error."""
        return bool(self.provenance["status"] != "ok")


@lru_cache(maxsize=16)
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
    that catches everything is killed from outside, see :mod:`hpobench.containment`).
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


_STATUS_TEXT = attrgetter("status._value_")
"""An evaluation's ``status.value`` (the member's value attribute, without the Enum property)."""
_VALUES, _COST, _CONFIG, _TAG = (
    attrgetter("values"),
    attrgetter("cost"),
    attrgetter("config"),
    attrgetter("tag"),
)


def _text_column(texts: pa.Array) -> pd.Series:
    """A ``"string"`` column of Arrow strings (what ``pd.Series(list, dtype="string")`` builds)."""
    return pd.Series(pd.arrays.ArrowStringArray(texts), dtype="string")


def _repeated_text(text: str, n: int) -> pd.Series:
    """``pd.Series([text] * n, dtype="string")``, built as ``n`` indices into one Arrow string."""
    return _text_column(pa.array([text], type=pa.large_string()).take(np.zeros(n, dtype=np.int64)))


def _frame(spec: RunSpec, sim: Simulation) -> pd.DataFrame:
    done = sim.columns()
    task = sim.benchmark.task
    all_max = sim.reference_values()
    value_max = all_max[:, 0]
    objective = task.objective.name
    evaluations = done.evaluations
    frame = result_frame(
        spec,
        trials=done.trials,
        fidelities=done.fidelity,
        statuses=list(map(_STATUS_TEXT, evaluations)),
        values=np.fromiter(
            map(methodcaller("get", objective, math.nan), map(_VALUES, evaluations)),
            dtype=float,
            count=len(evaluations),
        ),
        value_max=value_max,
        costs=np.fromiter(map(_COST, evaluations), dtype=float, count=len(evaluations)),
        starts=done.start,
        ends=done.end,
        workers=done.worker,
        high=sim.high,
        resumed=done.resumed_fidelity,
    )
    if task.multi_objective:
        names = [o.name for o in task.objectives]
        observed = np.array([[e.values.get(n, math.nan) for n in names] for e in evaluations], dtype=float)
        add_objective_columns(frame, observed=observed.reshape(len(evaluations), len(names)), at_max=all_max)
    return frame


def add_objective_columns(frame: pd.DataFrame, *, observed: np.ndarray, at_max: np.ndarray) -> None:
    """Add a multi-objective run's list columns ``objective_values`` and ``objective_values_max``.

    Single-objective tables never have them (their files stay as they were). Both hold one
    value per objective in the task's objective order (see :data:`hpobench.store.OBJECTIVE_COLUMNS`);
    ``value`` and ``value_max`` repeat the first (primary) one.

    Args:
        frame: The run's table (:func:`result_frame`), changed in place.
        observed: Shape ``(rows, objectives)``, the observed values (NaN where failed).
        at_max: Shape ``(rows, objectives)``, the noise-free values at the maximal fidelity.
    """
    for name, values in (("objective_values", observed), ("objective_values_max", at_max)):
        frame[name] = pd.Series(list(np.asarray(values, dtype=float)), index=frame.index, dtype=object)


def result_frame(
    spec: RunSpec,
    *,
    trials: Sequence[Trial],
    fidelities: Sequence[float] | np.ndarray,
    statuses: Sequence[str],
    values: Sequence[float] | np.ndarray,
    value_max: np.ndarray,
    costs: Sequence[float] | np.ndarray,
    starts: Sequence[float] | np.ndarray,
    ends: Sequence[float] | np.ndarray,
    workers: Sequence[int] | np.ndarray,
    high: float,
    resumed: Sequence[float] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Build a run's long-format table (columns :data:`hpobench.store.COLUMNS`), in completion order.

    ``costs`` are the charged costs; ``resumed`` holds, per evaluation, the fidelity of the
    checkpoint it continued (NaN when it trained from scratch; ``None``: none continued), so
    ``fidelity_spent`` counts only the fidelity added by continuations.
    """
    n = len(trials)
    cost = np.asarray(costs, dtype=float)
    fids = np.asarray(fidelities, dtype=float)
    from_fid = np.full(n, np.nan) if resumed is None else np.asarray(resumed, dtype=float)
    continued = ~np.isnan(from_fid)
    texts = config_texts(list(map(_CONFIG, trials)))
    return pd.DataFrame(
        {
            "run_id": _repeated_text(spec.run_id, n),
            "benchmark": _repeated_text(spec.benchmark.name, n),
            "method": _repeated_text(spec.label, n),
            "seed": np.full(n, spec.seed, dtype=np.int64),
            "eval": np.arange(n, dtype=np.int64),
            "config": _text_column(texts),
            "fidelity": fids,
            "tag": pd.Series(list(map(_TAG, trials)), dtype="string"),
            "status": _text_column(pa.array(list(statuses), type=pa.large_string())),
            "value": np.asarray(values, dtype=float),
            "value_max": np.asarray(value_max, dtype=float),
            "cost": cost,
            "start": np.asarray(starts, dtype=float),
            "time": np.asarray(ends, dtype=float),
            "worker": np.asarray(workers, dtype=np.int64),
            "fidelity_spent": np.cumsum((fids - np.where(continued, from_fid, 0.0)) / high),
            "continued": continued,
            "resumed_fidelity": from_fid,
        }
    )


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
    benchmark's :meth:`~hpobench.benchmark.Benchmark.typical_cost` would already make more
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
    """Record the method's :class:`~hpobench.method.MethodReport` (or why it has none) in ``provenance``."""
    try:
        provenance["method_report"] = method.report().to_dict()
    except Exception as exc:  # plugin code: its failure to report must not lose the run
        provenance["method_report"] = {"error": f"{type(exc).__name__} (raised in plugin code): {exc}"}


def _record(spec: RunSpec, sim: Simulation | None, provenance: dict[str, Any]) -> pd.DataFrame:
    """The run's result table; record counts, spending and timings in ``provenance``."""
    if sim is not None:
        frame = _frame(spec, sim)
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
        threads: BLAS/OpenMP threads the run may use (:func:`hpobench.threads.pinned_threads`;
            ``None``: every core this process may use). Recorded in provenance as ``threads``;
            the results do not depend on it.
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
            limit = thread_share(1) if threads is None else threads
            sim = _simulate(
                spec, data_dir=data_dir, timeout=timeout, verify=verify, threads=limit, provenance=provenance
            )
        frame = _record(spec, sim, provenance)
        del sim
    provenance["wall_seconds"] = time.time() - started
    return RunOutcome(frame=frame, provenance=provenance)
