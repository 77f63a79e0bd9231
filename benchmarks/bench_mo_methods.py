"""Multi-objective methods: final hypervolume against peers and random search, and NSGA-II's speed.

Part 1 (quality): every multi-objective method and the peers run on four test problems with
known fronts (``tests/mo_problems.py``: ZDT1 and ZDT2 in 10-d, DTLZ2 with 3 objectives in 6-d,
Branin-Currin) for ``N_SEEDS`` seeds and 200 evaluations (MO-ASHA on the same problems with a
27-epoch fidelity, as MO-Hyperband, for 200 evaluations' worth of fidelity, and scored on its full-fidelity
evaluations). Per problem and method: mean final hypervolume, wins against random search and the
one-sided paired Wilcoxon p-value of "better than random search"; for NSGA-II also the p-value
of "worse than" Optuna's ``NSGAIISampler`` and pymoo's ``NSGA2`` (same population size, 20).

Part 2 (speed): our NSGA-II's ask+tell time per trial against Optuna's ``NSGAIISampler`` (through
its ask-and-tell interface with in-memory storage, the same population size), ``N_TRIALS`` trials
on ZDT1, interleaved repeats (:mod:`_timing`), min and median.

A peer that cannot be imported is reported as "peer unavailable: <reason>".

Usage: ``python benchmarks/bench_mo_methods.py [--seeds 10] [--trials 1000] [--methods M ...]
[--problems P ...]`` (default: every method and problem).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _timing import interleaved, peer
from scipy.stats import wilcoxon

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from mo_problems import Problem, evaluate, final_hypervolume, make_problem

from hpobench.contracts.method import Method
from hpobench.contracts.pareto import hypervolume
from hpobench.methods.carbs_like import CARBSLike
from hpobench.methods.mo_asha import MOASHA, MOHyperband
from hpobench.methods.nsga2 import NSGA2
from hpobench.methods.parego import ParEGO
from hpobench.methods.random_search import RandomSearch

BUDGET = 200
POPULATION = 20
PROBLEMS = {
    "zdt1": {"dim": 10},
    "zdt2": {"dim": 10},
    "dtlz2": {"dim": 6},
    "branin_currin": {},
}
Factory = Callable[[Problem, int], Method]


def _optuna(sampler: str, **kwargs: Any) -> Factory:
    def make(problem: Problem, seed: int) -> Method:
        from hpobench.methods.optuna_adapter import OptunaSampler

        return OptunaSampler(problem.task, seed=seed, sampler=sampler, sampler_kwargs=kwargs)

    return make


METHODS: dict[str, Factory] = {
    "random_search": lambda p, s: RandomSearch(p.task, seed=s),
    "nsga2": lambda p, s: NSGA2(p.task, seed=s, population_size=POPULATION),
    "parego": lambda p, s: ParEGO(p.task, seed=s),
    "parego_tpe": lambda p, s: ParEGO(p.task, seed=s, model="tpe"),
    "mo_asha": lambda p, s: MOASHA(p.task, seed=s),
    "mo_hyperband": lambda p, s: MOHyperband(p.task, seed=s),
    "carbs_like": lambda p, s: CARBSLike(p.task, seed=s),
    "optuna_nsga2": _optuna("NSGAIISampler", population_size=POPULATION),
    "optuna_motpe": _optuna("TPESampler"),
}


def pymoo_nsga2(problem: Problem, seed: int) -> float:
    """Final hypervolume of pymoo's NSGA2 (ask-and-tell) after ``BUDGET`` evaluations."""
    from pymoo.algorithms.moo.nsga2 import NSGA2 as PymooNSGA2
    from pymoo.core.problem import Problem as PymooProblem
    from pymoo.core.termination import NoTermination

    class Wrapped(PymooProblem):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(n_var=len(problem.names), n_obj=len(problem.reference), xl=0.0, xu=1.0)

        def _evaluate(self, x: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
            out["F"] = np.array([problem.function(row) for row in x])

    wrapped = Wrapped()
    algorithm = PymooNSGA2(pop_size=POPULATION)
    algorithm.setup(wrapped, termination=NoTermination(), seed=seed)
    points: list[list[float]] = []
    while len(points) < BUDGET:
        population = algorithm.ask()
        algorithm.evaluator.eval(wrapped, population)
        algorithm.tell(infills=population)
        points.extend(population.get("F").tolist())
    return hypervolume(np.array(points[:BUDGET]), reference=problem.reference)


def _p(a: list[float], b: list[float], alternative: str) -> float:
    if np.allclose(a, b):
        return 1.0
    return float(wilcoxon(a, b, alternative=alternative).pvalue)


def quality(n_seeds: int, methods: list[str], problems: list[str]) -> None:
    """Print the hypervolume table of part 1."""
    print(f"final hypervolume, {BUDGET} evaluations, {n_seeds} seeds (mean; wins vs RS; p better than RS)")
    for name in problems:
        kwargs = PROBLEMS[name]
        problem = make_problem(name, **kwargs)
        with_fidelity = make_problem(name, fidelity=True, **kwargs)
        hv: dict[str, list[float]] = {}
        seconds: dict[str, float] = {}
        for method in ["random_search", *methods]:
            target = with_fidelity if method in ("mo_asha", "mo_hyperband") else problem
            start = time.perf_counter()
            try:
                hv[method] = [
                    final_hypervolume(METHODS[method](target, s), target, budget=BUDGET)
                    for s in range(n_seeds)
                ]
            except ImportError as exc:
                print(f"  {name:14s} {method:14s} peer unavailable: {exc}")
                continue
            except ValueError as exc:  # e.g. carbs_like on three objectives
                print(f"  {name:14s} {method:14s} not applicable: {exc}")
                continue
            seconds[method] = (time.perf_counter() - start) / n_seeds
        pymoo, reason = peer("pymoo")
        if "nsga2" in methods and pymoo is None:
            print(f"  {name:14s} pymoo_nsga2    peer unavailable: {reason}")
        elif "nsga2" in methods:  # the second NSGA-II peer, measured whenever ours is
            start = time.perf_counter()
            hv["pymoo_nsga2"] = [pymoo_nsga2(problem, s) for s in range(n_seeds)]
            seconds["pymoo_nsga2"] = (time.perf_counter() - start) / n_seeds
        rs = hv["random_search"]
        for method, values in hv.items():
            wins = sum(a > b for a, b in zip(values, rs, strict=True))
            line = f"  {name:14s} {method:14s} HV {np.mean(values):9.4f}  wins {wins:2d}/{n_seeds}"
            if method != "random_search":
                line += f"  p(better than RS) {_p(values, rs, 'greater'):.3g}"
            line += f"  {seconds[method]:.2f} s/run"
            print(line)
        if "nsga2" in hv:
            for other in ("optuna_nsga2", "pymoo_nsga2"):
                if other in hv:
                    p = _p(hv["nsga2"], hv[other], "less")
                    print(f"  {name:14s} nsga2 vs {other}: p(nsga2 worse) {p:.3g}")


def speed(n_trials: int) -> None:
    """Print NSGA-II's ask+tell time per trial against Optuna's NSGAIISampler (part 2)."""
    problem = make_problem("zdt1", dim=10)

    def ours() -> None:
        method = NSGA2(problem.task, seed=0, population_size=POPULATION)
        for _ in range(n_trials):
            trial = method.ask()
            method.tell(evaluate(problem, trial))

    cases: dict[str, Callable[[], None]] = {"nsga2 (ours)": ours}
    optuna, reason = peer("optuna")
    if optuna is not None:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        distributions = {n: optuna.distributions.FloatDistribution(0.0, 1.0) for n in problem.names}

        def theirs() -> None:
            sampler = optuna.samplers.NSGAIISampler(population_size=POPULATION, seed=0)
            study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
            for _ in range(n_trials):
                trial = study.ask(distributions)
                study.tell(
                    trial, problem.function(np.array([trial.params[n] for n in problem.names])).tolist()
                )

        cases["optuna NSGAIISampler"] = theirs
    timings = interleaved(cases, repeats=3)
    print(
        f"\nms per trial (ask + tell + ZDT1 evaluation), {n_trials} trials, "
        "min / median of 3 interleaved repeats"
    )
    for name, timing in timings.items():
        print(f"  {name:22s} {timing.per(n_trials, scale=1e3)}")
    if optuna is None:
        print(f"  optuna NSGAIISampler   peer unavailable: {reason}")
    else:
        ratio = timings["optuna NSGAIISampler"].min / timings["nsga2 (ours)"].min
        print(f"  speed-up of ours over Optuna (min): {ratio:.1f}x")


def main() -> None:
    """Run both parts (see the module docstring for the arguments)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per method and problem")
    parser.add_argument("--trials", type=int, default=1000, help="trials of the speed comparison")
    parser.add_argument("--methods", nargs="*", choices=sorted(METHODS), default=None)
    parser.add_argument("--problems", nargs="*", choices=sorted(PROBLEMS), default=None)
    args = parser.parse_args()
    methods = args.methods or [m for m in METHODS if m != "random_search"]
    quality(args.seeds, methods, args.problems or list(PROBLEMS))
    speed(args.trials)


if __name__ == "__main__":
    main()
