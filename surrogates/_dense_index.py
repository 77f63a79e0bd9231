"""Index arrays into a dense benchmark array ``(configuration x seed x fidelity x metric)``.

:func:`checked_indices` checks user-given row or slice indices; :func:`rows_of` gathers one
value per row in the fastest numpy form for the array's layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hpobench.contracts.errors import InvalidConfigError, InvalidFidelityError

__all__ = ["checked_indices", "rows_of"]


def checked_indices(
    indices: object, size: int, what: str, error: type[InvalidConfigError] | type[InvalidFidelityError]
) -> np.ndarray:
    """``indices`` as a 1-d integer array of values in ``[0, size)``, else ``error``."""
    array = np.asarray(indices)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise error(f"{what} indices must be a 1-d integer array, got {array.dtype} of shape {array.shape}")
    if array.size and (int(array.min()) < 0 or int(array.max()) >= size):
        bad = array[(array < 0) | (array >= size)]
        raise error(f"{what} indices {bad[:5].tolist()} are outside [0, {size})")
    return array


def rows_of(array: np.ndarray, rows: np.ndarray, rest: tuple[Any, ...]) -> np.ndarray:
    """``array[rows, *rest]`` as a fresh 1-d array of ``len(rows)`` values.

    Where ``rest`` is all scalars and picks a contiguous column (a broadcast per-configuration
    cost, say), ``take`` on that column is several times faster than fancy indexing; a strided
    column is faster by fancy indexing.
    """
    if all(isinstance(i, int) for i in rest):
        column = array[(slice(None), *rest)]
        if column.strides[0] == column.itemsize:
            return column.take(rows)
    return np.asarray(array[(rows, *rest)])
