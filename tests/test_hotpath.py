"""The hot path of a run (issue 17): scalar fast paths, lazy batches, one validation per trial.

Speed itself is measured in ``benchmarks/bench_hotpath.py``; these tests hold the behaviour: the
fast paths answer bit for bit what the general paths answer, and the runner does no work twice.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from hpobench.contracts.batch import EvaluationBatch
from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import BudgetError, InvalidConfigError, InvalidFidelityError, InvalidSeedError
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Direction, Evaluation, Fidelity, Objective, Status, Trial
from hpobench.data.registry import load_benchmark, load_method
from hpobench.execution.runner import _config_json, _configs_json, check_affordable, execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.execution.simulator import Simulation
from hpobench.surrogates.synthetic import SyntheticBenchmark
from hpobench.surrogates.tabular import TabularBenchmark


def _points(bench: SyntheticBenchmark, n: int, seed: int) -> list[Trial]:
    """Random trials plus the corners of the box, at random, extreme and omitted fidelities."""
    rng = np.random.default_rng(seed)
    low, high = np.array(bench._fn.lower), np.array(bench._fn.upper)
    x = rng.uniform(low, high, (n, len(low)))
    x[: 2 ** len(low)] = np.array(np.meshgrid(*zip(low, high, strict=True))).reshape(len(low), -1).T
    fidelities: list[float | int | None] = list(rng.uniform(1.0, 100.0, n).tolist())
    fidelities[::5] = [None] * len(fidelities[::5])
    fidelities[1::7] = [1.0] * len(fidelities[1::7])
    fidelities[2::11] = [int(v) for v in rng.integers(1, 101, len(fidelities[2::11]))]
    names = bench._names
    return [
        Trial(config=dict(zip(names, row, strict=True)), fidelity=f)
        for row, f in zip(x.tolist(), fidelities, strict=True)
    ]


@pytest.mark.parametrize("name", ["branin", "hartmann3", "hartmann6"])
def test_synthetic_single_trials_equal_the_array_path_bit_for_bit(name: str) -> None:
    bench = SyntheticBenchmark(name)
    trials = _points(bench, 3000, seed=7)
    batch = bench.evaluate(trials, seed=0)
    assert isinstance(batch, EvaluationBatch)  # built when read
    singles = [bench.evaluate([t], seed=0)[0] for t in trials]
    assert list(batch) == singles
    for b, s in zip(batch, singles, strict=True):
        assert s.trial is b.trial
        assert dict(s.extras) == dict(b.extras) == {}
        assert s.values["value"] == b.values["value"]
        assert type(s.values["value"]) is float
        assert s.cost == b.cost
        assert type(s.cost) is float
        assert s.status is Status.OK


def test_synthetic_single_trials_that_are_not_plain_floats_take_the_checked_path() -> None:
    bench = SyntheticBenchmark("branin")
    as_ints = bench.evaluate([Trial(config={"x0": 1, "x1": 2}, fidelity=np.float64(50.0))], seed=0)[0]
    as_floats = bench.evaluate([Trial(config={"x0": 1.0, "x1": 2.0}, fidelity=50.0)], seed=0)[0]
    assert as_ints.values == as_floats.values
    assert as_ints.cost == as_floats.cost
    for config in (
        {"x0": 11.0, "x1": 2.0},
        {"x0": float("nan"), "x1": 2.0},
        {"x0": 1.0},
        {"x0": 1.0, "x2": 1.0},
    ):
        with pytest.raises(InvalidConfigError):
            bench.evaluate([Trial(config=config)], seed=0)
    with pytest.raises(InvalidFidelityError):
        bench.evaluate([Trial(config={"x0": 1.0, "x1": 2.0}, fidelity=100.5)], seed=0)
    with pytest.raises(InvalidSeedError):
        bench.evaluate([Trial(config={"x0": 1.0, "x1": 2.0})], seed=-1)


def test_a_run_validates_each_configuration_at_most_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = SpaceCodec.validate

    def counting(self: SpaceCodec, config: object) -> None:
        calls.append(1)
        original(self, config)  # type: ignore[arg-type]

    monkeypatch.setattr(SpaceCodec, "validate", counting)
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse("synthetic/hartmann3"),
        method="random_search",
        seed=3,
        budget=Budget.parse("200"),
    )
    outcome = execute_run(spec)
    assert not outcome.failed
    assert len(outcome.frame) == 200
    assert len(calls) <= 200  # was 400: once in evaluate, again for the reference values


def test_evaluated_reference_values_equal_reference_values() -> None:
    bench = SyntheticBenchmark("hartmann6")
    configs = [dict(t.config) for t in _points(bench, 500, seed=3)]
    assert np.array_equal(bench.evaluated_reference_values(configs), bench.reference_values(configs))


def _table(n_metrics: int = 3) -> TabularBenchmark:
    rng = np.random.default_rng(0)
    table = rng.uniform(0.0, 1.0, (6, 2, 3, n_metrics))
    table[1, 0, 2, 0] = np.nan  # a diverged run: FAILED
    if n_metrics > 2:
        table[2, 1, 1, 2] = np.inf  # a non-finite extra: NaN in extras
    metrics = ("loss", "acc", "time")[:n_metrics]
    return TabularBenchmark(
        name="toy/table",
        grid={"a": (1, 2, 3), "b": ("x", "y")},
        table=table,
        metrics=metrics,
        objectives=[Objective(name="loss", direction=Direction.MINIMIZE)],
        fidelity=Fidelity(name="epoch", low=1, high=3, integer=True),
        fidelity_values=[1, 2, 3],
        cost=rng.uniform(1.0, 2.0, (6, 2, 3)),
    )


@pytest.mark.parametrize("n_metrics", [1, 3])
def test_a_table_batch_is_lazy_and_equals_its_single_trials(n_metrics: int) -> None:
    bench = _table(n_metrics)
    trials = [
        Trial(config={"a": a, "b": b}, fidelity=f) for a in (1, 2, 3) for b in ("x", "y") for f in (1, 2, 3)
    ]
    for seed in (0, 1):
        batch = bench.evaluate(trials, seed=seed)
        assert isinstance(batch, EvaluationBatch)
        assert batch._rows is None  # nothing built yet
        singles = [bench.evaluate([t], seed=seed)[0] for t in trials]
        for i, single in enumerate(singles):
            got = batch[i]
            assert got is batch[i] is batch[i - len(batch)]  # built once, then kept
            assert got.trial is single.trial
            assert got.status is single.status
            assert got.cost == single.cost
            assert str(dict(got.values)) == str(dict(single.values))  # NaN-safe
            assert str(dict(got.extras)) == str(dict(single.extras))
        ok = [i for i, s in enumerate(singles) if s.status is Status.OK]
        assert batch[ok[0] : ok[0] + 1] == [singles[ok[0]]]
        assert np.array_equal(batch.costs, [s.cost for s in singles])
        assert np.array_equal(batch.values[:, 0], [s.values["loss"] for s in singles], equal_nan=True)
    assert any(s.status is Status.FAILED for s in bench.evaluate(trials, seed=0))
    # iterating a batch nothing was read from builds them all at once: the same evaluations
    by_index, iterated = bench.evaluate(trials, seed=0), bench.evaluate(trials, seed=0)
    everything = list(iterated)
    assert everything == list(iterated)  # the very objects, kept
    assert all(iterated[i] is e for i, e in enumerate(everything))
    for got, want in zip(everything, [by_index[i] for i in range(len(trials))], strict=True):
        assert got.trial is want.trial
        assert got.status is want.status
        assert got.cost == want.cost
        assert str(dict(got.values)) == str(dict(want.values))  # NaN-safe
        assert str(dict(got.extras)) == str(dict(want.extras))
    partly = bench.evaluate(trials, seed=0)
    second = partly[1]
    assert list(partly)[1] is second  # one read first: the others are built one by one


def test_an_evaluation_batch_is_a_read_only_sequence_that_pickles_as_a_list() -> None:
    bench = _table()
    trials = [Trial(config={"a": 3, "b": "y"}), Trial(config={"a": 1, "b": "x"})]
    batch = bench.evaluate(trials, seed=0)
    assert len(batch) == 2
    assert batch == list(batch)
    assert batch == tuple(batch)
    first, second = batch  # unpacks
    assert isinstance(first, Evaluation)
    assert second.trial is trials[1]
    with pytest.raises(IndexError):
        batch[2]
    with pytest.raises(ValueError, match="read-only"):
        batch.values[0, 0] = 1.0  # read-only
    again = pickle.loads(pickle.dumps(batch))
    assert type(again) is list
    assert again == list(batch)
    with pytest.raises(ValueError, match="do not fit"):
        EvaluationBatch(trials=trials, objective_names=["loss"], values=np.zeros((3, 1)), costs=np.zeros(3))


def test_evaluate_indices_equals_evaluate_arrays_and_checks_indices() -> None:
    bench = _table()
    configs = [{"a": a, "b": b} for a in (1, 2, 3) for b in ("x", "y")]
    rows = bench.config_index(configs)
    fids = np.array([0, 1, 2, 2, 1, 0])
    for seed in (0, 1, 5):
        want = bench.evaluate_arrays(configs, seed=seed, fidelities=[1, 2, 3, 3, 2, 1])
        got = bench.evaluate_indices(rows, seed=seed, fidelity_indices=fids)
        for w, g in zip(want, got, strict=True):
            assert np.array_equal(w, g, equal_nan=True)
        at_max = bench.evaluate_indices(rows, seed=seed)
        assert np.array_equal(at_max[0], bench.evaluate_arrays(configs, seed=seed)[0], equal_nan=True)
        assert np.array_equal(bench.evaluate_indices(rows, seed=seed, fidelity_indices=2)[1], at_max[1])
    for bad in (np.array([0, 6]), np.array([-1]), np.array([0.0]), np.array([[0]]), [True]):
        with pytest.raises(InvalidConfigError):
            bench.evaluate_indices(bad, seed=0)  # type: ignore[arg-type]
    for bad_fid in (3, -1, np.array([0, 3]), np.array([0]), np.array([0.5, 1.0])):
        with pytest.raises(InvalidFidelityError):
            bench.evaluate_indices(np.array([0, 1]), seed=0, fidelity_indices=bad_fid)  # type: ignore[arg-type]
    with pytest.raises(InvalidSeedError):
        bench.evaluate_indices(rows, seed=True)


def test_evaluate_indices_on_a_shipped_table(data_dir: object) -> None:
    bench = load_benchmark("fcnet/protein_structure", data_dir=data_dir)  # type: ignore[arg-type]
    rows = np.random.default_rng(0).integers(bench.n_configs, size=500)
    configs = [bench.config_at(int(i)) for i in rows]
    want = bench.evaluate_arrays(configs, seed=3)
    got = bench.evaluate_indices(rows, seed=3)
    assert all(np.array_equal(w, g, equal_nan=True) for w, g in zip(want, got, strict=True))


def test_a_budget_beyond_the_evaluation_cap_fails_the_run_up_front() -> None:
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse("fcnet_own/protein_structure"),
        method="random_search",
        seed=0,
        budget=Budget.parse("24h"),
        workers=32,
    )
    outcome = execute_run(spec)
    assert outcome.failed
    assert outcome.provenance["error"].startswith(
        "BudgetError: a budget of 86400s with 32 worker(s) affords about"
    )
    assert "cap of 1,000,000 evaluations per run" in outcome.provenance["error"]
    assert len(outcome.frame) == 0  # refused before the first evaluation
    for budget in ("1000001", "1000001x"):
        with pytest.raises(BudgetError, match="give a smaller budget"):
            check_affordable(Budget.parse(budget), workers=1, benchmark=SyntheticBenchmark("branin"))
    check_affordable(Budget.parse("1000000"), workers=1, benchmark=SyntheticBenchmark("branin"))
    check_affordable(
        Budget.parse("1000h"), workers=16, benchmark=SyntheticBenchmark("branin")
    )  # 872,727 at 66 s


def test_reaching_the_evaluation_cap_is_a_budget_error() -> None:
    bench = SyntheticBenchmark("branin")
    sim = Simulation(
        benchmark=bench,
        method=load_method("random_search")(bench.task, seed=0),
        budget=Budget.parse("1h"),
        workers=2,
        noise_seed=0,
        max_evaluations=10,
    )
    with pytest.raises(
        BudgetError, match=r"reached the cap of 10 evaluations after [1-9][0-9.]* simulated s"
    ):
        sim.run()
    assert sim.started == 10
    assert sim.now == sim.completed[-1].end > 0.0  # the clock the error reports is the simulation's


def test_config_texts_equal_the_json_encoder_across_magnitudes() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    columns = {
        "lr": np.exp(rng.uniform(np.log(1e-9), np.log(1e22), n)) * rng.choice([-1.0, 1.0], n),
        "units": rng.integers(-2000, 2000, n) / rng.choice([1.0, 2.0, 8.0], n),
        "edge": rng.choice([1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0, 0.1, 5e-324, 1e308], n),
    }
    configs = [
        dict(zip(columns, row, strict=True))
        for row in zip(*(c.tolist() for c in columns.values()), strict=True)
    ]
    assert _configs_json(configs) == [_config_json(c) for c in configs]


@pytest.mark.parametrize("storage", ["python", "pyarrow"])
@pytest.mark.parametrize("mixed", [False, True], ids=["all-equal", "mixed"])
def test_the_result_table_equals_one_built_from_plain_python_lists(mixed: bool, storage: str) -> None:
    """The table's text columns (repeated, all-equal and mixed) are pandas' own "string" columns,
    in the storage ``"string"`` names (Python objects, pandas 2's default, or Arrow, pandas 3's)."""
    import pandas as pd

    with pd.option_context("mode.string_storage", storage):
        _check_result_table_strings(mixed, storage)


def _check_result_table_strings(mixed: bool, storage: str) -> None:
    import pandas as pd

    from hpobench.execution.result_table import result_frame

    branin = BenchmarkSpec.parse("synthetic/branin")
    spec = RunSpec(benchmark=branin, method="random_search", seed=3, budget=Budget.parse("9"))
    n = 9
    rng = np.random.default_rng(2)
    trials = [
        Trial(config={"x0": float(a), "x1": float(b)}, tag=f"t{i % 2}" if mixed else "")
        for i, (a, b) in enumerate(rng.uniform(0, 10, (n, 2)).tolist())
    ]
    statuses = ["ok", "failed", "ok"] * 3 if mixed else ["ok"] * n
    values = rng.uniform(0, 1, n)
    frame = result_frame(
        spec,
        trials=trials,
        fidelities=np.full(n, 100.0),
        statuses=statuses,
        values=values,
        value_max=values,
        costs=np.ones(n),
        starts=np.arange(n, dtype=float),
        ends=np.arange(n, dtype=float) + 1,
        workers=np.zeros(n, dtype=np.int64),
        high=100.0,
    )
    plain = {
        "run_id": [spec.run_id] * n,
        "benchmark": [spec.benchmark.name] * n,
        "method": [spec.label] * n,
        "config": [_config_json(t.config) for t in trials],
        "tag": [t.tag for t in trials],
        "status": statuses,
    }
    for name, texts in plain.items():
        assert frame[name].dtype.storage == storage
        pd.testing.assert_series_equal(frame[name], pd.Series(texts, dtype="string", name=name))
