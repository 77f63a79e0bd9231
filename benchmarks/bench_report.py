"""Benchmark report generation on a large synthetic study.

Synthesises ``--methods x --tasks x --seeds`` runs of ``--evals`` evaluations each (default
10 x 30 x 10 x 200 = 600,000 rows) in the real store format (``hpobench.store.write_run`` with
provenance records carrying reference optima), then times ``load_results`` and the whole
``write_report`` (all tables, PNG + SVG figures, HTML). Target: the full report in under 10 s on a
2-core machine. Run::

    python benchmarks/bench_report.py [--out DIR] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hpobench.results.load import load_results
from hpobench.results.regret import XAxis
from hpobench.results.report import write_report
from hpobench.store import finished_run_ids, write_run


def synthesise(out: Path, *, methods: int, tasks: int, seeds: int, evals: int) -> int:
    """Write a synthetic study: method ``i`` converges at rate growing with ``i``; returns rows."""
    rows = 0
    eval_idx = np.arange(evals)
    for t in range(tasks):
        best, worst = float(-t), float(-t + 10)
        direction = "maximize" if t % 7 == 6 else "minimize"
        sign = -1.0 if direction == "maximize" else 1.0
        for m in range(methods):
            name = "random_search" if m == 0 else f"method_{m:02d}"
            for s in range(seeds):
                run_id = f"task{t:02d}.{name}.s{s}"
                rng = np.random.default_rng([t, m, s])
                rate = 0.5 + 0.15 * m
                gap = np.exp(-rate * rng.exponential(1.0, evals).cumsum() / 10) * rng.uniform(0.2, 1, evals)
                true = best + (worst - best) * gap  # values in the minimise orientation
                if sign < 0:
                    true = -true
                    b, w = -best, -worst
                else:
                    b, w = best, worst
                value = true + rng.normal(0, 0.01, evals)
                fidelity = rng.choice([1.0, 3.0, 9.0, 27.0], evals)
                cost = fidelity * rng.uniform(0.5, 1.5, evals)
                end = np.cumsum(cost)
                frame = pd.DataFrame(
                    {
                        "run_id": run_id,
                        "benchmark": f"synthetic/task{t:02d}",
                        "method": name,
                        "seed": s,
                        "eval": eval_idx,
                        "config": "{}",
                        "fidelity": fidelity,
                        "tag": "",
                        "status": "ok",
                        "value": value,
                        "value_max": true,
                        "cost": cost,
                        "start": end - cost,
                        "time": end,
                        "worker": 0,
                        "fidelity_spent": np.cumsum(fidelity) / 27.0,
                    }
                )
                provenance = {
                    "run_id": run_id,
                    "spec": {
                        "benchmark": f"synthetic/task{t:02d}",
                        "method": name,
                        "seed": s,
                        "budget": "200",
                    },
                    "status": "ok",
                    "task": {"objective": "value", "direction": direction},
                    "reference": {"best": b, "worst": w, "source": "synthetic"},
                }
                write_run(out, run_id, frame, provenance)
                rows += evals
    return rows


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the report forks one for a figure)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="study directory (kept; reused if complete)")
    parser.add_argument("--methods", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--evals", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    out = args.out or Path(tempfile.gettempdir()) / (
        f"hpobench-bench-report-{args.methods}x{args.tasks}x{args.seeds}x{args.evals}"
    )
    expected = args.methods * args.tasks * args.seeds
    if len(finished_run_ids(out)) != expected:
        start = time.perf_counter()
        rows = synthesise(out, methods=args.methods, tasks=args.tasks, seeds=args.seeds, evals=args.evals)
        print(f"synthesised {expected} runs, {rows} rows in {time.perf_counter() - start:.1f} s -> {out}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        f"study: {args.methods} methods x {args.tasks} tasks x {args.seeds} seeds x {args.evals} evaluations"
    )
    print(f"load average before timing: {os.getloadavg()[0]:.2f} (CPU time is the load-independent figure)")
    for i in range(args.repeats):
        if i == 0:  # first repeat: cold, without the report's consolidated cache
            shutil.rmtree(out / "report" / ".cache", ignore_errors=True)
        start, cpu = time.perf_counter(), time.process_time()
        results = load_results(out)
        load_s, load_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), cpu_seconds()
        report = write_report(out, axis=XAxis.EVALS)
        total, total_cpu = time.perf_counter() - start, cpu_seconds() - cpu
        print(
            f"[{'cold' if i == 0 else 'warm cache'}] load_results {load_s:.2f} s wall / {load_cpu:.2f} s CPU "
            f"({len(results.evaluations)} rows); write_report (load + metrics + {len(report.figures)} "
            f"figure files + md/tex/html) {total:.2f} s wall / {total_cpu:.2f} s CPU "
            f"[target < 10 s: {'ok' if total < 10 else 'MISSED'}]"
        )


if __name__ == "__main__":
    main()
