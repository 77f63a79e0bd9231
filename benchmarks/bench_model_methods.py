"""Per-trial overhead of the model-based methods next to Optuna's TPE, and TPE regret vs Optuna.

Part 1 (overhead): on the 6-d continuous space of ``synthetic/hartmann6`` every method first
receives ``N`` results (N = 200 and 1,000) and then the time spent inside ``ask`` + ``tell`` is
averaged over the next ``K`` trials. Single-fidelity methods get their ``N`` results as random
start-up trials (``n_startup_trials=N``; Optuna's ``TPESampler(n_startup_trials=N)`` likewise),
so that only the model's cost at ``N`` observations is measured. Bracket methods (BOHB,
CQR-BO-MF) simply run ``N`` trials first (their per-trial cost is amortised over a bracket or
paid when a new configuration starts, so ``K`` is larger). Optuna runs through its ask/tell
interface with an in-memory study over the same space, in the same process and run.

Part 2 (regret at equal budget): final simple regret after ``B`` evaluations of our TPE and
Optuna's TPE (univariate default and ``multivariate=True``) on Branin, Hartmann-3 and Hartmann-6,
median and mean over 10 seeds.

Usage: ``python benchmarks/bench_model_methods.py [--quick]`` (needs the ``optuna`` extra).
"""

# ruff: noqa: E402  (the BLAS thread variables below must be set before numpy is imported)
from __future__ import annotations

import os

# Small dense linear algebra (GP-BO) is slower with several BLAS threads; set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.method import Method
from hpobench.data import registry
from hpobench.methods.bohb import BOHB
from hpobench.methods.cqr_bo import CQRBO
from hpobench.methods.cqr_bo_mf import CQRBOMF
from hpobench.methods.gp_bo import GPBO
from hpobench.methods.random_search import RandomSearch
from hpobench.methods.regularized_evolution import RegularizedEvolution
from hpobench.methods.tpe import TPE

perf = time.perf_counter


def _optuna() -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def _distributions(benchmark: Benchmark) -> dict[str, Any]:
    optuna = _optuna()
    space = benchmark.task.space
    return {
        name: optuna.distributions.FloatDistribution(
            space[name].lower, space[name].upper, log=space[name].log
        )
        for name in space
    }


def time_method(method: Method, benchmark: Benchmark, n_warm: int, k: int) -> float:
    """Run ``n_warm`` trials, then return the mean ask+tell time in ms over the next ``k``."""
    inside = 0.0
    for i in range(n_warm + k):
        t0 = perf()
        trial = method.ask()
        t1 = perf()
        assert trial is not None
        evaluation = benchmark.evaluate([trial], seed=0)[0]
        t2 = perf()
        method.tell(evaluation)
        if i >= n_warm:
            inside += (t1 - t0) + (perf() - t2)
    return inside / k * 1e3


def time_optuna(benchmark: Benchmark, n_warm: int, k: int, *, multivariate: bool, seed: int = 0) -> float:
    optuna = _optuna()
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_warm, multivariate=multivariate)
    study = optuna.create_study(sampler=sampler)
    dists = _distributions(benchmark)
    from hpobench.contracts.types import Trial

    inside = 0.0
    for i in range(n_warm + k):
        t0 = perf()
        trial = study.ask(dists)
        t1 = perf()
        value = benchmark.evaluate([Trial(config=trial.params)], seed=0)[0].values["value"]
        t2 = perf()
        study.tell(trial, value)
        if i >= n_warm:
            inside += (t1 - t0) + (perf() - t2)
    return inside / k * 1e3


