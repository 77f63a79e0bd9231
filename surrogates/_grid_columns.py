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

* real grids of up to ``_HASHED_MAX`` values: a perfect hash of each value's float64 bit
  pattern (``-0.0`` has a slot of its own that holds ``0.0``): one multiplication by a constant
  and a shift give a slot of a small table that holds one grid value and its ``digit * stride``;
  the value is on the grid exactly when it equals the slot's value. The constant is searched for once per
  grid (a fixed sequence of odd 64-bit multipliers, so the same grid gets the same table) until
  no two grid values share a slot. About 25 us for 10,000 values whatever the grid's size,
  against 45-57 us for the counting passes it replaced (a value's rank in the sorted grid as the
  number of grid values it reaches, then read back and compared);
* larger real grids, or one for which no multiplier separates the values in a table of
  ``2**_HASH_BITS_MAX`` slots: a value's rank by binary search (``np.searchsorted``: about
  235 us for 10,000 values), checked by reading the grid value of that rank back;
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

_HASHED_MAX = 64
"""Largest real grid matched by a perfect hash of its values' bits; larger grids use a binary search."""
_HASH_BITS_MAX = 12
"""Largest hash table searched for: ``2**12`` slots (64 KiB with the steps)."""
_HASH_TRIES = 64
"""Multipliers tried per table size before the next size up."""
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
        hash_multiplier: The odd 64-bit multiplier of the perfect hash (``"real"`` grids of at
            most ``_HASHED_MAX`` values for which one was found; else 0).
        hash_shift: ``64 - log2(table size)``: the product's top bits are the slot.
        hash_values: Per slot, the grid value whose bits hash there; an empty slot holds a
            grid value hashed elsewhere, which no value can match there. Empty without a hash.
        hash_steps: Per slot, ``digit * stride`` of the value hashed there (0 for an empty slot).
    """

    kind: str
    values: np.ndarray
    stride: int
    ranked: np.ndarray
    steps: np.ndarray
    lut: np.ndarray
    lut_base: int
    hash_multiplier: np.uint64
    hash_shift: np.uint64
    hash_values: np.ndarray
    hash_steps: np.ndarray

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
        if len(self.hash_values):
            return self._add_hashed(column, out)
        if len(self.lut) and len(column) and self._add_integral(column, out):
            return True
        rank = np.searchsorted(ranked, column)
        np.minimum(rank, len(ranked) - 1, out=rank)
        if not bool((ranked.take(rank) == column).all()):  # NaN and off-grid values fail here
            return False
        out += self.steps.take(rank)
        return True

    def _add_hashed(self, column: np.ndarray, out: np.ndarray) -> bool:
        """Add the steps of a float64 column by the perfect hash; ``False`` if a value is off the grid.

        A value is on the grid exactly when it equals its slot's value: a grid value's bits
        (and ``-0.0``'s, where the grid holds ``0.0``) hash to its own slot, and NaN, infinities
        and other numbers to a slot that holds another number (an empty slot holds a grid value
        that hashes elsewhere). Nothing is computed on the values themselves, so no
        floating-point flag is raised.
        """
        slot = column.view(np.uint64) * self.hash_multiplier  # the bits' product modulo 2**64
        slot >>= self.hash_shift
        at = slot.view(np.intp)  # below the table size: the same numbers
        # the grid value of each slot, compared as a number (-0.0 equals the grid's 0.0 then)
        if not bool((self.hash_values.take(at) == column).all()):
            return False
        out += self.hash_steps.take(at)
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
        steps = (order * stride).astype(np.intp)
        return ColumnRule(
            kind="real",
            values=real,
            stride=stride,
            ranked=real[order],
            steps=steps,
            lut=lut,
            lut_base=base,
            **_perfect_hash(real, stride),
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
        **_NO_HASH,
    )


_NO_HASH: dict[str, Any] = {
    "hash_multiplier": np.uint64(0),
    "hash_shift": np.uint64(0),
    "hash_values": np.zeros(0),
    "hash_steps": np.zeros(0, dtype=np.intp),
}


def _perfect_hash(real: np.ndarray, stride: int) -> dict[str, Any]:
    """The hash fields of :class:`ColumnRule` for distinct float64 grid values (no ``-0.0``) in digit order.

    Tries, per table size from the smallest that holds the values up to ``2**_HASH_BITS_MAX``
    slots, ``_HASH_TRIES`` odd multipliers of a fixed sequence, and keeps the first that gives
    every value its own slot; :data:`_NO_HASH` when the grid is larger than ``_HASHED_MAX`` or
    none does.
    """
    k = len(real)
    if not 0 < k <= _HASHED_MAX:
        return dict(_NO_HASH)
    bits, values, digits = real.view(np.uint64), real, np.arange(k, dtype=np.intp)
    zero = np.flatnonzero(real == 0.0)
    if len(zero):  # -0.0 equals the grid's 0.0: its bits get a slot of their own that holds 0.0
        bits = np.append(bits, np.float64(-0.0).view(np.uint64))
        values, digits = np.append(real, 0.0), np.append(digits, zero[0])
    multipliers = np.random.default_rng(0x5EED).integers(0, 1 << 63, size=_HASH_TRIES, dtype=np.uint64)
    multipliers = multipliers * np.uint64(2) + np.uint64(1)  # odd, so the low bits still mix in
    for size_bits in range(max(1, (k - 1).bit_length()), _HASH_BITS_MAX + 1):
        shift = np.uint64(64 - size_bits)
        for multiplier in multipliers:
            slots = (bits * multiplier) >> shift
            if len(np.unique(slots)) < len(bits):
                continue
            # an empty slot holds the first value, which hashes to its own (taken) slot: no column
            # value can match it there
            table = np.full(1 << size_bits, real[0])
            table[slots] = values
            steps = np.zeros(1 << size_bits, dtype=np.intp)
            steps[slots] = digits * stride
            return {
                "hash_multiplier": multiplier,
                "hash_shift": shift,
                "hash_values": table,
                "hash_steps": steps,
            }
    return dict(_NO_HASH)
