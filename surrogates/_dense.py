"""Lookups shared by the dense-array benchmarks (grid tables and candidate sets).

:class:`DenseLookup` holds the parts of :class:`~hpobench.surrogates.tabular.TabularBenchmark`
and :class:`~hpobench.surrogates.candidates.CandidateBenchmark` that only read the dense array
``(configuration x seed x fidelity x metric)``; the subclasses differ in how a configuration
becomes a row index (:meth:`config_index`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import numpy as np

from hpobench.benchmark import Benchmark
from hpobench.errors import DataError, InvalidFidelityError
from hpobench.types import Config, Reference

__all__ = ["DenseLookup", "best_and_worst"]


def best_and_worst(
    values: np.ndarray, *, names: Sequence[str], signs: np.ndarray, source: str, missing: str
) -> Reference:
    """Reference of the best and worst finite value per objective column of ``values``.

    Args:
        values: Objective values, shape ``(n, n_objectives)``; non-finite entries are ignored.
        names: Objective names, one per column.
        signs: +1 for minimised, -1 for maximised objectives, one per column.
        source: The reference's ``source`` text.
        missing: Message of the :class:`DataError` raised when a column has no finite value.
    """
    loss = np.where(np.isfinite(values), values, np.nan) * signs
    if loss.size == 0 or not np.all(np.any(np.isfinite(loss), axis=0)):
        raise DataError(missing)
    best = np.nanmin(loss, axis=0) * signs
    worst = np.nanmax(loss, axis=0) * signs
    return Reference(
        best=dict(zip(names, best.tolist(), strict=True)),
        worst=dict(zip(names, worst.tolist(), strict=True)),
        source=source,
    )


class DenseLookup(Benchmark):
    """Array lookups over ``_table`` / ``_cost`` for subclasses that map configurations to rows.

    Subclasses set ``_table`` (configs x seeds x fidelities x metrics), ``_cost`` (configs x
    seeds x fidelities), ``_fid_lut`` (fidelity -> index, ``None`` -> maximal), ``_fidelity_values``,
    ``_objective_cols``, ``_objective_names``, ``_reference`` (mean at the maximal fidelity,
    configs x objectives), ``n_seeds``, ``n_fidelities``, and implement :meth:`config_index`.
    """

    _table: np.ndarray
    _cost: np.ndarray
    _fid_lut: dict[float | None, int]
    _fidelity_values: tuple[float, ...]
    _objective_cols: list[int]
    _objective_names: tuple[str, ...]
    _reference: np.ndarray
    n_seeds: int
    n_fidelities: int

    def config_index(self, configs: Sequence[Config]) -> np.ndarray:
        """Row indices of ``configs`` (validated), shape ``(n,)``."""
        raise NotImplementedError

    def evaluate_arrays(
        self, configs: Sequence[Config], *, seed: int, fidelities: Sequence[float | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Array form of :meth:`evaluate` for large batches: no :class:`Evaluation` objects.

        Same validation, seed and fidelity rules as :meth:`evaluate` (``fidelities=None``: all at
        the maximal fidelity).

        Returns:
            ``(values, cost)``: objective values ``(n, n_objectives)`` with NaN rows where the
            evaluation FAILED (a non-finite objective), and costs in seconds ``(n,)``.

        Raises:
            InvalidConfigError: A configuration is not valid.
            InvalidFidelityError: A fidelity is not recorded.
        """
        n = len(configs)
        if fidelities is None:
            fidx: np.ndarray | int = self.n_fidelities - 1
        else:
            try:
                fidx = np.fromiter((self._fid_lut[f] for f in fidelities), dtype=np.intp, count=n)
            except (KeyError, TypeError):
                self._raise_fidelity_values(fidelities)
        cidx = self.config_index(configs)
        s = seed % self.n_seeds
        values = self._table[cidx, s, fidx][:, self._objective_cols]
        values = np.where(np.all(np.isfinite(values), axis=1, keepdims=True), values, np.nan)
        return values, np.broadcast_to(self._cost[cidx, s, fidx], (n,)).copy()

    def _raise_fidelity_values(self, fidelities: Sequence[float | None]) -> NoReturn:
        bad = [f for f in fidelities if f not in self._fid_lut]
        raise InvalidFidelityError(
            f"fidelities {bad[:5]} are not recorded for {self.task.name!r}: {list(self._fidelity_values)}"
        )

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """Mean over recorded seeds (of the finite runs) at the maximal fidelity, ``(n, n_objectives)``."""
        return np.array(self._reference[self.config_index(configs)], dtype=float).reshape(
            len(configs), len(self._objective_names)
        )
