"""The objectives of a task by name, and the checks of a multi-objective task's Pareto reference.

Hypervolume regret is only meaningful when the stored front and reference point fit the task:
the front names the task's objectives, and the reference point is worse than every front point
in every objective (it dominates nothing of the front, so the front's hypervolume is positive
and every front point counts). :func:`check_pareto_reference` checks both, and the runner and
the study's preflight call it before anything runs.

This module belongs to the core contracts: it imports only :mod:`hpobench.contracts.types`,
:mod:`hpobench.contracts.errors` and :mod:`hpobench.contracts.benchmark`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import InvalidReferenceError, UnknownNameError
from hpobench.contracts.types import ParetoReference, Task

__all__ = ["check_pareto_reference", "checked_pareto_reference", "objective_indices"]


def objective_indices(task: Task, names: Sequence[str]) -> list[int]:
    """Positions of the objectives ``names`` among ``task.objectives``.

    Raises:
        UnknownNameError: A name is not an objective of the task (the message lists them).
    """
    known = [o.name for o in task.objectives]
    out = []
    for name in names:
        if name not in known:
            error = UnknownNameError("objective", name, known)
            error.args = (f"{task.name}: {error.args[0]}",)
            raise error
        out.append(known.index(name))
    return out


def check_pareto_reference(task: Task, reference: ParetoReference) -> ParetoReference:
    """Check that ``reference`` fits the multi-objective ``task``; return it in the task's column order.

    Raises:
        UnknownNameError: The reference names an objective the task does not have.
        InvalidReferenceError: The reference does not name every objective of the task, or its
            reference point is not strictly worse than the front's nadir (the worst front value of
            each objective) in every objective.
    """
    names = [o.name for o in task.objectives]
    order = objective_indices(task, reference.objectives)
    if sorted(order) != list(range(len(names))):
        raise InvalidReferenceError(
            f"the Pareto reference of {task.name!r} names objectives {', '.join(reference.objectives)}; "
            f"the task has {', '.join(names)}"
        )
    position = [list(reference.objectives).index(n) for n in names]
    front = np.asarray(reference.front, dtype=float)[:, position]
    point = np.asarray(reference.reference_point, dtype=float)[position]
    signs = np.array([o.direction.sign for o in task.objectives])
    nadir = (front * signs).max(axis=0) * signs
    bad = [i for i in range(len(names)) if not signs[i] * point[i] > signs[i] * nadir[i]]
    if bad:
        shown = "; ".join(
            f"{names[i]} ({task.objectives[i].direction.value}): "
            f"reference {point[i]:.6g}, nadir {nadir[i]:.6g}"
            for i in bad
        )
        raise InvalidReferenceError(
            f"the reference point of {task.name!r} does not dominate the front's nadir (it must be "
            f"strictly worse than every front point in every objective): {shown}"
        )
    return ParetoReference(
        objectives=tuple(names),
        front=tuple(map(tuple, front.tolist())),
        reference_point=tuple(point.tolist()),
        source=reference.source,
    )


def checked_pareto_reference(benchmark: Benchmark) -> ParetoReference:
    """The benchmark's Pareto reference, checked by :func:`check_pareto_reference`.

    Raises:
        InvalidReferenceError: The multi-objective task has no Pareto reference, or it does not fit.
        UnknownNameError: The reference names an objective the task does not have.
    """
    task = benchmark.task
    try:
        reference = benchmark.pareto_reference()
    except NotImplementedError as exc:
        raise InvalidReferenceError(
            f"multi-objective task {task.name!r} has no Pareto reference, so it has no hypervolume "
            f"regret ({exc})"
        ) from None
    return check_pareto_reference(task, reference)
