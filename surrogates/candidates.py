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

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import NoReturn

import ConfigSpace as CS
import numpy as np

from hpobench.errors import InvalidFidelityError
from hpobench.surrogates._dense import DenseLookup, best_and_worst
from hpobench.types import Config, Evaluation, Fidelity, Objective, Reference, Status, Task, Trial

__all__ = ["CandidateBenchmark"]

_NAN = float("nan")
_INF = float("inf")
_CHUNK = 2048  # rows of the (queries x candidates) distance matrix computed at once


class CandidateBenchmark(DenseLookup):
    """A benchmark answered from a dense array over a finite list of continuous configurations.

    Seeds, fidelities and failures behave as in
    :class:`~hpobench.surrogates.tabular.TabularBenchmark`: ``seed % n_seeds`` selects the
    recorded run for the whole batch, only listed fidelities are valid (``None`` is the maximal
    one), and a non-finite objective gives status FAILED with NaN values (cost still charged).
    Reference values are means over seeds of the finite runs at the maximal fidelity.

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
        self._first = {row[0]: i for i, row in reversed(list(enumerate(values.tolist())))}
        self._table = table
        self.n_candidates, self.n_seeds, self.n_fidelities = (int(x) for x in table.shape[:3])
        self._metrics = tuple(metrics)
        unknown = [o.name for o in objectives if o.name not in self._metrics]
        if unknown or not objectives:
            raise ValueError(f"objectives {unknown or '(none)'} are not among the metrics {self._metrics}")
        self._objective_names = tuple(o.name for o in objectives)
        self._objective_cols = [self._metrics.index(o) for o in self._objective_names]
        self._extra_cols = [i for i, m in enumerate(self._metrics) if m not in self._objective_names]
        self._extra_names = tuple(self._metrics[i] for i in self._extra_cols)
        cols = self._extra_cols
        self._extras_of: Callable[[list[float]], Sequence[float]] = (
            itemgetter(*cols) if len(cols) > 1 else (lambda row: [row[c] for c in cols])
        )
        self._signs = np.array([o.direction.sign for o in objectives])
        if fidelity is None:
            if fidelity_values is not None or self.n_fidelities != 1:
                raise ValueError(f"{name!r}: a table without fidelity needs n_fidelities == 1 and no values")
            self._fidelity_values: tuple[float, ...] = (1.0,)
        else:
            fv = tuple(float(v) for v in fidelity_values or ())
            ok = len(fv) == self.n_fidelities and all(b > a for a, b in itertools.pairwise(fv))
            if (
                not ok
                or fv[0] != fidelity.low
                or fv[-1] != fidelity.high
                or not all(map(fidelity.contains, fv))
            ):
                raise ValueError(
                    f"{name!r}: fidelity values must increase from {fidelity.low} to {fidelity.high}"
                )
            self._fidelity_values = fv
        self._fid_lut: dict[float | None, int] = {None: self.n_fidelities - 1}
        if fidelity is not None:
            self._fid_lut.update({f: i for i, f in enumerate(self._fidelity_values)})
        shape = (self.n_candidates, self.n_seeds, self.n_fidelities)
        self._cost = np.broadcast_to(np.asarray(cost, dtype=float), shape)
        if not np.all(np.isfinite(self._cost) & (self._cost >= 0)):
            raise ValueError(f"{name!r}: costs must be finite and non-negative")
        at_max = table[:, :, -1][:, :, self._objective_cols]
        finite = np.isfinite(at_max)
        total = np.where(finite, at_max, 0.0).sum(axis=1)
        count = finite.sum(axis=1)
        self._reference = np.where(count > 0, total / np.maximum(count, 1), np.nan)
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
            name=name, space=space, objectives=tuple(objectives), fidelity=fidelity, candidates=n, tags=tags
        )

    # ----------------------------------------------------------------------------------------
    # introspection and snapping

    @property
    def task(self) -> Task:
        """The task: the candidates' bounding box, ``candidates = n_candidates``."""
        return self._task

    @property
    def metrics(self) -> tuple[str, ...]:
        """Names of the metric axis of the table."""
        return self._metrics

    @property
    def fidelity_values(self) -> tuple[float, ...]:
        """Fidelity of each slice of the table (``(1.0,)`` without fidelity)."""
        return self._fidelity_values

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

        Listed configurations are found by exact match (a dictionary on the first
        hyperparameter, then a vectorised comparison of the whole row); the others are
        validated and snapped (see the module docstring).

        Raises:
            InvalidConfigError: A configuration is outside the box or names the wrong hyperparameters.
        """
        n, k = len(configs), len(self._names)
        if n <= 16:  # per-column numpy passes only pay off for larger batches
            return np.array([self._index_one(c) for c in configs], dtype=np.intp)
        out = np.full(n, -1, dtype=np.intp)
        try:
            if any(len(c) != k for c in configs):
                raise KeyError
            rows = np.empty((n, k))
            for j, name in enumerate(self._names):
                rows[:, j] = np.fromiter((c[name] for c in configs), dtype=float, count=n)
        except (KeyError, TypeError, ValueError):
            rows = None
        if rows is not None:
            first = self._first.get
            guess = np.fromiter((first(x, -1) for x in rows[:, 0].tolist()), dtype=np.intp, count=n)
            hit = (guess >= 0) & np.all(self._values[guess] == rows, axis=1)
            out[hit] = guess[hit]
        misses = np.flatnonzero(out < 0)
        if misses.size:
            snapped = np.array([self._row(configs[i]) for i in misses.tolist()], dtype=float).reshape(-1, k)
            out[misses] = self._nearest(snapped)
        return out

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

    # ----------------------------------------------------------------------------------------
    # the Benchmark contract

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        """Snap each trial to its candidate and look it up; see the module and class docstrings."""
        s = seed % self.n_seeds
        try:
            fidx = [self._fid_lut[t.fidelity] for t in trials]
        except (KeyError, TypeError):
            self._raise_fidelity(trials)
        if len(trials) == 1:  # fast path: one dictionary lookup, scalar indexing
            c, f = self._index_one(trials[0].config), fidx[0]
            return [self._evaluation(trials[0], self._table[c, s, f].tolist(), float(self._cost[c, s, f]))]
        cidx = self.config_index([t.config for t in trials])
        rows = self._table[cidx, s, fidx].tolist()
        costs = self._cost[cidx, s, fidx].tolist()
        return [self._evaluation(t, r, c) for t, r, c in zip(trials, rows, costs, strict=True)]

    def _evaluation(self, trial: Trial, row: list[float], cost: float) -> Evaluation:
        if len(self._objective_cols) == 1:  # the common case, without generic loops
            value = row[self._objective_cols[0]]
            extras = {
                n: (x if -_INF < x < _INF else _NAN)
                for n, x in zip(self._extra_names, self._extras_of(row), strict=True)
            }
            if -_INF < value < _INF:
                return Evaluation(
                    trial=trial, values={self._objective_names[0]: value}, cost=cost, extras=extras
                )
            return Evaluation(
                trial=trial,
                values={self._objective_names[0]: _NAN},
                cost=cost,
                status=Status.FAILED,
                extras=extras,
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

    def _raise_fidelity(self, trials: Sequence[Trial]) -> NoReturn:
        self.check_trials(trials)
        raise InvalidFidelityError(
            f"a fidelity is not on the grid of {self.task.name!r}; recorded: {list(self._fidelity_values)}"
        )

    def optimum(self) -> Reference:
        """Best and worst mean over seeds at the maximal fidelity, over all listed candidates."""
        return self._reference_of(self._reference, f"mean over {self.n_seeds} seed(s)")

    def optimum_per_seed(self) -> tuple[Reference, ...]:
        """Best and worst of each recorded run (seed) at the maximal fidelity."""
        at_max = self._table[:, :, -1][:, :, self._objective_cols]
        return tuple(self._reference_of(at_max[:, s], f"seed {s}") for s in range(self.n_seeds))

    def _reference_of(self, values: np.ndarray, what: str) -> Reference:
        return best_and_worst(
            values,
            names=self._objective_names,
            signs=self._signs,
            source=(
                f"table: best and worst over all {self.n_candidates} listed candidates of the {what} "
                "at the maximal fidelity"
            ),
            missing=f"{self.task.name!r}: an objective has no finite value ({what})",
        )
