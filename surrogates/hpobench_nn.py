"""HPOBench tabular "nn" benchmarks (Eggensperger et al. 2021): an sklearn MLP on 8 OpenML tasks.

From "HPOBench: A Collection of Reproducible Multi-Fidelity Benchmark Problems for HPO": every
one of the 30,000 configurations of a 5-dimensional grid (depth, width, batch size, initial
learning rate, L2 penalty ``alpha``) was trained with 5 seeds. The objective is the validation
balanced accuracy at the maximal budget (243 iterations; maximise). The data holds final values
only, so the tasks have no fidelity.

Data: ``<data_dir>/tabular/hpobench_nn/<task>.parquet``, one row per (configuration, seed) with
the five hyperparameter columns, ``seed`` (0..4) and ``valid_balanced_accuracy``.

Cost model (the data has no runtimes), in simulated seconds::

    cost = 243 epochs · ceil(n_train / batch_size) steps · (0.2 ms + batch_size · 6 · n_params / 1e10)

with ``n_params = d_in·width + (depth - 1)·width² + width·n_classes`` (weights; biases ignored),
a fixed per-step overhead plus forward and backward passes at an effective 10 GFLOP/s.
``n_train`` is 64 % of the dataset (HPOBench splits off test and validation sets); dataset sizes,
input dimensions (after one-hot encoding, approximate) and class counts are those of the OpenML
tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import BenchmarkFamily, TaskInfo
from hpobench.contracts.errors import UnknownNameError
from hpobench.contracts.types import Direction
from hpobench.surrogates._parquet import GridSpec, load_grid_table
from hpobench.surrogates.tabular import CostModel, TabularBenchmark

__all__ = ["FAMILY", "GRID", "SPEC", "HPOBenchNNFamily", "nn_cost"]

GRID: Mapping[str, tuple[Any, ...]] = {
    "alpha": (
        1e-08, 7.742637e-08, 5.994842e-07, 4.641589e-06, 3.5938137e-05,
        0.00027825593, 0.0021544348, 0.016681006, 0.12915497, 1.0,
    ),
    "batch_size": (4, 6, 10, 16, 25, 40, 64, 101, 161, 256),
    "depth": (1, 2, 3),
    "learning_rate_init": (
        1e-05, 3.5938137e-05, 0.00012915497, 0.0004641589, 0.0016681006,
        0.0059948424, 0.021544347, 0.07742637, 0.27825594, 1.0,
    ),
    "width": (16, 25, 40, 64, 101, 161, 256, 406, 645, 1024),
}  # fmt: skip
"""The HPOBench "nn" grid, in index order (30,000 configurations)."""

TAGS = frozenset({"tabular", "hpobench_nn"})
SPEC = GridSpec(
    family="hpobench_nn",
    grid=GRID,
    metric="valid_balanced_accuracy",
    direction=Direction.MAXIMIZE,
    n_seeds=5,
    tags=TAGS,
)
EPOCHS = 243


@dataclass(frozen=True, kw_only=True)
class _Dataset:
    """Size of one OpenML dataset, for the cost model."""

    n_samples: int
    n_features: int
    n_classes: int


DATASETS: Mapping[str, _Dataset] = {
    "australian": _Dataset(n_samples=690, n_features=38, n_classes=2),
    "blood_transfusion": _Dataset(n_samples=748, n_features=4, n_classes=2),
    "car": _Dataset(n_samples=1_728, n_features=21, n_classes=4),
    "credit_g": _Dataset(n_samples=1_000, n_features=61, n_classes=2),
    "kc1": _Dataset(n_samples=2_109, n_features=21, n_classes=2),
    "phoneme": _Dataset(n_samples=5_404, n_features=5, n_classes=2),
    "segment": _Dataset(n_samples=2_310, n_features=19, n_classes=7),
    "vehicle": _Dataset(n_samples=846, n_features=18, n_classes=4),
}


def nn_cost(dataset: str) -> CostModel:
    """Return the cost model of ``dataset`` (see the module docstring for the formula)."""
    data = DATASETS[dataset]
    n_train = round(0.64 * data.n_samples)

    def cost(columns: Mapping[str, np.ndarray], fidelities: np.ndarray) -> np.ndarray:
        batch = columns["batch_size"].astype(float)
        width = columns["width"].astype(float)
        depth = columns["depth"].astype(float)
        params = data.n_features * width + (depth - 1) * width**2 + width * data.n_classes
        steps = EPOCHS * np.ceil(n_train / batch)
        return np.asarray(steps * (2e-4 + batch * 6.0 * params / 1e10))[:, None]

    return cost


_COSTS = {task: nn_cost(task) for task in DATASETS}


class HPOBenchNNFamily(BenchmarkFamily):
    """The ``hpobench_nn`` family: eight single-fidelity tasks over the same 30,000-point grid."""

    name = "hpobench_nn"

    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe the eight tasks (static; reads no data)."""
        return tuple(
            TaskInfo(name=f"hpobench_nn/{t}", multi_fidelity=False, needs_data=True, tags=TAGS)
            for t in DATASETS
        )

    def load(self, task: str, *, data_dir: Path | None) -> TabularBenchmark:
        """Load ``task`` from ``<data_dir>/tabular/hpobench_nn/<task>.parquet``.

        Raises:
            UnknownNameError: No such task.
            DataError: The file is missing, unreadable, or not a complete grid.
        """
        if task not in DATASETS:
            raise UnknownNameError("benchmark", f"hpobench_nn/{task}", [f"hpobench_nn/{t}" for t in DATASETS])
        return load_grid_table(SPEC, task, data_dir=data_dir, cost_model=_COSTS[task])


FAMILY = HPOBenchNNFamily()
"""The entry point registered as ``hpobench_nn`` in ``hpobench.benchmarks``."""
