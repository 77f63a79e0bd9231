"""Tabular benchmarks: answers looked up in a dense array over a full grid search space.

A :class:`TabularBenchmark` holds one array ``table`` of shape
``(n_configs, n_seeds, n_fidelities, n_metrics)``. The search space is the full grid of each
hyperparameter's values (in the order given by ``grid``) and the configuration index is the
mixed-radix (row-major, last hyperparameter fastest) index of the per-hyperparameter value
indices. Lookups never build a ConfigSpace ``Configuration``: each hyperparameter has a
value -> ``index * stride`` dictionary, so a configuration's index is a sum of dictionary
lookups (numeric values match across int/float/numpy types, ``8 == 8.0 == np.int64(8)``).

:func:`dense_from_arrow` turns a long-format table (one row per configuration x seed [x fidelity])
into that dense array with vectorised numpy and checks that it is a complete grid.

Lifecycle: a family's ``load`` builds the benchmark inside the worker that uses it; the
benchmark is read-only afterwards and may be shared by several runs of that worker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from operator import itemgetter
from typing import Any, NoReturn

import ConfigSpace as CS
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ConfigSpace.hyperparameters import Hyperparameter

from hpobench.errors import DataError, InvalidConfigError, InvalidFidelityError
from hpobench.space import to_python
from hpobench.surrogates._dense import DenseLookup, best_and_worst
from hpobench.types import Config, Evaluation, Fidelity, Objective, Reference, Status, Task, Trial

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

_NAN = float("nan")


def _is_numeric(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _hyperparameter(name: str, values: Sequence[Any]) -> Hyperparameter[Any, Any]:
    if all(_is_numeric(v) for v in values):
        return CS.OrdinalHyperparameter(name, sequence=list(values))
    if all(isinstance(v, str) for v in values):
        return CS.CategoricalHyperparameter(name, choices=list(values))
    raise ValueError(f"grid of {name!r} must hold only numbers or only strings, got {list(values)!r}")


class TabularBenchmark(DenseLookup):
    """A benchmark answered from a dense ``(config, seed, fidelity, metric)`` array.

    Seeds: ``evaluate(trials, seed=s)`` answers every trial of the batch from the repeated run
    ``s % n_seeds`` of the table (so ``seed`` selects one recorded training run, and a batch equals
    the concatenation of its single-trial batches). Reference values average over all seeds.

    Fidelity: trials may only ask for fidelities listed in ``fidelity_values`` (``None`` is the
    maximal one); a fidelity inside the task's range but off the table's grid raises
    :class:`InvalidFidelityError`.

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
    ) -> None:
        self._grid = {hp: tuple(to_python(v) for v in values) for hp, values in grid.items()}
        sizes = [len(v) for v in self._grid.values()]
        n_configs = math.prod(sizes)
        if table.ndim != 4 or table.shape[0] != n_configs or table.shape[3] != len(metrics):
            raise ValueError(
                f"table of {name!r} must have shape ({n_configs}, n_seeds, n_fidelities, {len(metrics)}), "
                f"got {table.shape}"
            )
        self._metrics = tuple(metrics)
        unknown = [o.name for o in objectives if o.name not in self._metrics]
        if unknown or not objectives:
            raise ValueError(f"objectives {unknown or '(none)'} are not among the metrics {self._metrics}")
        self._table = table
        self.n_configs, self.n_seeds, self.n_fidelities = (int(x) for x in table.shape[:3])
        self._fidelity_values = self._check_fidelities(name, fidelity, fidelity_values)

        # value -> index * stride, one dict per hyperparameter (row-major: last one fastest).
        self._names = tuple(self._grid)
        strides = np.cumprod([1, *sizes[::-1]])[:-1][::-1].tolist()
        self._strides = tuple(int(s) for s in strides)
        self._luts: tuple[tuple[str, dict[Any, int]], ...] = tuple(
            (hp, {v: i * stride for i, v in enumerate(values)})
            for (hp, values), stride in zip(self._grid.items(), self._strides, strict=True)
        )
        for hp, lut in self._luts:
            if len(lut) != len(self._grid[hp]):
                raise ValueError(f"grid of {hp!r} has duplicate values: {self._grid[hp]!r}")
        self._getters = tuple((itemgetter(hp), lut.__getitem__) for hp, lut in self._luts)
        # fidelity -> slice; None is the maximal fidelity (and the only key without a fidelity).
        self._fid_lut: dict[float | None, int] = {None: self.n_fidelities - 1}
        if fidelity is not None:
            self._fid_lut.update({f: i for i, f in enumerate(self._fidelity_values)})

        self._objective_names = tuple(o.name for o in objectives)
        self._objective_cols = [self._metrics.index(o) for o in self._objective_names]
        self._extra_cols = [i for i, m in enumerate(self._metrics) if m not in self._objective_names]
        self._extra_names = tuple(self._metrics[i] for i in self._extra_cols)
        self._single_metric = len(self._metrics) == 1
        self._cost = self._build_cost(name, cost, cost_model)
        self._recorded = self._check_runs(name, runs)
        at_max = table[:, :, -1][:, :, self._objective_cols]
        self._reference = self._mean_at_max(np.where(self._recorded[:, :, None], at_max, np.nan))
        self._signs = np.array([o.direction.sign for o in objectives])
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
        )

    # ----------------------------------------------------------------------------------------
    # construction helpers

    def _check_fidelities(
        self, name: str, fidelity: Fidelity | None, values: Sequence[float] | None
    ) -> tuple[float, ...]:
        if fidelity is None:
            if values is not None or self.n_fidelities != 1:
                raise ValueError(f"{name!r}: a table without fidelity needs n_fidelities == 1 and no values")
            return (1.0,)
        if values is None or len(values) != self.n_fidelities:
            raise ValueError(f"{name!r}: give one fidelity value per slice ({self.n_fidelities})")
        out = tuple(float(v) for v in values)
        if any(b <= a for a, b in pairwise(out)) or not all(map(fidelity.contains, out)):
            raise ValueError(f"{name!r}: fidelity values must increase inside {fidelity}, got {out}")
        if out[0] != fidelity.low or out[-1] != fidelity.high:
            raise ValueError(f"{name!r}: fidelity values must run from {fidelity.low} to {fidelity.high}")
        return out

    def _build_cost(self, name: str, cost: np.ndarray | None, model: CostModel | None) -> np.ndarray:
        shape = (self.n_configs, self.n_seeds, self.n_fidelities)
        if cost is None:
            if model is None:
                raise ValueError(f"{name!r}: give a cost array or a cost model")
            columns = self.grid_columns()
            raw = np.asarray(model(columns, np.asarray(self._fidelity_values)), dtype=float)
            cost = np.broadcast_to(raw, (self.n_configs, self.n_fidelities))[:, None, :]
        try:
            full = np.broadcast_to(np.asarray(cost, dtype=float), shape)
        except ValueError as exc:
            raise ValueError(f"{name!r}: cost does not broadcast to {shape}") from exc
        if not np.all(np.isfinite(full) & (full >= 0)):
            raise ValueError(f"{name!r}: costs must be finite and non-negative")
        return full

    def _check_runs(self, name: str, runs: np.ndarray | None) -> np.ndarray:
        """Boolean ``(n_configs, n_seeds)`` mask of recorded (not replicated) runs."""
        if runs is None:
            return np.ones((self.n_configs, self.n_seeds), dtype=bool)
        runs = np.asarray(runs)
        if runs.shape != (self.n_configs,) or np.any(runs < 1) or np.any(runs > self.n_seeds):
            raise ValueError(
                f"{name!r}: runs must have shape ({self.n_configs},) with values in [1, n_seeds]"
            )
        return np.arange(self.n_seeds)[None, :] < runs[:, None]

    @staticmethod
    def _mean_at_max(values: np.ndarray) -> np.ndarray:
        """Mean over seeds of the finite values, NaN where no seed is finite: (n_configs, n_obj)."""
        finite = np.isfinite(values)
        count = finite.sum(axis=1)
        total = np.where(finite, values, 0.0).sum(axis=1)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)

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

    @property
    def metrics(self) -> tuple[str, ...]:
        """Names of the metric axis of the table."""
        return self._metrics

    @property
    def fidelity_values(self) -> tuple[float, ...]:
        """Fidelity of each slice of the table (``(1.0,)`` without fidelity)."""
        return self._fidelity_values

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

    def lookup_cost(self, config_indices: Index, seed_indices: Index, fidelity_indices: Index) -> np.ndarray:
        """Raw cost lookup in seconds, as :meth:`lookup` (shape ``broadcast``)."""
        return np.asarray(self._cost[config_indices, seed_indices, fidelity_indices])

    def _index_one(self, config: Config) -> int:
        """Grid index of one configuration; KeyError/TypeError when it is not a grid point."""
        if len(config) != len(self._names):
            raise KeyError("unknown or missing hyperparameter")
        c = 0
        for hp, lut in self._luts:
            c += lut[config[hp]]
        return c

    def _indices(self, configs: Sequence[Config]) -> np.ndarray:
        n = len(configs)
        if n <= 16:  # per-column numpy passes only pay off for larger batches
            return np.array([self._index_one(c) for c in configs], dtype=np.intp)
        k = len(self._names)
        if any(len(c) != k for c in configs):
            raise KeyError("unknown or missing hyperparameter")
        out = np.zeros(n, dtype=np.intp)
        for get, lut in self._getters:
            out += np.fromiter(map(lut, map(get, configs)), dtype=np.intp, count=n)
        return out

    # ----------------------------------------------------------------------------------------
    # the Benchmark contract

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        """Look the trials up in the table; see the class docstring for seeds and failures."""
        s = seed % self.n_seeds
        if len(trials) == 1:  # fast path: pure-Python index arithmetic, one numpy access
            trial = trials[0]
            config = trial.config
            try:
                if len(config) != len(self._names):
                    raise KeyError
                c = 0
                for hp, lut in self._luts:
                    c += lut[config[hp]]
                f = self._fid_lut[trial.fidelity]
            except (KeyError, TypeError):
                self._raise_invalid(trials)
            row = self._table[c, s, f].tolist()
            return [self._evaluation(trial, row, float(self._cost[c, s, f]))]
        try:
            cidx = self._indices([t.config for t in trials])
            fidx = np.fromiter((self._fid_lut[t.fidelity] for t in trials), dtype=np.intp, count=len(trials))
        except (KeyError, TypeError):
            self._raise_invalid(trials)
        costs = self._cost[cidx, s, fidx].tolist()
        if self._single_metric:  # the common case, without a per-trial method call
            name = self._objective_names[0]
            values = self._table[cidx, s, fidx, 0].tolist()
            return [
                Evaluation(trial=t, values={name: v}, cost=c)
                if math.isfinite(v)
                else self._evaluation(t, [v], c)
                for t, v, c in zip(trials, values, costs, strict=True)
            ]
        rows = self._table[cidx, s, fidx].tolist()
        return [self._evaluation(t, r, c) for t, r, c in zip(trials, rows, costs, strict=True)]

    def _evaluation(self, trial: Trial, row: list[float], cost: float) -> Evaluation:
        if self._single_metric:
            value = row[0]
            if math.isfinite(value):
                return Evaluation(trial=trial, values={self._objective_names[0]: value}, cost=cost)
            return Evaluation(
                trial=trial, values={self._objective_names[0]: _NAN}, cost=cost, status=Status.FAILED
            )
        objective = [row[i] for i in self._objective_cols]
        extras = {
            n: (row[i] if math.isfinite(row[i]) else _NAN)
            for n, i in zip(self._extra_names, self._extra_cols, strict=True)
        }
        if all(math.isfinite(v) for v in objective):
            values = dict(zip(self._objective_names, objective, strict=True))
            return Evaluation(trial=trial, values=values, cost=cost, extras=extras)
        values = dict.fromkeys(self._objective_names, _NAN)
        return Evaluation(trial=trial, values=values, cost=cost, status=Status.FAILED, extras=extras)

    def _raise_invalid(self, trials: Sequence[Trial]) -> NoReturn:
        self.check_trials(trials)  # raises for configurations and out-of-range fidelities
        for trial in trials:
            if trial.fidelity not in self._fid_lut:
                raise InvalidFidelityError(
                    f"fidelity {trial.fidelity!r} is not on the grid of {self.task.name!r}; "
                    f"recorded fidelities: {list(self._fidelity_values)}"
                )
        raise InvalidConfigError(f"a configuration is not a point of the grid of {self.task.name!r}")

    def optimum(self) -> Reference:
        """Best and worst mean over seeds at the maximal fidelity, over all grid configurations."""
        return best_and_worst(
            self._reference,
            names=self._objective_names,
            signs=self._signs,
            source=(
                f"table: best and worst over all {self.n_configs} grid configurations of the mean "
                f"over {self.n_seeds} seeds at the maximal fidelity"
            ),
            missing=f"{self.task.name!r}: an objective has no finite value in the table",
        )

    def optimum_per_seed(self) -> tuple[Reference, ...]:
        """Best and worst value of each recorded run (seed) at the maximal fidelity.

        Entry ``s`` is the reference of seed ``s`` alone: the best and worst over the
        configurations that have a recorded run ``s`` (replicated cells are left out). Useful to
        measure regret against one noise realisation instead of the mean over seeds.

        Raises:
            DataError: An objective has no finite value for some seed.
        """
        at_max = self._table[:, :, -1][:, :, self._objective_cols]
        out = []
        for s in range(self.n_seeds):
            out.append(
                best_and_worst(
                    at_max[self._recorded[:, s], s],
                    names=self._objective_names,
                    signs=self._signs,
                    source=f"table: best and worst of seed {s} at the maximal fidelity",
                    missing=f"{self.task.name!r}: an objective has no finite value for seed {s}",
                )
            )
        return tuple(out)

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
                if not all(_is_numeric(v) for v in values):
                    if value not in values:
                        raise InvalidConfigError(f"value {value!r} is not a choice of {hp!r}: {values}")
                    snapped[hp] = value
                    continue
                if not _is_numeric(value) or not math.isfinite(value):
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


