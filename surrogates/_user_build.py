"""Turn a user's long table (one row per configuration x seed x fidelity) into a dense benchmark.

Checks every row first and names the file, column and row (1-based, the header not counted) of
the first problem: a column named in the meta that is missing, a hyperparameter value that is
empty, boolean, of mixed kinds or outside the declared grid/range, a fidelity or seed that is not
a number, a NaN (or non-numeric) objective, a negative or non-finite cost, two rows of one cell
with different values, a missing (configuration, seed, fidelity) cell. Rows repeated with
identical values are kept once.

Then the existing dense machinery answers: a table whose configurations form the full grid of
the hyperparameters' values becomes a :class:`~hpobench.surrogates.tabular.TabularBenchmark`
(built with :func:`~hpobench.surrogates.tabular.dense_from_arrow`); any other set of numeric
configurations (a random sweep) a :class:`~hpobench.surrogates.candidates.CandidateBenchmark`
(a candidate set: proposals snap to the nearest listed configuration). A table with a
categorical hyperparameter, or whose meta declares grid ``values``, must be a full grid.
Infinite objective values are kept (diverged runs: status FAILED, counted as worst by the
reference rule).

Several objectives: the task optimises the first; the others are kept as extra metrics of every
evaluation (``Evaluation.extras``) and listed in ``TaskInfo.objectives``.

Cost: the ``cost`` column (seconds from scratch up to the row's fidelity); without one, an
evaluation costs its fidelity as a fraction of the maximal fidelity (1 s at the maximal
fidelity, 1 s for single-fidelity tables).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import DataError
from hpobench.contracts.space import to_python
from hpobench.contracts.types import Fidelity
from hpobench.surrogates._user_meta import HyperparameterMeta, TableMeta
from hpobench.surrogates.candidates import CandidateBenchmark
from hpobench.surrogates.tabular import TabularBenchmark, dense_from_arrow

__all__ = ["build_benchmark", "table_tags"]

_SEED = "__hpobench_seed__"
_CONFIG = "__hpobench_config__"
_COST = "__hpobench_cost__"


def table_tags(family: str, meta: TableMeta) -> frozenset[str]:
    """The tags of a user table's tasks."""
    tags = {"tabular", "user-table", family}
    if meta.fidelity is not None:
        tags.add("learning-curves")
    return frozenset(tags)


def _py(value: Any) -> Any:
    """A value as Python shows it (``0.5``, not ``np.float64(0.5)``), for messages."""
    return to_python(value)


def _row(frame: pd.DataFrame, mask: pd.Series | np.ndarray) -> int:
    """1-based row number of the first True in ``mask``."""
    return int(np.flatnonzero(np.asarray(mask))[0]) + 1


def _hyperparameter(frame: pd.DataFrame, hp: HyperparameterMeta, where: str) -> list[Any]:
    """Check one hyperparameter column; return its grid values in order."""
    column = frame[hp.name]
    at = f"{where}: column {hp.name!r} (hyperparameter)"
    if column.isna().any():
        raise DataError(f"{at}, row {_row(frame, column.isna())}: empty value")
    if pd.api.types.is_bool_dtype(column) or column.map(lambda v: isinstance(v, bool | np.bool_)).any():
        raise DataError(f"{at}: holds booleans; write them as strings ('true'/'false') or numbers 0/1")
    numeric = pd.api.types.is_numeric_dtype(column)
    if not numeric:
        not_text = column.map(lambda v: not isinstance(v, str))
        if not_text.any():
            row = _row(frame, not_text)
            raise DataError(
                f"{at}, row {row}: {_py(column.iloc[row - 1])!r} mixes kinds; a hyperparameter holds only "
                "numbers or only strings"
            )
    elif not np.all(np.isfinite(column.to_numpy(dtype=float))):
        raise DataError(f"{at}, row {_row(frame, ~np.isfinite(column.to_numpy(dtype=float)))}: not finite")
    if numeric and (hp.low is not None or hp.high is not None):
        values = column.to_numpy(dtype=float)
        outside = (values < (hp.low if hp.low is not None else -math.inf)) | (
            values > (hp.high if hp.high is not None else math.inf)
        )
        if outside.any():
            first = _py(column.to_numpy()[outside][0])
            raise DataError(
                f"{at}, row {_row(frame, outside)}: {first!r} is outside the declared range "
                f"[{hp.low}, {hp.high}]"
            )
    if numeric and hp.log and np.any(column.to_numpy(dtype=float) <= 0):
        raise DataError(f"{at}, row {_row(frame, column <= 0)}: a log-scaled value must be positive")
    if hp.values is None:
        return sorted(pd.unique(column).tolist())
    declared = list(hp.values)
    off = ~column.isin(declared)
    if off.any():
        row = _row(frame, off)
        raise DataError(
            f"{at}, row {row}: {_py(column.iloc[row - 1])!r} is not among the declared values {declared}"
        )
    return declared


