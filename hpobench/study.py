"""Studies: the cross product of benchmarks, methods and seeds, fanned out with joblib.

A study writes into one output directory (see :mod:`hpobench.store`). Running the same study
again on the same directory resumes it: finished runs (including recorded failures) are not
redone, temporary files of interrupted runs are discarded, and the remaining runs produce the
same bytes they would have produced in an uninterrupted study.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from joblib import Parallel, delayed

from hpobench.benchmark import BenchmarkSpec
from hpobench.budget import Budget
from hpobench.errors import HpobenchError
from hpobench.registry import load_method, task_info
from hpobench.runner import RunSpec, execute_run
from hpobench.store import (
    atomic_write_bytes,
    finished_run_ids,
    remove_stale_temporaries,
    write_combined,
    write_run,
)

__all__ = ["Backend", "Skipped", "StudyPlan", "StudySummary", "plan_study", "run_study"]


class Backend(Enum):
    """Where the runs of a study execute (joblib backends; results do not depend on it)."""

    LOKY = "loky"
    """Local worker processes (the default)."""
    DASK = "dask"
    """A dask.distributed cluster (extra ``hpobench[dask]``)."""
    RAY = "ray"
    """A Ray cluster (extra ``hpobench[ray]``)."""


@dataclass(frozen=True, kw_only=True)
class Skipped:
    """A (benchmark, method) pairing left out of a study, and why."""

    benchmark: str
    method: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class StudyPlan:
    """The runs of a study, in a fixed order, and the pairings that were left out."""

    runs: tuple[RunSpec, ...]
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StudySummary:
    """What a call to :func:`run_study` did."""

    executed: int
    resumed: int
    failed: tuple[tuple[str, str], ...] = field(default=())
    """(run_id, error) of runs that ended with an error (in this call)."""


def plan_study(
    *,
    benchmarks: Sequence[BenchmarkSpec],
    methods: Sequence[str],
    seeds: Sequence[int],
    budget: Budget,
    method_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    workers: int = 1,
) -> StudyPlan:
    """Build the runs of a study and leave out pairings a method declares it cannot handle.

    Compatibility is judged from the task description (no data is loaded) and the method's
    declared capabilities.

    Args:
        benchmarks: Tasks, in order.
        methods: Registered method names, in order.
        seeds: Seeds; every pairing runs once per seed.
        budget: Budget of every run.
        method_kwargs: Method name -> keyword arguments of its constructor.
        workers: Simulated parallel workers inside every run.

    Raises:
        UnknownNameError: A method or task is not registered.
    """
    kwargs = dict(method_kwargs or {})
    for name in kwargs:
        if name not in methods:
            raise ValueError(f"keyword arguments given for method {name!r}, which is not in the study")
    runs: list[RunSpec] = []
    skipped: list[Skipped] = []
    for spec in benchmarks:
        info = task_info(spec)
        for name in methods:
            caps = load_method(name).capabilities
            if caps.requires_fidelity and not info.multi_fidelity:
                reason = f"{name} needs a multi-fidelity task and {spec.name} has no fidelity"
                skipped.append(Skipped(benchmark=spec.name, method=name, reason=reason))
                continue
            if caps.requires_continuation and (info.continuation is False or not info.multi_fidelity):
                reason = f"{name} needs a task that supports continuation and {spec.name} does not"
                skipped.append(Skipped(benchmark=spec.name, method=name, reason=reason))
                continue
            runs.extend(
                RunSpec(
                    benchmark=spec,
                    method=name,
                    seed=s,
                    budget=budget,
                    method_kwargs=kwargs.get(name, {}),
                    workers=workers,
                )
                for s in seeds
            )
    return StudyPlan(runs=tuple(runs), skipped=tuple(skipped))


def _execute_and_store(
    spec: RunSpec, out: str, data_dir: str | None, timeout: float | None
) -> tuple[str, str]:
    outcome = execute_run(spec, data_dir=None if data_dir is None else Path(data_dir), timeout=timeout)
    write_run(Path(out), spec.run_id, outcome.frame, outcome.provenance)
    return spec.run_id, str(outcome.provenance.get("error", ""))


def write_study_record(out: Path, plan: StudyPlan, extra: Mapping[str, Any] | None = None) -> None:
    """Write ``OUT/study.json`` describing the planned runs (overwritten on every call)."""
    record = {
        "runs": [r.run_id for r in plan.runs],
        "specs": [r.to_dict() for r in plan.runs],
        "skipped": [vars(s) for s in plan.skipped],
        **(extra or {}),
    }
    atomic_write_bytes(out / "study.json", (json.dumps(record, indent=1, sort_keys=True) + "\n").encode())


def run_study(
    plan: StudyPlan,
    *,
    out: Path,
    jobs: int = 1,
    data_dir: Path | None = None,
    timeout: float | None = None,
    progress: bool = True,
    backend: Backend | str = Backend.LOKY,
    scheduler: str | None = None,
) -> StudySummary:
    """Execute the runs of ``plan`` that are not finished in ``out``, ``jobs`` at a time.

    Each worker process loads the benchmarks it needs itself (only specs cross process
    boundaries) and writes its run's files atomically, so killing the study loses at most the
    runs in flight.

    Args:
        plan: The study.
        out: Output directory; created if needed.
        jobs: Number of worker processes (``1`` runs in this process; ``-1`` uses all cores).
        data_dir: Benchmark data directory.
        timeout: Wall-clock limit per run in seconds, or ``None``.
        progress: Whether to show a progress bar (on stderr).
        backend: Where runs execute (:class:`Backend` or its value): local processes, or a
            dask.distributed / Ray cluster through joblib's ``parallel_config``. Every run is
            deterministic and writes its own files, so the results are byte-identical across
            backends; with a cluster, ``out`` (and ``data_dir``) must be paths the workers
            share, and ``jobs=1`` means as many runs at once as the cluster takes (``-1``).
        scheduler: Address of the cluster to connect to (dask: a scheduler address such as
            ``tcp://host:8786``; ray: ``ray.init`` address). ``None``: dask uses the running
            default ``Client``, ray starts or joins a local instance.

    Raises:
        ValueError: An unknown backend, or a scheduler without a cluster backend.
        HpobenchError: The backend's package is missing, or dask has no client to use.

    At the end, the study's combined table is brought up to date
    (:func:`hpobench.store.write_combined`), so that reports read one file.
    """
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    write_study_record(out, plan)
    done = finished_run_ids(out)
    todo = [r for r in plan.runs if r.run_id not in done]
    resumed = len(plan.runs) - len(todo)
    data = None if data_dir is None else str(data_dir)
    calls = (delayed(_execute_and_store)(r, str(out), data, timeout) for r in todo)
    results: Iterable[tuple[str, str]]
    backend = Backend(backend)
    if scheduler is not None and backend is Backend.LOKY:
        raise ValueError("a scheduler address needs a cluster backend (dask or ray)")
    cluster = contextlib.ExitStack()
    if backend is Backend.LOKY and (jobs == 1 or len(todo) <= 1):
        results = (_execute_and_store(r, str(out), data, timeout) for r in todo)
    elif backend is Backend.LOKY:
        results = Parallel(n_jobs=jobs, return_as="generator_unordered")(calls)
    else:
        _enter_cluster(cluster, backend, scheduler)
        n_jobs = -1 if jobs == 1 else jobs
        # Ray's joblib backend returns no generators: the results (not the runs) arrive at the end
        order = "list" if backend is Backend.RAY else "generator_unordered"
        results = Parallel(n_jobs=n_jobs, return_as=order)(calls)
    failed: list[tuple[str, str]] = []
    bar = _progress_bar(total=len(plan.runs), initial=resumed, enabled=progress)
    try:
        for run_id, error in results:
            if error:
                failed.append((run_id, error))
            bar.update(1)
    finally:
        bar.close()
        cluster.close()
    write_combined(out)  # one table of all runs, for fast reports (kept in step with the run files)
    return StudySummary(executed=len(todo), resumed=resumed, failed=tuple(sorted(failed)))


def _enter_cluster(stack: contextlib.ExitStack, backend: Backend, scheduler: str | None) -> None:
    """Connect to the cluster of ``backend`` and make it joblib's backend until ``stack`` closes."""
    from joblib import parallel_config

    if backend is Backend.DASK:
        try:
            import distributed
        except ImportError:
            raise HpobenchError(
                "backend 'dask' needs dask.distributed: pip install 'hpobench[dask]'"
            ) from None
        if scheduler is not None:
            stack.enter_context(distributed.Client(scheduler))  # type: ignore[no-untyped-call]  # untyped package
        else:
            try:
                distributed.default_client()  # type: ignore[no-untyped-call]  # untyped package
            except ValueError:
                raise HpobenchError(
                    "backend 'dask' needs a scheduler address or a running dask.distributed Client"
                ) from None
    else:
        try:
            import ray
            from ray.util.joblib import register_ray
        except ImportError:
            raise HpobenchError("backend 'ray' needs Ray: pip install 'hpobench[ray]'") from None
        register_ray()  # type: ignore[no-untyped-call]  # untyped package
        if not ray.is_initialized():
            ray.init(address=scheduler)
            stack.callback(ray.shutdown)
    stack.enter_context(parallel_config(backend=backend.value))


def _progress_bar(*, total: int, initial: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total, initial=initial, disable=not enabled, unit="run", desc="hpobench", dynamic_ncols=True
    )
