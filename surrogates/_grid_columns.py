"""Matching a column of hyperparameter values against one grid dimension, in numpy.

A grid table's configuration index is the sum over hyperparameters of ``digit * stride``
(:mod:`hpobench.surrogates.tabular`). For configurations given as columns
(:mod:`hpobench.contracts.columns`) each hyperparameter's digits are found with a few numpy
passes over its column instead of one dictionary lookup per value. The rule is the one of
:mod:`hpobench.contracts.values`: numbers match numbers by numeric value (an integer column
finds ``8.0``, a float column finds ``8``, ``-0.0`` finds ``0``), strings match strings,
booleans never match a number. A column this module cannot decide (object or bytes dtype,
booleans, a grid of mixed kinds, integers too large to compare exactly as floats) or a value
that is not on the grid raises ``KeyError``; the caller then takes the row path, which
validates each configuration and names the bad value.

The passes, measured on 10,000 values (benchmarks/bench_tabular.py runs the whole path):

* real grids of up to ``_THRESHOLD_PASSES`` values: a value's rank in the sorted grid is the
  number of grid values it reaches (one compare and one ``uint8`` add per grid value, no
  branches), checked by reading the grid value of that rank back and comparing it exactly;
  larger grids use a binary search (``np.searchsorted``: about 235 us for 10,000 values, against
  about 5 us per counting pass);
* integer columns of an integral grid with a small range, and float columns holding only
  integers in that range: one gather from a lookup table;
* string columns: the fixed-width strings viewed as machine words and compared word by word
  (numpy's own string equality is about 3x slower).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpobench.contracts.values import is_real

__all__ = ["ColumnRule", "column_rule", "exact_in_float64"]

_THRESHOLD_PASSES = 16
"""Largest grid matched by counting the grid values reached; larger grids use a binary search."""
_LUT_SPAN = 1 << 16
"""Largest range (max - min + 1) of an integral grid that gets a lookup table (integral columns)."""
_EXACT_INT = 1 << 53
"""Integers of at most this magnitude are exact as float64."""


@dataclass(frozen=True, kw_only=True, eq=False)
class ColumnRule:
    """How one grid dimension's values are found in a column.

    Attributes:
        kind: ``"real"`` (every grid value a real number, exact as a float64), ``"str"`` (every
            grid value a string without trailing NUL) or ``""`` (anything else: columns always
            take the row path).
        values: The grid values in digit order (float64 for ``"real"``, object otherwise).
        stride: The dimension's stride in the configuration index.
        ranked: The grid values in ascending order (``"real"``; float64).
        steps: ``digit * stride`` of each ranked value (``"real"``; intp).
        lut: For an integral real grid spanning at most ``_LUT_SPAN`` integers: ``digit * stride``
            at ``value - lut_base``, -1 off the grid; else empty.
        lut_base: The smallest grid value when ``lut`` is not empty.
    """

    kind: str
    values: np.ndarray
    stride: int
    ranked: np.ndarray
    steps: np.ndarray
    lut: np.ndarray
    lut_base: int

    def add_digits(self, column: np.ndarray, out: np.ndarray) -> None:
        """Add ``digit * stride`` of every value of ``column`` to ``out`` (same length).

        Raises:
            KeyError: The column's dtype does not match the grid's kind, or a value is not on the grid.
        """
        kind = column.dtype.kind
        if self.kind == "real" and kind in "iuf":
            found = self._add_integers(column, out) if kind in "iu" else self._add_real(column, out)
        elif self.kind == "str" and kind == "U":
            found = self._add_str(column, out)
        else:
            raise KeyError("a column this rule cannot match in numpy")
        if not found:
            raise KeyError("a value is not on the grid")

    def _add_integers(self, column: np.ndarray, out: np.ndarray) -> bool:
        if not len(column):
            return True
        low, high = int(column.min()), int(column.max())  # Python ints: exact for every integer dtype
        if len(self.lut):
            if low < self.lut_base or high >= self.lut_base + len(self.lut):
                return False
            return self._add_from_lut(column.astype(np.intp, copy=False), out)  # in range, so exact
        if not exact_in_float64(low, high):
            return False  # the row path decides
        return self._add_real(column.astype(np.float64), out)

    def _add_real(self, column: np.ndarray, out: np.ndarray) -> bool:
        ranked = self.ranked
        if column.dtype != np.float64:
            column = column.astype(np.float64)  # a float16/32 widens exactly
        if len(self.lut) and len(column) and self._add_integral(column, out):
            return True
        if len(ranked) > _THRESHOLD_PASSES:
            rank = np.searchsorted(ranked, column)
            np.minimum(rank, len(ranked) - 1, out=rank)
        else:
            rank = np.zeros(len(column), dtype=np.uint8)
            reached = np.empty(len(column), dtype=bool)
            for value in ranked[1:].tolist():
                np.greater_equal(column, value, out=reached)
                rank += reached
        if not bool((ranked.take(rank) == column).all()):  # NaN and off-grid values fail here
            return False
        out += self.steps.take(rank)
        return True

    def _add_integral(self, column: np.ndarray, out: np.ndarray) -> bool:
        """The lookup table for a float column whose values are all integers in its range.

        ``False`` (nothing added) for any other column, which the caller then ranks.
        """
        low, high = column.min(), column.max()  # NaN fails both comparisons below
        if not (low >= self.lut_base and high < self.lut_base + len(self.lut)):
            return False
        at = column.astype(np.intp)  # in range: a defined conversion
        if not bool((at == column).all()):
            return False
        return self._add_from_lut(at, out)

    def _add_from_lut(self, at: np.ndarray, out: np.ndarray) -> bool:
        """Add the lookup steps of the integers ``at`` (inside the table); ``False`` if one is off grid."""
        steps = self.lut.take(at - self.lut_base if self.lut_base else at)
        if bool((steps < 0).any()):
            return False
        out += steps
        return True

    def _add_str(self, column: np.ndarray, out: np.ndarray) -> bool:
        n = len(column)
        width = column.dtype.itemsize
        if not n:
            return True
        word = np.uint64 if width % 8 == 0 else np.uint32
        # one contiguous row per word position: compares on contiguous rows are ~3x faster
        planes = np.ascontiguousarray(np.ascontiguousarray(column).view(word).reshape(n, -1).T)
        found = np.zeros(n, dtype=bool)
        hit = np.empty(n, dtype=bool)
        same = np.empty(n, dtype=bool)
        for digit, value in enumerate(self.values.tolist()):
            if len(value) * 4 > width:
                continue  # longer than the column's strings: no value of the column is this one
            pattern = np.array([value], dtype=column.dtype).view(word)
            np.equal(planes[0], pattern[0], out=hit)
            for plane, part in zip(planes[1:], pattern[1:], strict=True):
                np.equal(plane, part, out=same)
                hit &= same
            found |= hit
            if digit:
                out += hit * (digit * self.stride)
        return bool(found.all())


def exact_in_float64(low: int, high: int) -> bool:
    """Whether every integer in ``[low, high]`` is exact as a float64 (magnitude at most 2**53)."""
    return low >= -_EXACT_INT and high <= _EXACT_INT


def column_rule(values: Sequence[Any], stride: int) -> ColumnRule:
    """The rule of one grid dimension with these values (in digit order) and stride."""
    none = np.zeros(0, dtype=np.intp)
    if all(is_real(v) and float(v) == v for v in values):
        real = np.array(values, dtype=np.float64) + 0.0  # -0.0 -> 0.0: equal numbers, one rank
        order = np.argsort(real, kind="stable")
        lut, base = none, 0
        if all(float(v).is_integer() for v in real.tolist()):
            base = int(real.min())
            span = int(real.max()) - base + 1
            if span <= _LUT_SPAN:
                lut = np.full(span, -1, dtype=np.intp)
                lut[real.astype(np.intp) - base] = np.arange(len(real)) * stride
        return ColumnRule(
            kind="real",
            values=real,
            stride=stride,
            ranked=real[order],
            steps=(order * stride).astype(np.intp),
            lut=lut,
            lut_base=base,
        )
    strings = all(isinstance(v, str) and not v.endswith("\x00") for v in values)
    return ColumnRule(
        kind="str" if strings else "",
        values=np.array(values, dtype=object),
        stride=stride,
        ranked=np.zeros(0),
        steps=none,
        lut=none,
        lut_base=0,
    )
