"""The hot path of a run, measured against its physical limits (issue 17, part A).

Every row is measured in this run, interleaved over ``--repeats`` rounds (each round times every
variant once, so load on a shared machine hits all of them alike); the min and the median are
printed, and the goal is judged on the min. Rows:

* ``harness overhead``: random search on Branin through :func:`hpobench.execution.runner.execute_run`
  (``--trials`` trials, in-process): wall time minus the method's own time (``ask`` + ``tell``,
  as the simulation clocks it) minus the objective's (the plain scalar Branin formula, timed on
  as many points), per trial. Everything else — validation, ``Evaluation`` objects, the event
  queue, noise seeds, the result table with its reference values, provenance — is overhead.
  No verdict here: the goal (at most 1/5 of hpoglue's overhead) is judged by
  ``bench_harness.py``, which measures hpoglue in the same run and counts ``evaluate`` and the
  reference values as the objective's time, not the harness's.
* ``branin evaluate (1 trial)``: ``SyntheticBenchmark.evaluate`` on one prepared trial, against
  the plain formula. Goal: 2 us.
* ``fcnet evaluate / evaluate_arrays / evaluate_indices (10k)``: a batch of 10,000 random
  FCNet queries, against a numpy gather of the same cells (the physical limit). Goals: 3 M/s for
  ``evaluate``, 20 M/s for ``evaluate_arrays`` (needs ``--data-dir`` or ``HPOBENCH_DATA_DIR``);
  ``evaluate_indices`` (rows given, nothing to match) has no goal of its own and no verdict.
* ``asha x32 24h taskset``: ASHA with 32 simulated workers for 24 simulated hours on the TaskSet
  task through ``execute_run`` (result table included). Goal: 3 s.

The functions return seconds per repeat so that other scripts (``nox -s bench``) can call them.
``--clock cpu`` times this thread's CPU time instead of the wall clock (use it on a shared, busy
machine, where other processes take the CPU away mid-measurement; every row uses the same clock).
The method's share inside ``execute_run`` is then its share of the run's wall time (the
simulation clocks the method with ``perf_counter``) applied to the run's CPU time.

Usage: ``python benchmarks/bench_hotpath.py [--data-dir DIR] [--repeats 5] [--only harness,branin]``
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.types import Trial
from hpobench.data.datadir import resolve_data_dir
from hpobench.data.registry import load_benchmark
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec

CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.thread_time}
CLOCK = CLOCKS["wall"]
TASKSET = "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128"
FCNET = "fcnet/protein_structure"


def plain_branin(x0: float, x1: float) -> float:
    """Branin at the maximal fidelity as a plain Python function (what a bare loop would call)."""
    b, c, t = 5.1 / (4.0 * math.pi**2), 5.0 / math.pi, 1.0 / (8.0 * math.pi)
    return (x1 - b * x0 * x0 + c * x0 - 6.0) ** 2 + 10.0 * (1.0 - t) * math.cos(x0) + 10.0


def _points(n: int, seed: int = 0) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    return list(zip(rng.uniform(-5, 10, n).tolist(), rng.uniform(0, 15, n).tolist(), strict=True))


def harness_overhead(trials: int = 2000) -> Callable[[], float]:
    """One timing of the harness overhead per trial, in seconds (see the module docstring)."""
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse("synthetic/branin"),
        method="random_search",
        seed=0,
        budget=Budget.parse(str(trials)),
    )
    points = _points(trials)
    execute_run(spec)  # imports, the cached benchmark, the process-wide provenance caches

    def once() -> float:
        start, wall_start = CLOCK(), time.perf_counter()
        outcome = execute_run(spec)
        spent, wall = CLOCK() - start, time.perf_counter() - wall_start
        assert not outcome.failed, outcome.provenance.get("error")
        t0 = CLOCK()
        for x0, x1 in points:
            plain_branin(x0, x1)
        objective = CLOCK() - t0
        method = spent * float(outcome.provenance["timing"]["method_seconds"]) / wall
        return (spent - method - objective) / trials

    return once


def branin_evaluate(n: int = 20_000) -> dict[str, Callable[[], float]]:
    """Seconds per single-trial ``evaluate`` and per plain-formula call."""
    bench = load_benchmark("synthetic/branin")
    points = _points(n, seed=1)
    batches = [[Trial(config={"x0": x0, "x1": x1})] for x0, x1 in points]

    def evaluate() -> float:
        start = CLOCK()
        for batch in batches:
            bench.evaluate(batch, seed=0)
        return (CLOCK() - start) / n

    def plain() -> float:
        start = CLOCK()
        for x0, x1 in points:
            plain_branin(x0, x1)
        return (CLOCK() - start) / n

    return {"branin evaluate (1 trial)": evaluate, "plain branin formula": plain}


def fcnet_batch(data_dir: Path | None, n: int = 10_000) -> dict[str, Callable[[], float]]:
    """Seconds per evaluation of a batch of ``n`` random FCNet queries, per variant."""
    bench = load_benchmark(FCNET, data_dir=data_dir)
    rng = np.random.default_rng(2)
    cidx = rng.integers(bench.n_configs, size=n)
    configs = [bench.config_at(int(i)) for i in cidx]
    trials = [Trial(config=c) for c in configs]
    table, cost, s, f = bench._table, bench._cost, 1, bench.n_fidelities - 1
    variants: dict[str, Callable[[], object]] = {
        "fcnet evaluate (10k)": lambda: bench.evaluate(trials, seed=s),
        "fcnet evaluate_arrays (10k)": lambda: bench.evaluate_arrays(configs, seed=s),
        "numpy gather (10k)": lambda: (table[cidx, s, f], cost[cidx, s, f]),
    }
    if hasattr(bench, "evaluate_indices"):
        variants["fcnet evaluate_indices (10k)"] = lambda: bench.evaluate_indices(cidx, seed=s)

    def timed(fn: Callable[[], object]) -> Callable[[], float]:
        def once() -> float:
            start = CLOCK()
            fn()
            return (CLOCK() - start) / n

        return once

    return {name: timed(fn) for name, fn in variants.items()}


def asha_taskset(data_dir: Path | None, hours: float = 24.0, workers: int = 32) -> Callable[[], float]:
    """Wall seconds of one ASHA run (``workers`` simulated workers, ``hours`` simulated h) on TaskSet."""
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse(TASKSET),
        method="asha",
        seed=0,
        budget=Budget.parse(f"{hours * 3600:g}s"),
        workers=workers,
    )

    def once() -> float:
        start = CLOCK()
        outcome = execute_run(spec, data_dir=data_dir)
        wall = CLOCK() - start
        assert not outcome.failed, outcome.provenance.get("error")
        return wall

    return once


def interleaved(variants: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Run every variant once per round, ``repeats`` rounds; return each variant's results."""
    out: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, once in variants.items():
            out[name].append(once())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--only", default="harness,branin,fcnet,asha")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    args = parser.parse_args()
    global CLOCK
    CLOCK = CLOCKS[args.clock]
    only = set(args.only.split(","))
    data_dir = resolve_data_dir(args.data_dir)
    variants: dict[str, Callable[[], float]] = {}
    if "harness" in only:
        variants["harness overhead"] = harness_overhead(args.trials)
    if "branin" in only:
        variants.update(branin_evaluate())
    if "fcnet" in only:
        variants.update(fcnet_batch(data_dir))
    if "asha" in only:
        variants["asha x32 24h taskset"] = asha_taskset(data_dir)
    results = interleaved(variants, args.repeats)
    print(f"interleaved, {args.repeats} rounds, {args.clock} clock; min / median")
    for name, times in results.items():
        lo, med = min(times), statistics.median(times)
        if name.startswith("asha"):
            print(f"{name:<32} {lo:9.2f} s   {med:9.2f} s")
        elif "(10k)" in name:
            print(f"{name:<32} {1 / lo / 1e6:9.2f} M/s {1 / med / 1e6:9.2f} M/s")
        else:
            print(f"{name:<32} {1e6 * lo:9.2f} us  {1e6 * med:9.2f} us")
    goals = (
        ("branin evaluate (1 trial)", lambda t: 1e6 * t <= 2.0, lambda t: f"{1e6 * t:.2f} us (goal <= 2)"),
        ("fcnet evaluate (10k)", lambda t: 1 / t >= 3e6, lambda t: f"{1 / t / 1e6:.2f} M/s (goal >= 3)"),
        (
            "fcnet evaluate_arrays (10k)",
            lambda t: 1 / t >= 20e6,
            lambda t: f"{1 / t / 1e6:.2f} M/s (goal >= 20)",
        ),
        ("asha x32 24h taskset", lambda t: t <= 3.0, lambda t: f"{t:.2f} s (goal <= 3)"),
    )
    if "harness overhead" in results:
        print("harness overhead: no verdict here (bench_harness.py judges it against hpoglue, same run)")
    for name, met, text in goals:
        if name in results:
            best = min(results[name])
            print(f"{'MET   ' if met(best) else 'MISSES'} {name}: {text(best)}")


if __name__ == "__main__":
    main()
