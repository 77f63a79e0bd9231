"""The FCNet HDF5 and LCBench JSON loaders, on small files built in exactly the upstream layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hpobench.contracts.errors import DataError, InvalidConfigError
from hpobench.contracts.types import Status, Trial
from hpobench.surrogates import fcnet_hdf5, lcbench
from hpobench.testing.benchmarks import check_benchmark

h5py = pytest.importorskip("h5py")

SUBGRID: dict[str, tuple[Any, ...]] = {
    "activation_fn_1": ("relu", "tanh"),
    "activation_fn_2": ("relu",),
    "batch_size": (8, 64),
    "dropout_1": (0.0,),
    "dropout_2": (0.3,),
    "init_lr": (0.0005, 0.1),
    "lr_schedule": ("cosine",),
    "n_units_1": (16,),
    "n_units_2": (512,),
}


def _write_fcnet(
    path: Path, rng: np.random.Generator, *, skip: int | None = None
) -> dict[str, dict[str, Any]]:
    """Write an ``fcnet_*_data.hdf5`` file as Klein & Hutter publish it (one group per config)."""
    written: dict[str, dict[str, Any]] = {}
    names = list(SUBGRID)
    with h5py.File(path, "w") as fh:
        for i, values in enumerate(
            np.array(np.meshgrid(*SUBGRID.values(), indexing="ij"), dtype=object).reshape(len(names), -1).T
        ):
            if i == skip:
                continue
            config = {n: (v.item() if hasattr(v, "item") else v) for n, v in zip(names, values, strict=True)}
            key = json.dumps(config, sort_keys=True)
            group = fh.create_group(key)
            data = {
                "valid_mse": rng.uniform(0.1, 1.0, (4, 100)),
                "train_mse": rng.uniform(0.1, 1.0, (4, 100)),
                "valid_loss": rng.uniform(0.1, 1.0, (4, 100)),
                "train_loss": rng.uniform(0.1, 1.0, (4, 100)),
                "final_test_error": rng.uniform(0.1, 1.0, 4),
                "n_params": np.full(4, 1234.0),
                "runtime": rng.uniform(100.0, 200.0, 4),
            }
            for name, array in data.items():
                group.create_dataset(name, data=array)
            written[key] = data
    return written


def test_fcnet_hdf5_loader(tmp_path: Path) -> None:
    path = tmp_path / "fcnet_tabular_benchmarks" / "fcnet_protein_structure_data.hdf5"
    path.parent.mkdir()
    written = _write_fcnet(path, np.random.default_rng(0))
    bench = fcnet_hdf5.load_fcnet_hdf5(path, name="fcnet_hdf5/protein_structure", grid=SUBGRID)
    assert bench.task.candidates == 8
    assert bench.task.fidelity is not None
    assert bench.task.fidelity.high == 100
    check_benchmark(bench, n=4)
    for key, data in written.items():
        config = json.loads(key)
        for seed in range(4):
            for epoch in (1, 37, 100):
                ev = bench.evaluate([Trial(config=config, fidelity=epoch)], seed=seed)[0]
                assert ev.values["valid_mse"] == data["valid_mse"][seed, epoch - 1]
                assert ev.extras["train_mse"] == data["train_mse"][seed, epoch - 1]
                assert ev.extras["final_test_error"] == data["final_test_error"][seed]
                assert ev.cost == pytest.approx(data["runtime"][seed] / 100 * epoch)  # recorded runtime
    means = {k: d["valid_mse"][:, -1].mean() for k, d in written.items()}
    assert bench.optimum().best["valid_mse"] == pytest.approx(min(means.values()))
    assert bench.optimum_per_seed()[2].best["valid_mse"] == pytest.approx(
        min(d["valid_mse"][2, -1] for d in written.values())
    )


def test_fcnet_hdf5_family_and_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing"):
        fcnet_hdf5.FAMILY.load("protein_structure", data_dir=tmp_path)
    path = tmp_path / "partial.hdf5"
    _write_fcnet(path, np.random.default_rng(1), skip=3)
    with pytest.raises(DataError, match="is missing from"):
        fcnet_hdf5.load_fcnet_hdf5(path, name="fcnet_hdf5/x", grid=SUBGRID)
    path.write_bytes(b"not an hdf5 file")
    with pytest.raises(DataError, match="cannot read"):
        fcnet_hdf5.load_fcnet_hdf5(path, name="fcnet_hdf5/x", grid=SUBGRID)


def _lcbench_file(path: Path, rng: np.random.Generator, n: int = 12, points: int = 52) -> dict[str, Any]:
    """Write ``data_2k.json`` in LCBench's layout: dataset -> config id -> config/log/results."""
    data: dict[str, Any] = {}
    for dataset in ("Fashion-MNIST", "car"):
        runs = {}
        for i in range(n):
            config = {
                "batch_size": int(rng.integers(16, 512)),
                "learning_rate": float(np.exp(rng.uniform(np.log(1e-4), np.log(1e-1)))),
                "momentum": float(rng.uniform(0.1, 0.99)),
                "weight_decay": float(rng.uniform(1e-5, 0.1)),
                "num_layers": int(rng.integers(1, 6)),
                "max_units": int(rng.integers(64, 1024)),
                "max_dropout": float(rng.uniform(0.0, 1.0)),
                "activation": "relu",
                "optimizer": "sgd",
                "mlp_shape": "funnel",
            }
            log = {
                "epoch": list(range(1, points + 1)),
                "time": np.cumsum(rng.uniform(1.0, 2.0, points)).tolist(),
                "Train/loss": rng.uniform(0, 2, points).tolist(),
                "Train/val_accuracy": rng.uniform(10, 90, points).tolist(),
                "Train/val_balanced_accuracy": rng.uniform(0.1, 0.9, points).tolist(),
                "Train/val_cross_entropy": rng.uniform(0, 2, points).tolist(),
                "Train/test_result": rng.uniform(10, 90, points).tolist(),
                "Train/test_balanced_accuracy": rng.uniform(0.1, 0.9, points).tolist(),
                "Train/train_accuracy": rng.uniform(10, 90, points).tolist(),
            }
            runs[str(i)] = {
                "config": config,
                "log": log,
                "results": {"final_val_accuracy": log["Train/val_accuracy"][-1]},
            }
        data[dataset] = runs
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return data


