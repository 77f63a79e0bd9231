"""Harness overhead per trial: random search on a synthetic function through the runner.

Measures, in one process and one run of this script:

* ``bare loop``: the same method and benchmark driven by a minimal ask/evaluate/tell loop (the
  baseline: what any harness must at least spend);
* ``execute_run``: the full runner (budget accounting, noise seeds, failure handling, timing,
  result table with max-fidelity reference values, provenance);
* ``execute_run + store``: the above plus the atomic Parquet/JSON write.

Prints microseconds per trial, evaluations per second and the ratio to the bare loop. The
reference point measured on this machine for hpoglue's loop is 90 us/trial.

Usage: python benchmarks/bench_harness.py [--trials 20000] [--benchmark synthetic/branin]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from hpobench.benchmark import BenchmarkSpec
from hpobench.budget import Budget
from hpobench.registry import load_benchmark, load_method
from hpobench.runner import RunSpec, execute_run
from hpobench.store import write_run


def bare_loop(benchmark_name: str, method_name: str, trials: int) -> float:
    benchmark = load_benchmark(benchmark_name)
    method = load_method(method_name)(benchmark.task, seed=0)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(trials):
        trial = method.ask()
        assert trial is not None
        method.tell(benchmark.evaluate([trial], seed=int(rng.integers(2**63 - 1)))[0])
    return time.perf_counter() - start


def runner(benchmark_name: str, method_name: str, trials: int, store: bool) -> tuple[float, dict[str, float]]:
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse(benchmark_name),
        method=method_name,
        seed=0,
        budget=Budget.parse(str(trials)),
    )
    start = time.perf_counter()
    outcome = execute_run(spec)
    if store:
        with tempfile.TemporaryDirectory() as tmp:
            write_run(Path(tmp), spec.run_id, outcome.frame, outcome.provenance)
    elapsed = time.perf_counter() - start
    assert not outcome.failed, outcome.provenance.get("error")
    return elapsed, dict(outcome.provenance["timing"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20_000)
    parser.add_argument("--benchmark", default="synthetic/branin")
    parser.add_argument("--method", default="random_search")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = args.trials
    runner(args.benchmark, args.method, 200, store=True)  # warm imports and caches
    bare = min(bare_loop(args.benchmark, args.method, n) for _ in range(args.repeats))
    full, timing = min(
        (runner(args.benchmark, args.method, n, store=False) for _ in range(args.repeats)), key=lambda r: r[0]
    )
    stored = min(runner(args.benchmark, args.method, n, store=True)[0] for _ in range(args.repeats))
    print(f"{args.method} on {args.benchmark}, {n} trials, best of {args.repeats}")
    print(f"{'variant':<24}{'us/trial':>10}{'evals/s':>12}{'x bare':>8}")
    for name, seconds in (("bare loop", bare), ("execute_run", full), ("execute_run + store", stored)):
        print(f"{name:<24}{1e6 * seconds / n:>10.1f}{n / seconds:>12,.0f}{seconds / bare:>8.2f}")
    print(
        f"inside execute_run: method (ask+tell) {timing['method_us_per_trial']:.1f} us/trial, "
        f"benchmark {1e6 * timing['benchmark_seconds'] / n:.1f} us/trial"
    )
    print("reference point (measured on this machine, not in this run): hpoglue loop 90 us/trial")


if __name__ == "__main__":
    main()
