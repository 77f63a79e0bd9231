"""Candidate-set benchmarks: a finite list of configurations with continuous hyperparameters.

Some tables (TaskSet, LCBench) were not recorded on a grid but on a list of configurations
sampled from a continuous space. :class:`CandidateBenchmark` answers such a list from a dense
array ``(n_candidates, n_seeds, n_fidelities, n_metrics)``.

Space and snapping (part of the contract): the task's space is the bounding box of the
candidates (widened by a relative 1e-9), one ``UniformFloatHyperparameter`` per hyperparameter
(log-scaled where declared), so any method can propose from it, and ``task.candidates`` is the
number of listed configurations. :meth:`CandidateBenchmark.evaluate` and
:meth:`CandidateBenchmark.reference_values` answer a configuration inside the box with the
*nearest listed candidate*: Euclidean distance after mapping each hyperparameter linearly (or,
for log-scaled ones, its logarithm) onto ``[0, 1]`` over the candidates' range; ties go to the
candidate listed first. A listed configuration maps to itself exactly. Values outside the box,
missing or unknown hyperparameters raise :class:`~hpobench.errors.InvalidConfigError`. Methods
that want to propose listed configurations exactly use
:meth:`CandidateBenchmark.candidate_configs`. A random search over the box therefore picks
candidate ``i`` with the prior mass of its Voronoi cell, not uniformly.

Lifecycle: built by a family's ``load`` inside the worker; read-only afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from operator import itemgetter

import ConfigSpace as CS
import numpy as np

from hpobench.surrogates._dense import DenseLookup
from hpobench.surrogates.optima import StoredOptimum
from hpobench.types import Config, Fidelity, Objective, Task

__all__ = ["CandidateBenchmark"]

_CHUNK = 2048  # rows of the (queries x candidates) distance matrix computed at once


class CandidateBenchmark(DenseLookup):
    """A benchmark answered from a dense array over a finite list of continuous configurations.

    Seeds, fidelities and failures behave as in
    :class:`~hpobench.surrogates.tabular.TabularBenchmark`: ``seed % n_seeds`` selects the
    recorded run for the whole batch, only listed fidelities are valid (``None`` is the maximal
    one), and a non-finite objective gives status FAILED with NaN values (cost still charged).
    Reference values are means over seeds of the finite runs at the maximal fidelity; the
    reference range is that of :func:`~hpobench.surrogates._dense.reference_of`.

    Args:
        name: Full task name, ``"family/task"``.
        candidates: Hyperparameter -> float array of its value for each candidate (all of
            length ``n_candidates``, finite; positive where log-scaled).
        log: Names of the log-scaled hyperparameters.
        table: Array ``(n_candidates, n_seeds, n_fidelities, len(metrics))``, kept by reference.
        metrics: Names of the table's last axis.
        objectives: The objectives, each naming a metric; the other metrics become extras.
        fidelity: The fidelity range, or ``None`` (then ``n_fidelities == 1``).
        fidelity_values: Increasing fidelity of each slice, from ``fidelity.low`` to ``fidelity.high``.
        cost: Cost in seconds, broadcastable to ``(n_candidates, n_seeds, n_fidelities)``.
        tags: Task tags.
        data_files: Files the table was read from, as path -> sha256.
        stored: Stored reference values of the (single) objective, answered by :meth:`optimum`
            (the built-in families pass :func:`~hpobench.surrogates.optima.stored_optimum`);
            ``None``: :meth:`optimum` computes them from the table (:meth:`table_optimum`).

    Raises:
        ValueError: The arguments are inconsistent.
    """

    def __init__(
        self,
        *,
        name: str,
        candidates: Mapping[str, np.ndarray],
        log: frozenset[str] = frozenset(),
        table: np.ndarray,
        metrics: Sequence[str],
        objectives: Sequence[Objective],
        fidelity: Fidelity | None = None,
        fidelity_values: Sequence[float] | None = None,
        cost: np.ndarray,
        tags: frozenset[str] = frozenset(),
        data_files: Mapping[str, str] | None = None,
        stored: StoredOptimum | None = None,
    ) -> None:
        self._names = tuple(candidates)
        values = np.column_stack([np.asarray(candidates[n], dtype=float) for n in self._names])
        n = values.shape[0]
        if table.ndim != 4 or table.shape[0] != n or table.shape[3] != len(metrics):
            raise ValueError(
                f"table of {name!r} must have shape ({n}, n_seeds, n_fidelities, {len(metrics)})"
            )
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name!r}: candidate values must be finite")
        self._log = np.array([hp in log for hp in self._names])
        if np.any(values[:, self._log] <= 0):
            raise ValueError(f"{name!r}: log-scaled hyperparameters need positive values")
        self._values = values
        self._low, self._high = values.min(axis=0), values.max(axis=0)
        self._unit = self._normalise(values)
        self._exact = {tuple(row): i for i, row in reversed(list(enumerate(values.tolist())))}
        self._key = itemgetter(*self._names) if len(self._names) > 1 else lambda c: (c[self._names[0]],)
        self.n_candidates = n
        self._what = "listed candidates"
        self._init_dense(
            name=name,
            table=table,
            metrics=metrics,
            objectives=objectives,
            fidelity=fidelity,
            fidelity_values=fidelity_values,
            stored=stored,
        )
        self._init_cost(name, cost)
        self._data_files = dict(data_files or {})

        space = CS.ConfigurationSpace()
        for j, hp in enumerate(self._names):
            low, high = float(self._low[j]), float(self._high[j])
            if low == high:
                space.add(CS.Constant(hp, low))
                continue
            # widen by 1e-9 (relative) so that ConfigSpace's rounding of bounds keeps every candidate inside
            low, high = low - 1e-9 * abs(low), high + 1e-9 * abs(high)
            space.add(CS.UniformFloatHyperparameter(hp, lower=low, upper=high, log=bool(self._log[j])))
        self._task = Task(
            name=name,
            space=space,
            objectives=tuple(objectives),
            fidelity=fidelity,
            candidates=n,
            tags=tags,
            continuation=fidelity is not None,  # each seed's fidelity slices are one training run
        )

    # ----------------------------------------------------------------------------------------
    # introspection and snapping

    @property
    def task(self) -> Task:
        """The task: the candidates' bounding box, ``candidates = n_candidates``."""
        return self._task

    def candidate_configs(self) -> list[dict[str, float]]:
        """The listed configurations, in index order (each evaluates exactly, without snapping)."""
        return [dict(zip(self._names, row, strict=True)) for row in self._values.tolist()]

    def data_files(self) -> Mapping[str, str]:
        """The files the table was read from, as path -> sha256."""
        return dict(self._data_files)

    def _normalise(self, values: np.ndarray) -> np.ndarray:
        x = np.where(self._log, np.log(np.where(self._log, values, 1.0)), values)
        low = np.where(self._log, np.log(np.where(self._log, self._low, 1.0)), self._low)
        high = np.where(self._log, np.log(np.where(self._log, self._high, 1.0)), self._high)
        span = np.where(high > low, high - low, 1.0)
        return np.asarray((x - low) / span)

    def config_index(self, configs: Sequence[Config]) -> np.ndarray:
        """Validate configurations and return the index of the candidate each one snaps to.

        Listed configurations are found by exact match (one dictionary lookup of the value
        tuple); the others are validated and snapped (see the module docstring).

        Raises:
            InvalidConfigError: A configuration is outside the box or names the wrong hyperparameters.
        """
        n, k = len(configs), len(self._names)
        if n <= 8:
            return np.array([self._index_one(c) for c in configs], dtype=np.intp)
        try:
            if any(map(k.__ne__, map(len, configs))):
                raise KeyError("unknown or missing hyperparameter")
            out = np.fromiter(
                map(self._exact.get, map(self._key, configs), repeat(-1)), dtype=np.intp, count=n
            )
        except (KeyError, TypeError):
            out = np.full(n, -1, dtype=np.intp)  # validated one by one below
        misses = np.flatnonzero(out < 0)
        if misses.size:
            snapped = np.array([self._row(configs[i]) for i in misses.tolist()], dtype=float).reshape(-1, k)
            out[misses] = self._nearest(snapped)
        return out

    _indices = config_index  # validates and snaps itself (never raises KeyError/TypeError)

    def _index_one(self, config: Config) -> int:
        """Index of one configuration: exact match, else validated and snapped."""
        try:
            if len(config) == len(self._names):
                return int(self._exact[self._key(config)])
        except (KeyError, TypeError):
            pass
        return int(self._nearest(np.array([self._row(config)], dtype=float))[0])

    def _row(self, config: Config) -> list[float]:
        self.codec.validate(config)
        return [float(config[n]) for n in self._names]

    def _nearest(self, rows: np.ndarray) -> np.ndarray:
        unit = self._normalise(rows)
        out = np.empty(len(rows), dtype=np.intp)
        sq = np.einsum("ij,ij->i", self._unit, self._unit)
        for start in range(0, len(rows), _CHUNK):
            block = unit[start : start + _CHUNK]
            dist = sq[None, :] - 2.0 * block @ self._unit.T  # |c|^2 - 2 q.c ranks like |q - c|^2
            out[start : start + _CHUNK] = np.argmin(dist, axis=1)  # first minimum: lowest index
        return out

    def lookup(
        self, candidate: np.ndarray | int, seed: np.ndarray | int, fidelity: np.ndarray | int
    ) -> np.ndarray:
        """Raw table lookup at broadcast index arrays, shape ``(*broadcast, n_metrics)`` (no validation)."""
        return np.asarray(self._table[candidate, seed, fidelity])
