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
missing or unknown hyperparameters raise :class:`~hpobench.contracts.errors.InvalidConfigError`. Methods
that want to propose listed configurations exactly use
:meth:`CandidateBenchmark.candidate_configs`. A random search over the box therefore picks
candidate ``i`` with the prior mass of its Voronoi cell, not uniformly.

Cost: a listed configuration costs one dictionary lookup. An unlisted one is checked against the
box in pure Python and snapped with one ``(1 x n_candidates)`` distance row; its candidate is
then remembered by its value tuple (the most recent :data:`_MEMO_SIZE` to ``2 * _MEMO_SIZE``
snapped configurations), so evaluating it again (a promotion, a continuation) and the reference
values of a run's configurations cost one dictionary lookup too. The memo holds results of the
one-row computation only, so :meth:`CandidateBenchmark.evaluate` never depends on what was
evaluated before, and the reference value of a remembered configuration is that of the candidate
its evaluations were answered from.

Lifecycle: built by a family's ``load`` inside the worker; read-only afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import chain, repeat
from operator import itemgetter, le
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.columns import column_rows
from hpobench.contracts.types import Config, Fidelity, Objective, Task
from hpobench.contracts.values import has_bool
from hpobench.surrogates._candidate_columns import RowMatcher
from hpobench.surrogates._dense import DenseLookup
from hpobench.surrogates.optima import StoredOptimum

__all__ = ["CandidateBenchmark"]

