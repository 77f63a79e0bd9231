"""Configurations as columns: one array per hyperparameter, the table form of ``evaluate_arrays``.

A batch of ``n`` configurations may be given to ``evaluate_arrays`` either as a sequence of
``n`` dictionaries or as one mapping ``hyperparameter -> column`` whose columns are 1-d arrays
(or sequences) of length ``n``; row ``i`` of the columns is configuration ``i``. Both forms
are held to the same rules (:mod:`hpobench.contracts.values`) and give the same answers; the
column form lets a table benchmark encode a batch with a few numpy passes per hyperparameter
instead of one dictionary lookup per value. A benchmark without a faster path answers the
column form through :func:`configs_of`, which rebuilds the rows as plain Python dictionaries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np

from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.types import Config

__all__ = ["ConfigColumns", "Configs", "as_columns", "column_rows", "configs_of", "n_configs"]

ConfigColumns: TypeAlias = Mapping[str, Any]
"""Hyperparameter -> 1-d array (or sequence) of its values, one per configuration."""

Configs: TypeAlias = Sequence[Config] | ConfigColumns
"""What ``evaluate_arrays`` takes: a sequence of configurations or a mapping of columns."""


def as_columns(columns: ConfigColumns) -> tuple[dict[str, np.ndarray], int]:
    """The columns as 1-d numpy arrays of one common length.

    Args:
        columns: Hyperparameter -> 1-d array or sequence.

    Returns:
        ``(arrays, n)``: the columns as numpy arrays (no copy where a column already is one)
        and the number of configurations.

    Raises:
        InvalidConfigError: A column is not one-dimensional, the columns differ in length, or
            there are no columns.
    """
    if not columns:
        raise InvalidConfigError("configuration columns: no hyperparameter given")
    arrays: dict[str, np.ndarray] = {}
    for name, column in columns.items():
        array = column if isinstance(column, np.ndarray) else np.asarray(column)
        if array.ndim != 1:
            raise InvalidConfigError(
                f"configuration columns: {name!r} must be one-dimensional (one value per "
                f"configuration), got shape {array.shape}"
            )
        arrays[name] = array
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise InvalidConfigError(f"configuration columns differ in length: {lengths}")
    return arrays, next(iter(lengths.values()))


def column_rows(arrays: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    """Row ``i`` of every column as one plain dictionary (Python scalars, as ``tolist`` gives them)."""
    names = list(arrays)
    rows = zip(*(a.tolist() for a in arrays.values()), strict=True)
    return [dict(zip(names, row, strict=True)) for row in rows]


def configs_of(configs: Configs) -> Sequence[Config]:
    """The configurations of either form as a sequence of dictionaries (columns rebuilt as rows).

    Raises:
        InvalidConfigError: ``configs`` is a mapping whose columns are not 1-d arrays of one length.
    """
    if isinstance(configs, Mapping):
        return column_rows(as_columns(configs)[0])
    return configs


def n_configs(configs: Configs) -> int:
    """The number of configurations of either form (see :func:`as_columns` for what it raises)."""
    if isinstance(configs, Mapping):
        return as_columns(configs)[1]
    return len(configs)
