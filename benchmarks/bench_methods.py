"""Per-trial overhead of the built-in methods (ask + tell, in microseconds).

Runs each method for 20,000 trials on a 6-d continuous space with an integer fidelity (1..81)
against a trivial numpy objective, sequentially (one worker), and prints a table. ``ask+tell``
counts only time spent inside the method's ``ask`` and ``tell``; ``loop`` adds the objective and
the construction of the :class:`~hpobench.types.Evaluation`, i.e. what a runner pays at least.

Usage: ``python benchmarks/bench_methods.py [n_trials]``
"""

from __future__ import annotations

import sys
import time

import ConfigSpace as CS
import numpy as np

from hpobench.method import Method
from hpobench.methods.hyperband import Hyperband
from hpobench.methods.random_search import RandomSearch
from hpobench.methods.successive_halving import SuccessiveHalving
from hpobench.types import Direction, Evaluation, Fidelity, Objective, Task

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


def main() -> None:
    n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    task = make_task()
    methods: dict[str, type[Method]] = {
        "random_search": RandomSearch,
        "successive_halving": SuccessiveHalving,
        "hyperband": Hyperband,
    }
    print(f"{n_trials} trials, 6-d continuous space, fidelity epoch 1..81, best of 3 repeats")
    print(f"{'method':<20} {'ask+tell [us/trial]':>20} {'loop [us/trial]':>16}")
    for name, cls in methods.items():
        results = [run(cls(task, seed=seed), n_trials) for seed in range(3)]
        inside = min(r[0] for r in results)
        loop = min(r[1] for r in results)
        print(f"{name:<20} {inside:>20.2f} {loop:>16.2f}")


if __name__ == "__main__":
    main()
