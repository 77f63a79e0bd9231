"""Objective vectors of evaluations, shared by the multi-objective methods.

Every multi-objective method works in **minimisation**: an evaluation's values become one loss
per objective of the task (``sign * value``, see :class:`~hpobench.contracts.types.Direction`), in the
task's objective order. A failed evaluation, or one with a missing or non-finite value, is a
vector of ``+inf``: it is dominated by every successful evaluation and never promoted or selected
ahead of one. On a single-objective task the vector has one entry, so these methods also run
(as their single-objective special case) on every task.
"""

from __future__ import annotations

import math

import numpy as np

from hpobench.contracts.types import Evaluation, Status, Task
from hpobench.methods._encoding import FloatArray

__all__ = ["loss_vector", "normalised", "objective_index", "rankable"]


def loss_vector(evaluation: Evaluation, task: Task) -> FloatArray:
    """The evaluation's losses, one per objective of ``task``; all ``+inf`` if any is unusable."""
    k = len(task.objectives)
    if evaluation.status is not Status.OK:
        return np.full(k, math.inf)
    out = np.empty(k)
    for j, objective in enumerate(task.objectives):
        value = evaluation.values.get(objective.name)
        loss = math.nan if value is None else objective.direction.sign * float(value)
        if not math.isfinite(loss):
            return np.full(k, math.inf)
        out[j] = loss
    return out


def normalised(losses: FloatArray) -> FloatArray:
    """Losses scaled to ``[0, 1]`` per column by the finite rows' minimum and maximum.

    Rows with a non-finite entry stay ``+inf``; a constant column becomes 0. With no finite row
    the result is all ``+inf``.
    """
    out = np.full(losses.shape, math.inf)
    ok = np.isfinite(losses).all(axis=1)
    if not ok.any():
        return out
    lo, hi = losses[ok].min(axis=0), losses[ok].max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    out[ok] = (losses[ok] - lo) / span
    return out


def objective_index(task: Task, name: str) -> int:
    """Position of the objective ``name`` in ``task.objectives``.

    Raises:
        ValueError: The task has no objective of that name (the message lists those it has).
    """
    names = [o.name for o in task.objectives]
    if name not in names:
        raise ValueError(f"{task.name!r} has no objective {name!r}; its objectives are {names}")
    return names.index(name)


def rankable(losses: FloatArray) -> FloatArray:
    """Losses with every non-finite entry replaced by a finite value worse than all finite ones.

    Per column, ``+inf`` becomes ``max + (max - min) + 1`` of the column's finite values (``1``
    when there are none), so failed rows stay dominated by every successful row and equal to
    each other, and :func:`hpobench.contracts.pareto.nondominated_ranks` and
    :func:`~hpobench.contracts.pareto.crowding_distance` see finite numbers only.
    """
    out = np.array(losses, dtype=float)
    for j in range(out.shape[1]):
        column = out[:, j]
        ok = np.isfinite(column)
        if ok.all():
            continue
        if ok.any():
            lo, hi = float(column[ok].min()), float(column[ok].max())
            column[~ok] = hi + (hi - lo) + 1.0
        else:
            column[:] = 1.0
    return out
