from __future__ import annotations

import dataclasses
import math
import pickle
from collections.abc import Mapping

import ConfigSpace as CS
import numpy as np
import pyarrow as pa
import pytest

from hpobench.contracts.errors import DataError, InvalidConfigError, InvalidFidelityError, InvalidSeedError
from hpobench.contracts.types import Direction, Evaluation, Fidelity, Objective, Status, Trial
from hpobench.surrogates.tabular import TabularBenchmark, dense_from_arrow
from hpobench.testing.benchmarks import check_benchmark

GRID = {"act": ("relu", "tanh"), "batch": (8, 16, 32), "lr": (0.1, 0.5)}
N_CONFIGS, N_SEEDS, FIDS = 12, 3, (1.0, 3.0, 9.0)
FIDELITY = Fidelity(name="epoch", low=1, high=9, integer=True)


def _table() -> np.ndarray:
    # loss = config + 100 * seed + 1000 * fidelity index; acc = -loss
    c, s, f = np.meshgrid(np.arange(N_CONFIGS), np.arange(N_SEEDS), np.arange(len(FIDS)), indexing="ij")
    loss = (c + 100.0 * s + 1000.0 * f).astype(float)
    table = np.stack([loss, -loss], axis=-1)
    table[5, 1, 2, 0] = np.nan  # one failed run of config 5 at the maximal fidelity
    table[7, :, 2, 0] = np.inf  # every run of config 7 failed at the maximal fidelity
    return table


def _bench(**kwargs: object) -> TabularBenchmark:
    args: dict[str, object] = {
        "name": "toy/grid",
        "grid": GRID,
        "table": _table(),
        "metrics": ("loss", "acc"),
        "objectives": (Objective(name="loss", direction=Direction.MINIMIZE),),
        "fidelity": FIDELITY,
        "fidelity_values": FIDS,
        "cost": np.arange(len(FIDS), dtype=float) + 1.0,
        "tags": frozenset({"tabular"}),
    }
    args.update(kwargs)
    return TabularBenchmark(**args)  # type: ignore[arg-type]


def _cfg(act: object = "relu", batch: object = 8, lr: object = 0.1) -> dict[str, object]:
    return {"act": act, "batch": batch, "lr": lr}


def _loss(
    bench: TabularBenchmark, config: Mapping[str, object], seed: int = 0, fidelity: float | None = None
) -> float:
    return bench.evaluate([Trial(config=config, fidelity=fidelity)], seed=seed)[0].values["loss"]


def test_task_and_space() -> None:
    task = _bench().task
    assert task.candidates == N_CONFIGS
    assert task.fidelity == FIDELITY
    assert isinstance(task.space["act"], CS.CategoricalHyperparameter)
    assert isinstance(task.space["batch"], CS.OrdinalHyperparameter)
    assert isinstance(task.space["lr"], CS.OrdinalHyperparameter)
    assert tuple(task.space["batch"].sequence) == (8, 16, 32)


def test_mixed_radix_index_last_hyperparameter_fastest() -> None:
    bench = _bench()
    assert bench.config_index(
        [_cfg("relu", 8, 0.1), _cfg("relu", 8, 0.5), _cfg("relu", 16, 0.1)]
    ).tolist() == [0, 1, 2]
    assert bench.config_index([_cfg("tanh", 32, 0.5)]).tolist() == [11]
    for i in range(N_CONFIGS):
        assert bench.config_index([bench.config_at(i)]).tolist() == [i]
    columns = bench.grid_columns()
    assert columns["batch"].tolist() == [8, 8, 16, 16, 32, 32] * 2
    with pytest.raises(IndexError):
        bench.config_at(N_CONFIGS)


def test_numeric_values_match_across_types() -> None:
    bench = _bench()
    expected = _loss(bench, _cfg("tanh", 16, 0.5))
    assert expected == 2009.0
    for config in (
        _cfg("tanh", 16.0, 0.5),
        _cfg(np.str_("tanh"), np.int64(16), np.float64(0.5)),
        _cfg("tanh", np.float32(16), 0.5),
    ):
        assert _loss(bench, config) == expected
        batch = bench.evaluate([Trial(config=config), Trial(config=config)], seed=0)
        assert [e.values["loss"] for e in batch] == [expected, expected]
        large = bench.evaluate([Trial(config=config)] * 20, seed=0)  # the vectorised path
        assert [e.values["loss"] for e in large] == [expected] * 20
    bad = [Trial(config=_cfg("tanh", 16, 0.5))] * 19 + [Trial(config=_cfg("tanh", "16", 0.5))]
    with pytest.raises(InvalidConfigError):
        bench.evaluate(bad, seed=0)


