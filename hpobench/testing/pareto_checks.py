"""Compliance checks of a multi-objective benchmark's reference Pareto front and reference point.

Run by :func:`hpobench.testing.check_benchmark` for every task with more than one objective.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.pareto import pareto_mask, to_minimisation
from hpobench.contracts.types import ParetoReference

__all__ = ["EXACT_PREFIX", "check_pareto_reference"]

EXACT_PREFIX = "exact"
"""A reference whose ``source`` starts with this claims a front that no configuration dominates."""


def check_pareto_reference(benchmark: Benchmark, configs: Sequence[Mapping[str, Any]]) -> None:
    """Check ``benchmark.pareto_reference()`` of a multi-objective task.

    The reference must be a :class:`ParetoReference` naming the task's objectives in order, the
    same on every call; its front must be non-dominated; every front point must strictly dominate
    the reference point (better in every objective); and for an exact front (``source`` starting
    with ``"exact"``) no reference value of ``configs`` may dominate a front point.

    Raises:
        AssertionError: A check fails; the message says which.
    """
    task = benchmark.task
    names = tuple(o.name for o in task.objectives)
    directions = [o.direction for o in task.objectives]
    ref = benchmark.pareto_reference()
    assert isinstance(ref, ParetoReference), (
        f"pareto_reference() must return a ParetoReference, got {type(ref).__name__}"
    )
    assert ref.objectives == names, f"pareto_reference() names {ref.objectives}, the task {names}"
    assert benchmark.pareto_reference() == ref, "pareto_reference() changed between two calls"
    assert ref.source, "pareto_reference().source must say how the front was obtained"
    front = to_minimisation(np.asarray(ref.front), directions=directions)
    point = to_minimisation(np.asarray([ref.reference_point]), directions=directions)[0]
    dominated = ~pareto_mask(front)
    assert not dominated.any(), (
        f"the reference front holds dominated points: {np.asarray(ref.front)[dominated][:3].tolist()}"
    )
    weak = ~np.all(front < point, axis=1)
    assert not weak.any(), (
        f"every front point must strictly dominate the reference point {ref.reference_point}; "
        f"these do not: {np.asarray(ref.front)[weak][:3].tolist()}"
    )
    if not ref.source.startswith(EXACT_PREFIX):
        return
    values = to_minimisation(np.asarray(benchmark.reference_values(list(configs))), directions=directions)
    values = values[np.isfinite(values).all(axis=1)]
    tolerance = 1e-9 * np.maximum(1.0, np.abs(front)).max(axis=0)
    for row in values:
        beats = np.all(row <= front - tolerance, axis=1) | (
            np.all(row <= front, axis=1) & np.any(row < front - tolerance, axis=1)
        )
        assert not beats.any(), (
            f"the exact front is dominated: reference value {row.tolist()} (minimisation) dominates "
            f"front point(s) {front[beats][:3].tolist()}"
        )
