"""Freeze-thaw methods: milliseconds per decision, and wall time of a simulated 8-worker run.

Part 1, decision cost: each method (``freeze_thaw``, ``dpl``, ``dyhpo``, ``ifbo`` with seeded
random FT-PFN weights of the default architecture) is put on ``lcbench_own/german`` with ``N``
observed curve points (``N / 10`` configurations with 10 epochs each, values from the table
itself), after the first model fit
(DPL's 250 epochs, DyHPO's 250 steps, reported apart). Then each round times one ``ask`` (the
decision: refit and acquisition over the pool) per method, interleaved (:mod:`_timing`); the
trial is told its table value after the clock stops. Printed: ms per decision, min / median.

Part 2, simulated run: :func:`hpobench.execution.runner.execute_run` of ASHA (the model-free peer) and
each method on
``lcbench_own/german`` with 8 simulated workers for ``--sim-hours`` of simulated time, one run
each (wall seconds, evaluations, decisions per wall second). A run that has not finished
after ``--wall-limit`` seconds is stopped and reported as such, with the simulated time it
reached (the method still runs in the main process; the limit is checked between calls). A
budget the runner refuses is printed with its reason: 24 simulated hours on ``lcbench_own``
(about 0.25 s per full training) exceed the runner's cap of 1,000,000 evaluations per run.

Usage: python benchmarks/bench_freeze_thaw.py [--points 50 200 1000] [--repeats 5]
       [--sim-hours 24] [--wall-limit 600] [--skip-run]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from _timing import interleaved

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.method import Method
from hpobench.contracts.types import Evaluation, Trial
from hpobench.data.registry import load_benchmark, load_method
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec

TASK = "lcbench_own/german"
METHODS = ("freeze_thaw", "dpl", "dyhpo", "ifbo")
KWARGS: dict[str, dict[str, Any]] = {
    "ifbo": {"checkpoint": "random"},
    "dpl": {"full_fits": 1},
    "dyhpo": {"full_fits": 1},
}
"""ifbo runs seeded random FT-PFN weights of the default architecture: the cost of a forward pass
does not depend on the weights' values. DPL and DyHPO fit from scratch at their first 10 model
decisions (and on stagnation) and refine otherwise; ``full_fits=1`` makes every timed decision
after the preparation's fit a refinement, their steady state (the fit from scratch is timed
apart, "first fit")."""


def _answer(benchmark: Any, trial: Trial) -> Evaluation:
    plain = Trial(config=trial.config, fidelity=trial.fidelity)
    evaluation: Evaluation = benchmark.evaluate([plain], seed=0)[0]
    return Evaluation(trial=trial, values=evaluation.values, cost=evaluation.cost, status=evaluation.status)


def _prepared(name: str, benchmark: Any, n_points: int) -> Method:
    """A method that has seen ``n_points`` curve points (10 epochs of ``n_points / 10`` configs).

    Its first model fit (by one ask, told) is part of the preparation.

    The curves are entered into the method's state directly (not asked for), so that preparing
    1,000 points does not take 900 decisions.
    """
    method: Any = load_method(name)(benchmark.task, seed=0, n_initial=1, **KWARGS.get(name, {}))
    n_configs = n_points // 10
    for _ in range(n_configs):
        method._refill()
        index = method._unstarted.pop(0)
        method._started += 1
        entry = method._entries[index]
        for step in range(10):
            trial = Trial(config=entry.config, fidelity=method.fidelities[step])
            loss = -float(_answer(benchmark, trial).values[benchmark.task.objective.name])
            method._ids.append(index)
            method._steps.append(step)
            method._losses.append(loss)
        entry.level = 9
    method._refill()
    first = method.ask()  # the first model fit
    method.tell(_answer(benchmark, first))
    return method  # type: ignore[no-any-return]


def _time_decisions(methods: dict[str, Any], benchmark: Any, repeats: int) -> dict[str, list[float]]:
    """Seconds of each ``ask`` per method, interleaved; answers are told outside the clock."""
    pending: list[tuple[str, Trial]] = []

    def case(name: str) -> Any:
        def run() -> None:
            pending.append((name, methods[name].ask()))

        return run

    cases = {name: case(name) for name in methods}
    timings: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeats):
        for name, timing in interleaved(cases, repeats=1, warmup=False).items():
            timings[name].extend(timing.seconds)
        while pending:
            name, trial = pending.pop()
            methods[name].tell(_answer(benchmark, trial))
    return timings


def decision_costs(points: list[int], repeats: int) -> None:
    benchmark = load_benchmark(TASK)
    print(f"## ms per decision on {TASK} (min / median over {repeats} interleaved repeats)")
    print("| observed points | " + " | ".join(METHODS) + " | first fit (s): " + ", ".join(METHODS) + " |")
    print("|---|" + "---|" * (len(METHODS) + 1))
    for n in points:
        methods: dict[str, Any] = {}
        first: dict[str, float] = {}
        for name in METHODS:
            start = time.perf_counter()
            methods[name] = _prepared(name, benchmark, n)
            first[name] = time.perf_counter() - start

        timings = _time_decisions(methods, benchmark, repeats)
        cells = []
        for name in METHODS:
            s = sorted(timings[name])
            cells.append(f"{1e3 * s[0]:.3g} / {1e3 * s[len(s) // 2]:.3g}")
        fits = ", ".join(f"{first[name]:.2f}" for name in METHODS)
        print(f"| {n} | " + " | ".join(cells) + f" | {fits} |")


def simulated_runs(sim_hours: float, wall_limit: float) -> None:
    print(f"\n## simulated {sim_hours:g} h, 8 workers, {TASK}: wall time (one run each, seed 0)")
    print("| method | wall s | evaluations | simulated h reached | decisions / wall s |")
    print("|---|---|---|---|---|")
    for name in ("asha", *METHODS):
        spec = RunSpec(
            benchmark=BenchmarkSpec.parse(TASK),
            method=name,
            seed=0,
            budget=Budget.parse(f"{sim_hours * 3600:g}s"),
            workers=8,
            method_kwargs=KWARGS.get(name, {}),
        )
        deadline = time.perf_counter() + wall_limit
        cls = load_method(name)
        original_ask = cls.ask

        def limited_ask(self: Any, _ask: Any = original_ask, deadline: float = deadline) -> Any:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"wall limit of {wall_limit:g} s reached")
            return _ask(self)

        cls.ask = limited_ask  # type: ignore[method-assign]
        start = time.perf_counter()
        try:
            outcome = execute_run(spec)
            error = str(outcome.provenance.get("error") or "")
            if error and "wall limit" not in error:
                print(f"| {name} | refused or failed: {error} | | | |")
                continue
        finally:
            cls.ask = original_ask  # type: ignore[method-assign]
        wall = time.perf_counter() - start
        frame = outcome.frame
        n = len(frame)
        reached = float(frame["time"].max()) / 3600 if n else float("nan")
        status = " (stopped at the wall limit)" if outcome.failed else ""
        print(f"| {name} | {wall:.1f}{status} | {n} | {reached:.2f} | {n / wall:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sim-hours", type=float, default=24.0)
    parser.add_argument("--wall-limit", type=float, default=600.0)
    parser.add_argument("--skip-run", action="store_true")
    args = parser.parse_args()
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, cpus={os.cpu_count()}")
    decision_costs(args.points, args.repeats)
    if not args.skip_run:
        simulated_runs(args.sim_hours, args.wall_limit)


if __name__ == "__main__":
    main()
