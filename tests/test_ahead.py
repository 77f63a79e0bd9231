"""Promised trials evaluated ahead in one batch (hpobench.execution.ahead): the same runs, fewer calls.

A method lists the trials its next asks return (``Method.upcoming``); on a benchmark whose seed
changes no answer (``Benchmark.seed_free``) the simulator evaluates them with the trial just asked
in one call. The run's table must not change by a bit, whatever the method does with its promise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import MethodError
from hpobench.contracts.method import Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Evaluation, Trial
from hpobench.data.registry import load_benchmark
from hpobench.execution.ahead import MOST_AHEAD, Ahead, evaluator
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.execution.simulator import Simulation
from hpobench.methods.asha import ASHA
from hpobench.methods.random_search import RandomSearch
from hpobench.methods.successive_halving import SuccessiveHalving
from hpobench.surrogates.synthetic import SyntheticBenchmark
from hpobench.surrogates.yahpo import YahpoBenchmark
from hpobench.testing.benchmarks import check_benchmark

YAHPO_TASK = "yahpo/lcbench-167181"


class _SeedFree(SyntheticBenchmark):
    """Hartmann-3 without noise, which ignores its seed, declared so; its calls are logged."""

    seed_free: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__("hartmann3")
        self.calls: list[int] = []

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> Sequence[Evaluation]:
        self.calls.append(len(trials))
        return super().evaluate(trials, seed=seed)


class _SeedBound(_SeedFree):
    seed_free: ClassVar[bool] = False


def _simulation(benchmark: Any, method: Any, *, budget: str, workers: int = 1) -> Simulation:
    return Simulation(
        benchmark=benchmark,
        method=method,
        budget=Budget.parse(budget),
        workers=workers,
        noise_seed=7,
        max_evaluations=10_000,
    )


def _events(benchmark: Any, method: Any, *, budget: str = "300", workers: int = 1) -> list[tuple[Any, ...]]:
    sim = _simulation(benchmark, method, budget=budget, workers=workers)
    sim.run()
    return [
        (
            dict(c.trial.config),
            c.trial.fidelity,
            c.trial.tag,
            dict(c.evaluation.values),
            c.evaluation.cost,
            c.evaluation.status,
            dict(c.evaluation.extras),
            c.start,
            c.end,
            c.worker,
        )
        for c in sim.completed
    ]


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("make", [SuccessiveHalving, RandomSearch, ASHA])
def test_a_seed_free_benchmark_answers_promises_in_batches_with_the_same_events(
    make: Any, workers: int
) -> None:
    free, bound = _SeedFree(), _SeedBound()
    task = free.task
    with_batches = _events(free, make(task, seed=3), workers=workers)
    without = _events(bound, make(task, seed=3), workers=workers)
    assert with_batches == without
    assert len(with_batches) >= 300
    assert set(bound.calls) == {1}  # no promise is trusted on a benchmark whose seed matters
    assert max(free.calls) > 1  # batches ...
    assert len(free.calls) < len(with_batches) / 2  # ... and far fewer calls (ASHA: its promotions alone)


def test_trials_asked_between_promised_ones_are_answered_on_their_own() -> None:
    # ASHA promises its next new configurations; its promotions come in between
    free = _SeedFree()
    method = ASHA(free.task, seed=4)
    events = _events(free, method, budget="400")
    promoted = sum(1 for e in events if e[2] != "rung=0")
    assert promoted > 50
    assert free.calls.count(1) >= promoted  # each promotion alone ...
    assert max(free.calls) == 64  # ... the new configurations in batches (ASHA draws 64 at a time)


def test_the_budget_bounds_what_is_evaluated_ahead() -> None:
    free = _SeedFree()
    _events(free, RandomSearch(free.task, seed=0, chunk_size=1000), budget="40")
    # the first ask and the 39 evaluations left of the budget: nothing evaluated for nothing
    assert free.calls == [40]
    free = _SeedFree()
    _events(free, RandomSearch(free.task, seed=0, chunk_size=1000), budget="2000")
    assert max(free.calls) == 1 + MOST_AHEAD


class _Liar(RandomSearch):
    """Promises trials it never asks (equal copies, not the objects), or out of order."""

    def __init__(self, task: Any, *, seed: int, chunk_size: int = 256, how: str = "copies") -> None:
        super().__init__(task, seed=seed, chunk_size=chunk_size)
        self.how = how

    def upcoming(self) -> list[Trial]:
        promised = super().upcoming()
        if self.how == "copies":
            return [Trial(config=dict(t.config), fidelity=t.fidelity, tag=t.tag) for t in promised]
        return promised[::-1]


@pytest.mark.parametrize("how", ["copies", "reversed"])
def test_a_broken_promise_costs_time_never_a_different_answer(how: str) -> None:
    free, bound = _SeedFree(), _SeedBound()
    task = free.task
    assert _events(free, _Liar(task, seed=1, how=how)) == _events(bound, _Liar(task, seed=1, how=how))
    assert max(free.calls) > 1  # it did evaluate ahead, for nothing


class _PromisesAnInvalidTrial(Method):
    """Asks nine trials, all promised after the first; the fifth is out of the space."""

    def __init__(self, task: Any, *, seed: int) -> None:
        super().__init__(task, seed=seed)
        configs = SpaceCodec(task.space).sample(np.random.default_rng(seed), 9)
        configs[4] = {**configs[4], "x0": 7.0}
        self._trials = [Trial(config=c) for c in configs]
        self._asked = 0

    def ask(self) -> Trial | None:
        self._asked += 1
        return self._trials[self._asked - 1] if self._asked <= len(self._trials) else None

    def tell(self, evaluation: Evaluation) -> None:
        return None

    def upcoming(self) -> list[Trial]:
        return self._trials[self._asked :]


def test_an_invalid_promised_trial_fails_the_run_where_it_is_asked() -> None:
    outcomes, calls = [], []
    for benchmark in (_SeedFree(), _SeedBound()):
        sim = _simulation(benchmark, _PromisesAnInvalidTrial(benchmark.task, seed=0), budget="50")
        with pytest.raises(MethodError, match="invalid trial"):
            sim.run()
        outcomes.append((sim.started, len(sim.completed), [dict(c.evaluation.values) for c in sim.completed]))
        calls.append(benchmark.calls)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 4  # trials 1-4 ran; the fifth is refused when asked, as without batches
    assert calls[0] == [9, 1, 1, 1, 1, 1]  # one batch tried; after it raised, one trial at a time


def test_the_plain_evaluate_serves_runs_that_cannot_batch() -> None:
    free, bound = _SeedFree(), _SeedBound()
    plain_method = SuccessiveHalving(free.task, seed=0)
    assert evaluator(method=plain_method, benchmark=bound) == bound.evaluate
    ahead = evaluator(method=plain_method, benchmark=free)
    assert isinstance(ahead.__self__, Ahead)  # type: ignore[attr-defined]

    class NoPromises(SuccessiveHalving):
        upcoming = Method.upcoming  # promises nothing

    assert evaluator(method=NoPromises(free.task, seed=0), benchmark=free) == free.evaluate


def _frame(method: str, data_dir: Path) -> pd.DataFrame:
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse(YAHPO_TASK), method=method, seed=2, budget=Budget.parse("100x")
    )
    outcome = execute_run(spec, data_dir=data_dir, threads=1)
    assert outcome.provenance.get("error") is None, outcome.provenance.get("error")
    return outcome.frame.drop(columns=["run_id"])


@pytest.mark.parametrize(
    "method", ["successive_halving", "hyperband", "bohb", "dehb", "random_search", "asha"]
)
def test_yahpo_runs_are_the_same_bit_for_bit_with_promises_batched(
    data_dir: Path, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched = _frame(method, data_dir)
    monkeypatch.setattr(YahpoBenchmark, "seed_free", False)
    one_by_one = _frame(method, data_dir)
    pd.testing.assert_frame_equal(batched, one_by_one, check_exact=True)
    assert len(batched) >= 100


def test_yahpo_answers_do_not_depend_on_the_seed(data_dir: Path) -> None:
    bench = load_benchmark(YAHPO_TASK, data_dir=data_dir)
    assert bench.seed_free
    check_benchmark(bench, seed=3, n=6)  # checks the claim under other seeds too
    configs = bench.codec.sample(np.random.default_rng(0), 5)
    trials = [Trial(config=c, fidelity=float(f)) for c, f in zip(configs, (1, 5, 20, 40, 52), strict=True)]
    singles = [bench.evaluate([t], seed=s)[0] for t, s in zip(trials, (0, 9, 123, 2**40, 77), strict=True)]
    batch = list(bench.evaluate(trials, seed=5))
    for a, b in zip(singles, batch, strict=True):
        assert (dict(a.values), a.cost, a.status, dict(a.extras)) == (
            dict(b.values),
            b.cost,
            b.status,
            dict(b.extras),
        )


class _RaisingPromise(RandomSearch):
    def upcoming(self) -> list[Trial]:
        raise RuntimeError("a bug in the plugin")


def test_a_raising_upcoming_fails_the_run_with_a_method_error_naming_it() -> None:
    free = _SeedFree()
    sim = _simulation(free, _RaisingPromise(free.task, seed=0), budget="10")
    with pytest.raises(MethodError, match=r"upcoming\(\) raised RuntimeError: a bug in the plugin"):
        sim.run()
