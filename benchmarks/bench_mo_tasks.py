"""Cost of the multi-objective tasks against their single-objective tasks, in the same run.

    python benchmarks/bench_mo_tasks.py --data-dir ../shared/data [--repeats 7] [--batch 256]

For each pair (``fcnet_mo`` / ``fcnet``, ``lcbench_own_mo`` / ``lcbench_own``, ``yahpo_mo`` /
``yahpo`` on lcbench, ``fitted_mo`` / ``fitted``, ``synthetic_mo/zdt1`` against ``synthetic/branin``
as the nearest single-objective function) it times ``evaluate`` on one batch of the same
configurations and ``evaluate`` on single trials, interleaved (:mod:`_timing`), and prints
min / median microseconds per trial and the MO/SO ratio of the minima. Also timed once: the first
``pareto_reference()`` of a process (reading ``pareto_fronts.json`` and checking the front's
checksum) and ``load`` of each MO task after its base table is cached.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _timing import interleaved

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.types import Trial
from hpobench.data.registry import load_benchmark

PAIRS = (
    ("fcnet_mo/protein_structure", "fcnet/protein_structure"),
    ("lcbench_own_mo/german", "lcbench_own/german"),
    ("yahpo_mo/lcbench-3945", "yahpo/lcbench-3945"),
    ("fitted_mo/fcnet.protein_structure", "fitted/fcnet.protein_structure"),
    ("synthetic_mo/zdt1", "synthetic/branin"),
)


def _cases(
    mo: Benchmark, so: Benchmark, mo_trials: list[Trial], so_trials: list[Trial]
) -> dict[str, Callable[[], object]]:
    return {
        "mo_batch": lambda: mo.evaluate(mo_trials, seed=0),
        "so_batch": lambda: so.evaluate(so_trials, seed=0),
        "mo_one": lambda: [mo.evaluate([x], seed=0) for x in mo_trials[:32]],
        "so_one": lambda: [so.evaluate([x], seed=0) for x in so_trials[:32]],
    }


def main() -> None:
    """Run the comparison and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("HPOBENCH_DATA_DIR"),
        help="benchmark data folder (default: $HPOBENCH_DATA_DIR)",
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    if args.data_dir is None:
        parser.error("give --data-dir DIR or set $HPOBENCH_DATA_DIR (the FCNet and YAHPO tasks need it)")
    start = time.perf_counter()
    first = load_benchmark("synthetic_mo/zdt2").pareto_reference()
    print(f"first pareto_reference() in this process: {1e3 * (time.perf_counter() - start):.1f} ms "
          f"({len(first.front)} points)")  # fmt: skip
    print(f"{'task':<36} {'batch us/trial (min/med)':>26} {'single us (min/med)':>22} {'MO/SO batch':>12}")
    for mo_name, so_name in PAIRS:
        so = load_benchmark(so_name, data_dir=args.data_dir)
        start = time.perf_counter()
        mo = load_benchmark(mo_name, data_dir=args.data_dir)
        load_ms = 1e3 * (time.perf_counter() - start)
        rng = np.random.default_rng(0)
        mo_trials = [Trial(config=c) for c in mo.codec.sample(rng, args.batch)]
        same_space = mo.task.space == so.task.space
        so_trials = mo_trials if same_space else [Trial(config=c) for c in so.codec.sample(rng, args.batch)]
        t = interleaved(_cases(mo, so, mo_trials, so_trials), repeats=args.repeats)
        ratio = t["mo_batch"].min / t["so_batch"].min
        for kind, name in (("mo", mo_name), ("so", so_name)):
            print(f"{name:<36} {t[kind + '_batch'].per(args.batch):>26} {t[kind + '_one'].per(32):>22} "
                  f"{(f'{ratio:.2f}x' if kind == 'mo' else ''):>12}")  # fmt: skip
        print(f"  (load of {mo_name} with its base cached: {load_ms:.0f} ms)")


if __name__ == "__main__":
    main()
