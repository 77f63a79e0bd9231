"""Benchmark the resume scan: checking every run of a large study before resuming it.

Synthesises ``--runs`` runs of ``--evals`` evaluations each (default 4,000 x 100) in the real store
format (``hpobench.execution.store.write_run``: the record holds the table's sha256 and row count), then
times, ``--repeats`` times each (median printed):

* ``scan_runs`` over the planned run ids (one directory listing; per run: both files read, the
  table's sha256 compared, the table decoded, row count and run id compared) - what a resume does;
* the same over records of the format before checksums (verified by decoding and row count);
* ``write_combined`` from scratch (every run checked and read from its files).

The files stay in the OS page cache between repeats (nothing here drops it). Target: a 4,000-run
scan in seconds on a 2-core machine. Run::

    python benchmarks/bench_resume_scan.py [--out DIR] [--runs 4000] [--evals 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from hpobench.execution.store import RUNS_DIR, RunState, scan_runs, write_combined, write_run


def synthesise(out: Path, *, runs: int, evals: int) -> list[str]:
    """Write ``runs`` runs of ``evals`` rows each; return their ids."""
    ids = []
    for i in range(runs):
        run_id = f"task{i % 40:02d}.method_{i // 40 % 10:02d}.s{i // 400}"
        rng = np.random.default_rng(i)
        cost = rng.uniform(0.5, 1.5, evals)
        frame = pd.DataFrame(
            {
                "run_id": pd.Series([run_id] * evals, dtype="string"),
                "benchmark": pd.Series([f"synthetic/t{i % 40}"] * evals, dtype="string"),
                "method": pd.Series([f"method_{i // 40 % 10:02d}"] * evals, dtype="string"),
                "seed": np.full(evals, i // 400, dtype=np.int64),
                "eval": np.arange(evals, dtype=np.int64),
                "config": pd.Series([json.dumps({"x": float(v)}) for v in rng.uniform(size=evals)]),
                "fidelity": np.ones(evals),
                "status": pd.Series(["ok"] * evals, dtype="string"),
                "value": rng.uniform(size=evals),
                "value_max": rng.uniform(size=evals),
                "cost": cost,
                "time": np.cumsum(cost),
                "fidelity_spent": np.arange(1.0, evals + 1),
            }
        )
        record = {"run_id": run_id, "status": "ok", "evaluations": evals, "spec": {"seed": i // 400}}
        write_run(out, run_id, frame, record)
        ids.append(run_id)
    return ids


def _median(repeats: int, call: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="study folder (default: a temporary one)")
    parser.add_argument("--runs", type=int, default=4000)
    parser.add_argument("--evals", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-resume-scan-"))
    start = time.perf_counter()
    ids = synthesise(out, runs=args.runs, evals=args.evals)
    print(f"{args.runs} runs x {args.evals} evaluations written in {time.perf_counter() - start:.1f} s")

    def scan() -> None:
        checks = scan_runs(out, ids)
        if any(c.state is not RunState.OK or not c.verified for c in checks.values()):
            raise SystemExit("a synthesised run did not check out")

    print(f"scan_runs, {len(ids)} runs with checksums: {_median(args.repeats, scan):.2f} s")
    combined = _median(1, lambda: write_combined(out))
    print(f"write_combined from scratch: {combined:.2f} s")
    for record in (out / RUNS_DIR).glob("*.json"):
        data = json.loads(record.read_text())
        del data["table"]
        record.write_text(json.dumps(data))
    legacy = _median(args.repeats, lambda: scan_runs(out, ids))
    print(f"scan_runs, {len(ids)} runs without checksums (previous format): {legacy:.2f} s")
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