def _numbers(frame: pd.DataFrame, name: str, role: str, where: str) -> np.ndarray:
    """The column as floats; a value that is not a number is refused (naming its row)."""
    column = frame[name]
    at = f"{where}: column {name!r} ({role})"
    if pd.api.types.is_bool_dtype(column):
        raise DataError(f"{at}: holds booleans, not numbers")
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        row = _row(frame, bad)
        raise DataError(f"{at}, row {row}: {_py(column.iloc[row - 1])!r} is not a number")
    return values.to_numpy(dtype=float)


def _check_values(frame: pd.DataFrame, meta: TableMeta, where: str) -> dict[str, np.ndarray]:
    """Numeric columns (objectives, fidelity, seed, cost) as float arrays, each value checked."""
    out: dict[str, np.ndarray] = {}
    for o in meta.objectives:
        values = _numbers(frame, o.name, "objective", where)
        if np.isnan(values).any():
            raise DataError(
                f"{where}: column {o.name!r} (objective), row {_row(frame, np.isnan(values))}: NaN"
            )
        out[o.name] = values
    if meta.fidelity is not None:
        values = _numbers(frame, meta.fidelity, "fidelity", where)
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            raise DataError(
                f"{where}: column {meta.fidelity!r} (fidelity), row {_row(frame, bad)}: "
                f"{_py(values[bad][0])!r} is not a positive finite number"
            )
        out[meta.fidelity] = values
    if meta.seed is not None:
        values = _numbers(frame, meta.seed, "seed", where)
        bad = ~np.isfinite(values) | (values != np.round(values)) | (values < 0)
        if bad.any():
            raise DataError(
                f"{where}: column {meta.seed!r} (seed), row {_row(frame, bad)}: "
                f"{_py(values[bad][0])!r} is not a non-negative integer"
            )
        out[meta.seed] = values
    if meta.cost is not None:
        values = _numbers(frame, meta.cost, "cost", where)
        bad = ~(np.isfinite(values) & (values >= 0))
        if bad.any():
            raise DataError(
                f"{where}: column {meta.cost!r} (cost), row {_row(frame, bad)}: "
                f"{_py(values[bad][0])!r} is not a non-negative number of seconds"
            )
        out[meta.cost] = values
    return out


def _deduplicate(frame: pd.DataFrame, keys: list[str], values: list[str], where: str) -> pd.DataFrame:
    """Drop rows repeated with identical values; refuse a cell given two different values."""
    repeated = frame.duplicated(keys, keep=False)
    if not repeated.any():
        return frame
    groups = frame[repeated].groupby(keys, sort=False, dropna=False, observed=True)
    for _, group in groups:
        for column in values:
            first = group[column].iloc[0]
            differs = group[column] != first
            if differs.any():
                a = int(group.index[0]) + 1
                b = int(group.index[np.flatnonzero(differs.to_numpy())[0]]) + 1
                cell = ", ".join(f"{k}={_py(group[k].iloc[0])!r}" for k in keys)
                raise DataError(
                    f"{where}: rows {a} and {b} are the same cell ({cell}) with different values "
                    f"in column {column!r}: {_py(first)!r} and {_py(frame[column].iloc[b - 1])!r}"
                )
    return frame.drop_duplicates(keys, keep="first")


def _first_missing(frame: pd.DataFrame, meta: TableMeta, configs: pd.Series, n_cells: int, where: str) -> str:
    """Describe the first (configuration, seed, fidelity) cell without a row."""
    counts = configs.value_counts(sort=False)
    config = int(counts.index[np.flatnonzero(counts.to_numpy() < n_cells)][0])
    rows = frame[configs.to_numpy() == config]
    names = [h.name for h in meta.hyperparameters]
    shown = ", ".join(f"{n}={_py(rows[n].iloc[0])!r}" for n in names)
    axes = [c for c in (meta.seed, meta.fidelity) if c is not None]
    have = set(map(tuple, rows[axes].to_numpy(dtype=float).tolist()))
    for cell in pd.MultiIndex.from_product([sorted(pd.unique(frame[c])) for c in axes]):
        if tuple(float(x) for x in cell) not in have:
            at = ", ".join(f"{c}={_py(v)!r}" for c, v in zip(axes, cell, strict=True))
            return (
                f"{where}: no row for configuration ({shown}) at {at} (first seen in row "
                f"{int(rows.index[0]) + 1}); every configuration needs a row for each seed and "
                "fidelity of the table (curves of different lengths are not supported: cut them "
                "to a common length)"
            )
    raise AssertionError("unreachable: a configuration has fewer cells than the table")


