"""Studies: the cross product of benchmarks, methods and seeds, fanned out with joblib.

A study writes into one output directory (see :mod:`hpobench.store`). Running the same study
again on the same directory resumes it: finished runs (including recorded failures) are not
redone, temporary files of interrupted runs are discarded, and the remaining runs produce the
same bytes they would have produced in an uninterrupted study.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joblib import Parallel, delayed

from hpobench.benchmark import BenchmarkSpec
from hpobench.budget import Budget
from hpobench.registry import load_method, task_info
from hpobench.runner import RunSpec, execute_run
from hpobench.store import atomic_write_bytes, finished_run_ids, remove_stale_temporaries, write_run

__all__ = ["Skipped", "StudyPlan", "StudySummary", "plan_study", "run_study"]


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
    if jobs == 1 or len(todo) <= 1:
        results = (_execute_and_store(r, str(out), data, timeout) for r in todo)
    else:
        results = Parallel(n_jobs=jobs, return_as="generator_unordered")(calls)
    failed: list[tuple[str, str]] = []
    bar = _progress_bar(total=len(plan.runs), initial=resumed, enabled=progress)
    try:
        for run_id, error in results:
            if error:
                failed.append((run_id, error))
            bar.update(1)
    finally:
        bar.close()
    return StudySummary(executed=len(todo), resumed=resumed, failed=tuple(sorted(failed)))


def _progress_bar(*, total: int, initial: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total, initial=initial, disable=not enabled, unit="run", desc="hpobench", dynamic_ncols=True
    )