def test_lcbench_loader(tmp_path: Path) -> None:
    path = tmp_path / "lcbench" / "data_2k.json"
    data = _lcbench_file(path, np.random.default_rng(0))
    bench = lcbench.FAMILY.load("Fashion-MNIST", data_dir=tmp_path)
    assert bench.task.candidates == 12
    assert bench.task.fidelity is not None
    assert bench.task.fidelity.high == 52
    check_benchmark(bench, n=6)
    runs = data["Fashion-MNIST"]
    for cid, run in runs.items():
        config = {h: float(run["config"][h]) for h in lcbench.HYPERPARAMETERS}
        assert bench.config_index([config]).tolist() == [int(cid)]
        ev = bench.evaluate([Trial(config=config, fidelity=7)], seed=0)[0]
        assert ev.status is Status.OK
        assert ev.values["valid_accuracy"] == run["log"]["Train/val_accuracy"][6]
        assert ev.extras["test_accuracy"] == run["log"]["Train/test_result"][6]
        assert ev.cost == run["log"]["time"][6]  # recorded runtime
    final = [r["log"]["Train/val_accuracy"][-1] for r in runs.values()]
    assert bench.optimum().best["valid_accuracy"] == max(final)
    assert bench.optimum().worst["valid_accuracy"] == sorted(final, reverse=True)[(len(final) - 1) // 2]
    with pytest.raises(InvalidConfigError):
        bench.evaluate([Trial(config={**config, "momentum": 5.0})], seed=0)


def test_lcbench_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing"):
        lcbench.FAMILY.load("car", data_dir=tmp_path)
    path = tmp_path / "lcbench" / "data_2k.json"
    _lcbench_file(path, np.random.default_rng(1), n=3)
    with pytest.raises(DataError, match="dataset missing"):
        lcbench.FAMILY.load("adult", data_dir=tmp_path)
    broken = json.loads(path.read_text())
    del broken["car"]["1"]["log"]["time"]
    path.write_text(json.dumps(broken))
    with pytest.raises(DataError, match="layout"):
        lcbench.load_lcbench(path, "car")