def dense_from_arrow(
    table: pa.Table,
    *,
    grid: Mapping[str, Sequence[Any]],
    metrics: Sequence[str],
    seed_column: str,
    n_seeds: int,
    fidelity_column: str | None = None,
    fidelity_values: Sequence[float] = (1.0,),
    what: str,
) -> np.ndarray:
    """Scatter a long-format table into a dense ``(n_configs, n_seeds, n_fidelities, n_metrics)`` array.

    Every row is one (configuration, seed[, fidelity]) cell; seeds are ``0 .. n_seeds - 1``. The
    configuration index follows :class:`TabularBenchmark` (row-major over ``grid``). Works column
    by column with vectorised Arrow/numpy operations.

    Args:
        table: The long table (e.g. read from Parquet).
        grid: Hyperparameter -> grid values, in index order.
        metrics: Metric columns, in the order of the last axis.
        seed_column: Column with the index of the repeated run.
        n_seeds: Number of repeated runs per configuration.
        fidelity_column: Column with the fidelity, or ``None`` for a single-fidelity table.
        fidelity_values: The fidelity grid (ignored without ``fidelity_column``).
        what: Name of the benchmark and file, for error messages.

    Raises:
        DataError: A column is missing or has the wrong type, a value is off the grid, or the
            table is not complete (some cell is missing or appears twice).
    """
    dense, _ = _scatter(
        table,
        grid=grid,
        metrics=metrics,
        seed_column=seed_column,
        n_seeds=n_seeds,
        fidelity_column=fidelity_column,
        fidelity_values=fidelity_values,
        what=what,
        ragged=False,
    )
    return dense


