"""Promised trials batched ahead on YAHPO: whole runs with and without, interleaved, in one process.

For each method that promises trials (``Method.upcoming``: the rungs of successive halving,
Hyperband, BOHB and DEHB, random search's samples, ASHA's next new configurations, with its
promotions in between), one run at ``--budget`` on a YAHPO task is timed through
:func:`hpobench.execution.runner.execute_run`:

* ``batched``: as every run goes (``YahpoBenchmark.seed_free``: promised trials are evaluated
  with the trial just asked, in one onnxruntime call);
* ``one by one``: the same run with ``seed_free`` switched off for the process (every trial is
  its own call): the baseline, the code path every run took before.

Both cases of a method run interleaved (:mod:`_timing`), min and median over ``--repeats``; the
columns are the run's wall time and the benchmark's seconds inside it (``timing.benchmark_seconds``
of its provenance). The two tables are checked equal, bit for bit, before anything is timed.

Usage: python benchmarks/bench_ahead.py [--data-dir DIR] [--task yahpo/lcbench-167181] [--repeats 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import pandas as pd
from _timing import interleaved

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.data.datadir import resolve_data_dir
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.surrogates.yahpo import YahpoBenchmark

FALLBACK = Path(__file__).resolve().parents[1].parent / "shared" / "data"
METHODS = ("successive_halving", "hyperband", "bohb", "dehb", "random_search", "asha")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--task", default="yahpo/lcbench-167181")
    parser.add_argument("--budget", default="100x")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data_dir = resolve_data_dir(args.data_dir) or FALLBACK

    def run(method: str, batched: bool, seconds: list[float] | None = None) -> pd.DataFrame:
        spec = RunSpec(
            benchmark=BenchmarkSpec.parse(args.task), method=method, seed=0, budget=Budget.parse(args.budget)
        )
        YahpoBenchmark.seed_free = batched
        try:
            outcome = execute_run(spec, data_dir=data_dir, threads=1)
        finally:
            YahpoBenchmark.seed_free = True
        assert outcome.provenance.get("error") is None, outcome.provenance.get("error")
        if seconds is not None:
            seconds.append(outcome.provenance["timing"]["benchmark_seconds"])
        return outcome.frame.drop(columns=["run_id"])

    print(f"{args.task} at {args.budget}, one run per case, {args.repeats} interleaved repeats (min, median)")
    print(f"python {platform.python_version()}, {platform.machine()}")
    header = f"{'method':<20} {'rows':>5} {'case':<11} {'run wall s':>16} {'benchmark s':>16} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    for method in METHODS:
        pd.testing.assert_frame_equal(run(method, True), run(method, False), check_exact=True)
        inside: dict[bool, list[float]] = {True: [], False: []}
        rows = len(run(method, True))
        timings = interleaved(
            {
                "batched": lambda m=method, s=inside[True]: run(m, True, s),
                "one by one": lambda m=method, s=inside[False]: run(m, False, s),
            },
            repeats=args.repeats,
            clock=time.perf_counter,
        )
        for case, batched in (("one by one", False), ("batched", True)):
            wall = timings[case]
            bench_s = inside[batched][1:]  # the first is the warm-up call
            ratio = timings["one by one"].min / wall.min
            print(
                f"{method:<20} {rows:>5} {case:<11} {wall.min:>7.3f} / {wall.median:<7.3f}"
                f" {min(bench_s):>7.3f} / {statistics.median(bench_s):<7.3f} {ratio:>8.2f}x"
            )
    print("identical tables with and without batches for every method (checked before timing)")


if __name__ == "__main__":
    main()