_CHUNK = 2048  # rows of the (queries x candidates) distance matrix computed at once
_MEMO_SIZE = 1 << 15
"""Snapped configurations per memo generation (two are kept: at most about 20 MB for 8 floats each)."""
_FLOATS = frozenset({float})
_BOOLS = (bool, np.bool_)


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
        self._name_set = frozenset(self._names)
        self._matcher: RowMatcher | None = None  # built on the first batch of columns
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
        lo = np.where(self._log, np.log(np.where(self._log, self._low, 1.0)), self._low)
        hi = np.where(self._log, np.log(np.where(self._log, self._high, 1.0)), self._high)
        self._unit_low, self._unit_span = lo, np.where(hi > lo, hi - lo, 1.0)
        self._unit = self._normalise(values)
        self._unit_t = self._unit.T
        # -2 * unit.T: a one-row snap adds q @ (-2 c) to |c|^2, the same formula as the batch's
        # |c|^2 - (2 q) @ c (scaling by a power of two is exact; subtracting y equals adding -y).
        # The products themselves may run through other BLAS kernels (a one-row product and a
        # matrix product), which round differently in the last bits: see _snap_one.
        self._neg2_unit_t = -2.0 * self._unit_t
        self._sq = np.einsum("ij,ij->i", self._unit, self._unit)[None, :]
        # value tuple -> candidate of snapped configurations: (current, previous) generation
        self._memo: dict[tuple[Any, ...], int] = {}
        self._memo_old: dict[tuple[Any, ...], int] = {}
        self._exact = {tuple(row): i for i, row in reversed(list(enumerate(values.tolist())))}
        self._key = itemgetter(*self._names) if len(self._names) > 1 else lambda c: (c[self._names[0]],)
        # True == 1.0 and False == 0.0 as dictionary keys: columns with a listed 0 or 1 check for
        # booleans (the memo never holds a 0 or 1, see _snap_one, so only listed values can alias)
        listed_01 = np.any((values == 0.0) | (values == 1.0), axis=0)
        self._bool_cols = tuple(itemgetter(j) for j in np.flatnonzero(listed_01).tolist())
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
        # the space's own bounds per hyperparameter (ConfigSpace rounds them), as the codec checks them
        self._box_low: list[float] = []
        self._box_high: list[float] = []
        for j, hp in enumerate(self._names):
            low, high = float(self._low[j]), float(self._high[j])
            if low == high:
                constant = CS.Constant(hp, low)
                space.add(constant)
                self._box_low.append(float(constant.value))
                self._box_high.append(float(constant.value))
                continue
            # widen by 1e-9 (relative) so that ConfigSpace's rounding of bounds keeps every candidate inside
            low, high = low - 1e-9 * abs(low), high + 1e-9 * abs(high)
            uniform = CS.UniformFloatHyperparameter(hp, lower=low, upper=high, log=bool(self._log[j]))
            space.add(uniform)
            self._box_low.append(float(uniform.lower))
            self._box_high.append(float(uniform.upper))
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
        return np.asarray((x - self._unit_low) / self._unit_span)

    def config_index(self, configs: Sequence[Config]) -> np.ndarray:
        """Validate configurations and return the index of the candidate each one snaps to.

        Listed configurations, and unlisted ones snapped recently, are found by one dictionary
        lookup of the value tuple; the others are validated and snapped (see the module docstring),
        each distinct value tuple once.

        Raises:
            InvalidConfigError: A configuration is outside the box or names the wrong hyperparameters.
        """
        n, k = len(configs), len(self._names)
        if n <= 8:
            return np.array([self._index_one(c) for c in configs], dtype=np.intp)
        keys: list[tuple[Any, ...]] = []
        try:
            if any(map(k.__ne__, map(len, configs))):
                raise KeyError("unknown or missing hyperparameter")
            keys = list(map(self._key, configs))
            for col in self._bool_cols:
                if has_bool(map(col, keys)):
                    raise TypeError("a boolean is not a number")
        except (KeyError, TypeError):
            keys = []
        return self._key_index(keys, n, lambda: configs)

    def _column_index(self, columns: dict[str, np.ndarray], n: int) -> np.ndarray:
        """:meth:`config_index` of configurations given as columns, without building their dicts.

        Numeric columns (integer or floating dtype) naming exactly the candidates'
        hyperparameters are matched against the listed configurations in numpy
        (:class:`~hpobench.surrogates._candidate_columns.RowMatcher`); the rows it does not find
        are looked up as value tuples (snapped, validated) as :meth:`config_index` does. Any
        other columns take the row path.
        """
        if (
            n <= 8
            or columns.keys() != self._name_set
            or any(c.dtype.kind not in "iuf" for c in columns.values())
        ):
            return self.config_index(column_rows(columns))
        if self._matcher is None:
            self._matcher = RowMatcher(self._exact)
        out = self._matcher.match([columns[name] for name in self._names])
        if out is None:  # integers that float64 would round: the row path decides
            return self.config_index(column_rows(columns))
        misses = np.flatnonzero(out < 0)
        if len(misses):
            rest = {name: column[misses] for name, column in columns.items()}
            keys = list(zip(*(rest[name].tolist() for name in self._names), strict=True))
            out[misses] = self._key_index(keys, len(misses), lambda: column_rows(rest))
        return out

    def _key_index(
        self, keys: list[tuple[Any, ...]], n: int, configs: Callable[[], Sequence[Config]]
    ) -> np.ndarray:
        """Candidates of ``n`` configurations from their value tuples (``keys``; empty: validate all).

        ``configs`` gives the configurations themselves, asked for only where one must be
        validated one by one (it raises the error that names the bad value).
        """
        try:
            if not keys:
                raise TypeError("no value tuples")
            out = np.fromiter(map(self._exact.get, keys, repeat(-1)), dtype=np.intp, count=n)
            for memo in (self._memo, self._memo_old):
                misses = np.flatnonzero(out < 0).tolist()
                if misses and memo:
                    out[misses] = list(map(memo.get, [keys[i] for i in misses], repeat(-1)))
        except TypeError:  # none given, or an unhashable value: all validated one by one below
            keys = []
            out = np.full(n, -1, dtype=np.intp)
        misses = np.flatnonzero(out < 0).tolist()
        if misses and keys:  # snap each distinct value tuple once (promotions repeat configurations)
            first: dict[tuple[Any, ...], int] = {}
            for i in misses:
                first.setdefault(keys[i], i)
            if len(first) < len(misses):
                rows = self._valid_rows(configs, keys, list(first.values()))
                found = dict(zip(first, self._nearest(rows).tolist(), strict=True))
                out[misses] = list(map(found.__getitem__, map(keys.__getitem__, misses)))
                return out
        if misses:
            out[misses] = self._nearest(self._valid_rows(configs, keys, misses))
        return out

    _indices = config_index  # validates and snaps itself (never raises KeyError/TypeError)

    def _known(self, key: tuple[Any, ...]) -> int:
        """Candidate of a listed or recently snapped value tuple, -1 if unknown (TypeError: unhashable)."""
        found = self._exact.get(key)
        if found is None:
            found = self._memo.get(key)
            if found is None:
                found = self._memo_old.get(key, -1)
        return found

    def _valid_rows(
        self, configs: Callable[[], Sequence[Config]], keys: list[tuple[Any, ...]], rows: list[int]
    ) -> np.ndarray:
        """Validated values ``(len(rows), k)`` of ``configs()[rows]`` (``keys``: value tuples, or none)."""
        k = len(self._names)
        if keys:
            picked = [keys[i] for i in rows]
            if set(map(type, chain.from_iterable(picked))) <= _FLOATS:  # floats only: check the box at once
                values = np.array(picked, dtype=float).reshape(-1, k)
                if np.all((values >= self._box_low) & (values <= self._box_high)):
                    return values
        listed = configs()
        return np.array([self._row(listed[i]) for i in rows], dtype=float).reshape(-1, k)

    def _index_one(self, config: Config) -> int:
        """Index of one configuration: listed or remembered, else validated and snapped."""
        try:
            if len(config) == len(self._names):
                key = self._key(config)
                for col in self._bool_cols:
                    if type(col(key)) in _BOOLS:
                        raise TypeError("a boolean is not a number")
                found = self._known(key)
                if found >= 0:
                    return found
                if set(map(type, key)) <= _FLOATS and self._inside(key):
                    return self._snap_one(key)
        except (KeyError, TypeError):
            pass
        return int(self._nearest(np.array([self._row(config)], dtype=float))[0])

    def _inside(self, key: tuple[float, ...]) -> bool:
        """Whether float values lie in the space's box (NaN does not): the codec's check for floats."""
        return all(map(le, self._box_low, key)) and all(map(le, key, self._box_high))

    def _snap_one(self, key: tuple[float, ...]) -> int:
        """Snap one validated value tuple and remember its candidate.

        The formula of :meth:`_nearest` on a one-row batch, with fewer temporary arrays. The
        distances are not always the same bits: BLAS computes a one-row product and the batch's
        matrix product with different kernels (on one x86-64 OpenBLAS build, 43 % of a TaskSet
        table's distances differed in the last bit, by at most 4e-15). So the candidate is the
        batch's own except where two candidates lie within that much of the same distance (none
        of 20,000 random configurations there).
        """
        x = np.array(key, dtype=float)
        np.log(x, out=x, where=self._log)
        x -= self._unit_low
        x /= self._unit_span
        dist = x[None, :] @ self._neg2_unit_t
        dist += self._sq
        found = int(dist.argmin())
        if len(self._memo) >= _MEMO_SIZE:
            self._memo_old, self._memo = self._memo, {}
        if 0.0 not in key and 1.0 not in key:  # True/False would find such a key: never remember it
            self._memo[key] = found
        return found

    def _row(self, config: Config) -> list[float]:
        self.codec.validate(config)
        return [float(config[n]) for n in self._names]

    def _nearest(self, rows: np.ndarray) -> np.ndarray:
        unit = self._normalise(rows)
        if len(rows) <= _CHUNK:
            return np.asarray((self._sq - 2.0 * unit @ self._unit_t).argmin(axis=1))
        out = np.empty(len(rows), dtype=np.intp)
        for start in range(0, len(rows), _CHUNK):
            block = unit[start : start + _CHUNK]
            dist = self._sq - 2.0 * block @ self._unit_t  # |c|^2 - 2 q.c ranks like |q - c|^2
            out[start : start + _CHUNK] = np.argmin(dist, axis=1)  # first minimum: lowest index
        return out

    def lookup(
        self, candidate: np.ndarray | int, seed: np.ndarray | int, fidelity: np.ndarray | int
    ) -> np.ndarray:
        """Raw table lookup at broadcast index arrays, shape ``(*broadcast, n_metrics)`` (no validation)."""
        return np.asarray(self._table[candidate, seed, fidelity])
