from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec

HARTMANN3 = BenchmarkSpec(family="synthetic", task="hartmann3")


def run(method: str, workers: int, budget: str = "200", seed: int = 0) -> pd.DataFrame:
    spec = RunSpec(
        benchmark=HARTMANN3, method=method, seed=seed, budget=Budget.parse(budget), workers=workers
    )
    outcome = execute_run(spec)
    assert not outcome.failed, outcome.provenance.get("error")
    return outcome.frame


def max_overlap(frame: pd.DataFrame) -> int:
    events = sorted(
        [(s, 1) for s in frame["start"]] + [(e, -1) for e in frame["time"]], key=lambda t: (t[0], t[1])
    )
    level = peak = 0
    for _, delta in events:
        level += delta
        peak = max(peak, level)
    return peak


@pytest.mark.parametrize("method", ["random_search", "hyperband"])
@pytest.mark.parametrize("workers", [1, 4])
def test_workers_never_run_more_than_n_trials_at_once(method: str, workers: int) -> None:
    frame = run(method, workers)
    np.testing.assert_allclose(frame["time"], frame["start"] + frame["cost"])
    assert frame["time"].is_monotonic_increasing  # rows in completion order
    assert max_overlap(frame) <= workers
    assert set(frame["worker"]) <= set(range(workers))
    for _, per_worker in frame.groupby("worker"):
        ordered = per_worker.sort_values("start")
        assert (ordered["start"].to_numpy()[1:] >= ordered["time"].to_numpy()[:-1] - 1e-9).all()


def test_asynchronous_method_keeps_all_workers_busy() -> None:
    frame = run("random_search", 8)
    assert max_overlap(frame) == 8
    one = run("random_search", 1)
    # the same trials (same seeds) finish about 8 times sooner in simulated time
    assert sorted(frame["config"]) == sorted(one["config"])
    assert one["time"].max() / frame["time"].max() > 6


def test_synchronous_method_waits_at_rung_barriers() -> None:
    frame = run("hyperband", 4, budget="10x")
    # a rung's promotions start only after every trial of the rung has finished
    for tag, rung in frame.groupby("tag"):
        parts = dict(p.split("=") for p in str(tag).split(","))
        if int(parts["rung"]) == 0:
            continue
        previous = ",".join(f"{k}={int(v) - 1 if k == 'rung' else v}" for k, v in parts.items())
        before = frame[frame["tag"] == previous]
        assert rung["start"].min() >= before["time"].max() - 1e-9


def test_simulation_is_deterministic_and_single_worker_is_sequential() -> None:
    a, b = run("hyperband", 3), run("hyperband", 3)
    assert a.equals(b)
    one = run("hyperband", 1)
    np.testing.assert_allclose(one["start"].to_numpy()[1:], one["time"].to_numpy()[:-1])


def test_time_budget_stops_starting_and_drains_in_flight_trials() -> None:
    frame = run("random_search", 4, budget="3600s")
    started_late = frame["start"] >= 3600
    assert not started_late.any()
    assert frame["time"].max() >= 3600


# --- continuation (freeze-thaw) -------------------------------------------------------------------

from collections.abc import Callable  # noqa: E402  # the continuation tests' own imports

from hpobench.contracts.errors import MethodError  # noqa: E402
from hpobench.contracts.method import Method  # noqa: E402
from hpobench.contracts.types import Direction, Evaluation, Fidelity, Objective, Task, Trial  # noqa: E402
from hpobench.data.registry import load_benchmark  # noqa: E402
from hpobench.execution.simulator import Simulation  # noqa: E402
from hpobench.surrogates.tabular import TabularBenchmark  # noqa: E402


class Scripted(Method):
    """Asks the trials a script builds from the evaluations told so far; ``None`` ends the script."""

    def __init__(self, task: Task, *, seed: int, script: Callable[[list[Evaluation]], Trial | None]) -> None:
        super().__init__(task, seed=seed)
        self.script = script
        self.told: list[Evaluation] = []

    def ask(self) -> Trial | None:
        return self.script(self.told)

    def tell(self, evaluation: Evaluation) -> None:
        self.told.append(evaluation)


