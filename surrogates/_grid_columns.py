"""Matching a column of hyperparameter values against one grid dimension, in numpy.

A grid table's configuration index is the sum over hyperparameters of ``digit * stride``
(:mod:`hpobench.surrogates.tabular`). For configurations given as columns
(:mod:`hpobench.contracts.columns`) each hyperparameter's digits are found with a few numpy
passes over its column instead of one dictionary lookup per value. The rule is the one of
:mod:`hpobench.contracts.values`: numbers match numbers by numeric value (an integer column
finds ``8.0``, a float column finds ``8``), strings match strings, booleans never match a
number. A column this module cannot decide (object or bytes dtype, booleans, a grid of mixed
kinds) or a value that is not on the grid raises ``KeyError``; the caller then takes the row
path, which validates each configuration and names the bad value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpobench.contracts.values import is_real

__all__ = ["ColumnRule", "column_rule"]

_EQUALITY_PASSES = 8
"""Largest grid size matched by one equality pass per grid value; larger grids use a binary search."""


@dataclass(frozen=True, kw_only=True, eq=False)
class ColumnRule:
    """How one grid dimension's values are found in a column.

    Attributes:
        kind: ``"real"`` (every grid value a real number, exact as a float64), ``"str"`` (every
            grid value a string) or ``""`` (anything else: columns always take the row path).
        values: The grid values in digit order (float64 for ``"real"``).
        stride: The dimension's stride in the configuration index.
        order: Digits of the values in ascending order (``"real"``; for the binary search).
    """

    kind: str
    values: np.ndarray
    stride: int
    order: np.ndarray

    def add_digits(self, column: np.ndarray, out: np.ndarray) -> None:
        """Add ``digit * stride`` of every value of ``column`` to ``out`` (same length).

        Raises:
            KeyError: The column's dtype does not match the grid's kind, or a value is not on the grid.
        """
        kind = column.dtype.kind
        if self.kind == "real" and kind in "iuf":
            found = self._add_real(column, out)
        elif self.kind == "str" and kind == "U":
            found = self._add_str(column, out)
        else:
            raise KeyError("a column this rule cannot match in numpy")
        if not found:
            raise KeyError("a value is not on the grid")

    def _add_real(self, column: np.ndarray, out: np.ndarray) -> bool:
        values = self.values
        if len(values) <= _EQUALITY_PASSES:
            hit = column == values[0]
            found = hit.copy()
            for digit in range(1, len(values)):
                np.equal(column, values[digit], out=hit)
                found |= hit
                np.add(out, digit * self.stride, out=out, where=hit)
            return bool(found.all())
        order = self.order
        ranked = values[order]
        pos = np.searchsorted(ranked, column)
        np.minimum(pos, len(ranked) - 1, out=pos)
        if not bool((ranked[pos] == column).all()):
            return False
        out += order[pos] * self.stride
        return True

    def _add_str(self, column: np.ndarray, out: np.ndarray) -> bool:
        found = np.zeros(len(column), dtype=bool)
        for digit, value in enumerate(self.values.tolist()):
            hit = column == value
            found |= hit
            if digit:
                np.add(out, digit * self.stride, out=out, where=hit)
        return bool(found.all())


def column_rule(values: Sequence[Any], stride: int) -> ColumnRule:
    """The rule of one grid dimension with these values (in digit order) and stride."""
    none = np.zeros(0, dtype=np.intp)
    if all(is_real(v) and float(v) == v for v in values):
        real = np.array(values, dtype=np.float64)
        order = np.argsort(real, kind="stable")
        return ColumnRule(kind="real", values=real, stride=stride, order=order)
    kind = "str" if all(isinstance(v, str) for v in values) else ""
    return ColumnRule(kind=kind, values=np.array(values, dtype=object), stride=stride, order=none)
