"""Exact matching of numeric columns against a candidate set's listed rows, in numpy.

A candidate benchmark (:mod:`hpobench.surrogates.candidates`) finds a listed configuration by
one dictionary lookup of its value tuple. Configurations given as columns
(:mod:`hpobench.contracts.columns`) would first have to become tuples of Python floats, which
costs more than the lookups; :class:`RowMatcher` finds them in a few numpy passes instead:

1. a 64-bit hash of each row, ``sum_j w_j * bits(x_j)`` (wrapping multiply-adds of the
   float64 bit patterns, ``-0.0`` made ``0.0`` first, random odd ``w_j`` chosen so that no two
   listed rows share a hash);
2. a binary search of the hashes among the listed rows' sorted hashes;
3. an exact check: every value of the row equals the listed row's value, column by column.

A row that passes is the listed configuration of the lookup (numbers compare by value, as
dictionary keys do: ``0.0`` finds ``-0.0``, an integer finds its float); any other row (NaN,
off the list, a hash collision) is reported as not found, and the caller looks it up the
usual way (snapping and validation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hpobench.surrogates._grid_columns import exact_in_float64

__all__ = ["RowMatcher"]

_TRIES = 8
"""Multiplier draws tried before giving up on a collision-free hash of the listed rows."""


class RowMatcher:
    """Finds rows given as float64 columns among fixed listed rows.

    Args:
        listed: Value tuple of each listed row -> its index (the candidates' exact lookup:
            distinct tuples of real numbers).

    Attributes:
        usable: Whether a collision-free hash was found (otherwise :meth:`match` finds nothing).
    """

    def __init__(self, listed: Mapping[tuple[Any, ...], int]) -> None:
        self.usable = False
        if not listed:
            return
        rows = np.array(list(listed), dtype=np.float64) + 0.0
        self._index = np.fromiter(listed.values(), dtype=np.intp, count=len(listed))
        self._columns = [np.ascontiguousarray(rows[:, j]) for j in range(rows.shape[1])]
        rng = np.random.default_rng(0)
        for _ in range(_TRIES):
            draws = rng.integers(0, 2**63, size=rows.shape[1], dtype=np.uint64)
            weights = np.asarray(draws * np.uint64(2) + np.uint64(1), dtype=np.uint64)  # odd: invertible
            hashes = self._hash(self._columns, weights)
            order = np.argsort(hashes, kind="stable")
            ranked = hashes[order]
            if len(ranked) and not bool((ranked[1:] == ranked[:-1]).any()):
                self._weights, self._order, self._ranked = weights, order, ranked
                self.usable = True
                break

    @staticmethod
    def _hash(columns: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
        out = np.zeros(len(columns[0]), dtype=np.uint64)
        for column, weight in zip(columns, weights.tolist(), strict=True):
            bits = (column + 0.0).view(np.uint64)  # -0.0 + 0.0 is 0.0: equal numbers, equal bits
            out += bits * np.uint64(weight)  # wraps modulo 2**64
        return out

    def match(self, columns: Sequence[np.ndarray]) -> np.ndarray | None:
        """Index of each row's listed configuration, -1 where the row is not listed.

        Args:
            columns: One numeric (integer or floating dtype) column per hyperparameter, in the
                listed tuples' order, all of one length; compared as float64.

        Returns:
            The indices, or ``None`` where an integer column holds a value that float64 would
            round (magnitude above 2**53): such columns are for the caller to decide.
        """
        for column in columns:
            integers = column.dtype.kind in "iu" and len(column)
            if integers and not exact_in_float64(int(column.min()), int(column.max())):
                return None
        n = len(columns[0])
        if not self.usable:
            return np.full(n, -1, dtype=np.intp)
        columns = [np.asarray(column, dtype=np.float64) for column in columns]
        hashes = self._hash(columns, self._weights)
        pos = np.searchsorted(self._ranked, hashes)
        np.minimum(pos, len(self._ranked) - 1, out=pos)
        found = self._ranked[pos] == hashes
        slot = self._order[pos]
        for column, listed in zip(columns, self._columns, strict=True):
            found &= listed.take(slot) == column  # NaN never equals: not found
        return np.where(found, self._index[slot], -1)