def test_batch_evaluations_are_ordinary_values() -> None:
    bench = _bench()
    trials = [Trial(config=bench.config_at(i % N_CONFIGS), fidelity=FIDS[i % 3]) for i in range(30)]
    batch = bench.evaluate(trials, seed=1)
    for trial, ev in zip(trials, batch, strict=True):
        assert ev.trial is trial
        rebuilt = Evaluation(trial=trial, values=ev.values, cost=ev.cost, status=ev.status, extras=ev.extras)
        if ev.status is Status.OK:  # (NaN values of failed ones never compare equal)
            assert ev == rebuilt  # the fast constructor builds equal values
            assert pickle.loads(pickle.dumps(ev)) == ev
            assert bench.evaluate([trial], seed=1) == [ev]
        else:
            assert math.isnan(ev.values["loss"])
        with pytest.raises(TypeError):
            ev.values["loss"] = 0.0  # type: ignore[index]
        with pytest.raises(dataclasses.FrozenInstanceError):
            ev.cost = 0.0  # type: ignore[misc]


def test_seed_selects_repeated_run_modulo() -> None:
    bench = _bench()
    cfg = _cfg("relu", 8, 0.5)  # config 1
    assert [_loss(bench, cfg, seed=s, fidelity=1) for s in range(7)] == [
        1.0,
        101.0,
        201.0,
        1.0,
        101.0,
        201.0,
        1.0,
    ]
    with pytest.raises(InvalidSeedError, match="seed=-1"):  # seeds are non-negative integers
        _loss(bench, cfg, seed=-1, fidelity=1)


def test_fidelity() -> None:
    bench = _bench()
    cfg = _cfg("relu", 8, 0.5)
    assert _loss(bench, cfg, fidelity=1) == 1.0
    assert _loss(bench, cfg, fidelity=3.0) == 1001.0
    assert _loss(bench, cfg, fidelity=9) == _loss(bench, cfg) == 2001.0
    with pytest.raises(InvalidFidelityError, match="not on the grid"):
        bench.evaluate([Trial(config=cfg, fidelity=2)], seed=0)
    with pytest.raises(InvalidFidelityError, match="outside the range"):
        bench.evaluate([Trial(config=cfg), Trial(config=cfg, fidelity=10)], seed=0)
    with pytest.raises(InvalidFidelityError):
        bench.evaluate([Trial(config=cfg, fidelity=2.5)], seed=0)


def test_costs_from_array_and_model() -> None:
    bench = _bench()
    cfg = _cfg()
    assert [bench.evaluate([Trial(config=cfg, fidelity=f)], seed=0)[0].cost for f in FIDS] == [1.0, 2.0, 3.0]

    def model(columns: Mapping[str, np.ndarray], fidelities: np.ndarray) -> np.ndarray:
        return np.asarray(columns["batch"][:, None] * fidelities[None, :])

    modelled = _bench(cost=None, cost_model=model)
    assert modelled.evaluate([Trial(config=_cfg(batch=32), fidelity=3)], seed=2)[0].cost == 96.0
    np.testing.assert_array_equal(modelled.lookup_cost(np.array([4, 5]), 0, 2), [288.0, 288.0])
    with pytest.raises(ValueError, match="cost"):
        _bench(cost=None)
    with pytest.raises(ValueError, match="non-negative"):
        _bench(cost=-np.ones(3))


def test_non_finite_values_fail() -> None:
    bench = _bench()
    ev = bench.evaluate([Trial(config=bench.config_at(5))], seed=1)[0]
    assert ev.status is Status.FAILED
    assert math.isnan(ev.values["loss"])
    assert ev.extras["acc"] == -2105.0
    assert ev.cost == 3.0
    ok = bench.evaluate([Trial(config=bench.config_at(5))], seed=0)[0]
    assert ok.status is Status.OK
    assert ok.values["loss"] == 2005.0
    assert ok.extras == {"acc": -2005.0}
    batch = bench.evaluate([Trial(config=bench.config_at(i)) for i in (5, 7, 6)], seed=1)
    assert [e.status for e in batch] == [Status.FAILED, Status.FAILED, Status.OK]


def test_optimum_and_reference_values() -> None:
    bench = _bench()
    ref = bench.optimum()
    # means over the finite seeds at the maximal fidelity: config c -> 2000 + c + 100 (seeds 0..2),
    # config 5 -> mean(2005, 2205) = 2105, config 7 -> NaN (no finite run)
    # worst: the (lower) median configuration with config 7 counted as worst: the 6th of
    # 2100..2106, 2108..2111, inf is config 5's 2105 (the table's worst finite mean, 2111, is not used)
    assert ref.best == {"loss": 2100.0}
    assert ref.worst == {"loss": 2105.0}
    assert "mean over 3 seed(s)" in ref.source
    assert "median configuration" in ref.source
    assert bench.table_optimum() == ref  # no stored optimum: computed from the table
    assert bench.reference_means()[7, 0] != bench.reference_means()[7, 0]  # NaN: no finite run
    values = bench.reference_values([bench.config_at(i) for i in range(N_CONFIGS)])
    assert values.shape == (N_CONFIGS, 1)
    assert values[5, 0] == 2105.0
    assert math.isnan(values[7, 0])
    assert np.nanmin(values) == ref.best["loss"]
    assert bench.reference_values([]).shape == (0, 1)


def test_maximised_objective() -> None:
    bench = _bench(objectives=(Objective(name="acc", direction=Direction.MAXIMIZE),))
    ref = bench.optimum()
    assert ref.best == {"acc": -2100.0}
    assert ref.worst == {"acc": -2105.0}  # median of the 12 means -2100 .. -2111
    ev = bench.evaluate([Trial(config=bench.config_at(7))], seed=0)[0]
    assert ev.status is Status.OK  # the failing metric is only an extra now
    assert math.isnan(ev.extras["loss"])


