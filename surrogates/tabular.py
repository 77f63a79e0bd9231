"""Tabular benchmarks: answers looked up in a dense array over a full grid search space.

A :class:`TabularBenchmark` holds one array ``table`` of shape
``(n_configs, n_seeds, n_fidelities, n_metrics)``. The search space is the full grid of each
hyperparameter's values (in the order given by ``grid``) and the configuration index is the
mixed-radix (row-major, last hyperparameter fastest) index of the per-hyperparameter value
indices. Lookups never build a ConfigSpace ``Configuration``: consecutive hyperparameters are
grouped (up to 1,024 value combinations per group) and each group has a value tuple ->
partial index dictionary, so a configuration's index is a sum of a few small dictionary lookups
(numeric values match across int/float/numpy types, ``8 == 8.0 == np.int64(8)``; booleans never
match, see :mod:`hpobench.contracts.values`). A batch is
indexed with one C-level pass per group; evaluation, costs and reference values are shared
with candidate sets in :mod:`hpobench.surrogates._dense`.

:func:`dense_from_arrow` turns a long-format table (one row per configuration x seed [x fidelity])
into that dense array with vectorised numpy and checks that it is a complete grid (defined in
:mod:`hpobench.surrogates._dense_arrow`, re-exported here).

Lifecycle: a family's ``load`` builds the benchmark inside the worker that uses it; the
benchmark is read-only afterwards and may be shared by several runs of that worker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import ConfigSpace as CS
import numpy as np
from ConfigSpace.hyperparameters import Hyperparameter

from hpobench.contracts.columns import column_rows
from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.space import to_python
from hpobench.contracts.types import Config, Fidelity, Objective, Task
from hpobench.contracts.values import has_bool, is_finite_real, is_real
from hpobench.surrogates._dense import DenseLookup
from hpobench.surrogates._dense_arrow import dense_from_arrow, dense_from_arrow_ragged
from hpobench.surrogates._grid_columns import column_rule
from hpobench.surrogates.optima import StoredOptimum

__all__ = ["CostModel", "Index", "TabularBenchmark", "dense_from_arrow", "dense_from_arrow_ragged"]

CostModel = Callable[[Mapping[str, np.ndarray], np.ndarray], np.ndarray]
"""Simulated cost in seconds of evaluating grid configurations.

