"""Lookups shared by the dense-array benchmarks (grid tables and candidate sets).

:class:`DenseLookup` holds everything of :class:`~hpobench.surrogates.tabular.TabularBenchmark`
and :class:`~hpobench.surrogates.candidates.CandidateBenchmark` that only reads the dense array
``(configuration x seed x fidelity x metric)``: metric and fidelity bookkeeping, costs,
:meth:`~DenseLookup.evaluate` (one code path that builds :class:`Evaluation` objects for both),
the array API and (through its base :class:`~hpobench.surrogates._dense_reference.DenseReferences`)
the reference values. The subclasses differ only in how a configuration becomes a row index
(:meth:`DenseLookup.config_index` and its fast internal forms).

Reference range (the rule every tabular family uses, see :func:`reference_of`, defined with the
base in ``_dense_reference`` and re-exported here): ``best`` is the best value over all
configurations; ``worst`` is the value of the *median configuration*, with configurations whose
value is not finite (diverged runs) counted as worse than any finite one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise, repeat
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, ClassVar, NoReturn

import numpy as np

from hpobench.contracts.batch import EvaluationBatch
from hpobench.contracts.benchmark import paired_fidelities
from hpobench.contracts.columns import Configs, as_columns, column_rows
from hpobench.contracts.errors import InvalidConfigError, InvalidFidelityError
from hpobench.contracts.types import Config, Evaluation, Fidelity, Objective, Status, Task, Trial
from hpobench.contracts.values import check_seed
from hpobench.surrogates._dense_index import checked_indices, rows_of
from hpobench.surrogates._dense_reference import WORST_RULE, DenseReferences, reference_of

if TYPE_CHECKING:
    from hpobench.surrogates.optima import StoredOptimum

__all__ = ["STATUS_OF_OK", "WORST_RULE", "DenseLookup", "reference_of", "row_dicts"]

_NAN = float("nan")
_INF = float("inf")
_MAKE = Evaluation._owned
_FROMKEYS = dict.fromkeys
STATUS_OF_OK = (Status.FAILED, Status.OK)
"""Evaluation status indexed by a bool: ``STATUS_OF_OK[finite]``."""
_CONFIG = attrgetter("config")
_FIDELITY = attrgetter("fidelity")


def row_dicts(names: tuple[str, ...], matrix: np.ndarray) -> Iterable[dict[str, float]]:
    """One fresh ``{name: value}`` dict per row of ``matrix`` (columns in the order of ``names``)."""
    if len(names) == 1:
        return map(_FROMKEYS, repeat(names), matrix[:, 0].tolist())
    if len(names) == 2:  # a display, about twice as fast as dict(zip(...))
        a, b = names
        return [{a: x, b: y} for x, y in zip(matrix[:, 0].tolist(), matrix[:, 1].tolist(), strict=True)]
    return map(dict, map(zip, repeat(names), matrix.tolist()))


class DenseLookup(DenseReferences):
    """Evaluation, array lookups and references over a dense ``(config, seed, fidelity, metric)`` array.

    Subclasses call :meth:`_init_dense` and :meth:`_init_cost` from their constructor, set
    ``_task``, and implement :meth:`config_index`, :meth:`_index_one` (one configuration ->
    row; raises ``KeyError``/``TypeError`` for one that needs validation) and :meth:`_indices`
    (the same for a batch). ``_what`` names the rows in reference sources (e.g. "grid
    configurations").

    Seeds: ``seed % n_seeds`` selects the recorded run for a whole batch (``seed`` a non-negative
    integer, :func:`~hpobench.contracts.values.check_seed`). Fidelities: only
    recorded ones (``None`` is the maximal one). Failures: a non-finite objective gives status
    FAILED with NaN objective values (non-finite extras become NaN), the cost is still charged.
    """

    chunked_references: ClassVar[bool] = True  # each configuration's row is looked up on its own
    _task: Task
    _what: str
    _typical_cost: float | None = None
    _table: np.ndarray
    _cost: np.ndarray
    n_seeds: int
    n_fidelities: int

    # ----------------------------------------------------------------------------------------
    # construction

    def _init_dense(
        self,
        *,
        name: str,
        table: np.ndarray,
        metrics: Sequence[str],
        objectives: Sequence[Objective],
        fidelity: Fidelity | None,
        fidelity_values: Sequence[float] | None,
        recorded: np.ndarray | None = None,
        stored: StoredOptimum | None = None,
    ) -> None:
        """Set the table, metric columns, fidelity lookup and references (shapes are checked by the caller).

        Args:
            name: Task name, for error messages.
            table: The ``(n_rows, n_seeds, n_fidelities, n_metrics)`` array (kept by reference).
            metrics: Names of the last axis.
            objectives: The objectives, each naming a metric; other metrics become extras.
            fidelity: Fidelity range or ``None`` (then ``n_fidelities == 1``).
            fidelity_values: Increasing fidelity of each slice, from ``low`` to ``high``.
            recorded: Boolean ``(n_rows, n_seeds)`` mask of recorded runs (``None``: all).
            stored: Stored reference values of the primary objective, answered by :meth:`optimum`.

        Raises:
            ValueError: Objectives, fidelities or the stored optimum do not fit the table.
        """
        self._table = table
        self.n_seeds, self.n_fidelities = int(table.shape[1]), int(table.shape[2])
        self._metrics = tuple(metrics)
        unknown = [o.name for o in objectives if o.name not in self._metrics]
        if unknown or not objectives:
            raise ValueError(f"objectives {unknown or '(none)'} are not among the metrics {self._metrics}")
        self._objective_names = tuple(o.name for o in objectives)
        self._objective_cols = [self._metrics.index(o) for o in self._objective_names]
        self._extra_cols = [i for i, m in enumerate(self._metrics) if m not in self._objective_names]
        self._extra_names = tuple(self._metrics[i] for i in self._extra_cols)
        self._single_metric = len(self._metrics) == 1  # then it is the one objective
        self._one_objective = len(self._objective_names) == 1
        cols = self._extra_cols
        self._extras_of: Callable[[list[float]], Sequence[float]] = (
            itemgetter(*cols) if len(cols) > 1 else (lambda row: [row[i] for i in cols])
        )
        self._signs = np.array([o.direction.sign for o in objectives])
        self._fidelity_values = self._check_fidelities(name, fidelity, fidelity_values)
        self._fid_lut: dict[float | None, int] = {None: self.n_fidelities - 1}
        if fidelity is not None:
            self._fid_lut.update({f: i for i, f in enumerate(self._fidelity_values)})
        self._recorded = np.ones(table.shape[:2], dtype=bool) if recorded is None else recorded
        at_max = table[:, :, -1][:, :, self._objective_cols]
        masked = np.where(self._recorded[:, :, None], at_max, np.nan)
        finite = np.isfinite(masked)
        count = finite.sum(axis=1)
        total = np.where(finite, masked, 0.0).sum(axis=1)
        # mean over seeds of the finite recorded runs, NaN where none is finite: (n_rows, n_obj)
        self._reference = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        if stored is not None:
            o = objectives[0]
            if len(objectives) != 1 or stored.metric != o.name or stored.direction is not o.direction:
                raise ValueError(
                    f"{name!r}: the stored optimum of {stored.metric!r} ({stored.direction.value}) "
                    f"does not fit the objectives {[x.name for x in objectives]}"
                )
            if len(stored.best_per_seed) != self.n_seeds:
                raise ValueError(f"{name!r}: the stored optimum has per-seed values for another seed count")
        self._stored = stored

    def _init_cost(self, name: str, cost: np.ndarray) -> None:
        """Check ``cost`` (broadcast to ``(n_rows, n_seeds, n_fidelities)``) and keep it."""
        shape = tuple(self._table.shape[:3])
        try:
            full = np.broadcast_to(np.asarray(cost, dtype=float), shape)
        except ValueError as exc:
            raise ValueError(f"{name!r}: cost does not broadcast to {shape}") from exc
        if not np.all(np.isfinite(full) & (full >= 0)):
            raise ValueError(f"{name!r}: costs must be finite and non-negative")
        self._cost = full

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

    # ----------------------------------------------------------------------------------------
    # introspection

    @property
    def task(self) -> Task:
        """The task (set by the subclass)."""
        return self._task

    @property
    def metrics(self) -> tuple[str, ...]:
        """Names of the metric axis of the table."""
        return self._metrics

    @property
    def fidelity_values(self) -> tuple[float, ...]:
        """Fidelity of each slice of the table (``(1.0,)`` without fidelity)."""
        return self._fidelity_values

    # ----------------------------------------------------------------------------------------
    # configuration -> row (implemented by the subclasses)

    def _index_one(self, config: Config) -> int:
        """Row of one configuration; ``KeyError``/``TypeError`` when it must be validated."""
        raise NotImplementedError

    def _indices(self, configs: Sequence[Config]) -> np.ndarray:
        """Rows of a batch; ``KeyError``/``TypeError`` when some configuration must be validated."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------------------
    # the Benchmark contract

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> Sequence[Evaluation]:
        """Look the trials up in the table; see the class docstring for seeds, fidelities and failures.

        A batch of several trials is answered as an :class:`~hpobench.contracts.batch.EvaluationBatch`.
        """
        if type(seed) is not int or seed < 0:  # one type check on the hot path
            seed = check_seed(seed)
        s = seed % self.n_seeds
        if len(trials) == 1:  # fast path: pure-Python index arithmetic, scalar numpy access
            trial = trials[0]
            try:
                c = self._index_one(trial.config)
                f = self._fid_lut[trial.fidelity]
            except (KeyError, TypeError):
                self._raise_invalid(trials)
            return [self._evaluation_one(trial, c, s, f)]
        try:
            cidx = self._indices(list(map(_CONFIG, trials)))
            fidx = self._fidelity_indices(list(map(_FIDELITY, trials)))
        except (KeyError, TypeError):
            self._raise_invalid(trials)
        return self._evaluations(trials, cidx, s, fidx)

    def _fidelity_indices(self, fidelities: list[float | None]) -> np.ndarray | int:
        """Slice index per fidelity (a scalar when all ask for the maximal one); KeyError if unrecorded."""
        n = len(fidelities)
        # comparing a float with None is slow (~30 ns): count the Nones only when the first is one
        if not n or (fidelities[0] is None and fidelities.count(None) == n):
            return self.n_fidelities - 1
        lut = self._fid_lut
        return np.fromiter(map(lut.__getitem__, fidelities), dtype=np.intp, count=len(fidelities))

    def _evaluation_one(self, trial: Trial, c: int, s: int, f: int) -> Evaluation:
        cost = self._cost.item(c, s, f)
        if self._single_metric:
            value = self._table.item(c, s, f, 0)
            if -_INF < value < _INF:
                return _MAKE(trial, {self._objective_names[0]: value}, cost)
            return _MAKE(trial, {self._objective_names[0]: _NAN}, cost, Status.FAILED)
        row = self._table[c, s, f].tolist()
        extra = self._extras_of(row)
        if -_INF < sum(extra) < _INF:  # all finite (an overflowing sum only takes the slow path)
            extras = dict(zip(self._extra_names, extra, strict=True))
        else:
            extras = {
                n: (x if -_INF < x < _INF else _NAN) for n, x in zip(self._extra_names, extra, strict=True)
            }
        if self._one_objective:  # the common case, without generic loops
            value = row[self._objective_cols[0]]
            if -_INF < value < _INF:
                return _MAKE(trial, {self._objective_names[0]: value}, cost, Status.OK, extras)
            return _MAKE(trial, {self._objective_names[0]: _NAN}, cost, Status.FAILED, extras)
        objective = [row[i] for i in self._objective_cols]
        if all(-_INF < v < _INF for v in objective):
            values = dict(zip(self._objective_names, objective, strict=True))
            return _MAKE(trial, values, cost, Status.OK, extras)
        return _MAKE(trial, _FROMKEYS(self._objective_names, _NAN), cost, Status.FAILED, extras)

    def _evaluations(
        self, trials: Sequence[Trial], cidx: np.ndarray, s: int, fidx: np.ndarray | int
    ) -> EvaluationBatch:
        """Evaluations of a validated batch: one numpy gather, the objects built when read."""
        rows = self._table[cidx, s, fidx]  # (n, n_metrics), a fresh array
        costs = self._cost[cidx, s, fidx]  # cidx has one entry per trial: (n,), a fresh array
        objective = rows[:, self._objective_cols]
        ok = np.isfinite(objective).all(axis=1)
        if not ok.all():
            objective[~ok] = np.nan
        extras = None
        if not self._single_metric and self._extra_cols:
            extra = rows[:, self._extra_cols]
            extras = np.where(np.isfinite(extra), extra, np.nan)
        return EvaluationBatch(
            trials=trials,
            objective_names=self._objective_names,
            values=objective,
            costs=costs,
            extra_names=self._extra_names,
            extras=extras,
        )

    def _raise_invalid(self, trials: Sequence[Trial]) -> NoReturn:
        self.check_trials(trials)  # raises for configurations and out-of-range fidelities
        for trial in trials:
            if trial.fidelity not in self._fid_lut:
                raise InvalidFidelityError(
                    f"fidelity {trial.fidelity!r} is not on the grid of {self.task.name!r}; "
                    f"recorded fidelities: {list(self._fidelity_values)}"
                )
        raise InvalidConfigError(f"a configuration is not a point of {self.task.name!r}")

    def evaluate_arrays(
        self, configs: Configs, *, seed: int, fidelities: Sequence[float | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Array form of :meth:`evaluate` for large batches: no :class:`Evaluation` objects.

        Same validation, seed and fidelity rules as :meth:`evaluate` (``fidelities=None``: all at
        the maximal fidelity). ``configs`` is a sequence of configurations or a mapping
        hyperparameter -> 1-d column (:mod:`hpobench.contracts.columns`); both give the same answers.

        Returns:
            ``(values, cost)``: objective values ``(n, n_objectives)`` with NaN rows where the
            evaluation FAILED (a non-finite objective), and costs in seconds ``(n,)``.

        Raises:
            InvalidConfigError: A configuration is not valid.
            InvalidFidelityError: A fidelity is not a real number or not recorded.
            InvalidSeedError: ``seed`` is not a non-negative integer.
            ValueError: ``fidelities`` and ``configs`` differ in length.
        """
        fidx: np.ndarray | int = self.n_fidelities - 1
        if fidelities is not None:
            fids = paired_fidelities(configs, fidelities)
            try:
                fidx = self._fidelity_indices(fids)
            except (KeyError, TypeError):
                bad = [f for f in fidelities if f not in self._fid_lut]
                raise InvalidFidelityError(
                    f"fidelities {bad[:5]} are not recorded for {self.task.name!r}: "
                    f"{list(self._fidelity_values)}"
                ) from None
        s = check_seed(seed) % self.n_seeds
        if isinstance(configs, Mapping):
            return self._gather(self._column_index(*as_columns(configs)), s, fidx)
        return self._gather(self.config_index(configs), s, fidx)

    def _column_index(self, columns: dict[str, np.ndarray], n: int) -> np.ndarray:
        """Validated rows of ``n`` configurations given as columns (tables override it with numpy passes)."""
        return self.config_index(column_rows(columns))

    def evaluate_indices(
        self, config_indices: np.ndarray, *, seed: int, fidelity_indices: np.ndarray | int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`evaluate_arrays` for configurations given by their row index: the fastest path.

        For methods and studies that work on the table's rows directly (a configuration's row
        is :meth:`config_index` of it). Indices are checked against the table; nothing else
        is validated, and the seed and failure rules are those of :meth:`evaluate`.

        Args:
            config_indices: Row of each configuration, a 1-d integer array.
            seed: Selects the recorded run (``seed % n_seeds``); a non-negative integer.
            fidelity_indices: Fidelity slice of each configuration (a 1-d integer array of the
                same length), one slice for all (an ``int``), or ``None`` for the maximal one;
                slice ``i`` holds fidelity ``fidelity_values[i]``.

        Returns:
            ``(values, cost)`` as :meth:`evaluate_arrays` returns them.

        Raises:
            InvalidConfigError: ``config_indices`` is not a 1-d integer array of rows of the table.
            InvalidFidelityError: A fidelity index is not an integer slice of the table, or the
                arrays differ in length.
            InvalidSeedError: ``seed`` is not a non-negative integer.
        """
        s = check_seed(seed) % self.n_seeds
        cidx = checked_indices(config_indices, self._table.shape[0], "configuration", InvalidConfigError)
        fidx: np.ndarray | int
        if fidelity_indices is None:
            fidx = self.n_fidelities - 1
        elif isinstance(fidelity_indices, (int, np.integer)) and not isinstance(fidelity_indices, bool):
            fidx = int(
                checked_indices(
                    np.array([fidelity_indices]), self.n_fidelities, "fidelity", InvalidFidelityError
                )[0]
            )
        else:
            fidx = checked_indices(fidelity_indices, self.n_fidelities, "fidelity", InvalidFidelityError)
            if len(fidx) != len(cidx):
                raise InvalidFidelityError(
                    f"{len(cidx)} configuration indices but {len(fidx)} fidelity indices"
                )
        return self._gather(cidx, s, fidx)

    def _gather(self, cidx: np.ndarray, s: int, fidx: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """Objective values (NaN rows where failed) and costs of checked row and slice indices."""
        if self._one_objective:  # the common case: gather the one column, check it in 1-d
            flat = rows_of(self._table, cidx, (s, fidx, self._objective_cols[0]))
            ok = np.isfinite(flat)
            if not ok.all():
                flat[~ok] = np.nan
            values = flat.reshape(-1, 1)
        else:
            values = self._table[cidx, s, fidx][:, self._objective_cols]
            ok = np.isfinite(values).all(axis=1)
            if not ok.all():
                values[~ok] = np.nan
        cost = rows_of(self._cost, cidx, (s, fidx))
        return values, cost

    def lookup_cost(
        self, rows: np.ndarray | int, seeds: np.ndarray | int, fidelities: np.ndarray | int
    ) -> np.ndarray:
        """Raw cost lookup in seconds at broadcast index arrays (rows are configurations or candidates).

        No validation beyond numpy's, as the raw ``lookup`` of the subclasses.
        """
        return np.asarray(self._cost[rows, seeds, fidelities])

    def typical_cost(self) -> float:
        """Median cost over the table's configurations and seeds at the maximal fidelity (seconds)."""
        if self._typical_cost is None:
            self._typical_cost = float(np.median(self._cost[:, :, -1]))
        return self._typical_cost
