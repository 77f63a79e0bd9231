"""Benchmark report generation on a large synthetic study.

Synthesises ``--methods x --tasks x --seeds`` runs of ``--evals`` evaluations each (default
10 x 30 x 10 x 200 = 3,000 runs, 600,000 rows) in the real store format
(``hpobench.execution.store.write_run`` with provenance records carrying reference optima), then writes the
study's combined table as ``run_study`` does at its end (``hpobench.execution.store.write_combined``).

Timed, alternating so that both see the same machine load (the machine may be shared):

* cold: ``write_report`` in a fresh Python process (imports, load, metrics, 8 PNG/SVG figures,
  md/tex/html), reading the combined table (new) or every per-run file (baseline: the previous
  loading path, ``load_results(..., combined=False)``);
* warm: a second ``write_report`` in the same process;
* ``load_results`` alone, both ways.

The files stay in the OS page cache between repeats (nothing here drops it). Target: a cold
report in under 10 s on a 2-core machine. Run::

    python benchmarks/bench_report.py [--out DIR] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hpobench.execution.store import finished_run_ids, write_combined, write_run
from hpobench.results.load import load_results


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


_CHILD = """
import functools, json, resource, sys, time
start = time.perf_counter()
from pathlib import Path
import hpobench.results.report as report
from hpobench.results.load import load_results
from hpobench.results.regret import XAxis
if sys.argv[2] == "per-run":
    report.load_results = functools.partial(load_results, combined=False)
first = time.perf_counter()
def cpu():
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
report.write_report(Path(sys.argv[1]), axis=XAxis.EVALS)
cold, cold_cpu = time.perf_counter() - start, cpu()
second = time.perf_counter()
report.write_report(Path(sys.argv[1]), axis=XAxis.EVALS)
warm = time.perf_counter() - second
print(json.dumps({"cold": cold, "imports": first - start, "warm": warm, "cpu": cold_cpu}))
"""


def report_in_fresh_process(out: Path, source: str) -> dict[str, float]:
    """Cold and warm ``write_report`` times in a new interpreter, reading ``source`` tables."""
    # from a neutral folder: started in a source checkout, ``-c`` would import the checkout's
    # ``hpobench`` folder (which lacks the plugin folders) instead of the installed package
    command = [sys.executable, "-c", _CHILD, str(out), source]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if done.returncode != 0:  # show why: the child's own error, not only its exit status
        why = done.stderr[-3000:]
        raise SystemExit(f"the report ({source} tables) failed, exit {done.returncode}:\n{why}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def time_load(out: Path, *, combined: bool) -> float:
    start = time.perf_counter()
    load_results(out, combined=combined)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="study directory (kept; reused if complete)")
    parser.add_argument("--methods", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--evals", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    out = (
        args.out
        or Path(tempfile.gettempdir())
        / f"hpobench-bench-report-{args.methods}x{args.tasks}x{args.seeds}x{args.evals}"
    ).resolve()  # the report runs from another folder
    expected = args.methods * args.tasks * args.seeds
    if len(finished_run_ids(out)) != expected:
        start = time.perf_counter()
        rows = synthesise(out, methods=args.methods, tasks=args.tasks, seeds=args.seeds, evals=args.evals)
        print(f"synthesised {expected} runs, {rows} rows in {time.perf_counter() - start:.1f} s -> {out}")
    start = time.perf_counter()
    write_combined(out)  # what run_study does when the study finishes (a no-op when up to date)
    print(f"combined table (write_combined, as at the end of run_study): {time.perf_counter() - start:.2f} s")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        f"study: {args.methods} methods x {args.tasks} tasks x {args.seeds} seeds x {args.evals} evaluations"
    )
    print(f"load average before timing: {os.getloadavg()[0]:.2f} (the ratios are the load-robust figures)")
    times: dict[str, list[dict[str, float]]] = {"combined": [], "per-run": []}
    loads: dict[str, list[float]] = {"combined": [], "per-run": []}
    for i in range(args.repeats):
        for source in ("per-run", "combined") if i % 2 else ("combined", "per-run"):
            times[source].append(report_in_fresh_process(out, source))
            loads[source].append(time_load(out, combined=source == "combined"))
        new, old = times["combined"][-1], times["per-run"][-1]
        print(
            f"repeat {i + 1}: cold report {new['cold']:.2f} s (per-run files: {old['cold']:.2f} s), "
            f"warm {new['warm']:.2f} s ({old['warm']:.2f} s), load_results {loads['combined'][-1]:.2f} s "
            f"({loads['per-run'][-1]:.2f} s); load average {os.getloadavg()[0]:.2f}"
        )

    def med(source: str, key: str) -> float:
        return statistics.median(t[key] for t in times[source])

    cold, base = med("combined", "cold"), med("per-run", "cold")
    load_new, load_old = statistics.median(loads["combined"]), statistics.median(loads["per-run"])
    imports, cpu = med("combined", "imports"), med("combined", "cpu")
    print(
        f"median of {args.repeats}: cold report {cold:.2f} s (of which imports {imports:.2f} s; "
        f"CPU {cpu:.2f} s, forked figure process included) "
        f"[target < 10 s: {'ok' if cold < 10 else 'MISSED'}]; warm {med('combined', 'warm'):.2f} s"
    )
    print(
        f"baseline (per-run files, same run): cold {base:.2f} s (CPU {med('per-run', 'cpu'):.2f} s), "
        f"warm {med('per-run', 'warm'):.2f} s; "
        f"cold ratio {base / cold:.2f}x, load_results {load_new:.2f} s vs {load_old:.2f} s "
        f"({load_old / load_new:.1f}x)"
    )


if __name__ == "__main__":
    main()
