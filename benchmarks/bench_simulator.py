"""Simulated parallel workers: 24 simulated hours of ASHA with 32 workers on a tabular task.

Measures the wall time of :class:`hpobench.simulator.Simulation` driving ASHA against a
multi-fidelity table (default: a TaskSet task, 51 recorded curve points, cost 4 s per point),
and whether the cost per evaluation stays flat as the run grows: it prints the wall time per
evaluation for consecutive chunks of evaluations and the ratio of the last chunk to the first.

Runs, all in this process and on the same task:

* ``asha x32``: ASHA with promotions continuing checkpoints (freeze-thaw), 32 workers, 24 h;
* ``asha x32 scratch``: the same, promotions retrained from scratch;
* ``asha x1``: the same ASHA with one worker (baseline for the event queue);
* ``sorting asha x32`` (baseline): ASHA whose promotion query sorts every rung's results on
  each ask, as Algorithm 2 reads (the previous implementation) — capped at ``--baseline-evals``
  evaluations because its cost per evaluation grows with the run;
* ``execute_run``: the whole run through the runner (result table and references included).

The split columns give the time inside the method (ask + tell), inside the benchmark
(``evaluate``) and the rest (event queue, book-keeping).

Usage: ``python benchmarks/bench_simulator.py [--task FAMILY/TASK] [--hours 24] [--workers 32]``
(needs ``HPOBENCH_DATA_DIR`` or ``--data-dir`` for data tasks; ``synthetic/hartmann3`` needs none).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

from hpobench.benchmark import Benchmark, BenchmarkSpec
from hpobench.budget import Budget
from hpobench.datadir import resolve_data_dir
from hpobench.method import Method
from hpobench.methods._pending import loss_of
from hpobench.methods.asha import ASHA
from hpobench.registry import load_benchmark
from hpobench.runner import RunSpec, execute_run
from hpobench.simulator import Simulation
from hpobench.types import Evaluation, Trial

DEFAULT_TASK = "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128"


class SortingASHA(ASHA):
    """Baseline: ASHA's promotion query by sorting each rung's results on every ask."""

    def __init__(self, task: Any, *, seed: int, continuation: bool | None = None) -> None:
        super().__init__(task, seed=seed, continuation=continuation)
        self._all: list[list[tuple[float, int, int]]] = [[] for _ in self.rung_fidelities]
        self._done: list[set[int]] = [set() for _ in self.rung_fidelities]
        self._n = 0

    def _promotion(self) -> tuple[int, int] | None:
        for k in reversed(range(len(self.rung_fidelities) - 1)):
            results = self._all[k]
            n_top = math.floor(len(results) / self._eta + 1e-9)
            for loss, _, index in sorted(results)[:n_top]:
                if index not in self._done[k] and math.isfinite(loss):
                    self._done[k].add(index)
                    return index, k + 1
        return None

    def tell(self, evaluation: Evaluation) -> None:
        index, rung = self._pending.pop(evaluation.trial)
        self._all[rung].append((loss_of(evaluation, self.task), self._n, index))
        self._n += 1


class Clocked(Method):
    """Wraps a method and records the wall clock every ``chunk`` tells."""

    def __init__(self, inner: Method, chunk: int) -> None:
        super().__init__(inner.task, seed=inner.seed)
        self.inner = inner
        self.chunk = chunk
        self.told = 0
        self.marks = [time.perf_counter()]

    def ask(self) -> Trial | None:
        return self.inner.ask()

    def tell(self, evaluation: Evaluation) -> None:
        self.inner.tell(evaluation)
        self.told += 1
        if self.told % self.chunk == 0:
            self.marks.append(time.perf_counter())


def simulate(
    label: str, benchmark: Benchmark, method: Method, *, budget: Budget, workers: int, chunk: int, cap: int
) -> tuple[int, float]:
    clocked = Clocked(method, chunk)
    sim = Simulation(
        benchmark=benchmark, method=clocked, budget=budget, workers=workers, noise_seed=0, max_evaluations=cap
    )
    start = time.perf_counter()
    clocked.marks[0] = start
    sim.run()
    wall = time.perf_counter() - start
    n = len(sim.completed)
    per = [1e6 * (b - a) / chunk for a, b in zip(clocked.marks, clocked.marks[1:], strict=False)]
    other = wall - sim.method_seconds - sim.benchmark_seconds
    continued = sum(c.continued for c in sim.completed)
    print(
        f"{label:<22} {n:>8} evals ({continued:>6} continued) {sim.now / 3600:6.2f} sim-h  {wall:7.2f} s  "
        f"{1e6 * wall / max(n, 1):6.1f} us/eval  [method {1e6 * sim.method_seconds / max(n, 1):5.1f}, "
        f"benchmark {1e6 * sim.benchmark_seconds / max(n, 1):5.1f}, simulator {1e6 * other / max(n, 1):5.1f}]"
    )
    if len(per) >= 2:
        shown = " ".join(f"{p:.0f}" for p in per[:: max(1, len(per) // 12)])
        print(f"{'':<22} us/eval per {chunk} evals: {shown}; last/first chunk = {per[-1] / per[0]:.2f}")
    return n, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default=DEFAULT_TASK)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--baseline-evals", type=int, default=8_000)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    data_dir = resolve_data_dir(args.data_dir)
    spec = BenchmarkSpec.parse(args.task)
    benchmark = load_benchmark(spec, data_dir=data_dir)
    budget = Budget.parse(f"{args.hours * 3600:g}s")
    print(f"task {args.task}: continuation={benchmark.task.continuation}, budget {args.hours:g} simulated h")
    task = benchmark.task
    common: dict[str, Any] = {"budget": budget, "chunk": args.chunk}
    n, wall = simulate(
        f"asha x{args.workers}", benchmark, ASHA(task, seed=0), workers=args.workers, cap=10**7, **common
    )
    simulate(
        f"asha x{args.workers} scratch",
        benchmark,
        ASHA(task, seed=0, continuation=False),
        workers=args.workers,
        cap=10**7,
        **common,
    )
    simulate("asha x1", benchmark, ASHA(task, seed=0), workers=1, cap=10**7, **common)
    _, base_wall = simulate(
        f"sorting asha x{args.workers}",
        benchmark,
        SortingASHA(task, seed=0),
        workers=args.workers,
        cap=args.baseline_evals,
        budget=Budget.parse(str(args.baseline_evals)),
        chunk=args.chunk,
    )
    run = RunSpec(benchmark=spec, method="asha", seed=0, budget=budget, workers=args.workers)
    start = time.perf_counter()
    outcome = execute_run(run, data_dir=None if data_dir is None else Path(data_dir))
    total = time.perf_counter() - start
    print(
        f"{'execute_run':<22} {len(outcome.frame):>8} evals, {total:.2f} s in all "
        f"(status {outcome.provenance['status']}, {1e6 * total / max(len(outcome.frame), 1):.1f} us/eval)"
    )
    print(
        f"summary: {n} evaluations in {wall:.2f} s with {args.workers} workers "
        f"({1e6 * wall / n:.1f} us/eval); the sorting baseline took {base_wall:.2f} s for its first "
        f"{args.baseline_evals} evaluations"
    )


if __name__ == "__main__":
    main()
