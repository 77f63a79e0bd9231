"""Studies: the cross product of benchmarks, methods and seeds, run in contained worker processes.

A study writes into one output directory (see :mod:`hpobench.execution.store`), which it holds locked while
it runs (:mod:`hpobench.execution.studylock`). Running the same study again on the same directory resumes
it: runs whose files read back intact are not redone, damaged ones are moved aside and redone,
failed ones are redone unless asked not to, temporary files of interrupted runs are discarded,
and the remaining runs produce the same bytes they would have produced in an uninterrupted
study. Each run executes in a worker process that contains its failures
(:mod:`hpobench.execution.containment`), or in a dask/Ray cluster through joblib.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from hpobench.contracts.caching import release_task_caches
from hpobench.contracts.errors import HpobenchError
from hpobench.execution.containment import JobResult, Limits, run_contained
from hpobench.execution.planning import StudyPlan
from hpobench.execution.read_ahead import ReadAhead, held_bytes
from hpobench.execution.runner import execute_run, failed_outcome
from hpobench.execution.runspec import RunSpec
from hpobench.execution.store import (
    Aside,
    RunState,
    atomic_write_bytes,
    move_aside,
    remove_stale_temporaries,
    scan_runs,
    write_combined,
    write_run,
)
from hpobench.execution.studylock import StudyLock, study_lock
from hpobench.execution.threads import DEFAULT_THREADS, local_workers, thread_environ

__all__ = ["Backend", "StudySummary", "run_study"]


class Backend(Enum):
    """Where the runs of a study execute (joblib backends; results do not depend on it)."""

    LOKY = "loky"
    """Local worker processes (the default)."""
    DASK = "dask"
    """A dask.distributed cluster (extra ``hpobench[dask]``)."""
    RAY = "ray"
    """A Ray cluster (extra ``hpobench[ray]``)."""


@dataclass(frozen=True, kw_only=True)
class StudySummary:
    """What a call to :func:`run_study` did, and the state of the study afterwards."""

    executed: int
    """Runs executed in this call (new, damaged and retried ones)."""
    resumed: int
    """Planned runs skipped because they were already finished intact (ok, or failed and kept)."""
    failed: tuple[tuple[str, str], ...] = field(default=())
    """(run_id, error) of runs that ended with an error in this call."""
    damaged: tuple[tuple[str, str], ...] = field(default=())
    """(run_id, reason) of finished runs whose files were damaged: moved aside and re-executed."""
    retried: int = 0
    """Failed runs of an earlier call that were executed again."""
    still_failed: tuple[tuple[str, str], ...] = field(default=())
    """(run_id, error) of every planned run that is failed now (this call's and kept ones)."""


@dataclass(frozen=True, kw_only=True)
class _Job:
    """One run as handed to a worker: only specs and paths cross process boundaries."""

    spec: RunSpec
    out: str
    data_dir: str | None
    timeout: float | None
    verify: bool
    threads: int


def _task_of(job: _Job) -> str:
    """The group of a job: its task (a worker loads a task once and keeps it for the next runs)."""
    return job.spec.benchmark.name


_worker_task: list[str] = []
"""The task this process ran last (a worker keeps to one task at a time)."""


def _keep_to(task: str) -> None:
    """Release the loaded tasks this process has left when it moves on to ``task``.

    Workers are handed runs grouped by task, so a task left is rarely met again; what is shared
    by many tasks (a YAHPO scenario's model) is kept (:mod:`hpobench.contracts.caching`).
    """
    if _worker_task and _worker_task[0] != task:
        release_task_caches()
    _worker_task[:] = [task]


def _execute_and_store(job: _Job) -> tuple[str, str]:
    _keep_to(job.spec.benchmark.name)
    data_dir = None if job.data_dir is None else Path(job.data_dir)
    outcome = execute_run(
        job.spec, data_dir=data_dir, timeout=job.timeout, verify=job.verify, threads=job.threads
    )
    write_run(Path(job.out), job.spec.run_id, outcome.frame, outcome.provenance)
    return job.spec.run_id, str(outcome.provenance.get("error", ""))


def _execute_on_cluster(job: _Job) -> tuple[str, str]:
    """A cluster task: the run in a contained child process where the cluster worker may have one.

    Dask's worker processes are daemonic by default and may not start children; there the run
    executes in the worker itself, under its in-run timeout only.
    """
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return _execute_and_store(job)
    limits = Limits(timeout=job.timeout)
    environ = thread_environ(job.threads)
    # consumed whole, so the pool has stopped its worker before the task returns
    (result,) = _record_failures(
        run_contained(_execute_and_store, [job], jobs=1, limits=limits, environ=environ)
    )
    return result


BATCH = 16
"""The most runs of one task handed to a worker at once (fewer as the queue runs low)."""


def _contained(
    jobs: Sequence[_Job], *, n_jobs: int, limits: Limits, lock: StudyLock, threads: int
) -> Iterator[tuple[str, str]]:
    """Run ``jobs`` in contained worker processes (their pids recorded beside the lock).

    Runs of one task are handed out in batches, each worker keeping to its task while it has
    runs left, so a worker loads a task once for all its runs there; every run is still
    contained on its own (:func:`hpobench.execution.containment.run_contained`).
    """
    results = run_contained(
        _execute_and_store,
        jobs,
        jobs=n_jobs,
        limits=limits,
        on_workers=lock.set_workers,
        group=_task_of,
        batch=BATCH,
        environ=thread_environ(threads),
    )
    return _record_failures(results)


def _record_failures(results: Iterable[JobResult[_Job, tuple[str, str]]]) -> Iterator[tuple[str, str]]:
    """(run_id, error) of each result; runs whose worker died or was killed are recorded here."""
    for result in results:
        if result.value is not None and result.failure is None:
            yield result.value
            continue
        job = result.item
        error = result.failure or "the worker returned nothing"
        outcome = failed_outcome(job.spec, error=error)
        provenance = {**outcome.provenance, "worker_pid": result.pid}
        write_run(Path(job.out), job.spec.run_id, outcome.frame, provenance)
        yield job.spec.run_id, error


@dataclass(frozen=True, kw_only=True)
class _Triage:
    """What the files of a study say about its planned runs before it (re)starts."""

    todo: tuple[RunSpec, ...]
    damaged: dict[str, str]
    kept_failed: dict[str, str]
    retried: int


def _triage(out: Path, plan: StudyPlan, *, retry_failed: bool) -> _Triage:
    """Sort the planned runs by the state of their files; move damaged (and retried) ones aside.

    Only planned runs are looked at (a folder may hold runs of other plans); a run counts as
    finished only if its files read back intact (:func:`hpobench.execution.store.check_run`).
    """
    specs = {r.run_id: r for r in plan.runs}
    todo: list[RunSpec] = []
    damaged: dict[str, str] = {}
    kept: dict[str, str] = {}
    retried = 0
    for run_id, check in scan_runs(out, specs).items():
        if check.state is RunState.OK:
            continue
        if check.state is RunState.DAMAGED:
            move_aside(out, run_id, reason=check.reason)
            damaged[run_id] = check.reason
        elif check.state is RunState.FAILED and not retry_failed:
            kept[run_id] = check.reason
            continue
        elif check.state is RunState.FAILED:
            move_aside(out, run_id, reason=f"retried: {check.reason}", into=Aside.RETRIED)
            retried += 1
        todo.append(specs[run_id])
    return _Triage(todo=tuple(todo), damaged=damaged, kept_failed=kept, retried=retried)


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
    out: str | os.PathLike[str],
    jobs: int = 1,
    data_dir: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    max_memory: int | None = None,
    retry_failed: bool = True,
    verify_data: bool = True,
    progress: bool = True,
    backend: Backend | str = Backend.LOKY,
    scheduler: str | None = None,
    threads: int | None = None,
) -> StudySummary:
    """Execute the runs of ``plan`` that are not finished intact in ``out``, ``jobs`` at a time.

    The study holds ``out``'s lock while it runs (:func:`hpobench.execution.studylock.study_lock`): a
    second study on the same folder is refused. Planned runs whose files are damaged are moved
    aside (never deleted) and executed again; runs that failed earlier are executed again unless
    ``retry_failed`` is false. Each run executes in a contained worker process
    (:mod:`hpobench.execution.containment`): a run whose worker crashes, outlives ``timeout`` or exceeds
    ``max_memory`` is recorded as failed with its cause, its worker is replaced, and the rest
    of the study goes on. Each worker loads the benchmarks it needs itself (only specs cross
    process boundaries) and writes its run's files atomically, so killing the study loses at
    most the runs in flight.

    Args:
        plan: The study.
        out: Output directory (``str`` or path); created if needed.
        jobs: Number of worker processes (``-1``: one per core this process may use, its CPU
            affinity and cgroup quota counted: :func:`~hpobench.contracts.cores.available_cores`).
        data_dir: Benchmark data directory (``str`` or path; handed to workers as an absolute path).
        timeout: Wall-clock limit per run in seconds, or ``None``. The run is stopped at the
            limit (keeping its evaluations); if it does not stop, its worker is killed
            10 % (at least 2 s) later.
        max_memory: Resident-memory cap per run's worker in bytes, or ``None``.
        retry_failed: Whether runs recorded as failed by an earlier call are executed again.
        verify_data: Whether every data file must match its pinned sha256 when a run loads it
            (a mismatch fails the run with a ``DataError`` naming the file); ``False`` for data
            edited on purpose. Recorded in each run's provenance.
        progress: Whether to show a progress bar (on stderr).
        backend: Where runs execute (:class:`Backend` or its value): contained local worker
            processes, or a dask.distributed / Ray cluster through joblib's
            ``parallel_config``. Every run is deterministic and writes its own files, so the
            results are byte-identical across backends; with a cluster, ``out`` (and
            ``data_dir``) must be paths the workers share, ``jobs=1`` means as many runs at once
            as the cluster takes (``-1``), and a worker that dies is the cluster's to handle
            (``timeout`` is enforced inside the run only; ``max_memory`` is refused).
        scheduler: Address of the cluster to connect to (dask: a scheduler address such as
            ``tcp://host:8786``; ray: ``ray.init`` address). ``None``: dask uses the running
            default ``Client``, ray starts or joins a local instance.
        threads: BLAS/OpenMP threads each run may use (:mod:`hpobench.execution.threads`; recorded in
            each run's provenance). ``None``: 1, so that a run's results are the same whatever
            the machine's cores and ``jobs``; more (``thread_share(jobs)``: the run's share of the
            cores) can speed up methods with large networks and may change the last bits of
            methods that use BLAS or torch.

    Raises:
        ValueError: An unknown backend, a scheduler without a cluster backend, or a memory cap
            on a cluster backend.
        StudyBusyError: Another live process runs a study in ``out``.
        HpobenchError: The backend's package is missing, or dask has no client to use.

    At the end, the study's combined table is brought up to date
    (:func:`hpobench.execution.store.write_combined`), so that reports read one file.
    """
    out = Path(out)
    backend = Backend(backend)
    if scheduler is not None and backend is Backend.LOKY:
        raise ValueError("a scheduler address needs a cluster backend (dask or ray)")
    if max_memory is not None and backend is not Backend.LOKY:
        raise ValueError("a memory cap (--max-memory) needs local worker processes (backend loky)")
    limits = Limits(timeout=timeout, max_memory=max_memory)
    local = local_workers(jobs)
    if threads is None:
        threads = DEFAULT_THREADS
    elif isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive number of threads per run, got {threads!r}")
    with study_lock(out) as lock:
        remove_stale_temporaries(out)
        write_study_record(out, plan)
        triage = _triage(out, plan, retry_failed=retry_failed)
        data = None if data_dir is None else str(Path(data_dir).resolve())
        jobs_ = [
            _Job(spec=r, out=str(out), data_dir=data, timeout=timeout, verify=verify_data, threads=threads)
            for r in triage.todo
        ]
        failed: dict[str, str] = {}
        ahead = ReadAhead(out, max_bytes=held_bytes(local))
        # a study with nothing left to execute draws no bar (the summary says what was resumed)
        bar = _progress_bar(
            total=len(plan.runs), initial=len(plan.runs) - len(jobs_), enabled=progress and bool(jobs_)
        )
        cluster = contextlib.ExitStack()
        results: Iterable[tuple[str, str]] = ()
        try:
            if backend is Backend.LOKY:
                results = _contained(jobs_, n_jobs=jobs, limits=limits, lock=lock, threads=threads)
            else:
                from joblib import Parallel, delayed  # cluster backends only (0.08 s to import)

                _enter_cluster(cluster, backend, scheduler)
                n_jobs = -1 if jobs == 1 else jobs
                # Ray's joblib backend returns no generators: the results (not the runs) arrive at the end
                order = "list" if backend is Backend.RAY else "generator_unordered"
                calls = (delayed(_execute_on_cluster)(j) for j in jobs_)
                results = Parallel(n_jobs=n_jobs, return_as=order)(calls)
            for run_id, error in results:
                if error:
                    failed[run_id] = error
                ahead.submit(run_id)  # read while the workers run, not after the last one
                bar.update(1)
        except BaseException:
            ahead.wait(cancel=True)
            raise
        finally:
            if isinstance(results, Generator):
                # stop the workers now, while the lock their pids are written to is still held
                # (an interrupt would otherwise leave that to the garbage collector, after the lock)
                results.close()
            bar.close()
            cluster.close()
        ahead.wait()
        # one table of all runs, for fast reports (kept in step with the run files)
        write_combined(out, ahead=ahead)
    still = {**triage.kept_failed, **failed}
    return StudySummary(
        executed=len(jobs_),
        resumed=len(plan.runs) - len(jobs_),
        failed=tuple(sorted(failed.items())),
        damaged=tuple(sorted(triage.damaged.items())),
        retried=triage.retried,
        still_failed=tuple(sorted(still.items())),
    )


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
