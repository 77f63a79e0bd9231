"""Long-format Arrow tables scattered into the dense ``(config, seed, fidelity, metric)`` array.

:func:`dense_from_arrow` checks that a long table (one row per configuration x seed [x
fidelity]) is a complete grid and scatters it, column by column with vectorised Arrow/numpy
operations, into the array a :class:`~hpobench.surrogates.tabular.TabularBenchmark` holds (its
row order: row-major over the grid); :func:`dense_from_arrow_ragged` does the same for tables
whose configurations have different numbers of runs. Bad input is a
:class:`~hpobench.contracts.errors.DataError` that names the column or counts the bad cells.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hpobench.contracts.errors import DataError


def dense_from_arrow(
    table: pa.Table,
    *,
    grid: Mapping[str, Sequence[Any]],
    metrics: Sequence[str],
    seed_column: str,
    n_seeds: int,
    fidelity_column: str | None = None,
    fidelity_values: Sequence[float] = (1.0,),
    what: str,
) -> np.ndarray:
    """Scatter a long-format table into a dense ``(n_configs, n_seeds, n_fidelities, n_metrics)`` array.

    Every row is one (configuration, seed[, fidelity]) cell; seeds are ``0 .. n_seeds - 1``. The
    configuration index follows :class:`TabularBenchmark` (row-major over ``grid``). Works column
    by column with vectorised Arrow/numpy operations.

    Args:
        table: The long table (e.g. read from Parquet).
        grid: Hyperparameter -> grid values, in index order.
        metrics: Metric columns, in the order of the last axis.
        seed_column: Column with the index of the repeated run.
        n_seeds: Number of repeated runs per configuration.
        fidelity_column: Column with the fidelity, or ``None`` for a single-fidelity table.
        fidelity_values: The fidelity grid (ignored without ``fidelity_column``).
        what: Name of the benchmark and file, for error messages.

    Raises:
        DataError: A column is missing or has the wrong type, a value is off the grid, or the
            table is not complete (some cell is missing or appears twice).
    """
    dense, _ = _scatter(
        table,
        grid=grid,
        metrics=metrics,
        seed_column=seed_column,
        n_seeds=n_seeds,
        fidelity_column=fidelity_column,
        fidelity_values=fidelity_values,
        what=what,
        ragged=False,
    )
    return dense


def dense_from_arrow_ragged(
    table: pa.Table,
    *,
    grid: Mapping[str, Sequence[Any]],
    metrics: Sequence[str],
    seed_column: str,
    n_seeds: int,
    what: str,
) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`dense_from_arrow` (single fidelity) for tables where runs per configuration vary.

    Each configuration must have runs ``0 .. k-1`` for some ``1 <= k <= n_seeds``. Missing cells
    of seed ``s >= k`` are filled with a copy of run ``s % k``, so that every seed answers with a
    recorded run; pass the returned ``runs`` to :class:`TabularBenchmark` so that the copies are
    left out of reference values.

    Returns:
        ``(dense, runs)``: the filled array and the number of recorded runs per configuration.

    Raises:
        DataError: As :func:`dense_from_arrow`, or a configuration's runs are not ``0 .. k-1``.
    """
    return _scatter(
        table,
        grid=grid,
        metrics=metrics,
        seed_column=seed_column,
        n_seeds=n_seeds,
        fidelity_column=None,
        fidelity_values=(1.0,),
        what=what,
        ragged=True,
    )


def _scatter(
    table: pa.Table,
    *,
    grid: Mapping[str, Sequence[Any]],
    metrics: Sequence[str],
    seed_column: str,
    n_seeds: int,
    fidelity_column: str | None,
    fidelity_values: Sequence[float],
    what: str,
    ragged: bool,
) -> tuple[np.ndarray, np.ndarray]:
    keys: dict[str, Sequence[Any]] = {**grid, seed_column: range(n_seeds)}
    if fidelity_column is not None:
        keys[fidelity_column] = list(fidelity_values)
    n_fid = len(fidelity_values) if fidelity_column is not None else 1
    missing = [c for c in [*keys, *metrics] if c not in table.column_names]
    if missing:
        raise DataError(f"{what}: columns {missing} are missing (found {table.column_names})")
    flat = np.zeros(table.num_rows, dtype=np.int64)
    for column, values in keys.items():
        try:
            found = pc.index_in(table[column], value_set=pa.array(list(values)))
        except (pa.ArrowException, TypeError) as exc:
            raise DataError(f"{what}: column {column!r} has an unexpected type: {exc}") from exc
        if found.null_count:
            raw = table[column].to_numpy()
            bad = np.unique(raw[found.is_null().to_numpy(zero_copy_only=False)])[:5]
            raise DataError(
                f"{what}: column {column!r} holds values off the grid {list(values)}: {bad.tolist()}"
            )
        flat = flat * len(values) + found.to_numpy().astype(np.int64)
    n_configs = math.prod(len(v) for v in grid.values())
    n_cells = n_configs * n_seeds * n_fid
    counts = np.bincount(flat, minlength=n_cells)
    runs = np.full(n_configs, n_seeds, dtype=np.int64)
    if ragged:
        present = counts.reshape(n_configs, n_seeds) == 1
        runs = present.sum(axis=1)
        prefix = np.arange(n_seeds)[None, :] < runs[:, None]
        if np.any(counts > 1) or np.any(runs == 0) or np.any(present != prefix):
            raise DataError(
                f"{what}: every configuration needs runs 0..k-1 (1 <= k <= {n_seeds}) exactly once; "
                f"{int(np.sum(runs == 0))} configurations have none, {int(np.sum(counts > 1))} cells "
                f"repeat and {int(np.sum(np.any(present != prefix, axis=1)))} have gaps"
            )
    elif table.num_rows != n_cells or np.any(counts != 1):
        raise DataError(
            f"{what}: not a complete grid: expected each of {n_configs} configurations x {n_seeds} seeds"
            + (f" x {n_fid} fidelities" if fidelity_column is not None else "")
            + f" exactly once ({n_cells} rows), found {table.num_rows} rows, "
            f"{int(np.sum(counts == 0))} cells missing and {int(np.sum(counts > 1))} repeated"
        )
    out = np.full((n_cells, len(metrics)), np.nan, dtype=float)
    for j, metric in enumerate(metrics):
        try:
            out[flat, j] = table[metric].to_numpy().astype(float)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise DataError(f"{what}: metric column {metric!r} is not numeric: {exc}") from exc
    # flat is row-major over (grid..., seed[, fidelity]); without a fidelity column it has size 1.
    dense = out.reshape(n_configs, n_seeds, n_fid, len(metrics))
    if ragged:
        source = np.arange(n_seeds)[None, :] % runs[:, None]  # (n_configs, n_seeds)
        dense = dense[np.arange(n_configs)[:, None], source]
    return dense, runs