def overhead_table(quick: bool) -> None:
    benchmark = registry.load_benchmark("synthetic/hartmann6")
    task = benchmark.task
    sizes = (200, 1000)
    k_single = 10 if quick else 30
    rows: list[tuple[str, Callable[[int], float]]] = [
        ("optuna TPE (univariate)", lambda n: time_optuna(benchmark, n, k_single, multivariate=False)),
        ("optuna TPE (multivariate)", lambda n: time_optuna(benchmark, n, k_single, multivariate=True)),
        (
            "tpe (multivariate)",
            lambda n: time_method(TPE(task, seed=0, n_startup_trials=n), benchmark, n, k_single),
        ),
        (
            "tpe (independent)",
            lambda n: time_method(
                TPE(task, seed=0, n_startup_trials=n, multivariate=False), benchmark, n, k_single
            ),
        ),
        ("gp_bo", lambda n: time_method(GPBO(task, seed=0, n_startup_trials=n), benchmark, n, 5)),
        ("cqr_bo", lambda n: time_method(CQRBO(task, seed=0, n_startup_trials=n), benchmark, n, k_single)),
        (
            "regularized_evolution",
            lambda n: time_method(RegularizedEvolution(task, seed=0), benchmark, n, 200),
        ),
        ("bohb", lambda n: time_method(BOHB(task, seed=0), benchmark, n, 300)),
        ("cqr_bo_mf", lambda n: time_method(CQRBOMF(task, seed=0), benchmark, n, 100)),
        ("random_search", lambda n: time_method(RandomSearch(task, seed=0), benchmark, n, 1000)),
    ]
    print("## Per-trial overhead (ask + tell, ms) on synthetic/hartmann6 (6-d continuous)\n")
    print("| method | n=200 | n=1000 | growth 1000/200 | vs optuna TPE (univ.) @200 | @1000 |")
    print("|---|---:|---:|---:|---:|---:|")
    reference: dict[int, float] = {}
    for name, fn in rows:
        times = {n: fn(n) for n in sizes}
        if not reference:
            reference = times
        ratio = [times[n] / reference[n] for n in sizes]
        print(
            f"| {name} | {times[200]:.3f} | {times[1000]:.3f} | {times[1000] / times[200]:.2f}x "
            f"| {ratio[0]:.3f} | {ratio[1]:.3f} |",
            flush=True,
        )


def regret_ours(benchmark: Benchmark, seed: int, budget: int) -> float:
    method = TPE(benchmark.task, seed=seed)
    best = np.inf
    for _ in range(budget):
        trial = method.ask()
        evaluation = benchmark.evaluate([trial], seed=0)[0]
        method.tell(evaluation)
        best = min(best, evaluation.values["value"])
    return float(best - benchmark.optimum().best["value"])


def regret_optuna(benchmark: Benchmark, seed: int, budget: int, multivariate: bool) -> float:
    optuna = _optuna()
    from hpobench.contracts.types import Trial

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, multivariate=multivariate))
    dists = _distributions(benchmark)
    best = np.inf
    for _ in range(budget):
        trial = study.ask(dists)
        value = benchmark.evaluate([Trial(config=trial.params)], seed=0)[0].values["value"]
        study.tell(trial, value)
        best = min(best, value)
    return float(best - benchmark.optimum().best["value"])


def regret_table(quick: bool) -> None:
    budget, seeds = (50, 5) if quick else (100, 10)
    print(f"\n## Final regret after {budget} evaluations, {seeds} seeds: median (mean), time per trial\n")
    print("| task | tpe (ours) | optuna TPE (univariate) | optuna TPE (multivariate) |")
    print("|---|---|---|---|")
    runners: list[Callable[[Benchmark, int], float]] = [
        lambda b, s: regret_ours(b, s, budget),
        lambda b, s: regret_optuna(b, s, budget, False),
        lambda b, s: regret_optuna(b, s, budget, True),
    ]
    for name in ("synthetic/branin", "synthetic/hartmann3", "synthetic/hartmann6"):
        benchmark = registry.load_benchmark(name)
        cells = []
        for run in runners:
            t0 = perf()
            values = [run(benchmark, s) for s in range(seeds)]
            ms = (perf() - t0) / (seeds * budget) * 1e3
            cells.append(f"{np.median(values):.4f} ({np.mean(values):.4f}), {ms:.2f} ms")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    quick = "--quick" in sys.argv
    overhead_table(quick)
    regret_table(quick)


if __name__ == "__main__":
    main()