def simulate(benchmark: object, script: Callable[[list[Evaluation]], Trial | None], n: int) -> Simulation:
    assert isinstance(benchmark, TabularBenchmark | type(load_benchmark("synthetic/branin")))
    sim = Simulation(
        benchmark=benchmark,
        method=Scripted(benchmark.task, seed=0, script=script),
        budget=Budget.parse(str(n)),
        workers=1,
        noise_seed=3,
        max_evaluations=100,
    )
    sim.run()
    return sim


def two_seed_table() -> TabularBenchmark:
    rng = np.random.default_rng(0)
    return TabularBenchmark(
        name="test/curves",
        grid={"a": [1, 2]},
        table=rng.normal(size=(2, 3, 3, 1)),
        metrics=["loss"],
        objectives=[Objective(name="loss", direction=Direction.MINIMIZE)],
        fidelity=Fidelity(name="epoch", low=1, high=3, integer=True),
        fidelity_values=[1, 2, 3],
        cost=rng.uniform(1, 2, size=(2, 3, 1)).cumsum(axis=-1) * np.array([1.0, 2.0, 3.0]),
    )


def test_a_continuation_uses_the_checkpoints_run_and_is_charged_only_the_extra_cost() -> None:
    bench = two_seed_table()
    assert bench.task.continuation

    def script(told: list[Evaluation]) -> Trial | None:
        if not told:
            return Trial(config={"a": 2}, fidelity=1, checkpoint="c")
        return Trial(config={"a": 2}, fidelity=len(told) + 1, resume_from="c", checkpoint="c")

    sim = simulate(bench, script, 3)
    first, second, third = sim.completed
    seed = sim.checkpoints["c"].seed
    assert not first.continued
    assert second.continued
    assert third.continued
    assert (second.resumed_fidelity, third.resumed_fidelity) == (1, 2)
    # the same recorded run (seed) as the checkpoint; charged cost(f) - cost(f_before) of that run
    scratch = bench.evaluate([Trial(config={"a": 2}, fidelity=f) for f in (1, 2, 3)], seed=seed)
    assert [c.evaluation.values["loss"] for c in sim.completed] == [e.values["loss"] for e in scratch]
    assert first.evaluation.cost == scratch[0].cost
    assert second.evaluation.cost == pytest.approx(scratch[1].cost - scratch[0].cost)
    assert third.evaluation.cost == pytest.approx(scratch[2].cost - scratch[1].cost)
    assert third.end - third.start == pytest.approx(third.evaluation.cost)
    assert sim.fidelity_started == pytest.approx(1.0)  # 1 + (2 - 1) + (3 - 2) epochs of 3
    assert sim.now == pytest.approx(scratch[2].cost)  # freeze-thaw costs what one full run costs


def test_continuations_in_the_result_table_and_the_fidelity_budget() -> None:
    spec = RunSpec(benchmark=HARTMANN3, method="asha", seed=0, budget=Budget.parse("10x"), workers=4)
    frame = execute_run(spec).frame
    scratch = execute_run(
        RunSpec(
            benchmark=HARTMANN3,
            method="asha",
            seed=0,
            budget=Budget.parse("10x"),
            workers=4,
            method_kwargs={"continuation": False},
        )
    ).frame
    assert not scratch["continued"].any()
    assert scratch["resumed_fidelity"].isna().all()
    promoted = frame[frame["tag"] != "rung=0"]
    assert promoted["continued"].all()
    assert not frame[frame["tag"] == "rung=0"]["continued"].any()
    bench = load_benchmark(HARTMANN3)
    for config_json, fidelity, resumed, cost in promoted.head(10)[
        ["config", "fidelity", "resumed_fidelity", "cost"]
    ].itertuples(index=False):
        config = json.loads(str(config_json))
        full, before = bench.evaluate(
            [Trial(config=config, fidelity=float(fidelity)), Trial(config=config, fidelity=float(resumed))],
            seed=0,  # the synthetic cost model does not depend on the seed
        )
        assert float(cost) == pytest.approx(full.cost - before.cost)
    spent = np.cumsum((frame["fidelity"] - frame["resumed_fidelity"].fillna(0.0)) / 100.0)
    np.testing.assert_allclose(frame["fidelity_spent"], spent)
    # continuation makes promotions cheaper: more evaluations for the same fidelity budget
    assert len(frame) > len(scratch)


