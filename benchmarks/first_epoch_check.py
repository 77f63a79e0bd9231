"""Is a task's first fidelity one real epoch of training? Evidence from the data.

    python benchmarks/first_epoch_check.py --data-dir ../shared/data [--configs 500]

The one-epoch claim (``protocols/one_epoch.py``) is about what one epoch of training shows. A
fidelity named ``epoch`` starting at 1 is the loader's statement; this script checks it against
the values. For each task it samples configurations (fixed seed), evaluates them at the first
two fidelities and the last one (benchmark seed 0), and prints:

* ``cost 1st/last``: median of cost(first) / cost(last); about ``1 / n_epochs`` when the first
  point is one epoch of a run whose epochs cost alike.
* ``median 1st / 2nd / last``: the objective's median at those fidelities. A first point at
  chance level far below the second is an evaluation before training.
* ``rho(1st, last)`` and ``rho(2nd, last)``: Spearman rank correlations with the last point,
  what "the first epoch ranks configurations well" is about.

Output: a Markdown table on stdout (committed as ``benchmarks/reference/first_epoch_check.md``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import stats

from hpobench.contracts.types import Trial
from hpobench.data.datadir import resolve_data_dir
from hpobench.data.registry import load_benchmark

TASKS = (
    "fcnet_own/naval_propulsion",
    "fcnet_own/parkinsons_telemonitoring",
    "fcnet_own/protein_structure",
    "lcbench_own/australian",
    "lcbench_own/german",
    "lcbench_own/magic",
    "lcbench_own/phoneme",
    "lcbench_own/satimage",
    "lcbench_own/segment",
    "lcbench_own/spambase",
    "lcbench_own/vehicle",
    "yahpo/lcbench-3945",
    "yahpo/lcbench-7593",
    "yahpo/lcbench-34539",
    "yahpo/lcbench-167168",
    "yahpo/lcbench-189908",
    "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128",
    "taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_bs64",
)


def check(name: str, *, data_dir: Path | None, n_configs: int, seed: int) -> str:
    """One Markdown table row for task ``name``."""
    bench = load_benchmark(name, data_dir=data_dir)
    task = bench.task
    fidelity = task.fidelity
    if fidelity is None:
        return f"| {name} | (no fidelity) | | | | |"
    configs = bench.codec.sample(np.random.default_rng(seed), n_configs)
    objective = task.objective.name
    points = (fidelity.low, fidelity.low + 1, fidelity.high)
    values, costs = [], []
    for f in points:
        evals = bench.evaluate([Trial(config=c, fidelity=f) for c in configs], seed=0)
        values.append(np.array([e.values[objective] for e in evals], dtype=float))
        costs.append(np.array([e.cost for e in evals], dtype=float))
    ok = np.all([np.isfinite(v) for v in values], axis=0)
    ratio = float(np.median(costs[0][ok] / costs[2][ok]))
    medians = " / ".join(f"{np.median(v[ok]):.4g}" for v in values)
    rho1 = stats.spearmanr(values[0][ok], values[2][ok]).statistic
    rho2 = stats.spearmanr(values[1][ok], values[2][ok]).statistic
    return (
        f"| {name} | {fidelity.name} {fidelity.low:g}..{fidelity.high:g} | {ratio:.3f} "
        f"(1/{fidelity.high:g} = {1 / fidelity.high:.3f}) | {medians} | {rho1:+.2f} | {rho2:+.2f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table for :data:`TASKS`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--configs", type=int, default=500, help="sampled configurations per task")
    parser.add_argument("--seed", type=int, default=0, help="seed of the configuration sample")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    print(f"{args.configs} sampled configurations per task (seed {args.seed}), benchmark seed 0\n")
    print(
        "| task | fidelity | cost 1st/last | median objective 1st / 2nd / last | rho(1st, last) "
        "| rho(2nd, last) |"
    )
    print("|---|---|---|---|---|---|")
    for name in TASKS:
        print(check(name, data_dir=data_dir, n_configs=args.configs, seed=args.seed), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
