"""Reference ranges of the dense-array benchmarks: the median-configuration rule, over seed means or per seed.

:func:`reference_of` is the rule every tabular family uses (best finite value; worst = the
median configuration, non-finite values counted as worst; a :class:`~hpobench.contracts.errors.DataError`
when a column has too few finite values). :class:`DenseReferences` is the base of
:class:`~hpobench.surrogates._dense.DenseLookup` that answers ``optimum``, ``optimum_per_seed``
and ``reference_values`` from the per-row seed means that ``DenseLookup._init_dense`` computes
(or from the stored optimum it was given); it reads those arrays and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import DataError
from hpobench.contracts.types import Config, Reference

if TYPE_CHECKING:
    from hpobench.surrogates.optima import StoredOptimum

WORST_RULE = "median configuration (non-finite values counted as worst)"
"""How ``Reference.worst`` of every tabular task is defined (see :func:`reference_of`)."""


def reference_of(
    values: np.ndarray, *, names: Sequence[str], signs: np.ndarray, source: str, missing: str
) -> Reference:
    """Reference range per objective column of ``values`` (one row per configuration).

    ``best`` is the best finite value of the column. ``worst`` is the median over *all* rows,
    where non-finite values (diverged or failed runs) count as worse than every finite value:
    the value that one uniformly drawn configuration reaches or beats with probability 1/2.

    Why not the worst value of the table: tables of real training runs hold divergent runs
    (TaskSet losses up to 6e18, FCNet validation MSEs in the thousands against an optimum near
    1e-4), so ``(y - best) / (worst - best)`` would squeeze every sensible result into 1e-6 ..
    1e-12 and let one divergent run set the scale. The median configuration is the anchor of
    random-normalised scores (a configuration drawn at random scores about 1, the optimum 0,
    as Bayesmark and the random-normalised scores of RL benchmarks do), it is robust to up to
    half of the configurations diverging, and it depends only on the table. Normalised regret
    above 1 means worse than the median configuration; aggregate such scores with medians or
    clip them at 1.

    Args:
        values: Objective values, shape ``(n, n_objectives)``.
        names: Objective names, one per column.
        signs: +1 for minimised, -1 for maximised objectives, one per column.
        source: The reference's ``source`` text.
        missing: Message of the :class:`DataError` raised when a column has no finite value or
            more than half of it is not finite (no finite median).

    Raises:
        DataError: See ``missing``.
    """
    loss = np.where(np.isfinite(values), values * signs, np.inf)
    if loss.shape[0] == 0:
        raise DataError(missing)
    best = loss.min(axis=0)
    # "lower" median: an actual configuration's value, inf only if more than half diverged
    worst = np.quantile(loss, 0.5, axis=0, method="lower")
    if not (np.all(np.isfinite(best)) and np.all(np.isfinite(worst))):
        raise DataError(missing)
    return Reference(
        best=dict(zip(names, (best * signs).tolist(), strict=True)),
        worst=dict(zip(names, (worst * signs).tolist(), strict=True)),
        source=source,
    )


class DenseReferences(Benchmark):
    """References of a dense ``(config, seed, fidelity, metric)`` array (base of ``DenseLookup``).

    The subclass sets the attributes below (``DenseLookup._init_dense``) and implements
    :meth:`config_index`.
    """

    _what: str
    _table: np.ndarray
    _reference: np.ndarray
    _recorded: np.ndarray
    _stored: StoredOptimum | None
    _objective_names: tuple[str, ...]
    _objective_cols: list[int]
    _signs: np.ndarray
    n_seeds: int

    def config_index(self, configs: Sequence[Config]) -> np.ndarray:
        """Row indices of ``configs`` (validated), shape ``(n,)``."""
        raise NotImplementedError

    def reference_means(self) -> np.ndarray:
        """Mean over recorded seeds (finite runs) at the maximal fidelity per row, ``(n_rows, n_objectives)``.

        NaN where no run of the configuration is finite. A copy; the source of every reference value.
        """
        return np.array(self._reference, dtype=float)

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """Mean over recorded seeds (of the finite runs) at the maximal fidelity, ``(n, n_objectives)``."""
        return np.array(self._reference[self.config_index(configs)], dtype=float).reshape(
            len(configs), len(self._objective_names)
        )

    def optimum(self) -> Reference:
        """Reference range at the maximal fidelity: the stored values where the task has them.

        ``best`` is the best mean over seeds over all configurations, ``worst`` that of the
        median configuration (see :func:`reference_of`). Tasks of the built-in families answer
        from :mod:`hpobench.surrogates.optima` (equal to :meth:`table_optimum`, which the tests
        check); other tables compute :meth:`table_optimum`.
        """
        if self._stored is not None:
            return self._stored.reference()
        return self.table_optimum()

    def optimum_per_seed(self) -> tuple[Reference, ...]:
        """As :meth:`optimum` for each recorded run (seed) alone: entry ``s`` is seed ``s``'s range.

        Useful to measure regret against one noise realisation instead of the mean over seeds.
        """
        if self._stored is not None:
            return self._stored.references_per_seed()
        return self.table_optimum_per_seed()

    def table_optimum(self) -> Reference:
        """:meth:`optimum` computed from the table: best and median configuration of the seed means.

        Raises:
            DataError: An objective has no finite value, or more than half of the configurations
                have no finite one.
        """
        return reference_of(
            self._reference,
            names=self._objective_names,
            signs=self._signs,
            source=(
                f"table: best and {WORST_RULE} over all {self._table.shape[0]} {self._what} of the "
                f"mean over {self.n_seeds} seed(s) at the maximal fidelity"
            ),
            missing=f"{self.task.name!r}: an objective has (almost) no finite value in the table",
        )

    def table_optimum_per_seed(self) -> tuple[Reference, ...]:
        """:meth:`optimum_per_seed` computed from the table (configurations with a recorded run ``s``).

        Raises:
            DataError: An objective has (almost) no finite value for some seed.
        """
        at_max = self._table[:, :, -1][:, :, self._objective_cols]
        return tuple(
            reference_of(
                at_max[self._recorded[:, s], s],
                names=self._objective_names,
                signs=self._signs,
                source=f"table: best and {WORST_RULE} of seed {s} at the maximal fidelity",
                missing=f"{self.task.name!r}: an objective has (almost) no finite value for seed {s}",
            )
            for s in range(self.n_seeds)
        )
