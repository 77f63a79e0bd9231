"""Shared loader for grid tables stored as Parquet (one row per configuration x seed).

Used by the ``hpobench_nn`` and ``nb201`` families (FCNet keeps its own loader). Tables are read
with pyarrow, densified with :func:`~hpobench.surrogates.tabular.dense_from_arrow` (or its ragged
variant when configurations have different numbers of runs) and cached per process, keyed on the
resolved path, size and modification time, so repeated loads in one worker are free and a
changed file is read again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hpobench.contracts.caching import task_cache
from hpobench.contracts.errors import DataError
from hpobench.contracts.types import Direction, Objective
from hpobench.data.datadir import file_sha256
from hpobench.data.datasets import verified_data_file
from hpobench.surrogates.optima import stored_optimum
from hpobench.surrogates.tabular import CostModel, TabularBenchmark, dense_from_arrow, dense_from_arrow_ragged

__all__ = ["GridSpec", "load_grid_table"]

SEED_COLUMN = "seed"


@dataclass(frozen=True, kw_only=True, eq=False)
class GridSpec:
    """What a family's Parquet tables hold (shared by all its tasks; hashed by identity).

    Attributes:
        family: Family name; files live at ``<data_dir>/tabular/<family>/<task>.parquet``.
        grid: Hyperparameter -> grid values, in index order.
        metric: The objective column.
        direction: Whether the metric is minimised or maximised.
        n_seeds: Maximal number of runs per configuration.
        ragged: Whether some configurations have fewer than ``n_seeds`` runs.
        tags: Task tags.
    """

    family: str
    grid: Mapping[str, tuple[Any, ...]]
    metric: str
    direction: Direction
    n_seeds: int
    ragged: bool = False
    tags: frozenset[str] = frozenset()


def load_grid_table(
    spec: GridSpec, task: str, *, data_dir: Path | None, cost_model: CostModel
) -> TabularBenchmark:
    """Load ``<data_dir>/tabular/<family>/<task>.parquet`` as a single-fidelity grid benchmark.

    The caller checks that ``task`` is a task of the family. ``cost_model`` must be the same
    object for every load of a task (it is part of the cache key).

    Raises:
        DataError: The file is missing, unreadable, not a complete grid, or differs from the
            manifest's sha256 while verification is on (:mod:`hpobench.data.datadir`).
    """
    what = f"{spec.family}/{task}"
    path, _ = verified_data_file(data_dir, f"tabular/{spec.family}/{task}.parquet", what=what)
    stat = path.stat()
    return _load(spec, task, cost_model, path, stat.st_size, stat.st_mtime_ns)


@task_cache(maxsize=16)
def _load(
    spec: GridSpec, task: str, cost_model: CostModel, path: Path, size: int, mtime_ns: int
) -> TabularBenchmark:
    what = f"{spec.family}/{task}"
    try:
        arrow = pq.read_table(path, columns=[*spec.grid, SEED_COLUMN, spec.metric])
    except (pa.ArrowException, OSError, ValueError, KeyError) as exc:
        raise DataError(f"{what}: cannot read Parquet file {str(path)!r}: {exc}") from exc
    args: dict[str, Any] = {
        "grid": spec.grid,
        "metrics": [spec.metric],
        "seed_column": SEED_COLUMN,
        "n_seeds": spec.n_seeds,
        "what": f"{what} ({path})",
    }
    runs = None
    if spec.ragged:
        dense, runs = dense_from_arrow_ragged(arrow, **args)
    else:
        dense = dense_from_arrow(arrow, **args)
    dense.flags.writeable = False
    return TabularBenchmark(
        name=what,
        grid=spec.grid,
        table=dense,
        metrics=(spec.metric,),
        objectives=(Objective(name=spec.metric, direction=spec.direction),),
        cost_model=cost_model,
        tags=spec.tags,
        data_files={str(path): file_sha256(path)},
        runs=runs,
        stored=stored_optimum(what),
    )
