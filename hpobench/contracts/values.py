"""The one rule for values that every benchmark applies: real numbers, choices and seeds.

Benchmarks receive numbers from methods written by anyone, so every family holds them to the
same rule, implemented here once and used by :class:`~hpobench.contracts.types.Trial` (fidelity types),
:class:`~hpobench.contracts.space.SpaceCodec` (configurations),
:class:`~hpobench.contracts.benchmark.Benchmark`
(fidelity ranges and seeds) and the fast paths of the built-in benchmarks:

* A **real number** is a Python ``int`` or ``float`` or a numpy integer or floating scalar;
  never a ``bool`` or ``numpy.bool_`` (although ``True == 1``), never a string (although
  ``float("10")`` works), never ``None``, a list or a 0-d array. Fidelities and numeric
  hyperparameters must be real numbers, and finite: NaN and infinities are invalid values.
  Arbitrarily large Python ints are real numbers (they are out of range, not errors).
* A **choice** (categorical, ordinal or constant value) matches only a choice of the same kind:
  strings match strings, booleans booleans, real numbers real numbers by numeric value
  (``8 == 8.0 == np.int64(8)``, one number in several spellings), so ``True`` is never the
  choice ``1`` and ``1`` never the choice ``True``.
* A **seed** is a non-negative Python ``int`` or numpy integer, never a ``bool``; anything
  else raises :class:`~hpobench.contracts.errors.InvalidSeedError` (a ``ValueError``) naming the seed.

Arrays (``evaluate_arrays``) are held to the same rule by dtype: integer or floating dtypes
pass at once; other arrays and plain sequences are checked by the set of their element types
(:func:`real_types_only`, one pass in C), so ``bool`` and string arrays are refused (see
:func:`hpobench.contracts.benchmark.paired_fidelities`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from hpobench.contracts.errors import InvalidSeedError

__all__ = [
    "REAL_TYPES",
    "check_seed",
    "choice_key",
    "has_bool",
    "is_finite_real",
    "is_real",
    "real_types_only",
]

REAL_TYPES: tuple[type, ...] = (int, float, np.integer, np.floating)
"""The types of real numbers (``bool`` is a subclass of ``int`` and is excluded separately)."""

_BOOLS = (bool, np.bool_)
_BOOL_TYPES = frozenset(_BOOLS)
_EXACT_INTS = (int, np.integer)


def is_real(value: object) -> bool:
    """Whether ``value`` is a real number in the sense of this module (finite or not)."""
    return isinstance(value, REAL_TYPES) and not isinstance(value, bool)


def is_finite_real(value: object) -> bool:
    """Whether ``value`` is a real number that is neither NaN nor infinite (huge ints are finite)."""
    if type(value) is float:  # the common case first
        return math.isfinite(value)
    if not is_real(value):
        return False
    return isinstance(value, _EXACT_INTS) or math.isfinite(value)  # type: ignore[arg-type]


def real_types_only(types: Iterable[type]) -> bool:
    """Whether every type of ``types`` (e.g. ``set(map(type, values))``) is a real-number type.

    The vectorised form of :func:`is_real` for a batch: build the set of element types in one
    C-level pass and check the few distinct types here.
    """
    return all(issubclass(t, REAL_TYPES) and not issubclass(t, _BOOLS) for t in types)


def has_bool(values: Iterable[Any]) -> bool:
    """Whether any of ``values`` is a ``bool`` or ``numpy.bool_`` (one C-level pass over the types).

    For lookups keyed by numbers: ``True`` hashes and compares equal to ``1`` and ``1.0``, and
    ``False`` to ``0``, so a dictionary of numbers cannot tell them apart by itself.
    """
    return not _BOOL_TYPES.isdisjoint(map(type, values))


def choice_key(value: Any) -> tuple[str, Any]:
    """The key under which ``value`` matches a choice: its kind and its Python value.

    Choices and values are compared by ``choice_key`` so that ``True`` (kind ``"bool"``) never
    matches ``1`` (kind ``"real"``), while ``8``, ``8.0`` and ``np.int64(8)`` match each other.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("real", value)
    if isinstance(value, str):
        return ("str", value)
    return (type(value).__name__, value)


def check_seed(seed: object) -> int:
    """Return ``seed`` as an ``int`` if it is a valid evaluation seed, else raise.

    Args:
        seed: The seed given to ``evaluate`` or ``evaluate_arrays``.

    Returns:
        The seed as a Python ``int``.

    Raises:
        InvalidSeedError: ``seed`` is not a non-negative integer (a ``bool``, a string, ``None``,
            a float such as ``1.0``, or a negative integer).
    """
    if type(seed) is int and seed >= 0:
        return seed
    if isinstance(seed, _EXACT_INTS) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise InvalidSeedError(f"seed must be a non-negative integer, got seed={seed!r} ({type(seed).__name__})")