def build_benchmark(
    frame: pd.DataFrame,
    meta: TableMeta,
    *,
    name: str,
    where: str,
    data_files: Mapping[str, str] | None = None,
) -> Benchmark:
    """Check ``frame`` row by row against ``meta`` and build the dense benchmark ``name``.

    Args:
        frame: The long table, one row per (configuration, seed, fidelity).
        meta: What the columns mean.
        name: The task name, ``"family/task"``.
        where: The file (or "the frame"), for messages.
        data_files: Files the table was read from, path -> sha256, for provenance.

    Raises:
        DataError: The first problem found (see the module docstring), naming file, column and row.
    """
    frame = frame.reset_index(drop=True)
    roles = meta.roles()
    missing = [c for c in roles if c not in frame.columns]
    if missing:
        c = missing[0]
        raise DataError(
            f"{where}: column {c!r} ({roles[c]}) is named in the meta but missing from the table; "
            f"its columns are {[str(x) for x in frame.columns]}"
        )
    if frame.empty:
        raise DataError(f"{where}: the table has no rows")
    grid = {hp.name: _hyperparameter(frame, hp, where) for hp in meta.hyperparameters}
    numbers = _check_values(frame, meta, where)
    keys = [h.name for h in meta.hyperparameters] + [c for c in (meta.seed, meta.fidelity) if c is not None]
    metrics = [o.name for o in meta.objectives]
    frame = _deduplicate(frame, keys, metrics + ([meta.cost] if meta.cost else []), where)
    numbers = {k: v[frame.index.to_numpy()] for k, v in numbers.items()}

    hp_names = [h.name for h in meta.hyperparameters]
    configs = frame.groupby(hp_names, sort=False, observed=True).ngroup()
    seeds = sorted(set(numbers[meta.seed].tolist())) if meta.seed else [0.0]
    fids = sorted(set(numbers[meta.fidelity].tolist())) if meta.fidelity else [1.0]
    n_configs = int(configs.max()) + 1
    if len(frame) != n_configs * len(seeds) * len(fids):
        raise DataError(_first_missing(frame, meta, configs, len(seeds) * len(fids), where))

    seed_index = np.searchsorted(np.asarray(seeds), numbers[meta.seed]) if meta.seed else np.zeros(len(frame))
    columns: dict[str, Any] = {_SEED: seed_index.astype(np.int64)}
    for o in metrics:
        columns[o] = numbers[o]
    columns[_COST] = numbers[meta.cost] if meta.cost else np.zeros(len(frame))
    if meta.fidelity:
        columns[meta.fidelity] = numbers[meta.fidelity]
    full_grid = math.prod(len(v) for v in grid.values()) == n_configs
    numeric = all(pd.api.types.is_numeric_dtype(frame[h]) for h in hp_names)
    if full_grid:
        columns.update({h: pa.array(frame[h].tolist()) for h in hp_names})
        dense_grid: dict[str, Any] = grid
    elif numeric and not any(h.values is not None for h in meta.hyperparameters):
        columns[_CONFIG] = configs.to_numpy(dtype=np.int64)
        dense_grid = {_CONFIG: list(range(n_configs))}
    else:
        cells = pd.MultiIndex.from_product(list(grid.values()), names=hp_names)
        present = set(map(tuple, frame[hp_names].drop_duplicates().itertuples(index=False)))
        absent = next(c for c in cells if tuple(c) not in present)
        shown = ", ".join(f"{n}={_py(v)!r}" for n, v in zip(hp_names, absent, strict=True))
        raise DataError(
            f"{where}: the grid point ({shown}) has no rows; a table with a categorical "
            "hyperparameter or declared grid 'values' must hold every combination of its "
            "hyperparameters' values (numeric-only tables without declared values may list any "
            "configurations)"
        )
    dense = dense_from_arrow(
        pa.table(columns),
        grid=dense_grid,
        metrics=[*metrics, _COST],
        seed_column=_SEED,
        n_seeds=len(seeds),
        fidelity_column=meta.fidelity,
        fidelity_values=fids,
        what=where,
    )
    table = np.ascontiguousarray(dense[..., :-1])
    table.flags.writeable = False
    cost = dense[..., -1] if meta.cost else np.broadcast_to(np.asarray(fids) / fids[-1], dense.shape[:3])
    fidelity = None
    if meta.fidelity:
        integer = all(float(f).is_integer() for f in fids)
        fidelity = Fidelity(name=meta.fidelity, low=fids[0], high=fids[-1], integer=integer)
    family = name.split("/", 1)[0]
    common: dict[str, Any] = {
        "name": name,
        "table": table,
        "metrics": metrics,
        "objectives": meta.objectives[:1],
        "fidelity": fidelity,
        "fidelity_values": fids if fidelity is not None else None,
        "cost": cost,
        "data_files": data_files,
    }
    try:
        if full_grid:
            return TabularBenchmark(grid=grid, tags=table_tags(family, meta), **common)
        first = frame.groupby(configs.to_numpy(), sort=True).head(1).sort_index()
        order = configs.to_numpy()[first.index.to_numpy()]
        candidates = {h: first[h].to_numpy(dtype=float)[np.argsort(order)] for h in hp_names}
        log = frozenset(h.name for h in meta.hyperparameters if h.log)
        tags = table_tags(family, meta) | {"candidate-set"}
        return CandidateBenchmark(candidates=candidates, log=log, tags=tags, **common)
    except ValueError as exc:
        raise DataError(f"{where}: {exc}") from exc
