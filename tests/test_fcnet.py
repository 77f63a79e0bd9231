from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.contracts.types import Status, Trial
from hpobench.data.datadir import data_verification
from hpobench.surrogates.fcnet import FAMILY, GRID
from hpobench.surrogates.optima import stored_optimum
from hpobench.surrogates.tabular import TabularBenchmark
from hpobench.testing.benchmarks import check_benchmark

pytestmark = pytest.mark.data

TASKS = ["naval_propulsion", "parkinsons_telemonitoring", "protein_structure", "slice_localization"]
RELATIVE = "tabular/fcnet/{}.parquet"


def _load(data_dir: Path, task: str) -> TabularBenchmark:
    return FAMILY.load(task, data_dir=data_dir)


def test_tasks_are_static() -> None:
    infos = FAMILY.tasks()
    assert [i.name for i in infos] == [f"fcnet/{t}" for t in TASKS]
    assert all(i.needs_data and not i.multi_fidelity for i in infos)
    assert all(i.tags == frozenset({"tabular", "fcnet"}) for i in infos)
    with pytest.raises(UnknownNameError, match="fcnet/nope"):
        FAMILY.load("nope", data_dir=None)


@pytest.mark.parametrize("task", TASKS)
def test_lookups_agree_with_parquet(data_dir: Path, task: str) -> None:
    bench = _load(data_dir, task)
    df = pq.read_table(data_dir / RELATIVE.format(task)).to_pandas()
    rows = df.sample(n=1000, random_state=np.random.RandomState(0))
    names = list(GRID)
    configs = [dict(zip(names, values, strict=True)) for values in rows[names].itertuples(index=False)]
    seeds = rows["seed"].to_numpy().astype(int)
    expected = rows["valid_mse"].to_numpy()
    singles = [bench.evaluate([Trial(config=c)], seed=int(s))[0] for c, s in zip(configs, seeds, strict=True)]
    np.testing.assert_array_equal([e.values["valid_mse"] for e in singles], expected)
    assert all(e.status is Status.OK for e in singles)
    # the raw API on the same pairs
    np.testing.assert_array_equal(bench.lookup(bench.config_index(configs), seeds, 0)[:, 0], expected)
    # a batch uses one seed for all its trials
    batch = bench.evaluate([Trial(config=c) for c in configs], seed=2)
    idx = bench.config_index(configs)
    np.testing.assert_array_equal([e.values["valid_mse"] for e in batch], bench.lookup(idx, 2, 0)[:, 0])


@pytest.mark.parametrize("task", TASKS)
def test_optimum_is_min_of_mean_over_seeds(data_dir: Path, task: str) -> None:
    bench = _load(data_dir, task)
    df = pq.read_table(data_dir / RELATIVE.format(task)).to_pandas()
    means = df.groupby(list(GRID), observed=True)["valid_mse"].mean()
    ref = bench.optimum()
    assert ref.best["valid_mse"] == pytest.approx(means.min(), rel=1e-12)
    # worst: the median configuration (no FCNet mean is non-finite), not the divergent maximum
    assert ref.worst["valid_mse"] == pytest.approx(
        np.sort(means.to_numpy())[(len(means) - 1) // 2], rel=1e-12
    )
    assert stored_optimum(f"fcnet/{task}").worst_observed == pytest.approx(means.max(), rel=1e-12)
    assert ref.source.startswith("stored")
    best_config = dict(zip(GRID, means.idxmin(), strict=True))
    assert bench.reference_values([best_config])[0, 0] == pytest.approx(ref.best["valid_mse"], rel=1e-12)
    assert bench.task.candidates == 62_208
    assert bench.n_seeds == 4


@pytest.mark.parametrize("task", TASKS)
def test_check_benchmark(data_dir: Path, task: str) -> None:
    check_benchmark(_load(data_dir, task))


def test_loads_are_cached_and_provenance(data_dir: Path) -> None:
    a = _load(data_dir, "naval_propulsion")
    assert _load(data_dir, "naval_propulsion") is a
    files = a.data_files()
    [(path, digest)] = files.items()
    assert path.endswith("naval_propulsion.parquet")
    assert len(digest) == 64


def test_cost_model(data_dir: Path) -> None:
    bench = _load(data_dir, "protein_structure")
    base = {"activation_fn_1": "relu", "activation_fn_2": "relu", "dropout_1": 0.0, "dropout_2": 0.0}
    base |= {"init_lr": 0.001, "lr_schedule": "cosine"}

    def cost(batch: int, n1: int, n2: int) -> float:
        config = {**base, "batch_size": batch, "n_units_1": n1, "n_units_2": n2}
        return bench.evaluate([Trial(config=config)], seed=0)[0].cost

    assert cost(8, 16, 16) > cost(64, 16, 16)  # more steps
    assert cost(64, 512, 512) > cost(64, 16, 16)  # more parameters
    assert 1.0 < cost(64, 16, 16) < cost(8, 512, 512) < 5_000.0


def _layout(tmp_path: Path) -> Path:
    (tmp_path / "tabular" / "fcnet").mkdir(parents=True)
    return tmp_path


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing"):
        FAMILY.load("naval_propulsion", data_dir=_layout(tmp_path))
    with pytest.raises(DataError, match="--data-dir"):
        FAMILY.load("naval_propulsion", data_dir=None)


def test_corrupt_file(tmp_path: Path) -> None:
    root = _layout(tmp_path)
    (root / RELATIVE.format("naval_propulsion")).write_bytes(b"PAR1 this is not a parquet file" * 10)
    with pytest.raises(DataError, match="does not match its pinned sha256"):
        FAMILY.load("naval_propulsion", data_dir=root)
    with data_verification(enabled=False), pytest.raises(DataError, match="cannot read"):
        FAMILY.load("naval_propulsion", data_dir=root)


def test_incomplete_table(data_dir: Path, tmp_path: Path) -> None:
    root = _layout(tmp_path)
    table = pq.read_table(data_dir / RELATIVE.format("parkinsons_telemonitoring"))
    pq.write_table(table.slice(0, table.num_rows - 3), root / RELATIVE.format("parkinsons_telemonitoring"))
    with (
        data_verification(enabled=False),
        pytest.raises(DataError, match=r"not a complete grid.*3 cells missing"),
    ):
        FAMILY.load("parkinsons_telemonitoring", data_dir=root)


def test_missing_column(data_dir: Path, tmp_path: Path) -> None:
    root = _layout(tmp_path)
    table = pq.read_table(data_dir / RELATIVE.format("naval_propulsion"))
    pq.write_table(table.drop_columns(["valid_mse"]), root / RELATIVE.format("naval_propulsion"))
    with data_verification(enabled=False), pytest.raises(DataError, match="valid_mse"):
        FAMILY.load("naval_propulsion", data_dir=root)


def test_changed_file_is_reread(data_dir: Path, tmp_path: Path) -> None:
    root = _layout(tmp_path)
    target = root / RELATIVE.format("naval_propulsion")
    shutil.copyfile(data_dir / RELATIVE.format("naval_propulsion"), target)
    assert _load(root, "naval_propulsion").task.candidates == 62_208
    target.write_bytes(b"garbage")
    with pytest.raises(DataError):
        _load(root, "naval_propulsion")
