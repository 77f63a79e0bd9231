"""Loader for the upstream FCNet per-epoch HDF5 files (Klein & Hutter 2019).

The published archive ``fcnet_tabular_benchmarks.tar.gz`` holds one file per dataset,
``fcnet_<dataset>_data.hdf5`` (protein_structure, slice_localization, naval_propulsion,
parkinsons_telemonitoring). Layout, as read by the authors' ``FCNetBenchmark``: one HDF5 group
per configuration, named ``json.dumps(config, sort_keys=True)``, holding datasets of shape
``(4, 100)`` (seed x epoch) ``train_loss``, ``train_mse``, ``valid_loss``, ``valid_mse`` and of
shape ``(4,)`` ``final_test_error``, ``n_params``, ``runtime`` (seconds for 100 epochs).

The benchmark is multi-fidelity (``epoch`` 1..100); the objective is ``valid_mse``
(minimise), ``train_mse`` is an extra, and ``final_test_error`` is an extra at every epoch (it
is recorded only for the full run). Cost is the *recorded* runtime: ``runtime / 100 · epoch``,
as in the authors' code.

h5py is an optional dependency (``pip install "hpobench[hdf5]"``), imported when a file is read.
Users download the files themselves (``hpobench data fetch fcnet_hdf5``) and load them with
:func:`load_fcnet_hdf5` or the (unregistered) :data:`FAMILY`, whose data directory layout is
``<data_dir>/fcnet_tabular_benchmarks/fcnet_<task>_data.hdf5``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import BenchmarkFamily, TaskInfo
from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.contracts.types import Direction, Fidelity, Objective
from hpobench.data.datadir import file_sha256
from hpobench.data.datasets import verified_data_file
from hpobench.surrogates.fcnet import DATASETS, GRID
from hpobench.surrogates.tabular import TabularBenchmark

__all__ = ["FAMILY", "FCNetHDF5Family", "load_fcnet_hdf5"]

EPOCHS = 100
N_SEEDS = 4
METRICS = ("valid_mse", "train_mse", "final_test_error")
TAGS = frozenset({"tabular", "fcnet", "learning-curves"})
FOLDER = "fcnet_tabular_benchmarks"


def _import_h5py() -> Any:
    try:
        import h5py  # untyped: see the mypy override for h5py.* in pyproject.toml
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DataError('reading FCNet HDF5 files needs h5py: pip install "hpobench[hdf5]"') from exc
    return h5py


def load_fcnet_hdf5(
    path: Path, *, name: str, grid: Mapping[str, tuple[Any, ...]] = GRID, epochs: int = EPOCHS
) -> TabularBenchmark:
    """Read one upstream ``fcnet_*_data.hdf5`` file into a multi-fidelity grid benchmark.

    Args:
        path: The HDF5 file.
        name: Task name, ``"family/task"``.
        grid: The grid the file covers (the full FCNet grid by default; a sub-grid for files
            that hold only part of it). Every grid point must be a group of the file.
        epochs: Number of recorded epochs per curve.

    Raises:
        DataError: h5py is missing, the file cannot be read, or a configuration or dataset is
            missing or has the wrong shape.
    """
    h5py = _import_h5py()
    names = list(grid)
    sizes = [len(v) for v in grid.values()]
    n = int(np.prod(sizes))
    table = np.empty((n, N_SEEDS, epochs, len(METRICS)))
    runtime = np.empty((n, N_SEEDS))
    digits = np.unravel_index(np.arange(n), sizes)
    try:
        with h5py.File(path, "r") as fh:
            for c in range(n):
                config = {hp: grid[hp][int(d[c])] for hp, d in zip(names, digits, strict=True)}
                key = json.dumps(config, sort_keys=True)
                if key not in fh:
                    raise DataError(f"{name}: configuration {key} is missing from {str(path)!r}")
                group = fh[key]
                table[c, :, :, 0] = group["valid_mse"][()]
                table[c, :, :, 1] = group["train_mse"][()]
                table[c, :, :, 2] = np.asarray(group["final_test_error"][()])[:, None]
                runtime[c] = group["runtime"][()]
    except DataError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise DataError(
            f"{name}: cannot read FCNet HDF5 file {str(path)!r}: {type(exc).__name__}: {exc}"
        ) from exc
    table.flags.writeable = False
    epoch = np.arange(1, epochs + 1, dtype=float)
    return TabularBenchmark(
        name=name,
        grid=grid,
        table=table,
        metrics=METRICS,
        objectives=(Objective(name="valid_mse", direction=Direction.MINIMIZE),),
        fidelity=Fidelity(name="epoch", low=1, high=epochs, integer=True),
        fidelity_values=epoch.tolist(),
        cost=runtime[:, :, None] / epochs * epoch[None, None, :],
        tags=TAGS,
        data_files={str(path): file_sha256(path)},
    )


class FCNetHDF5Family(BenchmarkFamily):
    """FCNet with per-epoch curves from the upstream HDF5 files (not registered by default).

    Register it in your own package's ``hpobench.benchmarks`` entry points (or call
    :meth:`load`) once the files are in ``<data_dir>/fcnet_tabular_benchmarks/``.
    """

    name = "fcnet_hdf5"

    def tasks(self) -> tuple[TaskInfo, ...]:
        """The four datasets (static; reads no data)."""
        return tuple(
            TaskInfo(name=f"fcnet_hdf5/{t}", multi_fidelity=True, needs_data=True, tags=TAGS)
            for t in DATASETS
        )

    def load(self, task: str, *, data_dir: Path | None) -> TabularBenchmark:
        """Load ``<data_dir>/fcnet_tabular_benchmarks/fcnet_<task>_data.hdf5`` (read on every call)."""
        if task not in DATASETS:
            raise UnknownNameError("benchmark", f"fcnet_hdf5/{task}", [f"fcnet_hdf5/{t}" for t in DATASETS])
        path, _ = verified_data_file(data_dir, f"{FOLDER}/fcnet_{task}_data.hdf5", what=f"fcnet_hdf5/{task}")
        return load_fcnet_hdf5(path, name=f"fcnet_hdf5/{task}")


FAMILY = FCNetHDF5Family()
"""The family object (unregistered: the files are not part of the shared data)."""
