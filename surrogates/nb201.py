"""NAS-Bench-201 topology space (Dong & Yang 2020) on CIFAR-10, CIFAR-100 and ImageNet16-120.

A cell is 6 edges, each one of 5 operations (15,625 architectures); each was trained for 200
epochs with 2 or 3 seeds. The objective is the validation accuracy in percent after 200 epochs
(maximise). The data holds final values only, so the tasks have no fidelity.

Data: ``<data_dir>/tabular/nb201/<task>.parquet``, one row per (architecture, seed) with columns
``Op0`` .. ``Op5``, ``seed`` and ``valid_accuracy``. Architectures with only 2 recorded runs answer
``seed % 3 == 2`` with a copy of run ``seed % 2`` (see
:func:`~hpobench.surrogates.tabular.dense_from_arrow_ragged`); reference values average the
recorded runs only.

Cost model (this copy of the data has no runtimes), in simulated seconds::

    cost = 200 epochs · scale · (8 s + 3 s · n_conv3x3 + 1 s · n_conv1x1 + 0.5 s · n_pool)

a per-epoch base cost plus the cost of each operation, roughly proportional to its FLOPs on a
single GPU, with ``scale`` = 1 for CIFAR-10/100 and 0.5 for ImageNet16-120 (smaller images).
It ranks architectures as the recorded NAS-Bench-201 training times do (more and larger
convolutions cost more) and spans about 0.2 to 1.4 GPU-hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import BenchmarkFamily, TaskInfo
from hpobench.contracts.errors import UnknownNameError
from hpobench.contracts.types import Direction
from hpobench.surrogates._parquet import GridSpec, load_grid_table
from hpobench.surrogates.tabular import CostModel, TabularBenchmark

__all__ = ["FAMILY", "GRID", "OPERATIONS", "SPEC", "NB201Family", "nb201_cost"]

OPERATIONS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
GRID: Mapping[str, tuple[Any, ...]] = {f"Op{i}": OPERATIONS for i in range(6)}
"""The NAS-Bench-201 cell space, in index order (15,625 architectures)."""

TAGS = frozenset({"tabular", "nb201", "nas"})
SPEC = GridSpec(
    family="nb201",
    grid=GRID,
    metric="valid_accuracy",
    direction=Direction.MAXIMIZE,
    n_seeds=3,
    ragged=True,
    tags=TAGS,
)
EPOCHS = 200
_SCALE: Mapping[str, float] = {"cifar10": 1.0, "cifar100": 1.0, "imagenet": 0.5}
_OP_SECONDS = {
    "none": 0.0,
    "skip_connect": 0.0,
    "nor_conv_1x1": 1.0,
    "nor_conv_3x3": 3.0,
    "avg_pool_3x3": 0.5,
}


def nb201_cost(dataset: str) -> CostModel:
    """Return the cost model of ``dataset`` (see the module docstring for the formula)."""
    scale = _SCALE[dataset]

    def cost(columns: Mapping[str, np.ndarray], fidelities: np.ndarray) -> np.ndarray:
        per_epoch = np.full(len(columns["Op0"]), 8.0)
        for hp in GRID:
            ops = columns[hp]
            for op, seconds in _OP_SECONDS.items():
                per_epoch += seconds * (ops == op)
        return np.asarray(EPOCHS * scale * per_epoch)[:, None]

    return cost


_COSTS = {task: nb201_cost(task) for task in _SCALE}


class NB201Family(BenchmarkFamily):
    """The ``nb201`` family: three single-fidelity tasks over the 15,625 cells."""

    name = "nb201"

    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe the three tasks (static; reads no data)."""
        return tuple(
            TaskInfo(name=f"nb201/{t}", multi_fidelity=False, needs_data=True, tags=TAGS) for t in _SCALE
        )

    def load(self, task: str, *, data_dir: Path | None) -> TabularBenchmark:
        """Load ``task`` from ``<data_dir>/tabular/nb201/<task>.parquet``.

        Raises:
            UnknownNameError: No such task.
            DataError: The file is missing, unreadable, or a configuration's runs have gaps.
        """
        if task not in _SCALE:
            raise UnknownNameError("benchmark", f"nb201/{task}", [f"nb201/{t}" for t in _SCALE])
        return load_grid_table(SPEC, task, data_dir=data_dir, cost_model=_COSTS[task])


FAMILY = NB201Family()
"""The entry point registered as ``nb201`` in ``hpobench.benchmarks``."""
