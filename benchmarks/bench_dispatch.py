"""How a study's runs are handed to more workers than it has tasks: task loads and wall time.

The runs only wait (``_dispatch_jobs.py``): loading a task costs ``--load`` seconds once per
worker and task, a run ``--run`` seconds. Waiting needs no core, so the dispatch of a 16-job study
shows on any machine, without the cores to run it. The pool is the one studies use
(:func:`hpobench.execution.containment.run_contained`, grouped by task, batches of
:data:`hpobench.execution.study.BATCH`).

Printed: the task loads over all workers against the floor of one per worker (when there are
more workers than tasks), and the wall time against the floor of the runs alone
(``runs * run / jobs`` plus one load), min and median over ``--repeats`` (interleaved is not
needed: there is one case).

    python benchmarks/bench_dispatch.py [--jobs 16] [--tasks 4] [--runs 400]
"""

from __future__ import annotations

import argparse
import statistics
import time

from _dispatch_jobs import run

from hpobench.execution.containment import Limits, run_contained
from hpobench.execution.study import BATCH


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--runs", type=int, default=400, help="in all, spread evenly over the tasks")
    parser.add_argument("--load", type=float, default=0.1, help="seconds to load a task")
    parser.add_argument("--run", type=float, default=0.046, help="seconds of one run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    items = [(f"task{i % args.tasks}", i, args.load, args.run) for i in range(args.runs)]
    items.sort(key=lambda item: item[0])  # a study's runs come task after task
    list(run_contained(run, items[:1], jobs=1, limits=Limits()))  # the fork server, started untimed
    walls: list[float] = []
    loads: list[int] = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        results = list(
            run_contained(run, items, jobs=args.jobs, limits=Limits(), group=lambda i: i[0], batch=BATCH)
        )
        walls.append(time.perf_counter() - start)
        per_worker: dict[int, int] = {}
        for result in results:
            pid, loaded = result.value
            per_worker[pid] = max(per_worker.get(pid, 0), loaded)
        loads.append(sum(per_worker.values()))
    floor_loads = max(args.jobs, args.tasks)
    floor_wall = args.runs * args.run / args.jobs + args.load
    print(
        f"{args.runs} runs of {args.tasks} tasks on {args.jobs} workers "
        f"(load {args.load:g} s, run {args.run:g} s)"
    )
    print(
        f"task loads: {min(loads)} / {statistics.median(loads):g} (min / median); "
        f"floor {floor_loads} (one per worker)"
    )
    print(
        f"wall: {min(walls):.2f} / {statistics.median(walls):.2f} s (min / median); "
        f"floor {floor_wall:.2f} s (the runs alone, spread evenly, plus one load)"
    )


if __name__ == "__main__":
    main()