def test_a_changed_configuration_is_charged_its_own_cost_difference() -> None:
    bench = load_benchmark("synthetic/hartmann6")
    a = {f"x{i}": 0.1 for i in range(6)}
    b = {f"x{i}": 0.9 for i in range(6)}

    def script(told: list[Evaluation]) -> Trial | None:
        if not told:
            return Trial(config=a, fidelity=10, checkpoint="a")
        return Trial(config=b, fidelity=50, resume_from="a")

    sim = simulate(bench, script, 2)
    full, before = bench.evaluate([Trial(config=b, fidelity=50), Trial(config=b, fidelity=10)], seed=0)
    assert sim.completed[1].evaluation.cost == pytest.approx(full.cost - before.cost)
    assert sim.completed[1].evaluation.values == full.values


@pytest.mark.parametrize(
    ("second", "match"),
    [
        (Trial(config={"a": 1}, fidelity=3, resume_from="nope"), "no completed trial saved"),
        (Trial(config={"a": 1}, fidelity=1, resume_from="c"), "above"),
    ],
)
def test_bad_resumes_fail_the_run(second: Trial, match: str) -> None:
    bench = two_seed_table()
    with pytest.raises(MethodError, match=match):
        simulate(
            bench, lambda told: Trial(config={"a": 1}, fidelity=1, checkpoint="c") if not told else second, 2
        )


def test_tasks_without_continuation_refuse_resumes() -> None:
    rng = np.random.default_rng(1)
    single = TabularBenchmark(
        name="test/final",
        grid={"a": [1, 2]},
        table=rng.normal(size=(2, 1, 1, 1)),
        metrics=["loss"],
        objectives=[Objective(name="loss", direction=Direction.MINIMIZE)],
        cost=np.ones((2, 1, 1)),
    )
    assert not single.task.continuation
    with pytest.raises(MethodError, match="does not support continuation"):
        simulate(
            single,
            lambda told: Trial(config={"a": 1}) if not told else Trial(config={"a": 1}, resume_from="x"),
            2,
        )


def test_a_run_that_raises_leaves_its_counters_as_they_were_at_the_failure() -> None:
    """The event loop keeps its counters in locals; whatever ends it, the instance gets them back
    (at the evaluation cap too: see test_hotpath)."""
    bench = load_benchmark("synthetic/branin")

    def script(told: list[Evaluation]) -> Trial | None:
        if len(told) == 3:
            raise RuntimeError("the method broke on its fourth ask")
        return Trial(config={"x0": 1.0 + len(told), "x1": 2.0}, fidelity=50.0)

    sim = Simulation(
        benchmark=bench,
        method=Scripted(bench.task, seed=0, script=script),
        budget=Budget.parse("10"),
        workers=1,
        noise_seed=3,
        max_evaluations=100,
    )
    with pytest.raises(RuntimeError, match="fourth ask"):
        sim.run()
    done = sim.completed
    assert sim.started == len(done) == 3
    assert sim.now == done[-1].end == pytest.approx(sum(c.evaluation.cost for c in done))
    assert sim.fidelity_started == pytest.approx(3 * 50.0 / 100.0)
    assert sim.method_seconds > 0.0
    assert sim.benchmark_seconds > 0.0
    # the run's wall time is kept too, and holds the method's and the benchmark's
    assert sim.run_seconds >= sim.method_seconds + sim.benchmark_seconds
