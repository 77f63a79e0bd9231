"""A study's plan: the runs of benchmarks x methods x seeds, and the pairings left out with the reason.

:func:`plan_study` judges compatibility from task descriptions and declared method capabilities
(no data is loaded); :func:`hpobench.execution.study.run_study` executes the plan.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpobench.contracts.benchmark import BenchmarkSpec, TaskInfo
from hpobench.contracts.budget import Budget
from hpobench.data.registry import load_method, task_info
from hpobench.execution.runspec import RunSpec
from hpobench.execution.scalarization import Scalarization

__all__ = ["Skipped", "StudyPlan", "plan_study", "skip_reason"]


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


def plan_study(
    *,
    benchmarks: Sequence[BenchmarkSpec],
    methods: Sequence[str],
    seeds: Sequence[int],
    budget: Budget,
    method_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    workers: int = 1,
    data_dir: str | os.PathLike[str] | None = None,
    scalarizations: Mapping[str, Scalarization] | None = None,
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
        data_dir: The data directory whose table folders are families too (``None``:
            ``$HPOBENCH_DATA_DIR``).
        scalarizations: Method name -> a declared scalarisation (:mod:`hpobench.execution.scalarization`):
            the method runs on the tasks its family declares multi-objective through it, labelled
            as scalarised, instead of being left out; its other tasks run as usual.

    Raises:
        UnknownNameError: A method or task is not registered.
    """
    kwargs = dict(method_kwargs or {})
    for name in kwargs:
        if name not in methods:
            raise ValueError(f"keyword arguments given for method {name!r}, which is not in the study")
    scalar = dict(scalarizations or {})
    for name in scalar:
        if name not in methods:
            raise ValueError(f"a scalarisation given for method {name!r}, which is not in the study")
    runs: list[RunSpec] = []
    skipped: list[Skipped] = []
    for spec in benchmarks:
        info = task_info(spec, data_dir=data_dir)
        for name in methods:
            how = scalar.get(name) if info.multi_objective else None
            reason = skip_reason(name, info, scalarized=how is not None)
            if reason is not None:
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
                    scalarization=how,
                )
                for s in seeds
            )
    return StudyPlan(runs=tuple(runs), skipped=tuple(skipped))


def skip_reason(method: str, info: TaskInfo, *, scalarized: bool = False) -> str | None:
    """Why a study leaves ``method`` out of the task ``info`` describes, or ``None`` (it plans the runs).

    Decided from what the family declares without loading (:class:`TaskInfo`) and the method's
    :class:`~hpobench.contracts.method.Capabilities`; what only shows once the task is loaded is
    checked by the study's preflight (:func:`hpobench.execution.preflight.study_problems`).

    Args:
        method: A registered method name.
        info: The task's description.
        scalarized: Whether the method runs on the task through a declared scalarisation.
    """
    caps = load_method(method).capabilities
    task = info.name
    if caps.requires_fidelity and not info.multi_fidelity:
        return f"{method} needs a multi-fidelity task and {task} has no fidelity"
    if caps.requires_continuation and (info.continuation is False or not info.multi_fidelity):
        return f"{method} needs a task that supports continuation and {task} does not"
    if info.multi_objective and not caps.multi_objective and not scalarized:
        shown = ", ".join(o.name for o in info.objectives)
        return f"{method} is single-objective and {task} has {len(info.objectives)} objectives ({shown})"
    if info.conditional and not caps.conditional_spaces:
        return f"{method} needs an unconditional search space and {task} has conditions"
    n_objectives = len(info.objectives)
    if caps.max_objectives is not None and n_objectives > caps.max_objectives and not scalarized:
        return f"{method} optimises at most {caps.max_objectives} objectives and {task} has {n_objectives}"
    return None