def dense_from_arrow_ragged(
    table: pa.Table,
    *,
    grid: Mapping[str, Sequence[Any]],
    metrics: Sequence[str],
    seed_column: str,
    n_seeds: int,
    what: str,
) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`dense_from_arrow` (single fidelity) for tables where runs per configuration vary.

    Each configuration must have runs ``0 .. k-1`` for some ``1 <= k <= n_seeds``. Missing cells
    of seed ``s >= k`` are filled with a copy of run ``s % k``, so that every seed answers with a
    recorded run; pass the returned ``runs`` to :class:`TabularBenchmark` so that the copies are
    left out of reference values.

    Returns:
        ``(dense, runs)``: the filled array and the number of recorded runs per configuration.

    Raises:
        DataError: As :func:`dense_from_arrow`, or a configuration's runs are not ``0 .. k-1``.
    """
    return _scatter(
        table,
        grid=grid,
        metrics=metrics,
        seed_column=seed_column,
        n_seeds=n_seeds,
        fidelity_column=None,
        fidelity_values=(1.0,),
        what=what,
        ragged=True,
    )


def _scatter(
    table: pa.Table,
    *,
    grid: Mapping[str, Sequence[Any]],
    metrics: Sequence[str],
    seed_column: str,
    n_seeds: int,
    fidelity_column: str | None,
    fidelity_values: Sequence[float],
    what: str,
    ragged: bool,
) -> tuple[np.ndarray, np.ndarray]:
    keys: dict[str, Sequence[Any]] = {**grid, seed_column: range(n_seeds)}
    if fidelity_column is not None:
        keys[fidelity_column] = list(fidelity_values)
    n_fid = len(fidelity_values) if fidelity_column is not None else 1
    missing = [c for c in [*keys, *metrics] if c not in table.column_names]
    if missing:
        raise DataError(f"{what}: columns {missing} are missing (found {table.column_names})")
    flat = np.zeros(table.num_rows, dtype=np.int64)
    for column, values in keys.items():
        try:
            found = pc.index_in(table[column], value_set=pa.array(list(values)))
        except (pa.ArrowException, TypeError) as exc:
            raise DataError(f"{what}: column {column!r} has an unexpected type: {exc}") from exc
        if found.null_count:
            raw = table[column].to_numpy()
            bad = np.unique(raw[found.is_null().to_numpy(zero_copy_only=False)])[:5]
            raise DataError(
                f"{what}: column {column!r} holds values off the grid {list(values)}: {bad.tolist()}"
            )
        flat = flat * len(values) + found.to_numpy().astype(np.int64)
    n_configs = math.prod(len(v) for v in grid.values())
    n_cells = n_configs * n_seeds * n_fid
    counts = np.bincount(flat, minlength=n_cells)
    runs = np.full(n_configs, n_seeds, dtype=np.int64)
    if ragged:
        present = counts.reshape(n_configs, n_seeds) == 1
        runs = present.sum(axis=1)
        prefix = np.arange(n_seeds)[None, :] < runs[:, None]
        if np.any(counts > 1) or np.any(runs == 0) or np.any(present != prefix):
            raise DataError(
                f"{what}: every configuration needs runs 0..k-1 (1 <= k <= {n_seeds}) exactly once; "
                f"{int(np.sum(runs == 0))} configurations have none, {int(np.sum(counts > 1))} cells "
                f"repeat and {int(np.sum(np.any(present != prefix, axis=1)))} have gaps"
            )
    elif table.num_rows != n_cells or np.any(counts != 1):
        raise DataError(
            f"{what}: not a complete grid: expected each of {n_configs} configurations x {n_seeds} seeds"
            + (f" x {n_fid} fidelities" if fidelity_column is not None else "")
            + f" exactly once ({n_cells} rows), found {table.num_rows} rows, "
            f"{int(np.sum(counts == 0))} cells missing and {int(np.sum(counts > 1))} repeated"
        )
    out = np.full((n_cells, len(metrics)), np.nan, dtype=float)
    for j, metric in enumerate(metrics):
        try:
            out[flat, j] = table[metric].to_numpy().astype(float)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise DataError(f"{what}: metric column {metric!r} is not numeric: {exc}") from exc
    # flat is row-major over (grid..., seed[, fidelity]); without a fidelity column it has size 1.
    dense = out.reshape(n_configs, n_seeds, n_fid, len(metrics))
    if ragged:
        source = np.arange(n_seeds)[None, :] % runs[:, None]  # (n_configs, n_seeds)
        dense = dense[np.arange(n_configs)[:, None], source]
    return dense, runs
