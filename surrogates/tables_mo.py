"""Multi-objective versions of the tabular tasks, with exact reference Pareto fronts.

Four families, each task built on the single-objective task of the same name (same table, seeds,
fidelity and costs; the single-objective names keep their meaning):

* ``fcnet_mo/<task>``: ``valid_mse`` (minimise) vs ``n_params`` (minimise), the MLP's weights and
  biases ``d_in·n1 + n1 + n1·n2 + n2 + n2 + 1`` computed from the architecture (the count of
  :func:`hpobench.surrogates.fcnet.fcnet_n_params`, which FCNet's cost model uses too).
* ``hpobench_nn_mo/<task>``: ``valid_balanced_accuracy`` (maximise) vs ``n_params`` (minimise):
  ``d_in·w + w + (depth - 1)(w² + w) + w·c + c`` (weights and biases of the sklearn MLP with
  ``depth`` hidden layers of width ``w``; input dimension and class count ``c`` as in
  :mod:`hpobench.surrogates.hpobench_nn`).
* ``fcnet_own_mo/<task>`` and ``lcbench_own_mo/<task>``: the primary objective of
  ``fcnet_own``/``lcbench_own`` (``valid_mse`` minimised, ``valid_accuracy`` maximised) vs
  ``train_seconds`` (minimise), the *measured* cumulative training time of the run up to the
  evaluated epoch (the tables' recorded cost, so it varies with the seed).

The extra objective is a metric of the table like any other: ``reference_values`` average it
over seeds at the maximal fidelity. The reference front is exact: the non-dominated set of the
reference values of every configuration of the table (see :mod:`hpobench.surrogates.pareto_fronts`),
stored in ``pareto_fronts.json`` and read when a task loads; the tests recompute it from the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, TaskInfo
from hpobench.contracts.caching import task_cache
from hpobench.contracts.errors import UnknownNameError
from hpobench.contracts.types import Direction, Objective, ParetoReference
from hpobench.surrogates import fcnet, hpobench_nn, own_tables
from hpobench.surrogates.candidates import CandidateBenchmark
from hpobench.surrogates.lcbench import LOG
from hpobench.surrogates.pareto_fronts import pareto_from_values, stored_pareto
from hpobench.surrogates.tabular import TabularBenchmark

__all__ = [
    "FAMILIES",
    "FCNET_MO",
    "FCNET_OWN_MO",
    "HPOBENCH_NN_MO",
    "LCBENCH_OWN_MO",
    "ParetoCandidateBenchmark",
    "ParetoTabularBenchmark",
    "TableMOFamily",
    "nn_n_params",
]

N_PARAMS = Objective(name="n_params", direction=Direction.MINIMIZE)
TRAIN_SECONDS = Objective(name="train_seconds", direction=Direction.MINIMIZE)


class _StoredPareto:
    """Answers :meth:`pareto_reference` from a reference given at construction."""

    _pareto: ParetoReference | None

    def _set_pareto(self, pareto: ParetoReference | None, objectives: tuple[Objective, ...]) -> None:
        if pareto is not None and pareto.objectives != tuple(o.name for o in objectives):
            raise ValueError(
                f"the Pareto reference names {pareto.objectives}, the task {[o.name for o in objectives]}"
            )
        self._pareto = pareto

    def pareto_reference(self) -> ParetoReference:
        """The stored reference front and reference point (exact for tables).

        Raises:
            NotImplementedError: The benchmark was built without one (only while generating it).
        """
        if self._pareto is None:
            raise NotImplementedError("this benchmark was built without a Pareto reference")
        return self._pareto


class ParetoTabularBenchmark(_StoredPareto, TabularBenchmark):
    """A multi-objective :class:`TabularBenchmark` with a stored Pareto reference.

    Args:
        pareto: The reference (its objectives must be the task's), or ``None`` to build the table
            only (``pareto_reference`` then raises).
        **kwargs: Passed to :class:`TabularBenchmark`.
    """

    def __init__(self, *, pareto: ParetoReference | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._set_pareto(pareto, self.task.objectives)


class ParetoCandidateBenchmark(_StoredPareto, CandidateBenchmark):
    """A multi-objective :class:`CandidateBenchmark` with a stored Pareto reference (see above)."""

    def __init__(self, *, pareto: ParetoReference | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._set_pareto(pareto, self.task.objectives)


def _full(base: TabularBenchmark | CandidateBenchmark) -> tuple[np.ndarray, np.ndarray]:
    """The whole ``(rows, seeds, fidelities, metrics)`` table of ``base`` and its cost array."""
    rows = np.arange(base.task.candidates or 0)[:, None, None]
    seeds = np.arange(base.n_seeds)[None, :, None]
    fids = np.arange(base.n_fidelities)[None, None, :]
    return base.lookup(rows, seeds, fids), base.lookup_cost(rows, seeds, fids)


def _build(
    base: TabularBenchmark | CandidateBenchmark,
    *,
    name: str,
    extra: Objective,
    values: Callable[[TabularBenchmark | CandidateBenchmark, np.ndarray], np.ndarray],
    pareto: ParetoReference | None,
) -> Benchmark:
    """``base`` with the metric ``extra`` (``values(base, cost)``, broadcast) as its 2nd objective."""
    table, cost = _full(base)
    column = np.broadcast_to(values(base, cost), cost.shape)[..., None]
    merged = np.concatenate([table, column], axis=3)
    merged.flags.writeable = False
    primary = base.task.objectives[0]
    fidelity = base.task.fidelity
    common: dict[str, Any] = {
        "name": name,
        "table": merged,
        "metrics": (*base.metrics, extra.name),
        "objectives": (primary, extra),
        "fidelity": fidelity,
        "fidelity_values": base.fidelity_values if fidelity is not None else None,
        "cost": cost,
        "tags": base.task.tags | {"multi-objective"},
        "data_files": base.data_files(),
        "pareto": pareto,
    }
    if isinstance(base, TabularBenchmark):
        return ParetoTabularBenchmark(grid=base.grid, **common)
    configs = base.candidate_configs()
    names = tuple(configs[0])
    columns = {hp: np.array([c[hp] for c in configs]) for hp in names}
    return ParetoCandidateBenchmark(candidates=columns, log=LOG & set(names), **common)


def _fcnet_params(base: TabularBenchmark | CandidateBenchmark, cost: np.ndarray) -> np.ndarray:
    assert isinstance(base, TabularBenchmark)
    return fcnet.fcnet_n_params(base.task.name.split("/", 1)[1], base.grid_columns())[:, None, None]


def nn_n_params(dataset: str, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Weights and biases of the HPOBench-NN MLP of each configuration (see the module docstring)."""
    data = hpobench_nn.DATASETS[dataset]
    width = columns["width"].astype(float)
    depth = columns["depth"].astype(float)
    hidden = data.n_features * width + width + (depth - 1) * (width**2 + width)
    return np.asarray(hidden + width * data.n_classes + data.n_classes)


def _nn_params(base: TabularBenchmark | CandidateBenchmark, cost: np.ndarray) -> np.ndarray:
    assert isinstance(base, TabularBenchmark)
    return nn_n_params(base.task.name.split("/", 1)[1], base.grid_columns())[:, None, None]


def _seconds(base: TabularBenchmark | CandidateBenchmark, cost: np.ndarray) -> np.ndarray:
    return cost


class TableMOFamily(BenchmarkFamily):
    """A family of multi-objective tasks over the tables of a single-objective family.

    Args:
        name: The family name (``<base>_mo``).
        base: The single-objective family whose tasks are extended.
        extra: The second objective.
        values: ``(base benchmark, its cost array) -> values`` broadcasting to the cost array's
            ``(rows, seeds, fidelities)``.
        needs_data: Whether the base tables come from the data directory.
    """

    def __init__(
        self,
        *,
        name: str,
        base: BenchmarkFamily,
        extra: Objective,
        values: Callable[[TabularBenchmark | CandidateBenchmark, np.ndarray], np.ndarray],
        primary: Objective,
        needs_data: bool,
    ) -> None:
        self.name = name
        self.dataset = base.dataset or base.name  # the tables of the single-objective family
        self._base = base
        self._extra = extra
        self._values = values
        self._objectives = (primary, extra)
        self._needs_data = needs_data

    def tasks(self) -> tuple[TaskInfo, ...]:
        """The base family's tasks under this family's name (static; reads no data)."""
        return tuple(
            TaskInfo(
                name=f"{self.name}/{info.name.split('/', 1)[1]}",
                multi_objective=True,
                multi_fidelity=info.multi_fidelity,
                needs_data=self._needs_data,
                tags=info.tags | {"multi-objective"},
                continuation=info.continuation,
                objectives=self._objectives,
            )
            for info in self._base.tasks()
        )

    def _base_task(self, task: str, data_dir: Path | None) -> TabularBenchmark | CandidateBenchmark:
        names = [i.name.split("/", 1)[1] for i in self._base.tasks()]
        if task not in names:
            raise UnknownNameError("benchmark", f"{self.name}/{task}", [f"{self.name}/{t}" for t in names])
        base = self._base.load(task, data_dir=data_dir)
        assert isinstance(base, TabularBenchmark | CandidateBenchmark)
        return base

    def load(self, task: str, *, data_dir: Path | None) -> Benchmark:
        """Load ``task`` with its stored exact Pareto reference.

        Raises:
            UnknownNameError: No such task.
            DataError: The base table is missing or corrupt, or the stored front fails its checksum.
        """
        base = self._base_task(task, data_dir)
        return _cached(self, base, f"{self.name}/{task}")

    def reference_front(self, task: str, *, data_dir: Path | None) -> tuple[ParetoReference, dict[str, Any]]:
        """Compute ``task``'s exact reference from its table (what ``pareto_fronts.json`` stores; no extras).

        Raises:
            UnknownNameError: No such task.
            DataError: The base table is missing or corrupt.
        """
        base = self._base_task(task, data_dir)
        bench = _build(base, name=f"{self.name}/{task}", extra=self._extra, values=self._values, pareto=None)
        assert isinstance(bench, TabularBenchmark | CandidateBenchmark)
        runs = f"{bench.n_seeds} seed(s)" if bench.n_seeds > 1 else "the one seed"
        reference = pareto_from_values(
            bench.reference_means(),
            bench.task.objectives,
            source=(
                f"exact: non-dominated set of the mean over {runs} at the maximal fidelity "
                f"of all {bench.task.candidates} configurations of the table"
            ),
        )
        return reference, {}


@task_cache(maxsize=16)
def _cached(family: TableMOFamily, base: Benchmark, name: str) -> Benchmark:
    """One MO benchmark per (family, loaded base table) in this process (the base is cached too)."""
    assert isinstance(base, TabularBenchmark | CandidateBenchmark)
    return _build(base, name=name, extra=family._extra, values=family._values, pareto=stored_pareto(name))


FCNET_MO = TableMOFamily(
    name="fcnet_mo",
    base=fcnet.FAMILY,
    extra=N_PARAMS,
    values=_fcnet_params,
    primary=Objective(name="valid_mse", direction=Direction.MINIMIZE),
    needs_data=True,
)
"""Entry point ``fcnet_mo``."""
HPOBENCH_NN_MO = TableMOFamily(
    name="hpobench_nn_mo",
    base=hpobench_nn.FAMILY,
    extra=N_PARAMS,
    values=_nn_params,
    primary=Objective(name="valid_balanced_accuracy", direction=Direction.MAXIMIZE),
    needs_data=True,
)
"""Entry point ``hpobench_nn_mo``."""
FCNET_OWN_MO = TableMOFamily(
    name="fcnet_own_mo",
    base=own_tables.FCNET_OWN,
    extra=TRAIN_SECONDS,
    values=_seconds,
    primary=Objective(name="valid_mse", direction=Direction.MINIMIZE),
    needs_data=False,
)
"""Entry point ``fcnet_own_mo``."""
LCBENCH_OWN_MO = TableMOFamily(
    name="lcbench_own_mo",
    base=own_tables.LCBENCH_OWN,
    extra=TRAIN_SECONDS,
    values=_seconds,
    primary=Objective(name="valid_accuracy", direction=Direction.MAXIMIZE),
    needs_data=False,
)
"""Entry point ``lcbench_own_mo``."""

FAMILIES = (FCNET_MO, HPOBENCH_NN_MO, FCNET_OWN_MO, LCBENCH_OWN_MO)
"""The families of this module (their fronts are stored in ``pareto_fronts.json``)."""
