"""FCNet tabular benchmarks of Klein & Hutter (2019).

From "Tabular Benchmarks for Joint Architecture and Hyperparameter Optimization": a 2-layer MLP
trained for 100 epochs on four UCI regression datasets; every one of the 62,208 configurations
of a 9-dimensional grid was trained with 4 seeds. The objective is the final validation MSE
(minimise). The data has final values only, so the tasks have no fidelity.

Data: ``<data_dir>/tabular/fcnet/<task>.parquet``, one row per (configuration, seed) with the nine
hyperparameter columns, ``seed`` (0..3) and ``valid_mse``. Tables are read with pyarrow, checked
to be a complete grid and cached per process (keyed on the resolved path, size and mtime), so
repeated loads in one worker are free. Every load first checks the file against the manifest's
sha256 (hashed once per process, see :mod:`hpobench.data.datadir`).

Cost model (the data has no runtimes), in simulated seconds::

    cost = 100 epochs · ceil(n_train / batch_size) steps · (1 ms + batch_size · 6 · n_params / 1e10)

with ``n_params = d_in·n_units_1 + n_units_1·n_units_2 + n_units_2 + n_units_1 + n_units_2 + 1``
(weights and biases): a fixed per-step overhead plus forward and backward passes (6 FLOPs per
parameter and sample) at an effective 10 GFLOP/s. ``n_train`` is 60 % of the dataset
(Klein & Hutter split each dataset 60/20/20 into train/valid/test); the dataset sizes and input
dimensions are those of the UCI datasets: protein structure 45,730 x 9, slice localization
53,500 x 384, naval propulsion 11,934 x 16, parkinsons telemonitoring 5,875 x 20 (approximate
where the preprocessing is not documented). Costs range from about 10 s to 1,500 s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hpobench.contracts.benchmark import BenchmarkFamily, TaskInfo
from hpobench.contracts.caching import task_cache
from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.contracts.types import Direction, Objective
from hpobench.data.datadir import file_sha256
from hpobench.data.datasets import verified_data_file
from hpobench.surrogates.optima import stored_optimum
from hpobench.surrogates.tabular import CostModel, TabularBenchmark, dense_from_arrow

__all__ = ["FAMILY", "GRID", "FCNetFamily", "fcnet_cost", "fcnet_n_params"]

GRID: Mapping[str, tuple[Any, ...]] = {
    "activation_fn_1": ("relu", "tanh"),
    "activation_fn_2": ("relu", "tanh"),
    "batch_size": (8, 16, 32, 64),
    "dropout_1": (0.0, 0.3, 0.6),
    "dropout_2": (0.0, 0.3, 0.6),
    "init_lr": (0.0005, 0.001, 0.005, 0.01, 0.05, 0.1),
    "lr_schedule": ("cosine", "const"),
    "n_units_1": (16, 32, 64, 128, 256, 512),
    "n_units_2": (16, 32, 64, 128, 256, 512),
}
"""The FCNet grid, in index order (62,208 configurations)."""

METRIC = "valid_mse"
SEED_COLUMN = "seed"
N_SEEDS = 4
EPOCHS = 100
TAGS = frozenset({"tabular", "fcnet"})


@dataclass(frozen=True, kw_only=True)
class _Dataset:
    """Size of one UCI dataset, for the cost model.

    Attributes:
        n_samples: Rows of the whole dataset.
        n_features: Input dimension of the MLP.
    """

    n_samples: int
    n_features: int

    @property
    def n_train(self) -> int:
        return round(0.6 * self.n_samples)


DATASETS: Mapping[str, _Dataset] = {
    "naval_propulsion": _Dataset(n_samples=11_934, n_features=16),
    "parkinsons_telemonitoring": _Dataset(n_samples=5_875, n_features=20),
    "protein_structure": _Dataset(n_samples=45_730, n_features=9),
    "slice_localization": _Dataset(n_samples=53_500, n_features=384),
}


def fcnet_cost(dataset: str) -> CostModel:
    """Return the cost model of ``dataset`` (see :data:`hpobench.surrogates.tabular.CostModel`).

    See the module docstring for the formula; the fidelity argument is ignored (full runs only).
    """
    data = DATASETS[dataset]

    def cost(columns: Mapping[str, np.ndarray], fidelities: np.ndarray) -> np.ndarray:
        batch = columns["batch_size"].astype(float)
        params = fcnet_n_params(dataset, columns)
        steps = EPOCHS * np.ceil(data.n_train / batch)
        return np.asarray(steps * (1e-3 + batch * 6.0 * params / 1e10))[:, None]

    return cost


def fcnet_n_params(dataset: str, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Weights and biases of the MLP of each configuration on ``dataset`` (see the module docstring).

    Args:
        dataset: An FCNet task name (it sets the input dimension).
        columns: ``n_units_1`` and ``n_units_2`` arrays (e.g. ``TabularBenchmark.grid_columns()``).
    """
    n1 = columns["n_units_1"].astype(float)
    n2 = columns["n_units_2"].astype(float)
    return np.asarray(DATASETS[dataset].n_features * n1 + n1 * n2 + n2 + n1 + n2 + 1)


@task_cache(maxsize=8)
def _load(task: str, path: Path, size: int, mtime_ns: int) -> TabularBenchmark:
    """Read, check and densify one Parquet file; cached on (task, resolved path, size, mtime).

    The benchmark is read-only, so the cached instance is shared by every load in this process.
    """
    what = f"fcnet/{task}"
    try:
        arrow = pq.read_table(path, columns=[*GRID, SEED_COLUMN, METRIC])
    except (pa.ArrowException, OSError, ValueError, KeyError) as exc:
        raise DataError(f"{what}: cannot read Parquet file {str(path)!r}: {exc}") from exc
    dense = dense_from_arrow(
        arrow, grid=GRID, metrics=[METRIC], seed_column=SEED_COLUMN, n_seeds=N_SEEDS, what=f"{what} ({path})"
    )
    dense.flags.writeable = False
    return TabularBenchmark(
        name=what,
        grid=GRID,
        table=dense,
        metrics=(METRIC,),
        objectives=(Objective(name=METRIC, direction=Direction.MINIMIZE),),
        cost_model=fcnet_cost(task),
        tags=TAGS,
        data_files={str(path): file_sha256(path)},
        stored=stored_optimum(what),
    )


class FCNetFamily(BenchmarkFamily):
    """The ``fcnet`` family: four single-fidelity tabular tasks over the same 62,208-point grid."""

    name = "fcnet"

    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe the four tasks (static; reads no data)."""
        return tuple(
            TaskInfo(name=f"fcnet/{t}", multi_fidelity=False, needs_data=True, tags=TAGS) for t in DATASETS
        )

    def load(self, task: str, *, data_dir: Path | None) -> TabularBenchmark:
        """Load ``task`` from ``<data_dir>/tabular/fcnet/<task>.parquet``.

        Raises:
            UnknownNameError: No such FCNet task.
            DataError: The file is missing, unreadable, not a complete grid, or differs from the
                manifest's sha256 while verification is on (:mod:`hpobench.data.datadir`).
        """
        if task not in DATASETS:
            raise UnknownNameError("benchmark", f"fcnet/{task}", [f"fcnet/{t}" for t in DATASETS])
        path, _ = verified_data_file(data_dir, f"tabular/fcnet/{task}.parquet", what=f"fcnet/{task}")
        stat = path.stat()
        return _load(task, path, stat.st_size, stat.st_mtime_ns)


FAMILY = FCNetFamily()
"""The entry point registered as ``fcnet`` in ``hpobench.benchmarks``."""
