"""Per-trial overhead of the built-in methods (ask + tell, in microseconds).

Runs each method for 20,000 trials on a 6-d continuous space with an integer fidelity (1..81)
against a trivial numpy objective, sequentially (one worker), and prints a table. ``ask+tell``
counts only time spent inside the method's ``ask`` and ``tell``; ``loop`` adds the objective and
the construction of the :class:`~hpobench.contracts.types.Evaluation`, i.e. what a runner pays at least.

Baselines measured in the same run, interleaved with the methods (:mod:`_timing`, min and median
over 3 repeats):

* ``numpy floor``: drawing the 6 values with numpy and building the configuration dict, one
  trial at a time (what a sampler that draws per trial pays at least; random search draws in
  chunks, so it can be below it);
* ``optuna RandomSampler``: Optuna's ask-and-tell interface with its random sampler on the same
  space (in-memory storage; ``min(n_trials, 2000)`` trials, it is much slower per trial), or
  "peer unavailable: <reason>" without optuna.

Usage: ``python benchmarks/bench_methods.py [n_trials]``
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import ConfigSpace as CS
import numpy as np
from _timing import interleaved, peer

from hpobench.contracts.method import Method
from hpobench.contracts.types import Direction, Evaluation, Fidelity, Objective, Task
from hpobench.methods.hyperband import Hyperband
from hpobench.methods.random_search import RandomSearch
from hpobench.methods.successive_halving import SuccessiveHalving

NAMES = tuple(f"x{i}" for i in range(6))
OPTIMUM = np.linspace(0.1, 0.6, 6)


def make_task() -> Task:
    space = CS.ConfigurationSpace()
    space.add([CS.UniformFloatHyperparameter(name, 0.0, 1.0) for name in NAMES])
    return Task(
        name="bench/sphere6",
        space=space,
        objectives=(Objective(name="loss", direction=Direction.MINIMIZE),),
        fidelity=Fidelity(name="epoch", low=1, high=81, integer=True),
    )


def run(method: Method, n_trials: int) -> tuple[float, float]:
    """Return (ask+tell, whole loop) in microseconds per trial."""
    high = 81.0
    inside = 0
    perf = time.perf_counter_ns
    start = perf()
    for _ in range(n_trials):
        t0 = perf()
        trial = method.ask()
        t1 = perf()
        assert trial is not None  # one worker: synchronous methods never wait
        x = np.fromiter((trial.config[n] for n in NAMES), dtype=float, count=6)
        fid = high if trial.fidelity is None else trial.fidelity
        loss = float(np.sum((x - OPTIMUM) ** 2)) + 1.0 / fid
        evaluation = Evaluation(trial=trial, values={"loss": loss}, cost=fid)
        t2 = perf()
        method.tell(evaluation)
        inside += (t1 - t0) + (perf() - t2)
    total = perf() - start
    return inside / n_trials / 1e3, total / n_trials / 1e3


def numpy_floor(n_trials: int) -> tuple[float, float]:
    """Draw and package the configurations only: (per trial, per trial) in microseconds."""
    rng = np.random.default_rng(0)
    perf = time.perf_counter_ns
    start = perf()
    for _ in range(n_trials):
        dict(zip(NAMES, rng.random(6).tolist(), strict=True))
    per = (perf() - start) / n_trials / 1e3
    return per, per


def optuna_random(optuna: object, n_trials: int) -> tuple[float, float]:
    """Optuna's ask-and-tell with its RandomSampler: (ask+tell, whole loop) in microseconds per trial."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # type: ignore[attr-defined]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))  # type: ignore[attr-defined]
    dists = {n: optuna.distributions.FloatDistribution(0.0, 1.0) for n in NAMES}  # type: ignore[attr-defined]
    inside = 0
    perf = time.perf_counter_ns
    start = perf()
    for _ in range(n_trials):
        t0 = perf()
        trial = study.ask(dists)
        t1 = perf()
        x = np.fromiter((trial.params[n] for n in NAMES), dtype=float, count=6)
        loss = float(np.sum((x - OPTIMUM) ** 2))
        t2 = perf()
        study.tell(trial, loss)
        inside += (t1 - t0) + (perf() - t2)
    return inside / n_trials / 1e3, (perf() - start) / n_trials / 1e3


def main() -> None:
    n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    task = make_task()
    methods: dict[str, type[Method]] = {
        "random_search": RandomSearch,
        "successive_halving": SuccessiveHalving,
        "hyperband": Hyperband,
    }
    results: dict[str, list[tuple[float, float]]] = {}

    def case(name: str, fn: Callable[[], tuple[float, float]]) -> Callable[[], None]:
        return lambda: results.setdefault(name, []).append(fn())

    cases = {
        name: case(name, lambda cls=cls: run(cls(task, seed=0), n_trials)) for name, cls in methods.items()
    }
    cases["numpy floor"] = case("numpy floor", lambda: numpy_floor(n_trials))
    optuna, reason = peer("optuna")
    n_optuna = min(n_trials, 2000)
    if optuna is not None:
        cases["optuna RandomSampler"] = case("optuna RandomSampler", lambda: optuna_random(optuna, n_optuna))
    interleaved(cases, repeats=3, warmup=False)
    print(f"{n_trials} trials ({n_optuna} for optuna), 6-d continuous space, fidelity epoch 1..81")
    print("3 interleaved repeats, min / median")
    print(f"{'method':<22} {'ask+tell [us/trial]':>22} {'loop [us/trial]':>18}")
    for name, rows in results.items():
        inside = sorted(r[0] for r in rows)
        loop = sorted(r[1] for r in rows)
        print(f"{name:<22} {inside[0]:>10.2f} / {inside[1]:<9.2f} {loop[0]:>8.2f} / {loop[1]:<8.2f}")
    if optuna is None:
        print(f"optuna RandomSampler: peer unavailable: {reason}")
    else:
        ours, theirs = (
            min(r[0] for r in results["random_search"]),
            min(r[0] for r in results["optuna RandomSampler"]),
        )
        print(f"random_search ask+tell is {theirs / ours:.1f}x faster than Optuna's RandomSampler (same run)")


if __name__ == "__main__":
    main()
