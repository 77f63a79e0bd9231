"""Simulated parallel workers: 24 simulated hours of ASHA with 32 workers on a tabular task.

Measures the wall and CPU (``time.process_time``) time of :class:`hpobench.execution.simulator.Simulation`
driving ASHA against a multi-fidelity table (default: a TaskSet task, 51 recorded curve points,
cost 4 s per point), and whether the cost per evaluation stays flat as the run grows: it prints
the CPU time per evaluation for consecutive chunks of evaluations and the ratio of the last
chunk to the first. CPU time is the figure to compare on a machine shared with other work.

Runs, all in this process and on the same task:

* ``asha x32``: ASHA with promotions continuing checkpoints (freeze-thaw), 32 workers, 24 h;
* ``asha x32 scratch``: the same, promotions retrained from scratch;
* ``asha x1``: the same ASHA with one worker (baseline for the event queue);
* ``sorting asha x32`` (baseline): ASHA whose promotion query sorts every rung's results on
  each ask, as Algorithm 2 reads (the previous implementation) — capped at ``--baseline-evals``
  evaluations because its cost per evaluation grows with the run;
* ``execute_run``: the whole run through the runner (result table and references included),
  ``--repeats`` times; its min and median wall time (and the CPU time of each) give the
  issue's goal line, ``GOAL ASHA x32 ...: ... MET/MISSES`` (goal: 24 simulated hours in
  <= 3 s). Its peer, Syne Tune's simulator, cannot read this TaskSet table (its blackbox
  repository has no TaskSet loader); when ``syne_tune`` imports, the goal line's peer is
  measured in the same run on the ``fcnet_own`` table both read (``bench_asha_peer.compare``:
  ASHA with the same workers, ``--peer-sim-seconds``, ``--peer-repeats`` interleaved repeats);
  otherwise the line says why not.

The split columns give the wall time inside the method (ask + tell), inside the benchmark
(``evaluate``) and the rest (event queue, book-keeping). ``16k evals`` is the CPU time the same
cost per evaluation gives a 16,000-evaluation workload.

Usage: ``python benchmarks/bench_simulator.py [--task FAMILY/TASK] [--hours 24] [--workers 32] [--repeats 3]``
(needs ``HPOBENCH_DATA_DIR`` or ``--data-dir`` for data tasks; ``synthetic/hartmann3`` needs none).
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _timing import Timing as Repeats
from _timing import goal_line, peer

from hpobench.contracts.benchmark import Benchmark, BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.method import Method
from hpobench.contracts.types import Evaluation, Trial
from hpobench.data.datadir import resolve_data_dir
from hpobench.data.registry import load_benchmark
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.execution.simulator import Simulation
from hpobench.methods._pending import loss_of
from hpobench.methods.asha import ASHA

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


WORKLOAD = 16_000  # evaluations of the "equivalent workload" figure


class Clocked(Method):
    """Wraps a method and records the CPU clock every ``chunk`` tells."""

    def __init__(self, inner: Method, chunk: int) -> None:
        super().__init__(inner.task, seed=inner.seed)
        self.inner = inner
        self.chunk = chunk
        self.told = 0
        self.marks = [time.process_time()]

    def ask(self) -> Trial | None:
        return self.inner.ask()

    def tell(self, evaluation: Evaluation) -> None:
        self.inner.tell(evaluation)
        self.told += 1
        if self.told % self.chunk == 0:
            self.marks.append(time.process_time())


@dataclass(frozen=True, kw_only=True)
class Timing:
    """Evaluations and the wall and CPU seconds they took."""

    n: int
    wall: float
    cpu: float

    def describe(self) -> str:
        """``wall s / CPU s, us per evaluation (CPU), CPU s for the 16k workload``."""
        per = 1e6 * self.cpu / max(self.n, 1)
        return (
            f"{self.wall:6.2f} s wall {self.cpu:6.2f} s CPU  {per:6.1f} us/eval CPU "
            f"({1e6 * self.wall / max(self.n, 1):6.1f} wall)  16k evals {per * WORKLOAD / 1e6:5.2f} s CPU"
        )


def simulate(
    label: str, benchmark: Benchmark, method: Method, *, budget: Budget, workers: int, chunk: int, cap: int
) -> Timing:
    clocked = Clocked(method, chunk)
    sim = Simulation(
        benchmark=benchmark, method=clocked, budget=budget, workers=workers, noise_seed=0, max_evaluations=cap
    )
    start, cpu = time.perf_counter(), time.process_time()
    clocked.marks[0] = cpu
    sim.run()
    timing = Timing(n=sim.started, wall=time.perf_counter() - start, cpu=time.process_time() - cpu)
    n = timing.n
    per = [1e6 * (b - a) / chunk for a, b in zip(clocked.marks, clocked.marks[1:], strict=False)]
    other = timing.wall - sim.method_seconds - sim.benchmark_seconds
    continued = sum(c.continued for c in sim.completed)
    print(
        f"{label:<22} {n:>7} evals ({continued:>6} continued) {sim.now / 3600:5.2f} sim-h  "
        f"{timing.describe()}\n{'':<22} wall split per eval: "
        f"method {1e6 * sim.method_seconds / max(n, 1):5.1f} us, "
        f"benchmark {1e6 * sim.benchmark_seconds / max(n, 1):5.1f} us, "
        f"simulator {1e6 * other / max(n, 1):5.1f} us"
    )
    if len(per) >= 2:
        shown = " ".join(f"{p:.0f}" for p in per[:: max(1, len(per) // 12)])
        third = max(1, len(per) // 3)
        flat = (sum(per[-third:]) / third) / (sum(per[:third]) / third)
        print(
            f"{'':<22} CPU us/eval per {chunk} evals: {shown}; last/first chunk = {per[-1] / per[0]:.2f}, "
            f"last/first third = {flat:.2f}"
        )
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default=DEFAULT_TASK)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--baseline-evals", type=int, default=8_000)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--repeats", type=int, default=3, help="execute_run repeats for the goal line")
    parser.add_argument("--goal-only", action="store_true", help="only the execute_run repeats and the goal")
    parser.add_argument("--peer-repeats", type=int, default=3, help="Syne Tune comparison repeats (0: skip)")
    parser.add_argument("--peer-sim-seconds", type=float, default=120.0, help="simulated s of the peer runs")
    args = parser.parse_args()

    data_dir = resolve_data_dir(args.data_dir)
    spec = BenchmarkSpec.parse(args.task)
    benchmark = load_benchmark(spec, data_dir=data_dir)
    budget = Budget.parse(f"{args.hours * 3600:g}s")
    print(f"task {args.task}: continuation={benchmark.task.continuation}, budget {args.hours:g} simulated h")
    if not args.goal_only:
        compare(args, benchmark, budget)
    run = RunSpec(benchmark=spec, method="asha", seed=0, budget=budget, workers=args.workers)
    folder = None if data_dir is None else Path(data_dir)
    walls: list[float] = []
    cpus: list[float] = []
    splits: list[str] = []
    rows = 0
    for _ in range(args.repeats):  # one case: each repeat is a whole run in this process
        start, cpu = time.perf_counter(), time.process_time()
        outcome = execute_run(run, data_dir=folder)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        rows = len(outcome.frame)
        timing = outcome.provenance["timing"]
        inside = timing["method_seconds"] + timing["benchmark_seconds"]
        splits.append(
            f"method {timing['method_seconds']:.2f} s, benchmark {timing['benchmark_seconds']:.2f} s, "
            f"event loop {timing['simulation_seconds'] - inside:.2f} s, "
            f"reference values {timing['reference_seconds']:.2f} s, "
            f"result table {timing['record_seconds']:.2f} s"
        )
        print(
            f"{'execute_run + table':<22} {rows:>7} evals (status {outcome.provenance['status']})  "
            f"{walls[-1]:6.2f} s wall {cpus[-1]:6.2f} s CPU ({splits[-1]})"
        )
        del outcome
    wall = Repeats(name="execute_run", seconds=tuple(walls))
    cpu_time = Repeats(name="execute_run CPU", seconds=tuple(cpus))
    peer_text = _peer_text(args)
    hours = f"{args.hours:g} simulated h"
    print(
        goal_line(
            f"ASHA x{args.workers}, {hours}, {args.task.split('/')[0]}, execute_run (result table included)",
            value=(
                f"{wall.min:.2f} / {wall.median:.2f} s wall (min / median of {args.repeats}), "
                f"{cpu_time.min:.2f} / {cpu_time.median:.2f} s CPU, {rows} evaluations; the fastest: "
                f"{splits[walls.index(wall.min)]}"
            ),
            goal="<= 3 s wall",
            met=wall.min <= 3.0,
            peer_text=peer_text,
        )
    )


def _peer_text(args: argparse.Namespace) -> str:
    """Syne Tune's simulator measured now against hpobench on the table both can read (or why not).

    Its blackbox repository has no TaskSet loader, so the two run ASHA with the same workers on
    ``fcnet_own`` (``bench_asha_peer.compare``), interleaved, in this process.
    """
    syne_tune, reason = peer("syne_tune")
    if syne_tune is None or args.peer_repeats < 1:
        why = reason if syne_tune is None else "--peer-repeats 0"
        return f"Syne Tune's simulator not measured ({why}); bench_asha_peer.py measures it"
    from bench_asha_peer import TASK as PEER_TASK
    from bench_asha_peer import compare as peer_compare

    seconds = args.peer_sim_seconds
    timings, _, _ = peer_compare(sim_seconds=seconds, workers=args.workers, repeats=args.peer_repeats)
    ours, theirs = timings["hpobench"], timings["Syne Tune"]
    return (
        f"Syne Tune {syne_tune.__version__} simulator (cannot read TaskSet), ASHA x{args.workers}, "
        f"{seconds:g} simulated s on {PEER_TASK}, same run: {theirs.min:.2f} / {theirs.median:.2f} s "
        f"wall vs hpobench {ours.min:.2f} / {ours.median:.2f} s ({theirs.min / ours.min:.1f}x)"
    )


def compare(args: argparse.Namespace, benchmark: Benchmark, budget: Budget) -> None:
    """The simulations without the runner: 32 and 1 workers, scratch, and the sorting baseline."""
    task = benchmark.task
    common: dict[str, Any] = {"budget": budget, "chunk": args.chunk}
    main_run = simulate(
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
    one = simulate("asha x1", benchmark, ASHA(task, seed=0), workers=1, cap=10**7, **common)
    base = simulate(
        f"sorting asha x{args.workers}",
        benchmark,
        SortingASHA(task, seed=0),
        workers=args.workers,
        cap=args.baseline_evals,
        budget=Budget.parse(str(args.baseline_evals)),
        chunk=args.chunk,
    )

    def per_eval(t: Timing) -> float:
        return t.cpu / max(t.n, 1)

    print(
        f"summary: {main_run.n} evaluations with {args.workers} workers in {main_run.wall:.2f} s wall / "
        f"{main_run.cpu:.2f} s CPU ({1e6 * per_eval(main_run):.1f} us/eval CPU; "
        f"{per_eval(main_run) * WORKLOAD:.2f} s CPU per {WORKLOAD:,} evaluations); per evaluation "
        f"{per_eval(main_run) / per_eval(one):.2f}x "
        f"the 1-worker run and {per_eval(base) / per_eval(main_run):.1f}x faster than the sorting baseline's "
        f"first {args.baseline_evals} evaluations"
    )


if __name__ == "__main__":
    main()
