"""Loader for LCBench (Zimmer, Lindauer & Hutter 2021) from its upstream ``data_2k.json``.

LCBench trained 2,000 configurations of funnel-shaped MLPs (Auto-PyTorch) for 50 epochs on each
of 35 OpenML datasets. Upstream layout of ``data_2k.json`` (as read by LCBench's ``api.py``)::

    {dataset: {config_id: {"config": {hp: value, ...},
                           "log": {"epoch": [...], "time": [...], "Train/val_accuracy": [...],
                                   "Train/val_balanced_accuracy": [...],
                                   "Train/val_cross_entropy": [...], "Train/test_result": [...],
                                   "Train/loss": [...], ...},
                           "results": {...}}}}

Every ``log`` entry is a list with one value per recorded epoch (the same length for all
configurations). The task is a candidate set
(:class:`~hpobench.surrogates.candidates.CandidateBenchmark`, with its documented snapping rule)
over the seven searched hyperparameters ``batch_size``, ``learning_rate``, ``momentum``,
``weight_decay``, ``num_layers``, ``max_units``, ``max_dropout`` (``batch_size``,
``learning_rate`` and ``max_units`` log-scaled; the values are kept as floats). Fidelity:
``epoch`` = index of the recorded point, ``1 .. n_points``. Objective: ``Train/val_accuracy``
(percent, maximise), named ``valid_accuracy``; extras: validation balanced accuracy, validation
cross-entropy, test accuracy and training loss. Cost: the recorded ``time`` column (cumulative
seconds at each point), so evaluations are charged the runtime LCBench measured.

Users download ``data_2k.json`` themselves (``hpobench data fetch lcbench``), into
``<data_dir>/lcbench/data_2k.json``. The file is large (the whole JSON is parsed once per
process and cached).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import BenchmarkFamily, TaskInfo
from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.contracts.types import Direction, Fidelity, Objective
from hpobench.data.datadir import file_sha256
from hpobench.data.datasets import verified_data_file
from hpobench.surrogates.candidates import CandidateBenchmark

__all__ = ["DATASETS", "FAMILY", "HYPERPARAMETERS", "LCBenchFamily", "load_lcbench"]

HYPERPARAMETERS = (
    "batch_size",
    "learning_rate",
    "momentum",
    "weight_decay",
    "num_layers",
    "max_units",
    "max_dropout",
)
LOG = frozenset({"batch_size", "learning_rate", "max_units"})
LOG_TAGS = {
    "valid_accuracy": "Train/val_accuracy",
    "valid_balanced_accuracy": "Train/val_balanced_accuracy",
    "valid_cross_entropy": "Train/val_cross_entropy",
    "test_accuracy": "Train/test_result",
    "train_loss": "Train/loss",
}
METRICS = tuple(LOG_TAGS)
TAGS = frozenset({"tabular", "lcbench", "learning-curves", "candidate-set"})
RELATIVE = "lcbench/data_2k.json"
DATASETS = (
    "APSFailure", "Amazon_employee_access", "Australian", "Fashion-MNIST", "KDDCup09_appetency",
    "MiniBooNE", "adult", "airlines", "albert", "bank-marketing", "blood-transfusion-service-center",
    "car", "christine", "cnae-9", "connect-4", "covertype", "credit-g", "dionis", "fabert", "helena",
    "higgs", "jannis", "jasmine", "jungle_chess_2pcs_raw_endgame_complete", "kc1", "kr-vs-kp",
    "mfeat-factors", "nomao", "numerai28.6", "phoneme", "segment", "shuttle", "sylvine", "vehicle",
    "volkert",
)  # fmt: skip
"""The 35 OpenML datasets of LCBench."""


@lru_cache(maxsize=2)
def _read(path: Path, size: int, mtime_ns: int) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise DataError(f"lcbench: cannot read JSON {str(path)!r}: {exc}") from exc
    if not isinstance(data, dict):
        raise DataError(f"lcbench: {str(path)!r} is not the data_2k.json layout (expected an object)")
    return data


def load_lcbench(path: Path, dataset: str) -> CandidateBenchmark:
    """Read one dataset of an upstream ``data_2k.json`` into a multi-fidelity candidate-set benchmark.

    Raises:
        DataError: The file cannot be read, lacks the dataset, or is not the upstream layout.
    """
    stat = path.stat()
    data = _read(path.resolve(), stat.st_size, stat.st_mtime_ns)
    what = f"lcbench/{dataset} ({path})"
    if dataset not in data:
        raise DataError(f"{what}: dataset missing; the file has {sorted(data)[:10]}")
    runs = data[dataset]
    try:
        ids = sorted(runs, key=int)
        hps = np.array([[float(runs[i]["config"][h]) for h in HYPERPARAMETERS] for i in ids])
        curves = np.array([[runs[i]["log"][tag] for tag in LOG_TAGS.values()] for i in ids], dtype=float)
        time = np.array([runs[i]["log"]["time"] for i in ids], dtype=float)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{what}: not the data_2k.json layout ({type(exc).__name__}: {exc})") from exc
    if curves.ndim != 3 or time.shape != curves[:, 0].shape:
        raise DataError(f"{what}: every log entry must have the same number of points")
    n_points = curves.shape[2]
    table = np.ascontiguousarray(curves.transpose(0, 2, 1))[:, None]
    table.flags.writeable = False
    epochs = np.arange(1, n_points + 1, dtype=float)
    try:
        return CandidateBenchmark(
            name=f"lcbench/{dataset}",
            candidates={h: hps[:, j] for j, h in enumerate(HYPERPARAMETERS)},
            log=LOG,
            table=table,
            metrics=METRICS,
            objectives=(Objective(name="valid_accuracy", direction=Direction.MAXIMIZE),),
            fidelity=Fidelity(name="epoch", low=1, high=n_points, integer=True),
            fidelity_values=epochs.tolist(),
            cost=np.maximum(time, 0.0)[:, None, :],
            tags=TAGS,
            data_files={str(path): file_sha256(path)},
        )
    except ValueError as exc:
        raise DataError(f"{what}: {exc}") from exc


class LCBenchFamily(BenchmarkFamily):
    """LCBench from ``<data_dir>/lcbench/data_2k.json`` (not registered: the file is not shared here)."""

    name = "lcbench"

    def tasks(self) -> tuple[TaskInfo, ...]:
        """The 35 datasets (static; reads no data)."""
        return tuple(
            TaskInfo(name=f"lcbench/{d}", multi_fidelity=True, needs_data=True, tags=TAGS) for d in DATASETS
        )

    def load(self, task: str, *, data_dir: Path | None) -> CandidateBenchmark:
        """Load one dataset of ``<data_dir>/lcbench/data_2k.json``."""
        if task not in DATASETS:
            raise UnknownNameError("benchmark", f"lcbench/{task}", [f"lcbench/{d}" for d in DATASETS])
        path, _ = verified_data_file(data_dir, RELATIVE, what=f"lcbench/{task}")
        return load_lcbench(path, task)


FAMILY = LCBenchFamily()
"""The family object (unregistered: ``data_2k.json`` is not part of the shared data)."""