def test_raw_lookup_and_batch_equals_singles() -> None:
    bench = _bench()
    idx = np.arange(N_CONFIGS)
    out = bench.lookup(idx, np.full(N_CONFIGS, 2), np.zeros(N_CONFIGS, dtype=int))
    assert out.shape == (N_CONFIGS, 2)
    np.testing.assert_array_equal(out[:, 0], idx + 200.0)
    trials = [Trial(config=bench.config_at(i), fidelity=FIDS[i % 3]) for i in range(N_CONFIGS)]
    batch = bench.evaluate(trials, seed=4)
    for trial, ev in zip(trials, batch, strict=True):
        single = bench.evaluate([trial], seed=4)[0]
        assert ev.trial is trial
        assert ev.status is single.status
        assert ev.cost == single.cost
        np.testing.assert_equal(dict(ev.values), dict(single.values))
    assert bench.evaluate([], seed=0) == []


def test_invalid_configs() -> None:
    bench = _bench()
    bad = [
        _cfg(batch=12),
        _cfg(act="sigmoid"),
        _cfg(lr=0.3),
        _cfg(batch=True),
        {"act": "relu", "batch": 8},
        {**_cfg(), "extra": 1},
        _cfg(batch=[8]),
    ]
    for config in bad:
        with pytest.raises(InvalidConfigError):
            bench.evaluate([Trial(config=config)], seed=0)
        with pytest.raises(InvalidConfigError):
            bench.evaluate([Trial(config=_cfg()), Trial(config=config)], seed=0)
        with pytest.raises(InvalidConfigError):
            bench.reference_values([config])


def test_single_fidelity_table() -> None:
    bench = _bench(table=_table()[:, :, -1:], fidelity=None, fidelity_values=None, cost=np.array(5.0))
    assert bench.task.fidelity is None
    assert bench.fidelity_values == (1.0,)
    assert _loss(bench, _cfg(), seed=1) == 2100.0
    with pytest.raises(InvalidFidelityError):
        bench.evaluate([Trial(config=_cfg(), fidelity=1.0)], seed=0)
    check_benchmark(bench)


def test_check_benchmark_passes() -> None:
    check_benchmark(_bench())
    check_benchmark(_bench(), seed=1, n=40)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"table": np.zeros((11, 3, 3, 2))}, "shape"),
        ({"metrics": ("loss",)}, "shape"),
        ({"objectives": (Objective(name="nope", direction=Direction.MINIMIZE),)}, "metrics"),
        ({"fidelity_values": (1.0, 3.0)}, "fidelity"),
        ({"fidelity_values": (1.0, 9.0, 3.0)}, "increase"),
        ({"fidelity": None}, "fidelity"),
        ({"grid": {**GRID, "batch": (8, 8.0, 16)}}, "duplicate"),
    ],
)
def test_inconsistent_construction(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _bench(**kwargs)


def _long_table(rng: np.random.Generator) -> pa.Table:
    cfgs = np.arange(N_CONFIGS)
    bench = _bench()
    columns = bench.grid_columns()
    rows = {k: np.repeat(v, N_SEEDS) for k, v in columns.items()}
    rows["seed"] = np.tile(np.arange(N_SEEDS), N_CONFIGS)
    rows["metric"] = np.repeat(cfgs, N_SEEDS) * 10.0 + rows["seed"]
    order = rng.permutation(N_CONFIGS * N_SEEDS)
    return pa.table({k: v[order] for k, v in rows.items()})


def _dense(table: pa.Table) -> np.ndarray:
    return dense_from_arrow(
        table, grid=GRID, metrics=["metric"], seed_column="seed", n_seeds=N_SEEDS, what="toy"
    )


def test_dense_from_arrow_scatters_shuffled_rows() -> None:
    dense = _dense(_long_table(np.random.default_rng(0)))
    assert dense.shape == (N_CONFIGS, N_SEEDS, 1, 1)
    expected = np.arange(N_CONFIGS)[:, None] * 10.0 + np.arange(N_SEEDS)[None, :]
    np.testing.assert_array_equal(dense[:, :, 0, 0], expected)


def test_dense_from_arrow_rejects_bad_tables() -> None:
    table = _long_table(np.random.default_rng(1))
    with pytest.raises(DataError, match="not a complete grid"):
        _dense(table.slice(0, len(table) - 2))
    with pytest.raises(DataError, match="1 cells missing and 1 repeated"):
        _dense(pa.concat_tables([table.slice(0, len(table) - 1), table.slice(0, 1)]))
    with pytest.raises(DataError, match="columns"):
        _dense(table.drop_columns(["lr"]))
    with pytest.raises(DataError, match="off the grid"):
        _dense(table.set_column(1, "batch", pa.array(np.full(len(table), 12))))
    with pytest.raises(DataError, match="type"):
        _dense(table.set_column(0, "act", pa.array(np.arange(len(table)))))
