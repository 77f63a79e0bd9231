"""Real-data tests of the hpobench_nn, nb201 and taskset families (compliance: test_contracts.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from hpobench.contracts.errors import InvalidConfigError, InvalidFidelityError, UnknownNameError
from hpobench.contracts.types import Status, Trial
from hpobench.data import registry
from hpobench.surrogates import hpobench_nn, nb201, taskset
from hpobench.surrogates.candidates import CandidateBenchmark
from hpobench.surrogates.optima import stored_optimum
from hpobench.surrogates.tabular import TabularBenchmark

GRID_FAMILIES = {"hpobench_nn": hpobench_nn, "nb201": nb201}
GRID_TASKS = [(f, i.name.split("/")[1]) for f, m in GRID_FAMILIES.items() for i in m.FAMILY.tasks()]


def _grid_bench(data_dir: Path, family: str, task: str) -> TabularBenchmark:
    bench = registry.load_benchmark(f"{family}/{task}", data_dir=data_dir)
    assert isinstance(bench, TabularBenchmark)
    return bench


def _frame(data_dir: Path, family: str, task: str) -> pd.DataFrame:
    return pq.read_table(data_dir / "tabular" / family / f"{task}.parquet").to_pandas()


def _median_config(values: np.ndarray, *, maximize: bool) -> float:
    """The reference ``worst``: the (lower) median value, non-finite values counted as worst."""
    loss = np.where(np.isfinite(values), -values if maximize else values, np.inf)
    worst = float(np.sort(loss)[(len(loss) - 1) // 2])
    return -worst if maximize else worst


def test_families_are_registered_and_static() -> None:
    assert {"fcnet", "hpobench_nn", "nb201", "taskset"} <= set(registry.family_names())
    counts = {f: len(registry.load_family(f).tasks()) for f in ("fcnet", "hpobench_nn", "nb201", "taskset")}
    assert counts == {"fcnet": 4, "hpobench_nn": 8, "nb201": 3, "taskset": 12}
    assert all(i.multi_fidelity for i in taskset.FAMILY.tasks())
    with pytest.raises(UnknownNameError):
        nb201.FAMILY.load("nope", data_dir=None)
    with pytest.raises(UnknownNameError):
        taskset.FAMILY.load("nope", data_dir=None)


@pytest.mark.data
@pytest.mark.parametrize(("family", "task"), GRID_TASKS)
def test_grid_lookups_and_optima_agree_with_parquet(data_dir: Path, family: str, task: str) -> None:
    module = GRID_FAMILIES[family]
    bench = _grid_bench(data_dir, family, task)
    metric = module.SPEC.metric
    names = list(module.GRID)
    df = _frame(data_dir, family, task)
    rows = df.sample(n=300, random_state=np.random.RandomState(1))
    configs = [dict(zip(names, v, strict=True)) for v in rows[names].itertuples(index=False)]
    seeds = rows["seed"].to_numpy().astype(int)
    got = [bench.evaluate([Trial(config=c)], seed=int(s))[0] for c, s in zip(configs, seeds, strict=True)]
    np.testing.assert_array_equal([e.values[metric] for e in got], rows[metric].to_numpy())
    assert all(e.status is Status.OK and e.cost > 0 for e in got)

    means = df.groupby(names, observed=True)[metric].mean()
    ref = bench.optimum()
    assert ref.best[metric] == pytest.approx(means.max(), rel=1e-12)  # both families maximise
    assert ref.worst[metric] == pytest.approx(_median_config(means.to_numpy(), maximize=True), rel=1e-12)
    assert stored_optimum(f"{family}/{task}").worst_observed == pytest.approx(means.min(), rel=1e-12)
    computed = bench.table_optimum()
    assert (computed.best, computed.worst) == (ref.best, ref.worst)  # stored == computed from the table
    best_config = dict(zip(names, means.idxmax(), strict=True))
    assert bench.reference_values([best_config])[0, 0] == pytest.approx(ref.best[metric], rel=1e-12)
    per_seed = bench.optimum_per_seed()
    by_seed = df.groupby("seed")[metric]
    assert [r.best[metric] for r in per_seed] == pytest.approx(by_seed.max().tolist(), rel=1e-12)
    medians = [_median_config(g.to_numpy(), maximize=True) for _, g in by_seed]
    assert [r.worst[metric] for r in per_seed] == pytest.approx(medians, rel=1e-12)


@pytest.mark.data
def test_nb201_ragged_seeds_answer_a_recorded_run(data_dir: Path) -> None:
    bench = _grid_bench(data_dir, "nb201", "cifar10")
    df = _frame(data_dir, "nb201", "cifar10")
    names = list(nb201.GRID)
    counts = df.groupby(names)["seed"].count()
    two = dict(zip(names, counts[counts == 2].index[0], strict=True))
    runs = df.merge(pd.DataFrame([two]), on=names).sort_values("seed")["valid_accuracy"].tolist()
    answers = [bench.evaluate([Trial(config=two)], seed=s)[0].values["valid_accuracy"] for s in range(6)]
    assert answers == [runs[0], runs[1], runs[0], runs[0], runs[1], runs[0]]  # seed % 3, then % 2
    assert bench.reference_values([two])[0, 0] == pytest.approx(np.mean(runs), rel=1e-12)


@pytest.mark.data
def test_grid_snapping_rule(data_dir: Path) -> None:
    bench = _grid_bench(data_dir, "hpobench_nn", "car")
    proposal = {"alpha": 3e-8, "batch_size": 5.1, "depth": 2.4, "learning_rate_init": 0.9, "width": 17.0}
    snapped = bench.snap([proposal])[0]
    # log space for alpha / batch_size / lr / width (positive, >= 10x span), linear for depth
    assert snapped == {
        "alpha": 7.742637e-08,
        "batch_size": 6,
        "depth": 2,
        "learning_rate_init": 1.0,
        "width": 16,
    }
    assert bench.evaluate([Trial(config=snapped)], seed=0)[0].status is Status.OK
    with pytest.raises(InvalidConfigError):
        bench.evaluate([Trial(config=proposal)], seed=0)  # evaluate never snaps on a grid task
    nb = _grid_bench(data_dir, "nb201", "cifar10")
    with pytest.raises(InvalidConfigError, match="not a choice"):
        nb.snap([dict.fromkeys(nb201.GRID, "conv_5x5")])


def _taskset(data_dir: Path, task: str = taskset.TASKS[3]) -> CandidateBenchmark:
    bench = registry.load_benchmark(f"taskset/{task}", data_dir=data_dir)
    assert isinstance(bench, CandidateBenchmark)
    return bench


@pytest.mark.data
@pytest.mark.parametrize("task", taskset.TASKS[::4])
def test_taskset_lookups_and_optima_agree_with_json(data_dir: Path, task: str) -> None:
    bench = _taskset(data_dir, task)
    records = json.loads((data_dir / "taskset" / f"{task}.json").read_text())
    assert bench.task.candidates == len(records) == 1000
    rng = np.random.default_rng(0)
    for i in rng.choice(1000, size=50, replace=False).tolist():
        config = records[i]["hp"]
        step = int(rng.integers(1, 52))
        ev = bench.evaluate([Trial(config=config, fidelity=step)], seed=3)[0]
        valid = records[i]["valid"]["loss"][step - 1]
        if math.isnan(valid):
            assert ev.status is Status.FAILED
            assert math.isnan(ev.values["valid_loss"])
        else:
            assert ev.values["valid_loss"] == valid
        test = records[i]["test"]["loss"][step - 1]
        assert ev.extras["test_loss"] == test or (math.isnan(test) and math.isnan(ev.extras["test_loss"]))
        assert ev.extras["train_loss"] == records[i]["train"]["loss"][step - 1] or math.isnan(
            ev.extras["train_loss"]
        )
        assert ev.cost == pytest.approx(4.0 * step)
    final = np.array([r["valid"]["loss"][-1] for r in records], dtype=float)
    ref = bench.optimum()
    assert ref.best["valid_loss"] == np.nanmin(final)
    assert ref.worst["valid_loss"] == _median_config(final, maximize=False)
    assert stored_optimum(f"taskset/{task}").worst_observed == np.nanmax(final)
    assert bench.optimum_per_seed()[0].best == ref.best
    assert bench.config_index([records[int(np.nanargmin(final))]["hp"]]).tolist() == [
        int(np.nanargmin(final))
    ]


@pytest.mark.data
def test_taskset_snapping_rule(data_dir: Path) -> None:
    bench = _taskset(data_dir)
    listed = bench.candidate_configs()
    assert bench.config_index(listed).tolist() == list(range(1000))  # listed configs map to themselves
    # a small move in normalised log space keeps the candidate
    moved = [
        {**c, "learning_rate": c["learning_rate"] * 1.0001, "beta1": c["beta1"] * 0.9999} for c in listed[:20]
    ]
    assert bench.config_index(moved).tolist() == list(range(20))
    # the rule, written out: nearest in [0, 1]-normalised space, log for all but beta1/beta2
    rng = np.random.default_rng(3)
    proposals = bench.codec.sample(rng, 200)
    names = taskset.HYPERPARAMETERS
    x = np.array([[c[n] for n in names] for c in listed])
    q = np.array([[c[n] for n in names] for c in proposals])
    log = np.array([n in taskset.LOG for n in names])
    x, q = np.where(log, np.log(x), x), np.where(log, np.log(q), q)
    lo, hi = x.min(axis=0), x.max(axis=0)
    dist = (((q[:, None, :] - x[None, :, :]) / (hi - lo)) ** 2).sum(axis=2)
    assert bench.config_index(proposals).tolist() == dist.argmin(axis=1).tolist()
    # snapped evaluations equal evaluations of the listed candidate; singles equal the batch
    trials = [Trial(config=c, fidelity=10) for c in proposals[:30]]
    batch = bench.evaluate(trials, seed=0)
    nearest = [Trial(config=listed[i], fidelity=10) for i in dist.argmin(axis=1)[:30]]
    for a, b in zip(batch, bench.evaluate(nearest, seed=0), strict=True):
        assert a.status is b.status
        assert a.cost == b.cost
        assert a.values == b.values or a.status is Status.FAILED
    # outside the box, wrong names, bad fidelities
    with pytest.raises(InvalidConfigError):
        bench.evaluate([Trial(config={**listed[0], "learning_rate": 100.0})], seed=0)
    with pytest.raises(InvalidConfigError):
        bench.reference_values([{k: v for k, v in listed[0].items() if k != "l1"}])
    with pytest.raises(InvalidFidelityError):
        bench.evaluate([Trial(config=listed[0], fidelity=2.5)], seed=0)


@pytest.mark.data
def test_random_search_runs_on_taskset(data_dir: Path) -> None:
    bench = _taskset(data_dir)
    method = registry.load_method("random_search")(bench.task, seed=0)
    for _ in range(20):
        trial = method.ask()
        assert trial is not None
        [ev] = bench.evaluate([trial], seed=0)
        method.tell(ev)
    assert np.isfinite(bench.reference_values([trial.config])).all()


@pytest.mark.data
def test_evaluate_arrays_equals_evaluate(data_dir: Path) -> None:
    for bench in (_grid_bench(data_dir, "nb201", "cifar10"), _taskset(data_dir, taskset.TASKS[5])):
        configs = bench.codec.sample(np.random.default_rng(0), 40)
        fids = [None] * 40 if bench.task.fidelity is None else [float(1 + i % 51) for i in range(40)]
        values, cost = bench.evaluate_arrays(configs, seed=1, fidelities=fids)
        evs = bench.evaluate(
            [Trial(config=c, fidelity=f) for c, f in zip(configs, fids, strict=True)], seed=1
        )
        name = bench.task.objective.name
        np.testing.assert_array_equal(values[:, 0], [e.values[name] for e in evs])
        np.testing.assert_array_equal(cost, [e.cost for e in evs])
        assert np.isnan(values).any() == any(e.status is Status.FAILED for e in evs)
        for i in (0, 7, 39):  # one configuration at a time: the same rows
            one_value, one_cost = bench.evaluate_arrays([configs[i]], seed=1, fidelities=[fids[i]])
            np.testing.assert_array_equal(one_value, values[i : i + 1])
            np.testing.assert_array_equal(one_cost, cost[i : i + 1])
        with pytest.raises(ValueError, match="40 configurations but 2 fidelities"):
            bench.evaluate_arrays(configs, seed=0, fidelities=fids[:2])
        with pytest.raises(InvalidFidelityError):
            bench.evaluate_arrays(configs[:1], seed=0, fidelities=[0.5])
        with pytest.raises(InvalidConfigError):
            bench.evaluate_arrays([{"nope": 1}], seed=0)
