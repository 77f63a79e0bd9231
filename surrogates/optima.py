"""Reference optima of the tabular tasks, stored with the task metadata.

For every task of the ``fcnet``, ``hpobench_nn``, ``nb201`` and ``taskset`` families this holds
the primary objective's reference values at the maximal fidelity, as the benchmarks compute them
from their tables (:meth:`~hpobench.surrogates.tabular.TabularBenchmark.optimum`): ``best`` and
``worst`` of the mean over (recorded) seeds over all configurations, and the same per seed.
Stored values let reports normalise regret without loading any table, and the tests check them
against the tables (so a changed data file is noticed). Regenerate ``_optima_data.py`` from the
tables when a dataset changes on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from hpobench.errors import UnknownNameError
from hpobench.surrogates._optima_data import OPTIMA
from hpobench.types import Direction, Reference

__all__ = ["StoredOptimum", "stored_optimum"]


@dataclass(frozen=True, kw_only=True)
class StoredOptimum:
    """Reference values of one task's primary objective at the maximal fidelity.

    Attributes:
        metric: The objective's name.
        direction: Whether it is minimised or maximised.
        best: Best mean over seeds.
        worst: Worst mean over seeds.
        best_per_seed: Best value of each seed's runs.
        worst_per_seed: Worst value of each seed's runs.
    """

    metric: str
    direction: Direction
    best: float
    worst: float
    best_per_seed: tuple[float, ...]
    worst_per_seed: tuple[float, ...]

    def reference(self) -> Reference:
        """As a :class:`~hpobench.types.Reference` (mean over seeds)."""
        return Reference(
            best={self.metric: self.best},
            worst={self.metric: self.worst},
            source="stored: best and worst mean over seeds at the maximal fidelity",
        )


def stored_optimum(task: str) -> StoredOptimum:
    """The stored reference values of ``task`` (``"family/task"``).

    Raises:
        UnknownNameError: No values are stored for the task.
    """
    if task not in OPTIMA:
        raise UnknownNameError("benchmark", task, sorted(OPTIMA))
    raw = OPTIMA[task]
    return StoredOptimum(
        metric=raw["metric"],
        direction=Direction(raw["direction"]),
        best=float(raw["best"]),
        worst=float(raw["worst"]),
        best_per_seed=tuple(float(x) for x in raw["best_per_seed"]),
        worst_per_seed=tuple(float(x) for x in raw["worst_per_seed"]),
    )