Called once, when the benchmark is built, as ``cost_model(columns, fidelities)``: ``columns``
maps each hyperparameter to the array of its values for every configuration (length
``n_configs``, in index order) and ``fidelities`` holds the table's fidelity values (``[1.0]``
for a single-fidelity table, meaning "the full run"). It returns an array that broadcasts to
``(n_configs, n_fidelities)``: the cost of one evaluation from scratch at that fidelity.
"""

Index = np.ndarray | int
"""An integer index array (or a single index) for the raw lookup API; broadcast like numpy."""

_BOOLS = (bool, np.bool_)
_GROUP_CELLS = 1024
"""Largest number of value combinations of one hyperparameter group in the index lookups."""
_FEW_COLUMN_ROWS = 16
"""Batches of columns up to this size are matched by the row path (numpy passes cost ~1 us each)."""


def _hyperparameter(name: str, values: Sequence[Any]) -> Hyperparameter[Any, Any]:
    if all(is_real(v) for v in values):
        return CS.OrdinalHyperparameter(name, sequence=list(values))
    if all(isinstance(v, str) for v in values):
        return CS.CategoricalHyperparameter(name, choices=list(values))
    raise ValueError(f"grid of {name!r} must hold only numbers or only strings, got {list(values)!r}")


class TabularBenchmark(DenseLookup):
    """A benchmark answered from a dense ``(config, seed, fidelity, metric)`` array.

    Seeds: ``evaluate(trials, seed=s)`` answers every trial of the batch from the repeated run
    ``s % n_seeds`` of the table (so ``seed`` selects one recorded training run, and a batch equals
    the concatenation of its single-trial batches). Reference values average over all (recorded)
    seeds; the reference range (:meth:`optimum`) follows :func:`~hpobench.surrogates._dense.reference_of`.

    Fidelity: trials may only ask for fidelities listed in ``fidelity_values`` (``None`` is the
    maximal one); a fidelity inside the task's range but off the table's grid raises
    :class:`InvalidFidelityError`. With a fidelity the task supports continuation
    (``task.continuation``): the fidelity slices of one seed are one recorded training run, so the
    runner can continue a checkpoint and charge only the cost difference (see ``Trial.resume_from``).

    Failures: if an objective value of a cell is not finite, the evaluation has status FAILED and
    NaN objective values (non-finite extras become NaN too); its cost is still charged.

    Args:
        name: Full task name, ``"family/task"``.
        grid: Hyperparameter name -> its grid values, in index order. Numeric grids become
            ``OrdinalHyperparameter`` s, string grids ``CategoricalHyperparameter`` s.
        table: Array of shape ``(prod(len(values)), n_seeds, n_fidelities, len(metrics))``; it is
            kept by reference and must not be mutated afterwards (share it between benchmarks).
        metrics: Names of the table's last axis.
        objectives: The objectives, each naming a metric; the other metrics become
            :attr:`Evaluation.extras`.
        fidelity: The fidelity range, or ``None`` for a single-fidelity table (``n_fidelities == 1``).
        fidelity_values: Increasing fidelity of each slice of the third axis, from ``fidelity.low``
            to ``fidelity.high``; required with ``fidelity``.
        cost: Recorded cost in seconds, broadcastable to ``(n_configs, n_seeds, n_fidelities)``.
        cost_model: Used when no ``cost`` array is given; see :data:`CostModel`.
        tags: Task tags.
        data_files: Files the table was read from, as path -> sha256.
        runs: Number of recorded runs of each configuration, shape ``(n_configs,)``, for tables
            where some configurations were run fewer than ``n_seeds`` times (NAS-Bench-201). The
            cells of seeds ``>= runs[c]`` must hold copies of run ``seed % runs[c]`` (see
            :func:`dense_from_arrow` with ``ragged_seeds=True``); they answer :meth:`evaluate` but
            are left out of reference means and per-seed optima. ``None``: every run is recorded.
        stored: Stored reference values of the (single) objective, answered by :meth:`optimum`
            (the built-in families pass :func:`~hpobench.surrogates.optima.stored_optimum`);
            ``None``: :meth:`optimum` computes them from the table (:meth:`table_optimum`).

    Raises:
        ValueError: The arguments are inconsistent (shapes, names, fidelities, costs).
    """

    def __init__(
        self,
        *,
        name: str,
        grid: Mapping[str, Sequence[Any]],
        table: np.ndarray,
        metrics: Sequence[str],
        objectives: Sequence[Objective],
        fidelity: Fidelity | None = None,
        fidelity_values: Sequence[float] | None = None,
        cost: np.ndarray | None = None,
        cost_model: CostModel | None = None,
        tags: frozenset[str] = frozenset(),
        data_files: Mapping[str, str] | None = None,
        runs: np.ndarray | None = None,
        stored: StoredOptimum | None = None,
    ) -> None:
        self._grid = {hp: tuple(to_python(v) for v in values) for hp, values in grid.items()}
        sizes = [len(v) for v in self._grid.values()]
        n_configs = math.prod(sizes)
        if table.ndim != 4 or table.shape[0] != n_configs or table.shape[3] != len(metrics):
            raise ValueError(
                f"table of {name!r} must have shape ({n_configs}, n_seeds, n_fidelities, {len(metrics)}), "
                f"got {table.shape}"
            )
        self.n_configs = n_configs
        self._what = "grid configurations"
        self._init_dense(
            name=name,
            table=table,
            metrics=metrics,
            objectives=objectives,
            fidelity=fidelity,
            fidelity_values=fidelity_values,
            recorded=self._check_runs(name, runs, table.shape[1]),
            stored=stored,
        )

        # value -> index * stride, one dict per hyperparameter (row-major: last one fastest).
        self._names = tuple(self._grid)
        self._k = len(self._names)
        strides = np.cumprod([1, *sizes[::-1]])[:-1][::-1].tolist()
        self._strides = tuple(int(s) for s in strides)
        self._luts: tuple[tuple[str, dict[Any, int]], ...] = tuple(
            (hp, {v: i * stride for i, v in enumerate(values)})
            for (hp, values), stride in zip(self._grid.items(), self._strides, strict=True)
        )
        for hp, lut in self._luts:
            if len(lut) != len(self._grid[hp]):
                raise ValueError(f"grid of {hp!r} has duplicate values: {self._grid[hp]!r}")
        self._groups = self._group_luts()
        # True == 1 and False == 0 as dictionary keys: grids holding 0 or 1 check for booleans; per such
        # hyperparameter (getter, stride, grid size, digits of its 0 and 1) for the batch check
        self._bool_digits = tuple(
            (itemgetter(hp), stride, len(values), tuple(i for i, v in enumerate(values) if v in (0, 1)))
            for (hp, values), stride in zip(self._grid.items(), self._strides, strict=True)
            if any(is_real(v) and v in (0, 1) for v in values)
        )
        self._bool_prone = tuple(d[0] for d in self._bool_digits)
        self._columns = {
            hp: column_rule(values, stride)
            for (hp, values), stride in zip(self._grid.items(), self._strides, strict=True)
        }
        self._init_cost(name, self._model_cost(name, cost, cost_model))
        self._data_files = dict(data_files or {})

        space = CS.ConfigurationSpace()
        space.add([_hyperparameter(hp, values) for hp, values in self._grid.items()])
        self._task = Task(
            name=name,
            space=space,
            objectives=tuple(objectives),
            fidelity=fidelity,
            candidates=n_configs,
            tags=tags,
            continuation=fidelity is not None,  # each seed's fidelity slices are one training run
        )

    # ----------------------------------------------------------------------------------------
    # construction helpers

    def _model_cost(self, name: str, cost: np.ndarray | None, model: CostModel | None) -> np.ndarray:
        if cost is not None:
            return cost
        if model is None:
            raise ValueError(f"{name!r}: give a cost array or a cost model")
        raw = np.asarray(model(self.grid_columns(), np.asarray(self._fidelity_values)), dtype=float)
        try:
            return np.broadcast_to(raw, (self.n_configs, self.n_fidelities))[:, None, :]
        except ValueError as exc:
            raise ValueError(f"{name!r}: the cost model's output does not broadcast") from exc

    def _group_luts(self) -> tuple[tuple[Callable[[Config], Any], Callable[[Any], int]], ...]:
        """Lookups of consecutive hyperparameter groups: (values getter, values -> partial index).

        Each group holds up to :data:`_GROUP_CELLS` value combinations, so that one small
        dictionary lookup of a value tuple replaces several per-hyperparameter lookups (fewer
        passes over a batch) while every dictionary stays small enough for the CPU cache. Tuple
        keys compare element by element, so numeric values still match across types.
        """
        groups: list[list[tuple[str, dict[Any, int]]]] = []
        for hp, lut in self._luts:
            cells = math.prod(len(x[1]) for x in groups[-1]) if groups else _GROUP_CELLS + 1
            if cells * len(lut) > _GROUP_CELLS:
                groups.append([])
            groups[-1].append((hp, lut))
        out: list[tuple[Callable[[Config], Any], Callable[[Any], int]]] = []
        for group in groups:
            if len(group) == 1:
                hp, lut = group[0]
                out.append((itemgetter(hp), lut.__getitem__))
                continue
            combined: dict[Any, int] = {(): 0}
            for _, lut in group:
                combined = {(*key, v): c + i for key, c in combined.items() for v, i in lut.items()}
            out.append((itemgetter(*(hp for hp, _ in group)), combined.__getitem__))
        return tuple(out)

    def _check_runs(self, name: str, runs: np.ndarray | None, n_seeds: int) -> np.ndarray | None:
        """Boolean ``(n_configs, n_seeds)`` mask of recorded (not replicated) runs (``None``: all)."""
        if runs is None:
            return None
        runs = np.asarray(runs)
        if runs.shape != (self.n_configs,) or np.any(runs < 1) or np.any(runs > n_seeds):
            raise ValueError(
                f"{name!r}: runs must have shape ({self.n_configs},) with values in [1, n_seeds]"
            )
        return np.asarray(np.arange(n_seeds)[None, :] < runs[:, None])

    # ----------------------------------------------------------------------------------------
    # introspection

    @property
    def task(self) -> Task:
        """The task: the grid space, ``candidates = n_configs``."""
        return self._task

    @property
    def grid(self) -> Mapping[str, tuple[Any, ...]]:
        """Hyperparameter -> grid values, in index order."""
        return dict(self._grid)

    def grid_columns(self) -> dict[str, np.ndarray]:
        """Each hyperparameter's value for every configuration index, as arrays of length n_configs."""
        sizes = [len(v) for v in self._grid.values()]
        digits = np.unravel_index(np.arange(self.n_configs), sizes)
        return {hp: np.asarray(values)[d] for (hp, values), d in zip(self._grid.items(), digits, strict=True)}

    def config_at(self, index: int) -> dict[str, Any]:
        """The configuration with index ``index`` (inverse of :meth:`config_index`)."""
        if not 0 <= index < self.n_configs:
            raise IndexError(f"config index {index} outside [0, {self.n_configs})")
        out: dict[str, Any] = {}
        for (hp, values), stride in zip(self._grid.items(), self._strides, strict=True):
            out[hp] = values[(index // stride) % len(values)]
        return out

    def data_files(self) -> Mapping[str, str]:
        """The files the table was read from, as path -> sha256."""
        return dict(self._data_files)

    # ----------------------------------------------------------------------------------------
    # raw vectorised API

    def config_index(self, configs: Sequence[Config]) -> np.ndarray:
        """Validate configurations and return their grid indices (``intp`` array, ``len(configs)``).

        Raises:
            InvalidConfigError: A configuration is not a grid point.
        """
        try:
            return self._indices(configs)
        except (KeyError, TypeError):
            for config in configs:
                self.codec.validate(config)
            raise InvalidConfigError("a configuration is not a point of the grid") from None

    def lookup(self, config_indices: Index, seed_indices: Index, fidelity_indices: Index) -> np.ndarray:
        """Raw table lookup: metric values at broadcast index arrays, shape ``(*broadcast, n_metrics)``.

        No validation beyond numpy's: indices must lie in the table (negative ones count from the
        end, as in numpy). Use :meth:`config_index` to turn configurations into indices.
        """
        return np.asarray(self._table[config_indices, seed_indices, fidelity_indices])

    def _index_one(self, config: Config) -> int:
        """Grid index of one configuration; KeyError/TypeError when it is not a grid point."""
        if len(config) != len(self._names):
            raise KeyError("unknown or missing hyperparameter")
        c = 0
        for get, lut in self._groups:
            c += lut(get(config))
        for get in self._bool_prone:
            if type(get(config)) in _BOOLS:
                raise KeyError("a boolean is not a number")
        return c

    def _indices(self, configs: Sequence[Config]) -> np.ndarray:
        """Grid indices of a batch: one C-level pass per hyperparameter; KeyError/TypeError if off-grid."""
        n = len(configs)
        if n <= 8:  # per-column numpy passes only pay off for larger batches
            return np.array([self._index_one(c) for c in configs], dtype=np.intp)
        if any(map(self._k.__ne__, map(len, configs))):
            raise KeyError("unknown or missing hyperparameter")
        out = np.zeros(n, dtype=np.intp)
        for get, lut in self._groups:
            out += np.fromiter(map(lut, map(get, configs)), dtype=np.intp, count=n)
        for get, stride, size, digits in self._bool_digits:
            # only rows that found the grid's 0 or 1 can hold a boolean (True == 1): check their types
            digit = (out // stride) % size
            found = digit == digits[0]
            if len(digits) > 1:
                found |= digit == digits[1]
            rows = np.flatnonzero(found).tolist()
            if rows and has_bool(map(get, map(configs.__getitem__, rows))):
                raise KeyError("a boolean is not a number")
        return out

    def _column_index(self, columns: dict[str, np.ndarray], n: int) -> np.ndarray:
        """Grid indices of configurations given as columns: a few numpy passes per hyperparameter.

        Numeric columns (integer or floating dtype) of numeric grids and string columns of
        string grids are matched by value in numpy; any other column (object, bytes, booleans),
        a value off the grid or the wrong hyperparameters take the row path of
        :meth:`config_index`, which validates and raises :class:`InvalidConfigError`.
        """
        if n <= _FEW_COLUMN_ROWS:  # a few rows: the row path's dictionary lookups are faster
            return self.config_index(column_rows(columns))
        try:
            if columns.keys() != self._columns.keys():
                raise KeyError("unknown or missing hyperparameter")
            out = np.zeros(n, dtype=np.intp)
            for hp, column in columns.items():
                self._columns[hp].add_digits(column, out)
            return out
        except (KeyError, TypeError):
            return self.config_index(column_rows(columns))

    def snap(self, configs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Map configurations of a continuous relaxation of the grid onto grid points.

        Rule (for methods that propose continuous values on a grid task): each numeric
        hyperparameter takes the grid value nearest to the proposed value, measured in log space
        when every grid value is positive and the grid spans at least a factor of 10, else
        linearly; ties go to the smaller grid value. Categorical values must already be grid
        values. :meth:`evaluate` itself never snaps: it raises for off-grid values.

        Raises:
            InvalidConfigError: A hyperparameter is missing or unknown, a categorical value is
                not a choice, or a numeric value is not a finite number.
        """
        out = []
        for config in configs:
            unknown = set(config) - set(self._grid)
            if unknown:
                raise InvalidConfigError(f"unknown hyperparameter(s) {sorted(unknown)}")
            snapped: dict[str, Any] = {}
            for hp, values in self._grid.items():
                if hp not in config:
                    raise InvalidConfigError(f"hyperparameter {hp!r} is missing from the configuration")
                value = config[hp]
                if not all(is_real(v) for v in values):
                    if value not in values:
                        raise InvalidConfigError(f"value {value!r} is not a choice of {hp!r}: {values}")
                    snapped[hp] = value
                    continue
                if not is_finite_real(value):
                    raise InvalidConfigError(f"value {value!r} of {hp!r} is not a finite number")
                grid = np.asarray(values, dtype=float)
                log = bool(np.all(grid > 0) and grid.max() >= 10 * grid.min())
                if log:
                    x, g = math.log(max(float(value), 1e-300)), np.log(grid)
                else:
                    x, g = float(value), grid
                distance = np.abs(g - x)
                candidates = np.flatnonzero(distance == distance.min())
                snapped[hp] = values[int(candidates[np.argmin(grid[candidates])])]
            out.append(snapped)
        return out
